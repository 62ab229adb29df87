import { PhoneIndex } from './phone-index.js';
import type { Finding } from '../findings.js';
import { findColumn, phoneColumnRank, resolveColumns } from './columns.js';
import { consentReader, isFlagSet } from './consent.js';
import { parseCountry } from './country.js';
import { normalisePhone, type PhoneOptions } from './phone.js';
import type { ClassifiedRow, ClassifyOptions, FindingSink, OpenedCsv } from './types.js';
import { compileWhere } from './where.js';

const DAY_MS = 86_400_000;

/**
 * One streamed pass: every row lands in exactly one bucket, checked in the order
 * filtered_out → no_consent → invalid_phone → suppressed → duplicate → missing_variable → sendable.
 * A number that any row declines is not messaged: a later "yes" row for it is no_consent, and a
 * later "no" row marks the earlier sendable row as revoked (`revokes`) for the caller to undo.
 * Only the numbers already seen are kept, not the rows.
 */
export async function* classifyContacts(csv: OpenedCsv, opts: ClassifyOptions, sink: FindingSink): AsyncGenerator<ClassifiedRow> {
  const { phoneColumn, consentColumn, phoneFallbacks = [], doNotContact = [], countryColumn } = resolveColumns(csv.header, opts, csv.path);
  const isExplicitYes = consentReader(opts.consentYes);
  /** The first do-not-contact column set in this row, with its value. */
  const flagged = (record: Record<string, string>): [string, string] | undefined => {
    for (const c of doNotContact) if (isFlagSet(record[c])) return [c, record[c]];
    return undefined;
  };
  /** The phone cell, or the first other phone column with a value when it is empty. */
  const numberOf = (record: Record<string, string>): { raw: string; column: string } => {
    const raw = record[phoneColumn] ?? '';
    if (raw.trim() !== '' || phoneFallbacks.length === 0) return { raw, column: phoneColumn };
    for (const c of phoneFallbacks) if ((record[c] ?? '').trim() !== '') return { raw: record[c], column: c };
    return { raw, column: phoneColumn };
  };
  const filter = compileWhere(opts.where ?? [], csv.header, csv.path);
  const required = (opts.requiredVariables ?? [])
    .map((v) => findColumn(csv.header, v))
    .filter((c): c is string => c !== undefined && c !== phoneColumn);
  const { consentDateColumn: dateColumn, consentSourceColumn: sourceColumn } = resolveColumns(csv.header, opts, csv.path);
  const maxAgeMs = opts.consentMaxAgeDays !== undefined ? opts.consentMaxAgeDays * DAY_MS : undefined;
  const now = (opts.now ?? new Date()).getTime();
  const suppressed = opts.suppressed;
  const defaultCountry = opts.defaultCountry;
  const width = csv.header.length;
  const seen = new PhoneIndex();
  /** Numbers some row declined (no / stale consent): a "yes" on another row does not override it. */
  const declined = new PhoneIndex();
  // One options object for every row: the row's country (its country column) decides a national
  // number, --default-country is the fallback.
  const phoneOpts: PhoneOptions = { defaultCountry, international: opts.international };
  const readPhone = (raw: string, record: Record<string, string>) => {
    const cell = countryColumn ? (record[countryColumn] ?? '').trim() : '';
    // An unreadable country is no reason to read the number in the default one: say so instead.
    phoneOpts.country = cell ? (parseCountry(cell) ?? cell) : undefined;
    return normalisePhone(raw, phoneOpts);
  };
  const declinedNumber = (raw: string, record: Record<string, string>): string | undefined => {
    const p = readPhone(raw, record);
    return p.ok ? p.e164 : undefined;
  };
  const decline = (line: number, record: Record<string, string>, bucket: 'no_consent' | 'filtered_out' | 'suppressed' = 'no_consent'): ClassifiedRow => {
    const phone = declinedNumber(numberOf(record).raw, record);
    if (!phone) return { line, bucket, record };
    const first = declined.get(phone) === undefined;
    if (first) declined.set(phone, line);
    const yesLine = seen.get(phone);
    // Only the first "no" revokes the earlier "yes": further ones have nothing left to take back.
    if (yesLine !== undefined && first) {
      sink({
        rule: 'consent-conflict',
        severity: 'warning',
        message: `${phone} has consent on line ${yesLine} but not here: the "no" wins and the number is not messaged.`,
        line,
        column: consentColumn,
        value: record[consentColumn] ?? '',
      });
      return { line, bucket, phone, record, revokes: yesLine };
    }
    return { line, bucket, phone, record };
  };

  if (!dateColumn && !sourceColumn) {
    sink({
      rule: 'consent-evidence-missing',
      severity: 'warning',
      message: `The file has no column recording when or where consent was given (e.g. consent_at, consent_source); the "${consentColumn}" column alone is weak proof of opt-in.`,
    });
  }

  for await (const row of csv.rows) {
    const { line, record } = row;
    if (filter && !filter(record)) {
      // A "no" (or a do-not-contact flag) outside the segment still counts: it withdraws consent for the number everywhere.
      const consent = record[consentColumn] ?? '';
      yield isExplicitYes(consent) && !flagged(record) ? { line, bucket: 'filtered_out', record } : decline(line, record, 'filtered_out');
      continue;
    }
    if (row.fieldCount !== undefined && row.fieldCount !== width) {
      sink({
        rule: 'ragged-row',
        severity: 'warning',
        message: `This row has ${row.fieldCount} fields but the header has ${width}; values after a stray delimiter end up in the wrong column.`,
        line,
      });
    }

    // The list itself says not to contact this person: whatever the consent column says.
    const flag = flagged(record);
    if (flag) {
      sink({
        rule: 'do-not-contact',
        severity: 'info',
        message: `The "${flag[0]}" column says not to contact this person ("${flag[1]}"): not messaged, whatever the consent says.`,
        line,
        column: flag[0],
        value: flag[1],
      });
      yield decline(line, record, 'suppressed');
      continue;
    }

    const consent = record[consentColumn] ?? '';
    if (!isExplicitYes(consent)) {
      sink({
        rule: 'no-consent',
        severity: 'warning',
        message: consent.trim() === '' ? 'No consent recorded for this contact.' : `Consent "${consent}" is not an explicit yes.`,
        line,
        column: consentColumn,
        value: consent,
      });
      yield decline(line, record);
      continue;
    }
    const dateValue = dateColumn ? (record[dateColumn] ?? '').trim() : '';
    if (maxAgeMs !== undefined && dateValue !== '') {
      const at = parseConsentDate(dateValue);
      if (at === undefined) {
        sink({ rule: 'consent-date-invalid', severity: 'warning', message: `The consent date "${dateValue}" cannot be read, so its age is unknown.`, line, column: dateColumn, value: dateValue });
      } else if (now - at > maxAgeMs) {
        sink({
          rule: 'consent-stale',
          severity: 'warning',
          message: `Consent given ${Math.floor((now - at) / DAY_MS)} days ago, more than --consent-max-age ${opts.consentMaxAgeDays}.`,
          line,
          column: dateColumn,
          value: dateValue,
        });
        yield decline(line, record);
        continue;
      }
    }
    if ((dateColumn || sourceColumn) && dateValue === '' && (!sourceColumn || (record[sourceColumn] ?? '').trim() === '')) {
      sink({
        rule: 'consent-evidence-missing',
        severity: 'warning',
        message: `Consent is yes but ${[dateColumn, sourceColumn].filter(Boolean).join(' and ')} ${dateColumn && sourceColumn ? 'are' : 'is'} empty.`,
        line,
        column: dateColumn ?? sourceColumn,
      });
    }

    const { raw, column: numberColumn } = numberOf(record);
    if (numberColumn !== phoneColumn) {
      sink({
        rule: 'phone-fallback',
        severity: 'info',
        message: `The "${phoneColumn}" cell is empty; the number in "${numberColumn}" is used instead.`,
        line,
        column: numberColumn,
        value: raw,
      });
    }
    const phone = readPhone(raw, record);
    if (!phone.ok) {
      sink(phoneFinding(phone.reason, phone.detail, raw, line, numberColumn, countryColumn));
      yield { line, bucket: 'invalid_phone', record };
      continue;
    }
    const e164 = phone.e164;
    if (phone.kind === 'not-whatsapp') {
      sink({ rule: 'not-whatsapp-number', severity: 'warning', message: `${e164} is a premium-rate, toll-free or other service number that cannot have WhatsApp.`, line, column: numberColumn, value: raw });
      yield { line, bucket: 'invalid_phone', phone: e164, record };
      continue;
    }
    if (suppressed?.has(e164)) {
      sink({ rule: 'suppressed', severity: 'info', message: `${e164} is on a suppression (opt-out) list.`, line, column: numberColumn, value: raw });
      yield { line, bucket: 'suppressed', phone: e164, record };
      continue;
    }
    const noLine = declined.get(e164);
    if (noLine !== undefined) {
      sink({
        rule: 'consent-conflict',
        severity: 'warning',
        message: `${e164} has no consent on line ${noLine}: the "no" wins over this row's yes and the number is not messaged.`,
        line,
        column: consentColumn,
        value: record[consentColumn] ?? '',
      });
      yield { line, bucket: 'no_consent', phone: e164, record };
      continue;
    }
    const firstLine = seen.get(e164);
    if (firstLine !== undefined) {
      sink({ rule: 'duplicate', severity: 'warning', message: `${e164} is the same number as line ${firstLine}; it gets one message.`, line, column: numberColumn, value: raw });
      yield { line, bucket: 'duplicate', phone: e164, record };
      continue;
    }
    if (phone.hint === 'argentina-mobile-9' && phoneColumnRank(numberColumn) >= 2) {
      // In a WhatsApp or mobile column, an Argentine "landline" is a mobile written without its 9.
      sink({
        rule: 'argentina-mobile-9',
        severity: 'warning',
        message: `${e164} reads as an Argentine landline, but this is a mobile column: WhatsApp numbers in Argentina carry a 9 after +54 (${phone.suggestion}). Add the 9 if it is a mobile.`,
        line,
        column: numberColumn,
        value: raw,
      });
    } else if (phone.kind === 'fixed') {
      sink({ rule: 'landline', severity: 'warning', message: `${e164} is a landline: it only works if it is registered on WhatsApp.`, line, column: numberColumn, value: raw });
    }

    const missing = required.filter((c) => (record[c] ?? '').trim() === '');
    if (missing.length > 0) {
      sink({
        rule: 'missing-variable',
        severity: 'warning',
        message: `The template needs ${missing.map((c) => `"${c}"`).join(', ')}, empty in this row.`,
        line,
        column: missing[0],
        value: '',
      });
      yield { line, bucket: 'missing_variable', phone: e164, record };
      continue;
    }
    // Only a sendable row claims its number: a later complete row for it is not a "duplicate"
    // of one that could not be sent.
    seen.set(e164, line);
    yield { line, bucket: 'sendable', phone: e164, record };
  }
}

function phoneFinding(reason: 'needs-country' | 'invalid' | 'empty', detail: string | undefined, raw: string, line: number, column: string, countryColumn?: string): Finding {
  if (reason === 'needs-country') {
    const where = countryColumn ? `fill its "${countryColumn}" cell, ` : 'add a country column, ';
    return {
      rule: 'phone-needs-country',
      severity: 'error',
      message: `"${raw.trim()}" has no country code${detail ? ` (${detail})` : ''}: ${where}pass --default-country (e.g. ES), or write it as +34 ...`,
      line,
      column,
      value: raw,
    };
  }
  return {
    rule: 'invalid-phone',
    severity: 'warning',
    message: reason === 'empty' ? 'The phone number is empty.' : `"${raw.trim()}" is not a valid phone number${detail ? `: ${detail}` : ''}.`,
    line,
    column,
    value: raw,
  };
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const DMY_DATE = /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/;
const YMD_SLASH = /^(\d{4})\/(\d{1,2})\/(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?/;

/** ISO 8601, or day-first DD/MM/YYYY as Spanish and Portuguese exports write it; ms since epoch. */
export function parseConsentDate(value: string): number | undefined {
  let m = ISO_DATE.exec(value);
  if (m) {
    if (m[7]) {
      const t = Date.parse(value.replace(' ', 'T'));
      return Number.isNaN(t) ? undefined : t;
    }
    return utc(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  }
  m = DMY_DATE.exec(value);
  if (m) return utc(+m[3], +m[2], +m[1], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  m = YMD_SLASH.exec(value);
  if (m) return utc(+m[1], +m[2], +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0));
  return undefined;
}

function utc(y: number, mo: number, d: number, h: number, mi: number, s: number): number | undefined {
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  const back = new Date(t);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  return t;
}

import { PhoneIndex } from './phone-index.js';
import type { Finding } from '../findings.js';
import { findColumn, phoneColumnRank, resolveColumns } from './columns.js';
import { consentReader, isFlagSet } from './consent.js';
import { parseCountry } from './country.js';
import { normalisePhone, type PhoneOptions } from './phone.js';
import type { ClassifiedRow, ClassifyOptions, FindingSink, OpenedCsv, RawRow } from './types.js';
import type { Bucket } from '../findings.js';
import { compileWhere } from './where.js';
import { isValidTimeZone, zoneCell } from '../dispatch/send-window.js';

const DAY_MS = 86_400_000;

/**
 * What one row is before the numbers seen so far are consulted. Computing it needs nothing but the
 * row, so it may run anywhere (the lint's worker threads, too); `ClassifyState.apply` then adds,
 * in file order, what depends on the rows above: consent conflicts and duplicates.
 * `findings` are the row's findings up to that point; a candidate's `after` are those that follow
 * (landline, missing variable...) and are said only if the number is neither declined nor a duplicate.
 */
export type RowStep =
  | { kind: 'final'; line: number; bucket: Bucket; phone?: string; record: Record<string, string>; findings?: Finding[] }
  | { kind: 'decline'; line: number; bucket: 'no_consent' | 'filtered_out' | 'suppressed'; phone: string; consent: string; record: Record<string, string>; findings?: Finding[] }
  | {
      kind: 'candidate';
      line: number;
      phone: string;
      consent: string;
      raw: string;
      numberColumn: string;
      record: Record<string, string>;
      findings?: Finding[];
      /** The bucket if the number is new and not declined. */
      bucket: 'sendable' | 'missing_variable';
      /** Whether this row claims its number (a later row with it is a duplicate): classify's sendable. */
      claims: boolean;
      after?: Finding[];
      text?: string;
    };

/** The per-row half of classification, compiled once for a file's header. */
export interface RowClassifier {
  /** Findings about the file as a whole, said before the first row. */
  fileFindings: Finding[];
  phoneColumn: string;
  consentColumn: string;
  step(row: RawRow): RowStep;
}

export function compileClassifier(header: string[], opts: ClassifyOptions, path: string): RowClassifier {
  const { phoneColumn, consentColumn, phoneFallbacks = [], doNotContact = [], countryColumn } = resolveColumns(header, opts, path);
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
  const filter = compileWhere(opts.where ?? [], header, path);
  const required = (opts.requiredVariables ?? [])
    .map((v) => findColumn(header, v))
    .filter((c): c is string => c !== undefined && c !== phoneColumn);
  const { consentDateColumn: dateColumn, consentSourceColumn: sourceColumn } = resolveColumns(header, opts, path);
  const maxAgeMs = opts.consentMaxAgeDays !== undefined ? opts.consentMaxAgeDays * DAY_MS : undefined;
  const now = (opts.now ?? new Date()).getTime();
  const suppressed = opts.suppressed;
  const defaultCountry = opts.defaultCountry;
  const width = header.length;
  // One options object for every row: the row's country (its country column) decides a national
  // number, --default-country is the fallback.
  const phoneOpts: PhoneOptions = { defaultCountry, international: opts.international };
  const readPhone = (raw: string, record: Record<string, string>) => {
    const cell = countryColumn ? (record[countryColumn] ?? '').trim() : '';
    // An unreadable country is no reason to read the number in the default one: say so instead.
    phoneOpts.country = cell ? (parseCountry(cell) ?? cell) : undefined;
    return normalisePhone(raw, phoneOpts);
  };
  const decline = (line: number, record: Record<string, string>, findings: Finding[] | undefined, bucket: 'no_consent' | 'filtered_out' | 'suppressed' = 'no_consent'): RowStep => {
    const p = readPhone(numberOf(record).raw, record);
    if (!p.ok) return { kind: 'final', line, bucket, record, findings };
    return { kind: 'decline', line, bucket, phone: p.e164, consent: record[consentColumn] ?? '', record, findings };
  };

  const fileFindings: Finding[] = [];
  if (!dateColumn && !sourceColumn) {
    fileFindings.push({
      rule: 'consent-evidence-missing',
      severity: 'warning',
      message: `The file has no column recording when or where consent was given (e.g. consent_at, consent_source); the "${consentColumn}" column alone is weak proof of opt-in.`,
    });
  }

  const step = (row: RawRow): RowStep => {
    const { line, record } = row;
    let findings: Finding[] | undefined;
    const sink = (f: Finding) => void (findings ??= []).push(f);
    if (filter && !filter(record)) {
      // A "no" (or a do-not-contact flag) outside the segment still counts: it withdraws consent for the number everywhere.
      const consent = record[consentColumn] ?? '';
      return isExplicitYes(consent) && !flagged(record) ? { kind: 'final', line, bucket: 'filtered_out', record } : decline(line, record, undefined, 'filtered_out');
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
      return decline(line, record, findings, 'suppressed');
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
      return decline(line, record, findings);
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
        return decline(line, record, findings);
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
      return { kind: 'final', line, bucket: 'invalid_phone', record, findings };
    }
    const e164 = phone.e164;
    if (phone.kind === 'not-whatsapp') {
      sink({ rule: 'not-whatsapp-number', severity: 'warning', message: `${e164} is a premium-rate, toll-free or other service number that cannot have WhatsApp.`, line, column: numberColumn, value: raw });
      return { kind: 'final', line, bucket: 'invalid_phone', phone: e164, record, findings };
    }
    if (suppressed?.has(e164)) {
      sink({ rule: 'suppressed', severity: 'info', message: `${e164} is on a suppression (opt-out) list.`, line, column: numberColumn, value: raw });
      return { kind: 'final', line, bucket: 'suppressed', phone: e164, record, findings };
    }

    // What follows is said only for a number that is neither declined nor a duplicate.
    let after: Finding[] | undefined;
    if (phone.hint === 'argentina-mobile-9' && phoneColumnRank(numberColumn) >= 2) {
      // In a WhatsApp or mobile column, an Argentine "landline" is a mobile written without its 9.
      after = [{
        rule: 'argentina-mobile-9',
        severity: 'warning',
        message: `${e164} reads as an Argentine landline, but this is a mobile column: WhatsApp numbers in Argentina carry a 9 after +54 (${phone.suggestion}). Add the 9 if it is a mobile.`,
        line,
        column: numberColumn,
        value: raw,
      }];
    } else if (phone.kind === 'fixed') {
      after = [{ rule: 'landline', severity: 'warning', message: `${e164} is a landline: it only works if it is registered on WhatsApp.`, line, column: numberColumn, value: raw }];
    }

    // The row's own zone decides its --window hours: one that is no zone is ignored (send.ts).
    const zone = zoneCell(record);
    if (zone !== undefined && !isValidTimeZone(zone)) {
      (after ??= []).push({
        rule: 'tz-invalid',
        severity: 'warning',
        message: `"${zone}" is not a time zone: a --window is read in this number's own zone instead (or this machine's).`,
        line,
        column: record.tz ? 'tz' : 'TZ',
        value: zone,
      });
    }

    const missing = required.filter((c) => (record[c] ?? '').trim() === '');
    if (missing.length > 0) {
      (after ??= []).push({
        rule: 'missing-variable',
        severity: 'warning',
        message: `The template needs ${missing.map((c) => `"${c}"`).join(', ')}, empty in this row.`,
        line,
        column: missing[0],
        value: '',
      });
      return { kind: 'candidate', line, phone: e164, consent, raw, numberColumn, record, findings, bucket: 'missing_variable', claims: false, after };
    }
    // Only a sendable row claims its number: a later complete row for it is not a "duplicate"
    // of one that could not be sent.
    return { kind: 'candidate', line, phone: e164, consent, raw, numberColumn, record, findings, bucket: 'sendable', claims: true, after };
  };

  return { fileFindings, phoneColumn, consentColumn, step };
}

/**
 * The half of classification that depends on the rows above, applied to each row's step in file
 * order. A number that any row declines is not messaged: a later "yes" row for it is no_consent,
 * and a later "no" row marks the earlier sendable row as revoked (`revokes`) for the caller to
 * undo. Only the numbers already seen are kept, not the rows.
 */
export class ClassifyState {
  private readonly seen: PhoneIndex;
  /** Numbers some row declined (no / stale consent): a "yes" on another row does not override it. */
  private readonly declined = new PhoneIndex();

  /** `expectedRows`: the most numbers the rows can claim, so that the index is sized once. */
  constructor(private readonly consentColumn: string, expectedRows?: number) {
    this.seen = new PhoneIndex();
    if (expectedRows) this.seen.reserve(expectedRows);
  }

  apply(s: RowStep, sink: FindingSink): ClassifiedRow & { text?: string } {
    if (s.findings) for (const f of s.findings) sink(f);
    const { line, record } = s;
    if (s.kind === 'final') return s.phone === undefined ? { line, bucket: s.bucket, record } : { line, bucket: s.bucket, phone: s.phone, record };
    const phone = s.phone;
    if (s.kind === 'decline') {
      const first = this.declined.claim(phone, line) === undefined;
      const yesLine = this.seen.get(phone);
      // Only the first "no" revokes the earlier "yes": further ones have nothing left to take back.
      if (yesLine !== undefined && first) {
        sink({
          rule: 'consent-conflict',
          severity: 'warning',
          message: `${phone} has consent on line ${yesLine} but not here: the "no" wins and the number is not messaged.`,
          line,
          column: this.consentColumn,
          value: s.consent,
        });
        return { line, bucket: s.bucket, phone, record, revokes: yesLine };
      }
      return { line, bucket: s.bucket, phone, record };
    }
    const noLine = this.declined.get(phone);
    if (noLine !== undefined) {
      sink({
        rule: 'consent-conflict',
        severity: 'warning',
        message: `${phone} has no consent on line ${noLine}: the "no" wins over this row's yes and the number is not messaged.`,
        line,
        column: this.consentColumn,
        value: s.consent,
      });
      return { line, bucket: 'no_consent', phone, record };
    }
    // A row that claims its number takes it in the same probe that finds an earlier row's.
    const firstLine = s.claims ? this.seen.claim(phone, line) : this.seen.get(phone);
    if (firstLine !== undefined) {
      sink({ rule: 'duplicate', severity: 'warning', message: `${phone} is the same number as line ${firstLine}; it gets one message.`, line, column: s.numberColumn, value: s.raw });
      return { line, bucket: 'duplicate', phone, record };
    }
    if (s.after) for (const f of s.after) sink(f);
    return s.text === undefined ? { line, bucket: s.bucket, phone, record } : { line, bucket: s.bucket, phone, record, text: s.text };
  }
}

/**
 * One streamed pass: every row lands in exactly one bucket, checked in the order
 * filtered_out → no_consent → invalid_phone → suppressed → duplicate → missing_variable → sendable.
 */
export async function* classifyContacts(csv: OpenedCsv, opts: ClassifyOptions, sink: FindingSink): AsyncGenerator<ClassifiedRow> {
  const classifier = compileClassifier(csv.header, opts, csv.path);
  for (const f of classifier.fileFindings) sink(f);
  const state = new ClassifyState(classifier.consentColumn, csv.estimatedRows);
  for await (const row of csv.rows) yield state.apply(classifier.step(row), sink);
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

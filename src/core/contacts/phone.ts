import { Metadata, isSupportedCountry, parsePhoneNumberFromString, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/metadata.max.json';

export type PhoneKind = 'mobile' | 'fixed' | 'fixed-or-mobile' | 'not-whatsapp' | 'unknown';

/** A WhatsApp convention the caller may word as a finding (only it knows what the column is for). */
export type PhoneHint = 'argentina-mobile-9';
/** A rewrite of what was written into the form WhatsApp uses, for the caller to mention. */
export type PhoneAdjustment = 'mexico-mobile-1' | 'brazil-ninth-digit';

export type PhoneResult =
  | {
      ok: true;
      e164: string;
      kind: PhoneKind;
      country?: string;
      /**
       * `argentina-mobile-9`: a valid Argentine landline that becomes a valid mobile with the 9
       * after +54 (`suggestion`). In a WhatsApp / mobile column it is most likely a mobile written
       * without its 9; in a generic phone column it may well be the landline it reads as.
       */
      hint?: PhoneHint;
      /** The E.164 number the hint proposes. */
      suggestion?: string;
      adjusted?: PhoneAdjustment;
    }
  | { ok: false; reason: 'needs-country' | 'invalid' | 'empty'; detail?: string };

export interface PhoneOptions {
  /** The row's own country (ISO alpha-2, e.g. from parseCountry on its country column): decides a national number. */
  country?: string;
  /** `--default-country`: only for rows without a country of their own. */
  defaultCountry?: string;
  /** `--international`: a number without `+` starts with its country code (WhatsApp IDs, CRM exports). */
  international?: boolean;
}

const metadata = maxMetadata as unknown as MetadataJson;

/** The slice of libphonenumber-js's NumberingPlan this module reads (it is untyped upstream). */
interface PlanType {
  pattern(): string;
  possibleLengths(): number[] | undefined;
}
interface NumberingPlan {
  nationalNumberPattern(): string;
  nationalPrefixForParsing(): string | undefined;
  IDDPrefix(): string;
  type(t: string): PlanType | undefined;
}

interface TypeRule {
  kind: PhoneKind;
  re: RegExp;
  lengths?: number[];
}

/** Compiled once per country: libphonenumber-js builds a new RegExp on every match it tries. */
interface CompiledPlan {
  country: string;
  callingCode: string;
  general: RegExp;
  fixed?: TypeRule;
  /** No MOBILE pattern, or an empty one: fixed-line numbers may be mobiles too (US, CA...). */
  mobileSharesFixed: boolean;
  mobile?: TypeRule;
  others: TypeRule[];
  nationalPrefix?: RegExp;
  idd?: RegExp;
}

const NON_FIXED: [string, PhoneKind][] = [
  ['MOBILE', 'mobile'],
  ['PREMIUM_RATE', 'not-whatsapp'],
  ['TOLL_FREE', 'not-whatsapp'],
  ['SHARED_COST', 'not-whatsapp'],
  ['VOIP', 'unknown'],
  ['PERSONAL_NUMBER', 'unknown'],
  ['PAGER', 'not-whatsapp'],
  ['UAN', 'not-whatsapp'],
  ['VOICEMAIL', 'not-whatsapp'],
];

const plans = new Map<string, CompiledPlan | null>();
const json = maxMetadata as unknown as { country_calling_codes: Record<string, string[]> };

function compileRule(plan: NumberingPlan, name: string, kind: PhoneKind): TypeRule | undefined {
  const t = plan.type(name);
  const pattern = t?.pattern();
  if (!t || !pattern) return undefined;
  return { kind, re: new RegExp(`^(?:${pattern})$`), lengths: t.possibleLengths() };
}

/** `country` is an ISO code, or a calling code for the non-geographic plans (+800, +883...). */
function planFor(country: string): CompiledPlan | null {
  let p = plans.get(country);
  if (p !== undefined) return p;
  p = null;
  const m = new Metadata(metadata);
  try {
    m.selectNumberingPlan(country as CountryCode);
  } catch {
    // unknown: cached as null below
  }
  if (!m.numberingPlan) {
    plans.set(country, p);
    return p;
  }
  const plan = m.numberingPlan as unknown as NumberingPlan & { callingCode(): string };
  const mobileType = plan.type('MOBILE');
  const npfp = plan.nationalPrefixForParsing();
  const idd = plan.IDDPrefix();
  p = {
    country,
    callingCode: plan.callingCode(),
    general: new RegExp(`^(?:${plan.nationalNumberPattern()})$`),
    fixed: compileRule(plan, 'FIXED_LINE', 'fixed'),
    mobileSharesFixed: !mobileType || mobileType.pattern() === '',
    mobile: compileRule(plan, 'MOBILE', 'mobile'),
    others: NON_FIXED.map(([name, kind]) => compileRule(plan, name, kind)).filter((r): r is TypeRule => r !== undefined),
    nationalPrefix: npfp ? new RegExp(`^(?:${npfp})`) : undefined,
    idd: idd ? new RegExp(`^(?:${idd})`) : undefined,
  };
  plans.set(country, p);
  return p;
}

function matches(rule: TypeRule | undefined, national: string): boolean {
  if (!rule) return false;
  if (rule.lengths && rule.lengths.indexOf(national.length) < 0) return false;
  return rule.re.test(national);
}

/** libphonenumber's getNumberType() over precompiled patterns; undefined means "not a valid number". */
function kindOf(plan: CompiledPlan, national: string): PhoneKind | undefined {
  if (!plan.general.test(national)) return undefined;
  if (matches(plan.fixed, national)) {
    if (plan.mobileSharesFixed || matches(plan.mobile, national)) return 'fixed-or-mobile';
    return 'fixed';
  }
  for (const rule of plan.others) if (matches(rule, national)) return rule.kind;
  return undefined;
}

/** Calling codes shared by one country only: there the country needs no guessing from leading digits. */
const singleCountry = new Map<string, string>();
for (const [code, countries] of Object.entries(json.country_calling_codes)) {
  if (countries.length === 1) singleCountry.set(code, countries[0]);
}

const SCIENTIFIC = /^[+-]?\d(?:[.,]\d+)?e\+?\d+$/i;
const URI_PREFIX = /^(?:tel|whatsapp|wa|callto|sms):\/{0,2}/i;
const SEPARATORS = /[\s\u00a0\u2000-\u200b\u202f\u2060\-‐-―−.()[\]/]/g;
const NON_ASCII = /[^\x00-\x7f]/;

/**
 * Full-width forms (０-９, ＋, （）, －) and Arabic-Indic digits to ASCII; invisible format characters
 * (direction marks and embeddings, zero-width spaces and joiners, BOM, soft hyphen) dropped; other
 * spaces to a plain space. Only called when the cell has a non-ASCII character.
 */
function foldChars(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) out += s[i];
    else if (c >= 0xff01 && c <= 0xff5e) out += String.fromCharCode(c - 0xfee0);
    else if (c >= 0x660 && c <= 0x669) out += String.fromCharCode(c - 0x660 + 48);
    else if (c >= 0x6f0 && c <= 0x6f9) out += String.fromCharCode(c - 0x6f0 + 48);
    else if (c === 0xad || c === 0x61c || c === 0x180e || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2060 && c <= 0x2069) || c === 0xfeff) continue;
    else if (c === 0xa0 || c === 0x3000 || (c >= 0x2000 && c <= 0x200a) || c === 0x202f || c === 0x205f) out += ' ';
    else out += s[i];
  }
  return out;
}

/**
 * Normalises a contact's phone cell to E.164. Without `+`/`00` the number is national: read in the
 * row's country, else the default country, and with neither it is `needs-country`, because
 * guessing would message strangers. With `international`, a number without `+` starts with its
 * country code (a single leading 0 is a trunk prefix, so that number is still national).
 * `normalisePhone(raw, 'ES')` is `normalisePhone(raw, { defaultCountry: 'ES' })`.
 */
export function normalisePhone(raw: string, opts?: string | PhoneOptions): PhoneResult {
  let rowCountry: string | undefined;
  let defaultCountry: string | undefined;
  let internationalMode = false;
  if (typeof opts === 'string') defaultCountry = opts;
  else if (opts) {
    rowCountry = opts.country || undefined;
    defaultCountry = opts.defaultCountry;
    internationalMode = opts.international === true;
  }
  let s = (NON_ASCII.test(raw) ? foldChars(raw) : raw).trim();
  if (s === '') return { ok: false, reason: 'empty' };
  if (SCIENTIFIC.test(s)) {
    return { ok: false, reason: 'invalid', detail: 'it is in scientific notation, so a spreadsheet has already rounded away its last digits' };
  }
  if (URI_PREFIX.test(s)) s = s.replace(URI_PREFIX, '');
  // Spreadsheets turn a number column into floats: "34612345678.0".
  if (s.endsWith('.0') && /^\+?\d+\.0+$/.test(s)) s = s.slice(0, s.indexOf('.'));
  const compact = s.replace(SEPARATORS, '');
  let digits: string;
  if (compact.charCodeAt(0) === 43 /* + */) digits = compact.slice(1);
  else if (compact.startsWith('00')) digits = compact.slice(2);
  else {
    if (!/^\d+$/.test(compact)) return { ok: false, reason: 'invalid' };
    return internationalMode && compact.charCodeAt(0) !== 48 /* 0 */
      ? withoutPlus(compact, rowCountry)
      : readNational(compact, rowCountry ?? defaultCountry);
  }
  if (!/^\d+$/.test(digits)) return { ok: false, reason: 'invalid' };
  return readInternational(digits);
}

/** `digits` after the `+`. */
function readInternational(digits: string): PhoneResult {
  // Mexico dropped the mobile "1" after +52 in 2019, but lists still carry it: +52 1 55 1234 5678.
  if (digits.length === 13 && digits.startsWith('521')) {
    const r = readInternational(`52${digits.slice(3)}`);
    if (r.ok) r.adjusted = 'mexico-mobile-1';
    return r;
  }
  return withHint(fastInternational(digits) ?? slowPath(`+${digits}`, undefined));
}

function readNational(digits: string, countryText: string | undefined): PhoneResult {
  if (!countryText) return digits.length >= 6 ? { ok: false, reason: 'needs-country' } : { ok: false, reason: 'invalid' };
  const country = countryText.toUpperCase();
  if (!isSupportedCountry(country as CountryCode, metadata)) return { ok: false, reason: 'needs-country', detail: `"${countryText}" is not a known country code` };
  return withHint(fastNational(digits, country) ?? slowPath(digits, country));
}

/**
 * `--international` and no `+`: the number starts with its country code. When the row has a
 * country of its own and the number is a valid national number there but something else (or
 * nothing) read internationally, both readings are plausible and either could be a stranger.
 */
function withoutPlus(digits: string, rowCountry: string | undefined): PhoneResult {
  const intl = readInternational(digits);
  if (intl.ok && (!rowCountry || intl.country === rowCountry.toUpperCase())) return intl;
  const national = rowCountry ? readNational(digits, rowCountry) : undefined;
  const as = intl.ok ? `with --international it is ${intl.e164}` : `with --international it reads as +${digits}, which is no valid number`;
  if (national?.ok) {
    return { ok: false, reason: 'invalid', detail: `${as}, but read in the row's country (${rowCountry!.toUpperCase()}) it is ${national.e164}; write it with its + country code` };
  }
  return intl.ok || intl.detail ? intl : { ok: false, reason: 'invalid', detail: as };
}

/** Argentine mobiles are +54 9 ...; the same digits without the 9 are a landline's. */
function withHint(r: PhoneResult): PhoneResult {
  if (r.ok && r.kind === 'fixed' && r.country === 'AR') {
    const mobile = `9${r.e164.slice(3)}`;
    if (kindOf(planFor('AR')!, mobile) === 'mobile') return { ...r, hint: 'argentina-mobile-9', suggestion: `+54${mobile}` };
  }
  return r;
}

function fastInternational(digits: string): PhoneResult | undefined {
  for (let len = 1; len <= 3 && len < digits.length; len++) {
    const country = singleCountry.get(digits.slice(0, len));
    if (country === undefined) {
      if (json.country_calling_codes[digits.slice(0, len)]) return undefined;
      continue;
    }
    const plan = planFor(country);
    if (!plan) return undefined;
    const national = digits.slice(len);
    if (plan.nationalPrefix?.test(national)) return undefined;
    const kind = kindOf(plan, national);
    if (kind === undefined) return undefined;
    return { ok: true, e164: `+${digits}`, kind, country };
  }
  return undefined;
}

function fastNational(digits: string, country: string): PhoneResult | undefined {
  const plan = planFor(country);
  if (!plan) return undefined;
  if (digits.startsWith(plan.callingCode) || plan.nationalPrefix?.test(digits) || plan.idd?.test(digits)) return undefined;
  const kind = kindOf(plan, digits);
  if (kind === undefined) return undefined;
  return { ok: true, e164: `+${plan.callingCode}${digits}`, kind, country };
}

/** Everything the fast paths decline: national prefixes, shared calling codes, IDD prefixes, invalid numbers. */
function slowPath(text: string, country: string | undefined): PhoneResult {
  const parsed = country
    ? parsePhoneNumberFromString(text, country as CountryCode, metadata)
    : parsePhoneNumberFromString(text, metadata);
  if (!parsed) return { ok: false, reason: 'invalid' };
  const plan = planFor(parsed.country ?? parsed.countryCallingCode);
  const kind = plan ? kindOf(plan, parsed.nationalNumber) : undefined;
  if (kind === undefined) return oldForm(parsed.countryCallingCode, parsed.nationalNumber) ?? { ok: false, reason: 'invalid' };
  return { ok: true, e164: parsed.number, kind, country: parsed.country };
}

/** An invalid number written in a form its country retired, rewritten to the current one. */
function oldForm(callingCode: string, national: string): PhoneResult | undefined {
  // 52 1 + ten digits, written nationally or after a country code without +.
  if (callingCode === '52' && national.length === 11 && national.charCodeAt(0) === 49 /* 1 */) {
    const kind = kindOf(planFor('MX')!, national.slice(1));
    if (kind !== undefined) return { ok: true, e164: `+52${national.slice(1)}`, kind, country: 'MX', adjusted: 'mexico-mobile-1' };
  }
  // Brazil gave every mobile a leading 9 by 2016: a 2-digit area code and 8 digits starting 6-9
  // is a mobile in the old form when the 9-form is a valid mobile. Landlines (2-5) are valid as written.
  if (callingCode === '55' && national.length === 10 && national.charCodeAt(2) >= 54 /* 6 */) {
    const ninth = `${national.slice(0, 2)}9${national.slice(2)}`;
    if (kindOf(planFor('BR')!, ninth) === 'mobile') return { ok: true, e164: `+55${ninth}`, kind: 'mobile', country: 'BR', adjusted: 'brazil-ninth-digit' };
  }
  return undefined;
}

/**
 * Whether a column's numbers look written internationally without `+` (WhatsApp IDs, CRM
 * exports), so that lint can suggest `--international`: most of the samples without `+`/`00`
 * are valid read with a country code and not valid as national numbers of `defaultCountry`.
 */
export function looksInternational(samples: readonly string[], defaultCountry?: string): boolean {
  let candidates = 0;
  let international = 0;
  const asIntl: PhoneOptions = { international: true };
  for (const raw of samples) {
    // Only numbers that need a country are in question: not those with +/00, nor blanks and junk.
    const plain = normalisePhone(raw);
    if (plain.ok || plain.reason !== 'needs-country') continue;
    candidates++;
    if (!normalisePhone(raw, asIntl).ok || (defaultCountry && normalisePhone(raw, defaultCountry).ok)) continue;
    international++;
  }
  return international * 2 > candidates;
}

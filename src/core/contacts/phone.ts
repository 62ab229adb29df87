import { Metadata, isSupportedCountry, parsePhoneNumberFromString, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/metadata.max.json';

export type PhoneKind = 'mobile' | 'fixed' | 'fixed-or-mobile' | 'not-whatsapp' | 'unknown';

export type PhoneResult =
  | { ok: true; e164: string; kind: PhoneKind; country?: string }
  | { ok: false; reason: 'needs-country' | 'invalid' | 'empty'; detail?: string };

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

/**
 * Normalises a contact's phone cell to E.164. Without `+`/`00` the number is national, and a
 * national number with no default country is `needs-country`: guessing would message strangers.
 */
export function normalisePhone(raw: string, defaultCountry?: string): PhoneResult {
  let s = raw.trim();
  if (s === '') return { ok: false, reason: 'empty' };
  if (SCIENTIFIC.test(s)) {
    return { ok: false, reason: 'invalid', detail: 'it is in scientific notation, so a spreadsheet has already rounded away its last digits' };
  }
  if (URI_PREFIX.test(s)) s = s.replace(URI_PREFIX, '');
  // Spreadsheets turn a number column into floats: "34612345678.0".
  if (s.endsWith('.0') && /^\+?\d+\.0+$/.test(s)) s = s.slice(0, s.indexOf('.'));
  const compact = s.replace(SEPARATORS, '');
  let international = false;
  let digits: string;
  if (compact.charCodeAt(0) === 43 /* + */) {
    international = true;
    digits = compact.slice(1);
  } else if (compact.startsWith('00')) {
    international = true;
    digits = compact.slice(2);
  } else {
    digits = compact;
  }
  if (!/^\d+$/.test(digits)) return { ok: false, reason: 'invalid' };
  // Mexico dropped the mobile "1" after +52 in 2019, but lists still carry it: +52 1 55 1234 5678.
  if (international && digits.length === 13 && digits.startsWith('521')) digits = `52${digits.slice(3)}`;

  const country = defaultCountry ? defaultCountry.toUpperCase() : undefined;
  if (!international) {
    if (!country) return digits.length >= 6 ? { ok: false, reason: 'needs-country' } : { ok: false, reason: 'invalid' };
    if (!isSupportedCountry(country as CountryCode, metadata)) return { ok: false, reason: 'needs-country', detail: `"${defaultCountry}" is not a known country code` };
  }

  const fast = international ? fastInternational(digits) : fastNational(digits, country!);
  if (fast) return fast;
  return slowPath(international ? `+${digits}` : digits, international ? undefined : country);
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
  if (kind === undefined) return { ok: false, reason: 'invalid' };
  return { ok: true, e164: parsed.number, kind, country: parsed.country };
}

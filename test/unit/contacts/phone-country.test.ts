import fc from 'fast-check';
import examples from 'libphonenumber-js/examples.mobile.json';
import { getCountries, getCountryCallingCode, getExampleNumber, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { looksInternational, normalisePhone, type PhoneOptions } from '../../../src/core/contacts/phone.js';

type Case = [raw: string, opts: string | PhoneOptions | undefined, expected: Record<string, unknown>];

/** Like toMatchObject, where a key expected `undefined` must be absent from the result. */
function expectResult(raw: string, opts: string | PhoneOptions | undefined, expected: Record<string, unknown>): void {
  const r = normalisePhone(raw, opts);
  for (const [k, v] of Object.entries(expected)) {
    if (v === undefined) expect(r).not.toHaveProperty(k);
    else expect(r).toHaveProperty(k, v);
  }
}

describe('the row\'s country decides a national number', () => {
  it.each<Case>([
    ['9 8765 4321', { country: 'PE' }, { ok: true, e164: '+51987654321', country: 'PE' }],
    ['9 8765 4321', { country: 'CL' }, { ok: true, e164: '+56987654321', country: 'CL' }],
    ['9 8765 4321', { country: 'CL', defaultCountry: 'PE' }, { ok: true, e164: '+56987654321' }],
    ['9 8765 4321', { defaultCountry: 'PE' }, { ok: true, e164: '+51987654321' }],
    ['9 8765 4321', { country: 'cl' }, { ok: true, e164: '+56987654321' }],
    ['9 8765 4321', 'PE', { ok: true, e164: '+51987654321' }],
    ['9 8765 4321', {}, { ok: false, reason: 'needs-country' }],
    ['9 8765 4321', { country: '' }, { ok: false, reason: 'needs-country' }],
    ['9 8765 4321', { country: 'XX', defaultCountry: 'PE' }, { ok: false, reason: 'needs-country', detail: '"XX" is not a known country code' }],
    // A number with its + keeps its own country whatever the row says.
    ['+51 987 654 321', { country: 'CL' }, { ok: true, e164: '+51987654321', country: 'PE' }],
    ['0051 987 654 321', { country: 'CL' }, { ok: true, e164: '+51987654321' }],
    // The country code written without + in the row's own country.
    ['56 9 6543 2109', { country: 'CL' }, { ok: true, e164: '+56965432109' }],
    ['55 1234 5678', { country: 'MX', defaultCountry: 'ES' }, { ok: true, e164: '+525512345678' }],
  ])('%j %j', expectResult);

  it('a national number with no country of either kind is never guessed', () => {
    fc.assert(fc.property(fc.stringMatching(/^[1-9]\d{5,11}$/), fc.constantFrom<PhoneOptions>({}, { international: false }, { country: undefined, defaultCountry: undefined }), (digits, opts) => {
      expect(normalisePhone(digits, opts)).toEqual({ ok: false, reason: 'needs-country' });
    }));
  });
});

describe('--international: numbers without + start with their country code', () => {
  it.each<Case>([
    ['5215512345678', { international: true }, { ok: true, e164: '+525512345678', country: 'MX', adjusted: 'mexico-mobile-1' }],
    ['5215512345678', {}, { ok: false, reason: 'needs-country' }],
    ['5215512345678', { defaultCountry: 'ES' }, { ok: false, reason: 'invalid' }],
    ['34612345678', { international: true }, { ok: true, e164: '+34612345678', kind: 'mobile' }],
    ['34 612 34 56 78', { international: true, defaultCountry: 'MX' }, { ok: true, e164: '+34612345678' }],
    ['5511987654321', { international: true }, { ok: true, e164: '+5511987654321', kind: 'mobile' }],
    ['5491112345678', { international: true }, { ok: true, e164: '+5491112345678', kind: 'mobile' }],
    ['+5511987654321', { international: true }, { ok: true, e164: '+5511987654321' }],
    ['whatsapp:5215512345678', { international: true }, { ok: true, e164: '+525512345678' }],
    // The international reading decides: the default country is no second chance.
    ['612345678', { international: true, defaultCountry: 'ES' }, { ok: false, reason: 'invalid', detail: 'with --international it reads as +612345678, which is no valid number' }],
    // A single leading 0 is a trunk prefix: no country code starts with 0.
    ['07911 123456', { international: true, defaultCountry: 'GB' }, { ok: true, e164: '+447911123456' }],
    ['07911 123456', { international: true }, { ok: false, reason: 'needs-country' }],
    // The row's country agrees, or the number is nothing there: the international reading stands.
    ['56965432109', { international: true, country: 'CL' }, { ok: true, e164: '+56965432109' }],
    ['34612345678', { international: true, country: 'MX' }, { ok: true, e164: '+34612345678', country: 'ES' }],
    // Both readings plausible: refused, naming both.
    ['965432109', { international: true, country: 'CL' }, { ok: false, reason: 'invalid' }],
  ])('%j %j', expectResult);

  it('says which readings disagree', () => {
    const r = normalisePhone('965432109', { international: true, country: 'CL' });
    expect(!r.ok && r.detail).toBe("with --international it reads as +965432109, which is no valid number, but read in the row's country (CL) it is +56965432109; write it with its + country code");
  });

  it('any valid E.164 number written without + reads back with --international', () => {
    const countries = getCountries().filter((c) => getExampleNumber(c, examples));
    for (const cc of countries) {
      const e164 = getExampleNumber(cc, examples)!.number;
      const r = normalisePhone(e164.slice(1), { international: true });
      const plus = normalisePhone(e164);
      expect(r, `${cc} ${e164}`).toEqual(plus);
    }
  });
});

describe('looksInternational', () => {
  it.each<[string[], string | undefined, boolean]>([
    [['5215512345678', '5491112345678', '34612345678', '5511987654321'], undefined, true],
    [['5215512345678', '5491112345678', '34612345678', '5511987654321'], 'ES', true],
    [['5215512345678', '5491112345678', '', '  '], 'CO', true],
    // With MX as the default, 52 1 ... is a Mexican number written with its code: one of two left.
    [['5215512345678', '5491112345678'], 'MX', false],
    [['612345678', '699123456', '34612345678'], 'ES', false],
    [['612345678', '34699123456', '5215512345678'], 'ES', false],
    [['+34612345678', '+5215512345678', '0034612345678'], undefined, false],
    [['987654321', '912345678'], undefined, false],
    [['', 'n/a', '-'], undefined, false],
    [[], 'ES', false],
  ])('%j (%s) → %s', (samples, country, expected) => {
    expect(looksInternational(samples, country)).toBe(expected);
  });
});

describe('WhatsApp conventions', () => {
  it.each<Case>([
    // Mexico: the mobile 1 after +52, however it is written.
    ['+52 1 55 1234 5678', undefined, { ok: true, e164: '+525512345678', adjusted: 'mexico-mobile-1' }],
    ['521 55 1234 5678', 'MX', { ok: true, e164: '+525512345678', adjusted: 'mexico-mobile-1' }],
    ['+52 55 1234 5678', undefined, { ok: true, e164: '+525512345678', adjusted: undefined }],
    // Argentina: the national "15" after the area code is the mobile 9 after +54.
    ['+54 11 15 4321 5678', undefined, { ok: true, e164: '+5491143215678', kind: 'mobile', hint: undefined }],
    ['011 15 4321-5678', 'AR', { ok: true, e164: '+5491143215678', kind: 'mobile' }],
    ['+54 9 11 4321 5678', undefined, { ok: true, e164: '+5491143215678', kind: 'mobile', hint: undefined }],
    // A landline stays a landline (a generic phone column may well hold one); the hint lets the
    // caller say "add the 9" where the column is for WhatsApp or mobiles.
    ['+54 11 4321 5678', undefined, { ok: true, e164: '+541143215678', kind: 'fixed', hint: 'argentina-mobile-9', suggestion: '+5491143215678' }],
    ['(0351) 423-4567', 'AR', { ok: true, e164: '+543514234567', kind: 'fixed', hint: 'argentina-mobile-9', suggestion: '+5493514234567' }],
    ['+54 670 247 4247', undefined, { ok: true, e164: '+546702474247', kind: 'fixed', hint: undefined, suggestion: undefined }],
    // Brazil: an 8-digit mobile from before the ninth digit gets its 9.
    ['+55 11 8765 4321', undefined, { ok: true, e164: '+5511987654321', kind: 'mobile', adjusted: 'brazil-ninth-digit' }],
    ['(11) 8765-4321', 'BR', { ok: true, e164: '+5511987654321', adjusted: 'brazil-ninth-digit' }],
    ['11 8765-4321', { country: 'BR', defaultCountry: 'ES' }, { ok: true, e164: '+5511987654321' }],
    ['551187654321', { international: true }, { ok: true, e164: '+5511987654321', adjusted: 'brazil-ninth-digit' }],
    ['+55 11 6123 4567', undefined, { ok: true, e164: '+5511961234567' }],
    // ...but an 8-digit landline never does, nor a number already valid as written.
    ['+55 11 3456 7890', undefined, { ok: true, e164: '+551134567890', kind: 'fixed', adjusted: undefined }],
    ['(21) 2345-6789', 'BR', { ok: true, e164: '+552123456789', kind: 'fixed', adjusted: undefined }],
    ['+55 11 98765 4321', undefined, { ok: true, e164: '+5511987654321', adjusted: undefined }],
    ['+55 21 7654 3210', undefined, { ok: true, e164: '+552176543210', adjusted: undefined }],
    ['+55 11 2456 789', undefined, { ok: false, reason: 'invalid' }],
  ])('%j %j', expectResult);

  it('a Brazilian landline never gains a 9', () => {
    fc.assert(fc.property(fc.constantFrom('11', '21', '31', '41', '51', '61', '71', '81', '91'), fc.stringMatching(/^[2-5]\d{7}$/), (area, rest) => {
      const r = normalisePhone(`+55${area}${rest}`);
      if (r.ok) expect(r.e164).toBe(`+55${area}${rest}`);
      expect(r.ok && r.adjusted).toBeFalsy();
    }));
  });
});

describe('digits and invisible characters', () => {
  it.each<Case>([
    ['６１２ ３４５ ６７８', 'ES', { ok: true, e164: '+34612345678' }],
    ['＋３４（６１２）３４５－６７８', undefined, { ok: true, e164: '+34612345678' }],
    ['+٣٤ ٦١٢ ٣٤٥ ٦٧٨', undefined, { ok: true, e164: '+34612345678' }],
    ['۶۱۲۳۴۵۶۷۸', 'ES', { ok: true, e164: '+34612345678' }],
    ['\u200e+34 612 345 678\u200f', undefined, { ok: true, e164: '+34612345678' }],
    ['\u202a+34 612 345 678\u202c', undefined, { ok: true, e164: '+34612345678' }],
    ['\u2066+34\u00a0612\u202f345\u200b678\u2069', undefined, { ok: true, e164: '+34612345678' }],
    ['\ufeff612\u200d345\u200c678', 'ES', { ok: true, e164: '+34612345678' }],
    ['\u202b\u202e\u2067\u2068612345678\u202d', 'ES', { ok: true, e164: '+34612345678' }],
    ['\u00a0\u3000+34 612 345 678\u202f', undefined, { ok: true, e164: '+34612345678' }],
    ['ｔｅｌ：＋３４６１２３４５６７８', undefined, { ok: true, e164: '+34612345678' }],
    ['\u200e\u200f\u200b', 'ES', { ok: false, reason: 'empty' }],
    // Other scripts' digits are not folded: such a cell is no number we can vouch for.
    ['६१२३४५६७८', 'ES', { ok: false, reason: 'invalid' }],
    ['612 345 67٫8', 'ES', { ok: false, reason: 'invalid' }],
  ])('%j %j', expectResult);

  const FORMAT = ['\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200b', '\u200c', '\u200d', '\ufeff', '\u00ad', '\u061c'];
  // No "." here: "…67.0" at the end is how a spreadsheet writes a float, and is read as one.
  const SEPARATOR = [' ', '-', '(', ')', '/', '\u00a0', '\u202f', '\u3000', '\u2009', '－', '（', '）'];
  const decoration = fc.array(fc.constantFrom(...FORMAT, ...SEPARATOR), { maxLength: 3 }).map((xs) => xs.join(''));
  const digitScript = fc.constantFrom(0x30, 0xff10, 0x660, 0x6f0);
  const numbers = getCountries()
    .map((cc) => ({ cc, n: getExampleNumber(cc, examples) }))
    .filter((x): x is { cc: CountryCode; n: NonNullable<typeof x.n> } => x.n !== undefined);

  /** Rewrites `text` with a decoration before every character and each digit in a random script. */
  const decorate = (text: string) => fc.tuple(fc.array(fc.tuple(decoration, digitScript), { minLength: text.length + 1, maxLength: text.length + 1 }))
    .map(([parts]) => [...text].map((ch, i) => {
      const [deco, zero] = parts[i];
      const code = ch.charCodeAt(0);
      return deco + (code >= 48 && code <= 57 ? String.fromCharCode(zero + code - 48) : ch === '+' && zero === 0xff10 ? '＋' : ch);
    }).join('') + parts[text.length][0]);

  it('any mix of separators, invisible characters and digit forms normalises like the plain number', () => {
    const sample = fc.constantFrom(...numbers).chain(({ cc, n }) => fc.constantFrom(
      { plain: n.number as string, opts: undefined as PhoneOptions | undefined },
      { plain: n.nationalNumber as string, opts: { country: cc } },
    ));
    fc.assert(fc.property(sample.chain((s) => decorate(s.plain).map((text) => ({ ...s, text }))), ({ plain, opts, text }) => {
      expect(normalisePhone(text, opts)).toEqual(normalisePhone(plain, opts));
    }), { numRuns: 3000 });
  });
});

describe('national numbers in their country agree with libphonenumber-js', () => {
  it('every supported country: its example mobile in national format, with that country as the row\'s, is the example\'s E.164', () => {
    for (const { cc, n } of getCountries().map((c) => ({ cc: c, n: getExampleNumber(c, examples) }))) {
      if (!n) continue;
      // The default country must not matter once the row has one.
      const r = normalisePhone(n.formatNational(), { country: cc, defaultCountry: cc === 'ES' ? 'PT' : 'ES' });
      expect(r.ok && r.e164, `${cc} ${n.formatNational()}`).toBe(n.number);
    }
  });

  it('random valid numbers of every country: national format + that country == the E.164 libphonenumber gives', () => {
    const country = fc.constantFrom(...getCountries());
    fc.assert(fc.property(country, fc.stringMatching(/^[1-9]\d{5,11}$/), (cc, digits) => {
      const p = parsePhoneNumberFromString(`+${getCountryCallingCode(cc)}${digits}`);
      if (!p?.isValid() || !p.country) return;
      const national = p.formatNational();
      // libphonenumber's own reading of its national format (Gabon's does not round-trip).
      const ref = parsePhoneNumberFromString(national, p.country);
      if (!ref?.isValid()) return;
      const r = normalisePhone(national, { country: p.country, defaultCountry: 'ES' });
      expect(r.ok && r.e164, `${p.country} ${national}`).toBe(ref.number);
    }), { numRuns: 20_000 });
  });
});

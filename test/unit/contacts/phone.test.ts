import fc from 'fast-check';
import { getCountries, getCountryCallingCode, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { normalisePhone } from '../../../src/core/contacts/phone.js';

describe('normalisePhone', () => {
  it.each([
    // input, default country, E.164, kind
    ['+34 612 34 56 78', undefined, '+34612345678', 'mobile'],
    ['0034612345678', undefined, '+34612345678', 'mobile'],
    ['0034 612 345 678', 'MX', '+34612345678', 'mobile'],
    ['612345678', 'ES', '+34612345678', 'mobile'],
    ['612345678', 'es', '+34612345678', 'mobile'],
    ['(612) 345-678', 'ES', '+34612345678', 'mobile'],
    ['612.345.678', 'ES', '+34612345678', 'mobile'],
    ['tel:+34612345678', undefined, '+34612345678', 'mobile'],
    ['whatsapp:+34612345678', undefined, '+34612345678', 'mobile'],
    ['+34612345678.0', undefined, '+34612345678', 'mobile'],
    ['612345678.0', 'ES', '+34612345678', 'mobile'],
    ['+34 91 123 45 67', undefined, '+34911234567', 'fixed'],
    ['911234567', 'ES', '+34911234567', 'fixed'],
    ['900 123 456', 'ES', '+34900123456', 'not-whatsapp'],
    ['803 123 456', 'ES', '+34803123456', 'not-whatsapp'],
    ['+52 55 1234 5678', undefined, '+525512345678', 'fixed-or-mobile'],
    ['55 1234 5678', 'MX', '+525512345678', 'fixed-or-mobile'],
    ['+54 9 11 1234-5678', undefined, '+5491112345678', 'mobile'],
    ['011 15-1234-5678', 'AR', '+5491112345678', 'mobile'],
    ['+55 11 91234-5678', undefined, '+5511912345678', 'mobile'],
    ['(11) 91234-5678', 'BR', '+5511912345678', 'mobile'],
    ['+57 321 1234567', undefined, '+573211234567', 'mobile'],
    ['321 1234567', 'CO', '+573211234567', 'mobile'],
    ['+1 212 456 7890', undefined, '+12124567890', 'fixed-or-mobile'],
    ['(212) 456-7890', 'US', '+12124567890', 'fixed-or-mobile'],
    ['1-800-555-1234', 'US', '+18005551234', 'not-whatsapp'],
    ['+351 912 345 678', undefined, '+351912345678', 'mobile'],
    ['07911 123456', 'GB', '+447911123456', 'mobile'],
  ])('%s (%s) → %s %s', (raw, country, e164, kind) => {
    expect(normalisePhone(raw, country)).toMatchObject({ ok: true, e164, kind });
  });

  it.each([
    ['612345678', undefined, 'needs-country'],
    ['(11) 91234-5678', undefined, 'needs-country'],
    ['34612345678.0', undefined, 'needs-country'],
    ['', 'ES', 'empty'],
    ['   ', undefined, 'empty'],
    ['abc', 'ES', 'invalid'],
    ['+34 6123', undefined, 'invalid'],
    ['12', undefined, 'invalid'],
    ['+34 612 34 56 78 99', undefined, 'invalid'],
    ['+52 1 55 1234', undefined, 'invalid'],
    ['3.4612345678E+10', undefined, 'invalid'],
    ['6,12345678E+08', 'ES', 'invalid'],
  ])('%j (%s) → %s', (raw, country, reason) => {
    expect(normalisePhone(raw, country)).toMatchObject({ ok: false, reason });
  });

  it('says why scientific notation is invalid', () => {
    const r = normalisePhone('3.4612345678E+10');
    expect(!r.ok && r.detail).toMatch(/scientific notation/);
  });

  it('never guesses a country for a national number', () => {
    fc.assert(fc.property(fc.stringMatching(/^[1-9]\d{5,11}$/), (digits) => {
      expect(normalisePhone(digits)).toEqual({ ok: false, reason: 'needs-country' });
    }));
  });
});

const KIND: Record<string, string> = {
  MOBILE: 'mobile', FIXED_LINE: 'fixed', FIXED_LINE_OR_MOBILE: 'fixed-or-mobile', PREMIUM_RATE: 'not-whatsapp', TOLL_FREE: 'not-whatsapp',
  SHARED_COST: 'not-whatsapp', PAGER: 'not-whatsapp', UAN: 'not-whatsapp', VOICEMAIL: 'not-whatsapp', VOIP: 'unknown', PERSONAL_NUMBER: 'unknown',
};

/**
 * The fast paths must agree with libphonenumber-js itself on every number, valid or not, except
 * for our deliberate rewrites of numbers libphonenumber finds invalid: the Mexican "52 1" form and
 * a Brazilian mobile without its ninth digit (when the 9-form is a mobile).
 */
function reference(text: string, country?: CountryCode): { e164: string; kind: string } | undefined {
  const p = country ? parsePhoneNumberFromString(text, country) : parsePhoneNumberFromString(text);
  if (!p) return undefined;
  if (p.isValid()) return { e164: p.number, kind: KIND[p.getType() ?? ''] ?? 'unknown' };
  const nn = p.nationalNumber;
  if (p.countryCallingCode === '52' && nn.length === 11 && nn[0] === '1') return reference(`+52${nn.slice(1)}`);
  if (p.countryCallingCode === '55' && nn.length === 10 && nn[2] >= '6') {
    const ninth = reference(`+55${nn.slice(0, 2)}9${nn.slice(2)}`);
    return ninth?.kind === 'mobile' ? ninth : undefined;
  }
  return undefined;
}

describe('normalisePhone agrees with libphonenumber-js', () => {
  const countries = getCountries();
  const country = fc.constantFrom(...countries);
  const national = fc.stringMatching(/^[1-9]\d{4,12}$/);

  it('on international numbers of every country', () => {
    fc.assert(fc.property(country, national, (cc, digits) => {
      const text = `+${getCountryCallingCode(cc)}${digits}`;
      const ours = normalisePhone(text);
      // Our one deliberate difference: the old Mexican mobile "1" (+52 1 + 10 digits) is dropped first.
      const ref = reference(/^\+521\d{10}$/.test(text) ? `+52${text.slice(4)}` : text);
      expect(ours.ok ? { e164: ours.e164, kind: ours.kind } : undefined).toEqual(ref);
    }), { numRuns: 20_000 });
  });

  it('on national numbers with a default country', () => {
    fc.assert(fc.property(country, fc.oneof(national, fc.stringMatching(/^0[1-9]\d{4,12}$/)), (cc, digits) => {
      const ours = normalisePhone(digits, cc);
      const ref = reference(digits, cc);
      expect(ours.ok ? { e164: ours.e164, kind: ours.kind } : undefined).toEqual(ref);
    }), { numRuns: 20_000 });
  });

  it('on real mobile and fixed-line ranges of a few countries', () => {
    const prefixes = ['+346', '+347', '+349', '+5411', '+54911', '+5511', '+55119', '+5255', '+57', '+57601', '+1212', '+1800', '+447', '+351'];
    fc.assert(fc.property(fc.constantFrom(...prefixes), fc.stringMatching(/^\d{5,9}$/), (prefix, rest) => {
      const text = prefix + rest;
      const ours = normalisePhone(text);
      expect(ours.ok ? { e164: ours.e164, kind: ours.kind } : undefined).toEqual(reference(/^\+521\d{10}$/.test(text) ? `+52${text.slice(4)}` : text));
    }), { numRuns: 20_000 });
  });
});

describe('Mexican numbers with the old mobile 1', () => {
  it('drops the 1 after +52 that lists still carry', () => {
    expect(normalisePhone('+52 1 55 1234 5678')).toMatchObject({ ok: true, e164: '+525512345678' });
    expect(normalisePhone('+52 55 1234 5678')).toMatchObject({ ok: true, e164: '+525512345678' });
  });
});

import fc from 'fast-check';
import { getCountries, getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { COUNTRY_NAMES, parseCountry } from '../../../src/core/contacts/country.js';
import { normalisePhone } from '../../../src/core/contacts/phone.js';

describe('parseCountry', () => {
  it.each([
    // ISO alpha-2 and alpha-3, any case
    ['ES', 'ES'], ['es', 'ES'], [' MX ', 'MX'], ['ESP', 'ES'], ['mex', 'MX'], ['BRA', 'BR'], ['CHL', 'CL'], ['PER', 'PE'], ['USA', 'US'], ['GBR', 'GB'], ['UK', 'GB'],
    // names in Spanish, Portuguese and English, with or without accents
    ['España', 'ES'], ['ESPAÑA', 'ES'], ['espana', 'ES'], ['Espanha', 'ES'], ['Spain', 'ES'],
    ['México', 'MX'], ['Mexico', 'MX'], ['Méjico', 'MX'],
    ['Brasil', 'BR'], ['Brazil', 'BR'], ['Perú', 'PE'], ['PERU', 'PE'], ['Chile', 'CL'], [' Colombia ', 'CO'], ['Colômbia', 'CO'],
    ['Argentina', 'AR'], ['Venezuela', 'VE'], ['Ecuador', 'EC'], ['Equador', 'EC'], ['Bolivia', 'BO'], ['Paraguay', 'PY'], ['Paraguai', 'PY'],
    ['Uruguay', 'UY'], ['Uruguai', 'UY'], ['Guatemala', 'GT'], ['Honduras', 'HN'], ['El Salvador', 'SV'], ['Nicaragua', 'NI'],
    ['Costa Rica', 'CR'], ['costa  rica', 'CR'], ['COSTA-RICA', 'CR'], ['Panamá', 'PA'], ['Cuba', 'CU'],
    ['República Dominicana', 'DO'], ['Rep. Dominicana', 'DO'], ['Puerto Rico', 'PR'], ['Porto Rico', 'PR'],
    ['Estados Unidos', 'US'], ['EE. UU.', 'US'], ['EEUU', 'US'], ['EE.UU.', 'US'], ['EUA', 'US'], ['United States', 'US'], ['U.S.A.', 'US'],
    ['Portugal', 'PT'], ['Francia', 'FR'], ['França', 'FR'], ['France', 'FR'], ['Italia', 'IT'], ['Alemania', 'DE'], ['Alemanha', 'DE'],
    ['Reino Unido', 'GB'], ['Namibia', 'NA'], ['NAM', 'NA'], ['Países Bajos', 'NL'], ['Holanda', 'NL'], ['Suíça', 'CH'], ['Marruecos', 'MA'],
    // parts that agree
    ['Venezuela (República Bolivariana de)', 'VE'], ['Bolivia (Estado Plurinacional de)', 'BO'], ['ES - España', 'ES'], ['Brasil / BR', 'BR'], ['España (ES)', 'ES'],
    // dialling codes of one country
    ['+34', 'ES'], ['34', 'ES'], ['0034', 'ES'], ['+ 34', 'ES'], ['(+57)', 'CO'], ['+52', 'MX'], ['+56', 'CL'], ['+55', 'BR'], ['+351', 'PT'], ['+54', 'AR'],
  ])('%j → %s', (value, code) => {
    expect(parseCountry(value)).toBe(code);
  });

  it.each([
    [''], ['   '], ['Atlantis'], ['XX'], ['ZZZ'], ['n/a'], ['N/A'], ['NA'], ['-'], ['E S'],
    // calling codes shared by several countries, or by none
    ['+1'], ['1'], ['001'], ['+7'], ['+999'], ['1234'],
    // parts that disagree, and a city that is no country
    ['España / Francia'], ['ES - MX'], ['Salvador'], ['Lima'],
  ])('%j → undefined', (value) => {
    expect(parseCountry(value)).toBeUndefined();
  });

  it('knows every ISO code libphonenumber does, in either case', () => {
    for (const cc of getCountries()) {
      if (cc === 'NA') continue; // "not available" in spreadsheets; Namibia by name or NAM
      expect(parseCountry(cc)).toBe(cc);
      expect(parseCountry(cc.toLowerCase())).toBe(cc);
    }
  });

  it('reads every calling code that belongs to one country as that country, and no other', () => {
    const owners = new Map<string, string[]>();
    for (const cc of getCountries()) {
      const code = getCountryCallingCode(cc);
      owners.set(code, [...(owners.get(code) ?? []), cc]);
    }
    for (const [code, countries] of owners) {
      expect(parseCountry(`+${code}`), `+${code}`).toBe(countries.length === 1 ? countries[0] : undefined);
    }
  });

  it('every row of the names table is a country libphonenumber supports, and each of its names reads as it', () => {
    for (const [code, ...names] of COUNTRY_NAMES) {
      expect(isSupportedCountry(code), code).toBe(true);
      for (const name of names) expect(parseCountry(name), name).toBe(code);
    }
  });

  it('case, accents written or not, and spacing do not matter', () => {
    const names = COUNTRY_NAMES.flatMap(([code, ...ns]) => ns.map((n) => [code, n] as const));
    const respell = (name: string, flips: boolean[], strip: boolean, pad: string) =>
      pad + [...(strip ? name.normalize('NFD').replace(/\p{M}/gu, '') : name)].map((ch, i) => (flips[i % flips.length] ? ch.toUpperCase() : ch.toLowerCase())).join('') + pad;
    fc.assert(fc.property(fc.constantFrom(...names), fc.array(fc.boolean(), { minLength: 1, maxLength: 8 }), fc.boolean(), fc.constantFrom('', ' ', '  ', '\t'), ([code, name], flips, strip, pad) => {
      expect(parseCountry(respell(name, flips, strip, pad))).toBe(code);
    }));
  });

  it('together with normalisePhone, a Chilean and a Peruvian row with the same national digits reach different people', () => {
    const chile = normalisePhone('9 8765 4321', { country: parseCountry('Chile'), defaultCountry: 'PE' });
    const peru = normalisePhone('9 8765 4321', { country: parseCountry('Perú'), defaultCountry: 'CL' });
    expect(chile).toMatchObject({ ok: true, e164: '+56987654321' });
    expect(peru).toMatchObject({ ok: true, e164: '+51987654321' });
  });
});

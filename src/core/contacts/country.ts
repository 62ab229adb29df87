import { isSupportedCountry, type CountryCode, type MetadataJson } from 'libphonenumber-js/core';
import maxMetadata from 'libphonenumber-js/metadata.max.json';

export type { CountryCode };

const metadata = maxMetadata as unknown as MetadataJson;
const callingCodes = (maxMetadata as unknown as { country_calling_codes: Record<string, string[]> }).country_calling_codes;

/**
 * How people write a country in a list: ISO alpha-3 codes and names in Spanish, Portuguese and
 * English (old and short forms too). Matched on letters only, without accents or case, so
 * "EE. UU.", "eeuu" and "EEUU" are one entry. ISO alpha-2 codes need no row: every code
 * libphonenumber knows is accepted. libphonenumber has codes but no names, hence this table.
 */
const NAMES: readonly (readonly [CountryCode, ...string[]])[] = [
  // Spain and Latin America
  ['ES', 'ESP', 'España', 'Espanha', 'Spain', 'Reino de España'],
  ['MX', 'MEX', 'México', 'Méjico', 'Mexico', 'Estados Unidos Mexicanos'],
  ['AR', 'ARG', 'Argentina', 'República Argentina'],
  ['BO', 'BOL', 'Bolivia', 'Bolívia', 'Estado Plurinacional de Bolivia'],
  ['BR', 'BRA', 'Brasil', 'Brazil', 'República Federativa do Brasil'],
  ['CL', 'CHL', 'Chile'],
  ['CO', 'COL', 'Colombia', 'Colômbia'],
  ['CR', 'CRI', 'Costa Rica'],
  ['CU', 'CUB', 'Cuba'],
  ['DO', 'DOM', 'República Dominicana', 'Rep. Dominicana', 'RD', 'Dominicana', 'Dominican Republic'],
  ['EC', 'ECU', 'Ecuador', 'Equador'],
  ['SV', 'SLV', 'El Salvador'],
  ['GT', 'GTM', 'Guatemala'],
  ['HN', 'HND', 'Honduras'],
  ['NI', 'NIC', 'Nicaragua', 'Nicarágua'],
  ['PA', 'PAN', 'Panamá', 'Panama'],
  ['PY', 'PRY', 'Paraguay', 'Paraguai'],
  ['PE', 'PER', 'Perú', 'Peru'],
  ['PR', 'PRI', 'Puerto Rico', 'Porto Rico'],
  ['UY', 'URY', 'Uruguay', 'Uruguai'],
  ['VE', 'VEN', 'Venezuela', 'República Bolivariana de Venezuela'],
  ['BZ', 'BLZ', 'Belice', 'Belize'],
  ['GY', 'GUY', 'Guyana', 'Guiana'],
  ['SR', 'SUR', 'Surinam', 'Suriname'],
  ['GF', 'GUF', 'Guayana Francesa', 'Guiana Francesa', 'French Guiana'],
  ['HT', 'HTI', 'Haití', 'Haiti'],
  ['JM', 'JAM', 'Jamaica'],
  ['TT', 'TTO', 'Trinidad y Tobago', 'Trinidad e Tobago', 'Trinidad and Tobago'],
  ['GQ', 'GNQ', 'Guinea Ecuatorial', 'Guiné Equatorial', 'Equatorial Guinea'],
  // North America
  ['US', 'USA', 'Estados Unidos', 'Estados Unidos de América', 'Estados Unidos da América', 'EE. UU.', 'EE.UU.', 'EUA', 'United States', 'United States of America', 'U.S.A.', 'U.S.'],
  ['CA', 'CAN', 'Canadá', 'Canada'],
  // Portuguese-speaking Africa and Asia
  ['PT', 'PRT', 'Portugal'],
  ['AO', 'AGO', 'Angola'],
  ['MZ', 'MOZ', 'Mozambique', 'Moçambique'],
  ['CV', 'CPV', 'Cabo Verde', 'Cape Verde'],
  ['GW', 'GNB', 'Guinea-Bisáu', 'Guinea-Bissau', 'Guiné-Bissau'],
  ['ST', 'STP', 'Santo Tomé y Príncipe', 'São Tomé e Príncipe', 'Sao Tome and Principe'],
  ['TL', 'TLS', 'Timor Oriental', 'Timor-Leste', 'East Timor'],
  // Europe
  ['FR', 'FRA', 'Francia', 'França', 'France'],
  ['IT', 'ITA', 'Italia', 'Itália', 'Italy'],
  ['DE', 'DEU', 'Alemania', 'Alemanha', 'Germany', 'Deutschland'],
  ['GB', 'GBR', 'Reino Unido', 'United Kingdom', 'UK', 'Gran Bretaña', 'Grã-Bretanha', 'Great Britain', 'Inglaterra', 'England', 'Escocia', 'Escócia', 'Scotland', 'Gales', 'País de Gales', 'Wales'],
  ['IE', 'IRL', 'Irlanda', 'Ireland'],
  ['NL', 'NLD', 'Países Bajos', 'Países Baixos', 'Netherlands', 'The Netherlands', 'Holanda', 'Holland'],
  ['BE', 'BEL', 'Bélgica', 'Belgium'],
  ['LU', 'LUX', 'Luxemburgo', 'Luxembourg'],
  ['CH', 'CHE', 'Suiza', 'Suíça', 'Switzerland'],
  ['AT', 'AUT', 'Austria', 'Áustria'],
  ['AD', 'AND', 'Andorra'],
  ['MC', 'MCO', 'Mónaco', 'Mônaco', 'Monaco'],
  ['PL', 'POL', 'Polonia', 'Polônia', 'Polónia', 'Poland'],
  ['CZ', 'CZE', 'República Checa', 'Chequia', 'República Tcheca', 'Tchéquia', 'Chéquia', 'Czech Republic', 'Czechia'],
  ['SK', 'SVK', 'Eslovaquia', 'Eslováquia', 'Slovakia'],
  ['HU', 'HUN', 'Hungría', 'Hungria', 'Hungary'],
  ['RO', 'ROU', 'Rumanía', 'Rumania', 'Romênia', 'Roménia', 'Romania'],
  ['BG', 'BGR', 'Bulgaria', 'Bulgária'],
  ['GR', 'GRC', 'Grecia', 'Grécia', 'Greece'],
  ['CY', 'CYP', 'Chipre', 'Cyprus'],
  ['MT', 'MLT', 'Malta'],
  ['HR', 'HRV', 'Croacia', 'Croácia', 'Croatia'],
  ['SI', 'SVN', 'Eslovenia', 'Eslovênia', 'Eslovénia', 'Slovenia'],
  ['EE', 'EST', 'Estonia', 'Estônia', 'Estónia'],
  ['LV', 'LVA', 'Letonia', 'Letônia', 'Letónia', 'Latvia'],
  ['LT', 'LTU', 'Lituania', 'Lituânia', 'Lithuania'],
  ['DK', 'DNK', 'Dinamarca', 'Denmark'],
  ['SE', 'SWE', 'Suecia', 'Suécia', 'Sweden'],
  ['FI', 'FIN', 'Finlandia', 'Finlândia', 'Finland'],
  ['NO', 'NOR', 'Noruega', 'Norway'],
  ['IS', 'ISL', 'Islandia', 'Islândia', 'Iceland'],
  ['UA', 'UKR', 'Ucrania', 'Ucrânia', 'Ukraine'],
  ['RU', 'RUS', 'Rusia', 'Rússia', 'Russia'],
  ['TR', 'TUR', 'Turquía', 'Turquia', 'Turkey', 'Türkiye'],
  // Frequent origins in Spanish and Portuguese lists
  ['MA', 'MAR', 'Marruecos', 'Marrocos', 'Morocco'],
  ['DZ', 'DZA', 'Argelia', 'Argélia', 'Algeria'],
  ['SN', 'SEN', 'Senegal'],
  ['CN', 'CHN', 'China'],
  ['IN', 'IND', 'India', 'Índia'],
  ['PH', 'PHL', 'Filipinas', 'Philippines'],
  ['JP', 'JPN', 'Japón', 'Japão', 'Japan'],
  ['AU', 'AUS', 'Australia', 'Austrália'],
  ['IL', 'ISR', 'Israel'],
  ['NA', 'NAM', 'Namibia', 'Namíbia'],
];

/** Lower-case ASCII letters only: accents, case, spaces, dots, hyphens and apostrophes do not matter. */
function key(value: string): string {
  return value.normalize('NFD').toLowerCase().replace(/[^a-z]/g, '');
}

const byName = new Map<string, CountryCode>();
for (const [code, ...names] of NAMES) {
  for (const name of names) {
    const k = key(name);
    const other = byName.get(k);
    // A name two rows claim would decide a stranger's country by table order.
    if (other !== undefined && other !== code) throw new Error(`country.ts: "${name}" is both ${other} and ${code}`);
    byName.set(k, code);
  }
}

/** The names table, for tests: every row's code and names. */
export const COUNTRY_NAMES: readonly (readonly [CountryCode, ...string[]])[] = NAMES;

const ALPHA2 = /^[A-Za-z]{2}$/;
const DIALLING = /^(?:\+|00)?(\d{1,3})$/;

/** Country columns hold few distinct values over many rows: each is worked out once. */
const cache = new Map<string, CountryCode | undefined>();
const CACHE_MAX = 4096;

/**
 * A country cell as people write it: `ES`, `ESP`, `España`, `Spain`, `Espanha`, `+34`, `0034`,
 * `Venezuela (República Bolivariana de)`. A calling code counts only when it is one country's
 * (+1 and +7 are not). Unknown or ambiguous → undefined: never a guess.
 */
export function parseCountry(value: string): CountryCode | undefined {
  let hit = cache.get(value);
  if (hit !== undefined || cache.has(value)) return hit;
  hit = lookup(value);
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(value, hit);
  return hit;
}

function lookup(value: string): CountryCode | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  const dial = DIALLING.exec(text.replace(/[\s\u00a0()]/g, ''));
  if (dial) {
    const countries = callingCodes[dial[1]];
    return countries && countries.length === 1 ? (countries[0] as CountryCode) : undefined;
  }
  const whole = single(text);
  if (whole !== undefined) return whole;
  // "Venezuela (República Bolivariana de)", "ES - España", "Brasil / BR": every part that names a
  // country must name the same one.
  const parts = text.split(/[()[\]/|,;]|\s[-–]\s/);
  if (parts.length < 2) return undefined;
  let found: CountryCode | undefined;
  for (const part of parts) {
    const c = single(part);
    if (c === undefined) continue;
    if (found !== undefined && found !== c) return undefined;
    found = c;
  }
  return found;
}

function single(text: string): CountryCode | undefined {
  const k = key(text);
  if (k === '') return undefined;
  const named = byName.get(k);
  if (named !== undefined) return named;
  const t = text.trim();
  // Codes only as two bare letters: "n/a" is no Namibia. Nor is a bare "NA", which spreadsheets
  // write for "not available" far more often than anyone writes Namibia's code.
  if (t.length === 2 && ALPHA2.test(t)) {
    const code = t.toUpperCase();
    if (code !== 'NA' && isSupportedCountry(code as CountryCode, metadata)) return code as CountryCode;
  }
  return undefined;
}

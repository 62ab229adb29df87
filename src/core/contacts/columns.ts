import { InputError } from '../errors.js';
import type { ContactSourceInfo } from './types.js';

/** "Número de Teléfono" → "numerodetelefono": accents, case, spaces, `_`, `-` and `.` do not count. */
export function normaliseName(name: string): string {
  return name
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '');
}

const WHATSAPP_PHONE = new Set([
  'whatsapp', 'wa', 'whatsappnumber', 'whatsappphone', 'whatsappmobile', 'numerowhatsapp', 'numerodewhatsapp',
  'numerodowhatsapp', 'telefonowhatsapp', 'telefonodewhatsapp', 'telefonewhatsapp', 'movilwhatsapp',
  'celularwhatsapp', 'whatsappno', 'whatsappnum',
]);
const MOBILE_PHONE = new Set([
  'movil', 'celular', 'cel', 'mobile', 'cell', 'cellphone', 'mobilephone', 'mobilenumber', 'cellnumber',
  'telemovel', 'telefonomovil', 'telefonocelular', 'telefonecelular', 'numerodemovil', 'numeromovil',
  'numerocelular', 'numerodecelular', 'numerodotelemovel', 'numerotelemovel', 'mobil', 'mobiltelefon', 'mobileno',
]);
const ANY_PHONE = new Set([
  'phone', 'phonenumber', 'phoneno', 'telephone', 'telefono', 'telefone', 'telefon', 'tel', 'tlf', 'tfno', 'telf',
  'fono', 'numero', 'number', 'msisdn', 'numerodetelefono', 'numerotelefono', 'numerodetelefone',
  'numerotelefone', 'contactnumber', 'numerodecontacto', 'telefonodecontacto', 'e164',
]);

const CONSENT = new Set([
  'consent', 'consents', 'consented', 'consentimiento', 'consentimento', 'consentiment', 'optin', 'optedin',
  'aceite', 'acepta', 'acepto', 'aceita', 'autoriza', 'autorizacion', 'autorizacao', 'permiso', 'permissao',
  'permission', 'marketingconsent', 'gdprconsent', 'rgpd', 'subscribed', 'suscrito', 'inscrito',
]);
const WHATSAPP_CONSENT = new Set([
  'whatsappoptin', 'optinwhatsapp', 'whatsappconsent', 'consentwhatsapp', 'consentimientowhatsapp',
  'consentimentowhatsapp', 'aceptawhatsapp', 'aceitawhatsapp', 'autorizawhatsapp', 'permisowhatsapp',
  'waoptin', 'optinwa',
]);
const CONSENT_PREFIXES = ['consent', 'optin', 'acepta', 'aceita', 'autoriza'];
const NOT_CONSENT_VALUE = /(fecha|date|data|at$|time|hora|source|fuente|origen|origem|metodo|method|ip$|email|mail|sms|newsletter|call|llamada|postal)/;

const CONSENT_DATE = new Set([
  'consentat', 'consentdate', 'consentedat', 'consenttimestamp', 'consentime', 'consenttime', 'optinat', 'optindate',
  'optedinat', 'fechaconsentimiento', 'fechadeconsentimiento', 'fechaconsentimento', 'dataconsentimento',
  'datadoconsentimento', 'datadeconsentimento', 'fechaoptin', 'dataoptin', 'dataconsentiment',
]);
const CONSENT_SOURCE = new Set([
  'consentsource', 'consentmethod', 'consentorigin', 'consentevidence', 'consentproof', 'optinsource', 'optinmethod',
  'fuenteconsentimiento', 'origenconsentimiento', 'origendelconsentimiento', 'metodoconsentimiento',
  'origemconsentimento', 'fonteconsentimento', 'origemdoconsentimento', 'consentip', 'optinip',
]);

/** 3 = a WhatsApp number, 2 = a mobile, 1 = any phone, 0 = not a phone column. */
export function phoneColumnRank(name: string): number {
  const n = normaliseName(name);
  if (WHATSAPP_PHONE.has(n)) return 3;
  if (MOBILE_PHONE.has(n)) return 2;
  if (ANY_PHONE.has(n)) return 1;
  return 0;
}

/** 3 = WhatsApp-specific consent, 2 = general consent, 1 = a consent-like prefix, 0 = not consent. */
export function consentColumnRank(name: string): number {
  const n = normaliseName(name);
  if (WHATSAPP_CONSENT.has(n)) return 3;
  if (CONSENT.has(n)) return 2;
  const prefix = CONSENT_PREFIXES.find((p) => n.startsWith(p));
  if (prefix && !NOT_CONSENT_VALUE.test(n.slice(prefix.length))) return 1;
  return 0;
}

export function isConsentDateColumn(name: string): boolean {
  return CONSENT_DATE.has(normaliseName(name));
}

export function isConsentSourceColumn(name: string): boolean {
  return CONSENT_SOURCE.has(normaliseName(name));
}

/** The first column with the highest rank; undefined when none ranks above 0. */
function pick(header: string[], rank: (name: string) => number): string | undefined {
  let best: string | undefined;
  let bestRank = 0;
  for (const h of header) {
    const r = rank(h);
    if (r > bestRank) {
      best = h;
      bestRank = r;
    }
  }
  return best;
}

/** A column named by a flag: exact first, then ignoring case and accents. */
export function findColumn(header: string[], name: string): string | undefined {
  if (header.includes(name)) return name;
  const wanted = normaliseName(name);
  return header.find((h) => normaliseName(h) === wanted);
}

export function resolveColumns(
  header: string[],
  named: { phoneColumn?: string; consentColumn?: string },
  path: string,
): ContactSourceInfo {
  const saw = header.length ? header.map((h) => `"${h}"`).join(', ') : 'no columns';
  const phoneColumn = resolveOne(header, named.phoneColumn, phoneColumnRank, 'phone', '--phone-column', path, saw);
  const consentColumn = resolveOne(
    header.filter((h) => h !== phoneColumn),
    named.consentColumn,
    consentColumnRank,
    'consent',
    '--consent-column',
    path,
    saw,
  );
  return { phoneColumn, consentColumn };
}

function resolveOne(
  header: string[],
  named: string | undefined,
  rank: (name: string) => number,
  what: string,
  flag: string,
  path: string,
  saw: string,
): string {
  if (named !== undefined && named !== '') {
    const found = findColumn(header, named);
    if (found) return found;
    throw new InputError(`There is no column "${named}" (named by ${flag}); the header has ${saw}.`, {
      file: path,
      line: 1,
      hint: `Pass ${flag} with one of those names.`,
    });
  }
  const found = pick(header, rank);
  if (found) return found;
  throw new InputError(`No ${what} column found in the header (it has ${saw}).`, {
    file: path,
    line: 1,
    hint: `Name it with ${flag} COLUMN, or rename the column to "${what}".`,
  });
}

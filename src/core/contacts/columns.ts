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
  'celularwhatsapp', 'whatsappno', 'whatsappnum', 'waid', 'whatsappid',
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
  // A form tool's answer time is when the person answered the opt-in question (Google Forms, Microsoft Forms, Typeform).
  'marcatemporal', 'timestamp', 'carimbodedatahora', 'submittedat', 'submitdate', 'horadefinalizacion', 'completiontime', 'fechadeenvio',
]);
const CONSENT_SOURCE = new Set([
  'consentsource', 'consentmethod', 'consentorigin', 'consentevidence', 'consentproof', 'optinsource', 'optinmethod',
  'fuenteconsentimiento', 'origenconsentimiento', 'origendelconsentimiento', 'metodoconsentimiento',
  'origemconsentimento', 'fonteconsentimento', 'origemdoconsentimento', 'consentip', 'optinip',
]);

/** Words that make a column about something else than the number itself (a date, a type, a consent). */
const NOT_A_NUMBER = /(fecha|date|data|hora|time|type|tipo|status|estado|verif|country|pais|code|codigo|prefix|prefijo|ext$|consent|optin|optout|acept|aceit|autoriz|recib|receb|receiv|agree|permis|desea|quier|baja|blacklist|nocontact|donot|dont|fax)/;
const MOBILE_WORD = /(movil|mobile|celular|cellular|cellphone|cell|telemovel|mobil|^cel)/;
const LANDLINE_WORD = /(fijo|fixo|home|casa|work|office|oficina|trabajo|trabalho|empresa|business|landline|residencia|comercial|directo)/;
const PHONE_WORD = /(phone|telefono|telefone|telephone|^tel|tlf|tfno|fono|msisdn)/;

/**
 * 3 = a WhatsApp number, 2 = a mobile, 1 = any phone, 0.5 = a landline (home, work, office),
 * 0 = not a phone column. CRMs export several ("Phone", "Mobile Phone Number", "Work Phone"):
 * the WhatsApp or mobile one is the one people opted in with.
 */
export function phoneColumnRank(name: string): number {
  const n = normaliseName(name);
  if (WHATSAPP_PHONE.has(n)) return 3;
  if (MOBILE_PHONE.has(n)) return 2;
  if (ANY_PHONE.has(n)) return 1;
  // Brevo names its mobile-number attribute "SMS"; elsewhere "SMS" can be a flag: last resort.
  if (n === 'sms') return 0.6;
  if (NOT_A_NUMBER.test(n)) return 0;
  if (n.includes('whatsapp')) return 3;
  const phoneish = PHONE_WORD.test(n) || /(numero|number)/.test(n);
  if (MOBILE_WORD.test(n) && (phoneish || n.length <= 12)) return 2;
  if (!PHONE_WORD.test(n)) return 0;
  return LANDLINE_WORD.test(n) ? 0.5 : 1;
}

/** Headers that withdraw or refuse consent: never the consent column (they are do-not-contact columns). */
const NEGATED = /(retirad|revocad|revogad|withdraw|revok|revoc|unsubscri|desuscri|optout|optedout|noconsent|sinconsent|semconsent|notconsent|nocontact|naocontat|denegad|rechaz|recus|negad|nodesea|noquiere|naoquer|baja)/;
/** A privacy, data-processing or terms authorisation (Habeas Data, LGPD): not consent to be messaged. */
const PRIVACY = /(tratamiento|tratamento|datospersonales|dadospessoais|datosperson|habeasdata|privacidad|privacidade|privacy|terminos|termos|terms|condicion|condicoe|politica|policy|lgpd|avisodeprivacidad|protecciondedatos|protecaodedados|dataprocessing|processingofdata)/;
const CONSENT_WORD = /(consent|optin|acept|aceit|autoriz|recib|receb|receiv|agree|quier|desea|deseo|quer|permis|suscri|subscri|allow|accept|concord)/;
const MESSAGING_WORD = /(mensaj|mensag|messag|informacion|informacao|information|comunicac|communicat|novedad|novidad|updates|noticias|news|promo|ofert|offer|contactar|contatar|contacted)/;
const OTHER_CHANNEL = /(email|mail|correo|newsletter|sms|call|llamad|ligac|postal|carta)/;

/**
 * 4 = consent to WhatsApp, 3 = consent to be messaged, 2 = general consent / opt-in, 1 = a
 * privacy or data-processing authorisation (never taken alone), 0 = not consent: a date, a
 * source, another channel (email, SMS, calls), or a header that withdraws consent.
 * Form tools put the whole question in the header ("¿Desea recibir información por WhatsApp?").
 */
export function consentColumnRank(name: string): number {
  const n = normaliseName(name);
  if (WHATSAPP_CONSENT.has(n)) return 4;
  if (NEGATED.test(n)) return 0;
  if (CONSENT_DATE.has(n) || CONSENT_SOURCE.has(n)) return 0;
  const whatsapp = n.includes('whatsapp');
  if (whatsapp && CONSENT_WORD.test(n)) return 4;
  if (CONSENT.has(n)) return 2;
  const prefix = CONSENT_PREFIXES.find((p) => n.startsWith(p));
  if (prefix && NOT_CONSENT_VALUE.test(n.slice(prefix.length))) return 0;
  if (!whatsapp && OTHER_CHANNEL.test(n)) return 0;
  if (/(fecha|date|hora|time|source|fuente|origen|origem|metodo|method)/.test(n)) return 0;
  if (PRIVACY.test(n)) return CONSENT_WORD.test(n) || /(autorizacion|autorizacao|acepto|aceito)/.test(n) || prefix ? 1 : 0;
  if (CONSENT_WORD.test(n) && MESSAGING_WORD.test(n)) return 3;
  if (prefix) return 2;
  return 0;
}

/** Columns that say a person must not be contacted at all, or not on this channel (es/pt/en, CRM spellings). */
const DNC_TOKENS = new Set(['dnc', 'dnd', 'baja', 'bajas', 'blacklisted', 'blacklist', 'unsubscribed', 'optout', 'deceased', 'fallecido', 'fallecida', 'falecido', 'falecida', 'difunto']);
const DNC_WORDS = /(donotcontact|dontcontact|nocontactar|nocontacto|noconta[ck]t|naocontat|naocontact|nomolestar|donotdisturb|naoperturbe|donotsms|nosms|donottext|notext|donotwhatsapp|nowhatsapp|donotmessage|blacklist|listanegra|listanegra|unsubscri|desuscri|dadodebaja|darsedebaja|fechabaja|fechadebaja|descadastr|optout|optedout|isoptout|deceased|isdeceased|fallecid|falecid|difunt|retirad|revocad|revogad|withdraw|revok|bloqueado|blocked)/;

/** True for a do-not-contact column; email-, call- and post-only flags are another channel's. */
export function isDoNotContactColumn(name: string): boolean {
  const n = normaliseName(name);
  if (/(email|mail|correo|newsletter|call|llamad|ligac|postal|carta)/.test(n)) return false;
  const tokens = name.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().split(/[^a-z0-9]+/);
  return DNC_WORDS.test(n) || tokens.some((t) => DNC_TOKENS.has(t));
}

const COUNTRY = new Set(['pais', 'country', 'countryregion', 'paisregion', 'paisderesidencia', 'paisresidencia', 'countrycode', 'codigopais', 'codigodepais', 'codpais', 'paiscode', 'countryname', 'nombrepais', 'nomepais', 'iso', 'isocountry', 'countryiso']);

/** A column naming each contact's country (País, Country/Region, country_code ...). */
export function isCountryColumn(name: string): boolean {
  const n = normaliseName(name);
  if (COUNTRY.has(n)) return true;
  return /(pais|country)/.test(n) && !/(nacimiento|birth|nascimento|origen|origem|nacionalidad|nationality)/.test(n);
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

export interface ResolveNamed {
  phoneColumn?: string;
  consentColumn?: string;
}

/**
 * Which columns say what: the phone (the best-ranked, with the other phone columns as fallbacks
 * for an empty cell), the consent, and the columns read besides (country, do-not-contact,
 * consent date and source). A consent choice that is not clear is refused, never guessed.
 */
export function resolveColumns(header: string[], named: ResolveNamed, path: string): ContactSourceInfo {
  const saw = header.length ? header.map((h) => `"${h}"`).join(', ') : 'no columns';
  const phoneColumn = resolvePhone(header, named.phoneColumn, path, saw);
  const rest = header.filter((h) => h !== phoneColumn);
  const consentColumn = resolveConsent(rest, named.consentColumn, path, saw);
  const phoneFallbacks = named.phoneColumn
    ? []
    : header
        .filter((h) => h !== phoneColumn && h !== consentColumn && phoneColumnRank(h) > 0)
        .sort((a, b) => phoneColumnRank(b) - phoneColumnRank(a));
  const used = new Set([phoneColumn, consentColumn, ...phoneFallbacks]);
  const doNotContact = header.filter((h) => !used.has(h) && isDoNotContactColumn(h));
  const countryColumn = header.find((h) => !used.has(h) && isCountryColumn(h));
  const consentDateColumn = header.find(isConsentDateColumn);
  const consentSourceColumn = header.find(isConsentSourceColumn);
  return {
    phoneColumn,
    consentColumn,
    phoneFallbacks,
    doNotContact,
    ...(countryColumn ? { countryColumn } : {}),
    ...(consentDateColumn ? { consentDateColumn } : {}),
    ...(consentSourceColumn ? { consentSourceColumn } : {}),
  };
}

function namedColumn(header: string[], named: string, flag: string, path: string, saw: string): string {
  const found = findColumn(header, named);
  if (found) return found;
  throw new InputError(`There is no column "${named}" (named by ${flag}); the header has ${saw}.`, {
    file: path,
    line: 1,
    hint: `Pass ${flag} with one of those names.`,
  });
}

function resolvePhone(header: string[], named: string | undefined, path: string, saw: string): string {
  if (named) return namedColumn(header, named, '--phone-column', path, saw);
  const found = pick(header, phoneColumnRank);
  if (found) return found;
  throw new InputError(`No phone column found in the header (it has ${saw}).`, {
    file: path,
    line: 1,
    hint: 'Name it with --phone-column COLUMN, or rename the column to "phone".',
  });
}

function resolveConsent(header: string[], named: string | undefined, path: string, saw: string): string {
  if (named) return namedColumn(header, named, '--consent-column', path, saw);
  const ranked = header.map((h) => ({ h, r: consentColumnRank(h) })).filter((c) => c.r > 0);
  const top = Math.max(0, ...ranked.map((c) => c.r));
  const best = ranked.filter((c) => c.r === top).map((c) => c.h);
  const list = (names: string[]) => names.map((h) => `"${h}"`).join(', ');
  if (top >= 2 && best.length === 1) return best[0];
  if (top >= 2) {
    throw new InputError(`Several columns could be the consent to be messaged: ${list(best)}; campaign will not guess which one people answered.`, {
      file: path,
      line: 1,
      hint: `Name it with --consent-column, e.g. --consent-column "${best[0]}".`,
    });
  }
  if (top === 1) {
    throw new InputError(`The only consent-like column, ${list(best)}, is a privacy or data-processing authorisation, which is not consent to receive WhatsApp messages.`, {
      file: path,
      line: 1,
      hint: 'Add the answer to a messaging opt-in question, or, if that column really is it, name it with --consent-column.',
    });
  }
  throw new InputError(`No consent column found in the header (it has ${saw}).`, {
    file: path,
    line: 1,
    hint: 'Name it with --consent-column COLUMN, or rename the column to "consent".',
  });
}

/**
 * The contract's `lint --json` `columns`: the header of every column the tool interpreted.
 * A kind with several columns (do-not-contact flags, fallback phones) is a list.
 */
export function columnsReport(c: ContactSourceInfo): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { phone: c.phoneColumn, consent: c.consentColumn };
  if (c.phoneFallbacks?.length) out.phone_fallback = c.phoneFallbacks;
  if (c.doNotContact?.length) out.do_not_contact = c.doNotContact.length === 1 ? c.doNotContact[0] : c.doNotContact;
  if (c.countryColumn) out.country = c.countryColumn;
  if (c.consentDateColumn) out.consent_date = c.consentDateColumn;
  if (c.consentSourceColumn) out.consent_source = c.consentSourceColumn;
  return out;
}

/**
 * Explicit affirmatives only, after folding case, accents, punctuation and spacing. Spanish,
 * Portuguese, Catalan and English, plus the TRUE of Excel in those locales. Deliberately absent:
 * "ok", "on", "maybe", anything negated; when in doubt the contact is not messaged.
 */
const YES = new Set([
  'yes', 'y', 'true', '1', '1.0', 'x', '✓', '✔', '☑', '✅',
  'si', 's', 'sim', 'verdadero', 'verdadeiro', 'cert',
  'opt in', 'optin', 'opted in', 'optedin',
  'accept', 'accepted', 'i accept', 'agree', 'agreed', 'i agree', 'consent', 'consented', 'i consent',
  'acepto', 'acepta', 'aceptado', 'aceptada', 'consiento', 'autorizo', 'autorizado', 'autorizada',
  'si acepto', 'si autorizo', 'si consiento', 'de acuerdo',
  'aceito', 'aceite', 'aceitou', 'concordo', 'autorizado', 'sim aceito', 'sim autorizo', 'sim concordo',
  'accepto', 'autoritzo', "d'acord", 'si accepto',
]);

const MAX_CACHE = 256;

export function normaliseConsentValue(value: string): string {
  return value
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[’`]/g, "'")
    .replace(/[^a-z0-9✓✔☑✅'.?]+/g, ' ')
    .replace(/\.+$|^\.+/g, '')
    .trim()
    .replace(/\s+/g, ' ');
}

/** Words that negate an answer: a value holding one is never yes ("No, gracias", "Não quero"). */
const NEGATION = new Set(['no', 'not', 'nao', 'nunca', 'never', 'dont', "don't", 'nope', 'ni', 'rechazo', 'recuso', 'decline', 'declino', 'tampoco', 'jamas', 'jamais', 'sin', 'sem', 'without', 'unsubscribe', 'baja', 'nein', 'non']);
/** How form answers and checkbox labels that mean yes begin ("Sí, quiero", "Acepto recibir ...", "Yes, I agree"). */
const YES_START = new Set(['yes', 'y', 'si', 'sim', 'acepto', 'aceito', 'accept', 'agree', 'autorizo', 'consiento', 'concordo', 'quiero', 'quero', 'deseo', 'desejo', 'claro', 'accepto', 'autoritzo']);
const I_WORDS = new Set(['agree', 'accept', 'consent', 'want', 'do', 'would']);

function isYes(norm: string, raw: string): boolean {
  if (YES.has(norm)) return true;
  // A question is doubt, not an answer ("yes?").
  if (norm.includes('?')) return false;
  const words = norm.replace(/[.?]/g, ' ').split(' ').filter(Boolean);
  if (words.some((w) => NEGATION.has(w))) return false;
  // Unaccented "si" also means "if" ("Si tengo tiempo"): a yes only as "Sí ...", "Si, ..." or "Si acepto".
  if (words[0] === 'si') return /^\s*(sí|SÍ|Sí)/.test(raw) || /^\s*si\s*[,.!:;-]/i.test(raw) || YES_START.has(words[1]);
  if (YES_START.has(words[0])) return true;
  // "I agree to receive ...", "I want updates"
  return words[0] === 'i' && I_WORDS.has(words[1]);
}

/**
 * A consent reader: true only for an explicit yes, with the answers declared by
 * `--consent-yes` (compared after the same folding) counting as yes too. Empty, "no", "no sé"
 * and anything unrecognised are false.
 */
export function consentReader(extraYes: readonly string[] = []): (value: string | undefined) => boolean {
  const declared = new Set(extraYes.map(normaliseConsentValue).filter(Boolean));
  const cache = new Map<string, boolean>();
  return (value) => {
    if (value === undefined || value === '') return false;
    const hit = cache.get(value);
    if (hit !== undefined) return hit;
    const norm = normaliseConsentValue(value);
    const yes = declared.has(norm) || isYes(norm, value);
    // A consent column has a handful of distinct spellings; the cap keeps free text from growing it.
    if (cache.size < MAX_CACHE) cache.set(value, yes);
    return yes;
  };
}

const builtIn = consentReader();

/** True only for an explicit yes of the built-in set (see consentReader). */
export function isExplicitYes(value: string | undefined): boolean {
  return builtIn(value);
}

const FLAG_OFF = new Set(['', '0', '0.0', 'false', 'falso', 'no', 'n', 'nao', 'off', 'none', 'null', 'ninguno', 'nenhum', 'unchecked', 'f', 'never', 'nunca']);

/**
 * A do-not-contact cell: set unless it says plainly that it is not. 1/true/sí/VERDADERO/x, a
 * date ("Fecha baja: 03/05/2025") or a reason all keep the row out; empty, 0, false, no,
 * FALSO do not. Unrecognised text counts as set: when in doubt, nobody is messaged.
 */
export function isFlagSet(value: string | undefined): boolean {
  if (value === undefined) return false;
  return !FLAG_OFF.has(normaliseConsentValue(value));
}

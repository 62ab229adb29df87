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
const cache = new Map<string, boolean>();

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

/** True only for an explicit yes: empty, "no", "no sé" and anything unrecognised are false. */
export function isExplicitYes(value: string | undefined): boolean {
  if (value === undefined || value === '') return false;
  const hit = cache.get(value);
  if (hit !== undefined) return hit;
  const yes = YES.has(normaliseConsentValue(value));
  // A consent column has a handful of distinct spellings; the cap keeps free text from growing it.
  if (cache.size < MAX_CACHE) cache.set(value, yes);
  return yes;
}

/**
 * What may be shown of a text that came from outside (a file's line, a header, a cell, a
 * provider's answer): secrets out, terminal control out. Every message that quotes input goes
 * through here before it reaches a terminal, a log, `--json` or the journal.
 */

const REDACTED = '[redacted]';

/** Variable names whose values are secrets: every provider's secretVars match (registry test). */
export const SECRET_NAME = /(TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|AUTH)/i;

/** The values of the secret-named variables of `env` (the environment merged with `.env`). */
export function environmentSecrets(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_NAME.test(name) && typeof value === 'string' && value.trim().length >= 4)
    .map(([, value]) => value!.trim());
}

/** Each secret's forms (as is, URL-encoded, JSON-escaped, base64), longest first; built once per list. */
const variantsCache = new WeakMap<readonly string[], string[]>();

function variantsOf(secrets: readonly string[]): string[] {
  let list = variantsCache.get(secrets);
  if (!list) {
    const variants = new Set<string>();
    for (const secret of secrets) {
      // Short values would shred ordinary words; real tokens are long.
      if (!secret || secret.length < 4) continue;
      variants.add(secret);
      variants.add(encodeURIComponent(secret));
      variants.add(JSON.stringify(secret).slice(1, -1));
      variants.add(Buffer.from(secret).toString('base64'));
    }
    list = [...variants].sort((a, b) => b.length - a.length);
    variantsCache.set(secrets, list);
  }
  return list;
}

/**
 * What every pattern below needs somewhere in the text, a name or a run of 32 token characters:
 * two quick looks instead of five scans for the text that has neither (a lint of a million rows
 * redacts ~120,000 findings; the five scans cost ~0.4 s, these ~0.05 s).
 */
const NAMED = /authorization|bearer|basic|:\/\/|token|secret|passw|api_key/i;

function mayHoldCredential(text: string): boolean {
  return NAMED.test(text) || hasTokenRun(text, 32);
}

const isTokenChar = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/**
 * Whether `text` has `len` [A-Za-z0-9_] in a row. Such a run covers one of every `len`-th position,
 * so only those are looked at, and the run through each is measured (~3× faster than the regex).
 */
function hasTokenRun(text: string, len: number): boolean {
  const n = text.length;
  for (let p = len - 1; p < n; p += len) {
    if (!isTokenChar(text.charCodeAt(p))) continue;
    let a = p;
    while (a > 0 && isTokenChar(text.charCodeAt(a - 1))) a--;
    let b = p + 1;
    while (b < n && b - a < len && isTokenChar(text.charCodeAt(b))) b++;
    if (b - a >= len) return true;
  }
  return false;
}

/**
 * Removes secret values and credential-looking text (Authorization headers, Bearer/Basic
 * credentials, URL user-info, `NAME_TOKEN=value` assignments, long token-shaped strings).
 */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const v of variantsOf(secrets)) if (out.includes(v)) out = out.split(v).join(REDACTED);
  if (!mayHoldCredential(out)) return out;
  return out
    .replace(/(authorization["']?\s*[:=]\s*["']?)[^"',;\r\n]+/gi, `$1${REDACTED}`)
    .replace(/\b(bearer|basic)\s+([A-Za-z0-9\-._~+/]+=*)/gi, (all, scheme: string, token: string) =>
      looksLikeCredential(token) ? `${scheme} ${REDACTED}` : all,
    )
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`)
    // `WHATSAPP_TOKEN=EAAB...` quoted from a .env-like line, whatever the value.
    .replace(/(\b[A-Za-z][A-Za-z0-9_]*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_KEY)[A-Za-z0-9_]*\s*[=:]\s*["']?)[^\s"',;]+/gi, `$1${REDACTED}`)
    // Anything shaped like an access token: long, mixing letters and digits (a phone number,
    // a word or a short id is not; Meta's EAA… tokens, Twilio's 32-hex auth tokens are).
    .replace(/[A-Za-z0-9_]{32,}/g, (s) => (/[A-Za-z]/.test(s) && /\d/.test(s) ? REDACTED : s));
}

/** Long and not a plain word: "Bearer EAAGm0PX…" is, "basic information" is not. */
function looksLikeCredential(token: string): boolean {
  return token.length >= 8 && /[\d+/=._-]/.test(token);
}

/**
 * Data made safe to print on a terminal: escape sequences (CSI, OSC such as a window title),
 * other C0 and C1 controls, DEL and bidirectional overrides are shown as visible escapes
 * (`\x1b`, `<U+202E>`) instead of acting on the screen. Newlines and tabs stay.
 */
export function terminalSafe(text: string): string {
  return text
    .replace(/[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/g, (c) => `<U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}>`);
}

/** Both: what a message quoting input must pass through before anyone sees it. */
export function scrubber(secrets: readonly string[]): (text: string) => string {
  return (text) => terminalSafe(redact(text, secrets));
}

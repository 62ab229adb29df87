/**
 * Text folding for term matching: case, accents, leetspeak digits, Cyrillic/Greek look-alike letters,
 * zero-width characters and doubled letters are all erased, so "P0RN0  inf4ntil", "p.e.d.o.f.i.l.i.a"
 * and "pornografía infantil" compare equal.
 */

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's' };
const CONFUSABLE: Record<string, string> = {
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', і: 'i', ј: 'j', ѕ: 's', ԁ: 'd', ӏ: 'l', һ: 'h', ԛ: 'q', ԝ: 'w',
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w',
};
const INVISIBLE = /[\u00AD\u200B-\u200F\u2060-\u2064\uFEFF]/;

const ascii: string[] = [];
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  const lower = ch.toLowerCase();
  ascii[c] = LEET[ch] ?? (/[a-z0-9]/.test(lower) ? lower : ' ');
}

/** Non-ASCII characters folded so far: a list's accented letters repeat on every row, and normalize() is dear. */
const folds = new Map<string, string>();
const FOLDS_LIMIT = 4096;

function foldChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (code < 128) return ascii[code];
  let out = folds.get(ch);
  if (out === undefined) {
    if (folds.size >= FOLDS_LIMIT) folds.clear();
    folds.set(ch, (out = foldWide(ch)));
  }
  return out;
}

function foldWide(ch: string): string {
  if (INVISIBLE.test(ch)) return '';
  const lower = ch.toLowerCase();
  const mapped = CONFUSABLE[lower];
  if (mapped) return mapped;
  const base = lower.normalize('NFKD').replace(/\p{M}+/gu, '');
  let out = '';
  for (const b of base) out += b.charCodeAt(0) < 128 ? ascii[b.charCodeAt(0)] : /\p{L}|\p{N}/u.test(b) ? b : ' ';
  return out;
}

export interface Token {
  /** Folded, doubled letters squeezed. */
  text: string;
  /** Offsets in the original string. */
  start: number;
  end: number;
}

export function tokenise(text: string): Token[] {
  const tokens: Token[] = [];
  let cur = '';
  let start = -1;
  let i = 0;
  for (const ch of text) {
    const folded = foldChar(ch);
    for (const f of folded) {
      if (f === ' ') {
        if (cur) tokens.push({ text: cur, start, end: i });
        cur = '';
      } else {
        if (!cur) start = i;
        if (cur[cur.length - 1] !== f) cur += f;
      }
    }
    i += ch.length;
  }
  if (cur) tokens.push({ text: cur, start, end: i });
  return tokens;
}

/**
 * Whether some token of `text` starts with one of `prefixes` (its first `max` folded characters,
 * or all of a shorter token): tokenise's answer for that question without building the tokens,
 * since most values (names, cities) start no term. True when unsure (a folded character outside
 * the BMP), so that the caller then tokenises.
 */
export function someTokenStarts(text: string, prefixes: ReadonlySet<string>, max: number): boolean {
  let head = '';
  let len = 0;
  let last = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let folded: string;
    if (code < 128) folded = ascii[code];
    else {
      // A surrogate pair is one character, as tokenise's for...of reads it.
      const pair = code >= 0xd800 && code <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      folded = foldChar(pair ? text.slice(i, i + 2) : text[i]);
      if (pair) i++;
    }
    for (let k = 0; k < folded.length; k++) {
      const f = folded[k];
      if (f.charCodeAt(0) >= 0xd800 && f.charCodeAt(0) <= 0xdfff) return true;
      if (f === ' ') {
        if (len > 0 && prefixes.has(head)) return true;
        head = '';
        len = 0;
        last = '';
      } else if (last !== f) {
        if (len < max) head += f;
        len++;
        last = f;
      }
    }
  }
  return len > 0 && prefixes.has(head);
}

/** Joins token texts without separators, squeezing a letter doubled across the join. */
export function joinCompact(a: string, b: string): string {
  return a && a[a.length - 1] === b[0] ? a + b.slice(1) : a + b;
}

/** The compact form of a phrase: its tokens joined, so "child porn", "childporn" and "c h i l d p o r n" agree. */
export function compactPhrase(phrase: string): string {
  return tokenise(phrase).reduce((acc, t) => joinCompact(acc, t.text), '');
}

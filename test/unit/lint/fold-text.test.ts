import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { someTokenStarts, tokenise } from '../../../src/core/lint/fold-text.js';

/** What scanText asked before the shortcut: does some token start with one of the prefixes. */
const reference = (text: string, prefixes: ReadonlySet<string>, max: number) => tokenise(text).some((t) => prefixes.has(t.text.slice(0, max)));

const PREFIXES = new Set(['p', 'po', 'por', 'porn', 'ped', 'pedo', 'ni', 'nin', 'nina', 'sex', 'c', 'cs', 'csa', 'csam', 'ss', 'a']);
// Letters that fold (accents, leetspeak, look-alikes, ß, ligatures, invisible marks), separators, doubled letters.
const CHARS = ['p', 'P', '0', 'o', 'r', 'n', 'N', 'e', '3', 'd', 'ñ', 'í', 'á', 'Ñ', 'с', 'е', 'х', 'ß', 'ﬁ', '\u200B', '\u00AD', ' ', '.', ',', '-', 'x', 'a', '4', '@', 's', '$', '5', 'm', 'c', 'Ⓟ', '²', 'ǅ'];

describe('someTokenStarts', () => {
  it('answers as tokenise does, for text of folding letters, separators and doubled letters', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...CHARS), { maxLength: 24 }), fc.integer({ min: 1, max: 4 }), (chars, max) => {
        const text = chars.join('');
        const prefixes = new Set([...PREFIXES].filter((p) => p.length <= max));
        expect(someTokenStarts(text, prefixes, max)).toBe(reference(text, prefixes, max));
      }),
      { numRuns: 3000 },
    );
  });

  it('any text: never says no where tokenise says yes (outside the BMP it may say yes to be safe)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }), (a, b) => {
        for (const text of [a, b, `${a} porno ${b}`]) {
          if (reference(text, PREFIXES, 4)) expect(someTokenStarts(text, PREFIXES, 4)).toBe(true);
          // Exact only where folding stays in the BMP: a CJK compatibility ideograph (U+FAD7) folds
          // to one outside it, where the shortcut says yes to be safe and the full check decides.
          if (!/[\uD800-\uDFFF]/.test(text.normalize('NFKC'))) expect(someTokenStarts(text, PREFIXES, 4)).toBe(reference(text, PREFIXES, 4));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a BMP letter that folds outside the BMP (U+FAD7) is a safe yes, never a no where tokenise says yes', () => {
    expect(reference('\uFAD7', PREFIXES, 4)).toBe(false);
    expect(someTokenStarts('\uFAD7', PREFIXES, 4)).toBe(true);
    expect(someTokenStarts('\uFAD7 porno', PREFIXES, 4)).toBe(true);
  });

  it('names and cities start nothing; a term with doubled letters, accents or look-alikes does', () => {
    for (const v of ['Persona 123', 'Madrid', 'Málaga', 'formulario web']) expect(someTokenStarts(v, PREFIXES, 4)).toBe(reference(v, PREFIXES, 4));
    expect(someTokenStarts('Zaragoza', new Set(['zara']), 4)).toBe(true);
    expect(someTokenStarts('xx PPóórrnn', new Set(['porn']), 4)).toBe(true);
    expect(someTokenStarts('хх рогn', new Set(['x']), 4)).toBe(true); // doubled letters squeezed
    expect(someTokenStarts('хх рогn', new Set(['xx']), 4)).toBe(false);
    expect(someTokenStarts('Persona 123', new Set(['pers']), 4)).toBe(true);
    expect(someTokenStarts('Persona 123', new Set(['i2e']), 4)).toBe(true);
    expect(someTokenStarts('Persona 123', new Set(['pera']), 4)).toBe(false);
  });
});

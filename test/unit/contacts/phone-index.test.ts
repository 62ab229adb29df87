import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhoneIndex } from '../../../src/core/contacts/phone-index.js';

/**
 * Sets each new number of `pairs` as the classifier does, checking every answer against a Map:
 * get then set for odd lines, claim (one probe for both) for even ones, so that both ways share a table.
 */
function checkLikeMap(index: PhoneIndex, pairs: [number, number][]): Map<string, number> {
  const map = new Map<string, number>();
  for (const [n, line] of pairs) {
    const e164 = `+${n}`;
    if (line % 2 === 0) {
      expect(index.claim(e164, line)).toBe(map.get(e164));
      if (!map.has(e164)) map.set(e164, line);
      continue;
    }
    expect(index.get(e164)).toBe(map.get(e164));
    if (!map.has(e164)) {
      index.set(e164, line);
      map.set(e164, line);
    }
  }
  expect(index.size).toBe(map.size);
  for (const [k, v] of map) expect(index.get(k)).toBe(v);
  return map;
}

const numberLines = fc.tuple(fc.integer({ min: 1, max: 999_999_999_999_999 }), fc.integer({ min: 1, max: 4_000_000 }));

describe('PhoneIndex', () => {
  it('behaves like a Map of E.164 → line through growth', () => {
    fc.assert(
      fc.property(fc.array(numberLines, { maxLength: 3000 }), (pairs) => {
        checkLikeMap(new PhoneIndex(4), pairs);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps 15-digit numbers apart (they fit a double exactly)', () => {
    const index = new PhoneIndex();
    index.set('+999999999999998', 2);
    index.set('+999999999999999', 3);
    expect([index.get('+999999999999998'), index.get('+999999999999999'), index.get('+999999999999997')]).toEqual([2, 3, undefined]);
    // A key is kept as two 32-bit halves: numbers that share one half stay apart.
    const near = [4294967295, 4294967296, 4294967297, 8589934592, 1, 2 ** 49 + 1, 2 ** 49 + 2 ** 32 + 1];
    near.forEach((n, i) => expect(index.claim(`+${n}`, 10 + i)).toBeUndefined());
    near.forEach((n, i) => expect([index.get(`+${n}`), index.claim(`+${n}`, 99)]).toEqual([10 + i, 10 + i]));
  });

  it('takes E.164 with or without its +, and refuses what is not one (no number parsing leniency)', () => {
    const idx = new PhoneIndex();
    idx.set('+34612345678', 2);
    expect(idx.get('34612345678')).toBe(2);
    expect(idx.get('+999999999999999')).toBeUndefined();
    for (const bad of ['', '+', '+34 612', ' 34612345678', '+1e5', '+0x1F', '+3461234567a', '+0', '+12345678901234567']) expect(() => idx.get(bad), bad).toThrow(RangeError);
  });

  it('reserve sizes the table once and keeps what it holds; filling past the estimate still grows', () => {
    const index = new PhoneIndex(4);
    index.set('+34600000000', 1);
    index.reserve(10_000);
    for (let i = 1; i < 30_000; i++) index.set(`+346${String(i).padStart(8, '0')}`, i + 1);
    expect(index.size).toBe(30_000);
    expect(index.get('+34600000000')).toBe(1);
    expect(index.get('+34600029999')).toBe(30_000);
    expect(index.get('+34600030000')).toBeUndefined();
  });

  it('past its memory the table spills to a file and still behaves like a Map, leaving no file behind', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phone-index-'));
    try {
      fc.assert(
        fc.property(fc.array(numberLines, { minLength: 200, maxLength: 2000 }), fc.integer({ min: 16, max: 100 }), (pairs, memoryEntries) => {
          const index = new PhoneIndex(4, { memoryEntries, spillDir: dir });
          const map = checkLikeMap(index, pairs);
          if (map.size > 2 * memoryEntries) expect(index.spills).toBeGreaterThan(0);
          // Numbers never set, near the ones that were (same slots, same Bloom blocks).
          for (const [n] of pairs.slice(0, 50)) if (!map.has(`+${n + 1}`)) expect(index.get(`+${n + 1}`)).toBeUndefined();
          index.close();
        }),
        { numRuns: 40 },
      );
      // The spill file is unlinked as soon as it is open: nothing stays in the folder.
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a million numbers through a 50,000-number memory: every first line found, every new number new', () => {
    const index = new PhoneIndex(1_000_000, { memoryEntries: 50_000 });
    for (let i = 0; i < 1_000_000; i++) index.set(`+346${String(i * 7).padStart(8, '0')}`, i + 2);
    expect(index.spills).toBeGreaterThanOrEqual(15);
    expect(index.size).toBe(1_000_000);
    for (let i = 0; i < 1_000_000; i += 997) {
      expect(index.get(`+346${String(i * 7).padStart(8, '0')}`)).toBe(i + 2);
      expect(index.get(`+346${String(i * 7 + 3).padStart(8, '0')}`)).toBeUndefined();
    }
    index.close();
  });

  it('when the spill file cannot be written, the table grows in memory and loses nothing', () => {
    const index = new PhoneIndex(4, { memoryEntries: 16, spillDir: path.join(tmpdir(), 'no-such-folder-for-the-index', 'x') });
    for (let i = 0; i < 5000; i++) index.set(`+5215${String(i).padStart(9, '0')}`, i + 2);
    expect(index.spills).toBe(0);
    expect(index.size).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(index.get(`+5215${String(i).padStart(9, '0')}`)).toBe(i + 2);
  });
});

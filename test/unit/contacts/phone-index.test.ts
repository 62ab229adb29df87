import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PhoneIndex } from '../../../src/core/contacts/phone-index.js';

describe('PhoneIndex', () => {
  it('behaves like a Map of E.164 → line through growth', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 999_999_999_999_999 }), fc.integer({ min: 1, max: 4_000_000 })), { maxLength: 3000 }), (pairs) => {
        const index = new PhoneIndex(4);
        const map = new Map<string, number>();
        for (const [n, line] of pairs) {
          const e164 = `+${n}`;
          expect(index.get(e164)).toBe(map.get(e164));
          if (!map.has(e164)) {
            index.set(e164, line);
            map.set(e164, line);
          }
        }
        expect(index.size).toBe(map.size);
        for (const [k, v] of map) expect(index.get(k)).toBe(v);
      }),
      { numRuns: 50 },
    );
  });

  it('keeps 15-digit numbers apart (they fit a double exactly)', () => {
    const index = new PhoneIndex();
    index.set('+999999999999998', 2);
    index.set('+999999999999999', 3);
    expect([index.get('+999999999999998'), index.get('+999999999999999'), index.get('+999999999999997')]).toEqual([2, 3, undefined]);
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
});

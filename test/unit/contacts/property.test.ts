import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyContacts } from '../../../src/core/contacts/classify.js';
import { openCsv } from '../../../src/core/contacts/read.js';
import { InputError } from '../../../src/core/errors.js';
import { BUCKETS, emptyCounts } from '../../../src/core/findings.js';
import { readAll, tempFile } from './helpers.js';

const field = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom('+34612345678', '612345678', '0034 612 34 56 78', 'yes', 'sí', 'no', '', '"', ',', ';', '\t', '\n', '\r\n', 'a"b', 'Madrid'),
);

function quote(value: string, delimiter: string): string {
  return /["\r\n]/.test(value) || value.includes(delimiter) || value !== value.trim() ? `"${value.replace(/"/g, '""')}"` : value;
}

describe('properties', () => {
  it('classify never throws on arbitrary content (but InputError) and counts each row once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(field, { maxLength: 6 }), { maxLength: 12 }), fc.constantFrom(',', ';', '\t'), fc.boolean(), async (rows, d, raw) => {
        const header = ['phone', 'consent', 'name', 'city'].join(d);
        const body = rows.map((r) => r.map((v) => (raw ? v : quote(v, d))).join(d)).join('\n');
        const file = tempFile(`${header}\n${body}`);
        const counts = emptyCounts();
        const lines: number[] = [];
        try {
          const csv = await openCsv(file);
          for await (const row of classifyContacts(csv, { defaultCountry: 'ES', requiredVariables: ['name'], where: [{ column: 'city', op: '!=', value: 'x' }] }, () => {})) {
            counts.rows++;
            counts[row.bucket]++;
            lines.push(row.line);
          }
        } catch (err) {
          if (err instanceof InputError) return;
          throw err;
        }
        expect(BUCKETS.reduce((s, b) => s + counts[b], 0)).toBe(counts.rows);
        expect(lines).toEqual([...lines].sort((a, b) => a - b));
        expect(new Set(lines).size).toBe(lines.length);
      }),
      { numRuns: 300 },
    );
  });

  it('every well-quoted record is read back with its exact start line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(field, { minLength: 2, maxLength: 2 }), fc.nat(2), fc.constantFrom('\n', '\r\n')), { minLength: 1, maxLength: 15 }),
        async (records) => {
          let text = 'a,b\n';
          let line = 2;
          const expected: { line: number; a: string; b: string }[] = [];
          for (const [[a, b], blanks, eol] of records) {
            text += eol.repeat(blanks);
            line += blanks;
            // csv-parse trims unquoted whitespace and skips all-empty records; quoting every value keeps them verbatim.
            const cells = [a, b].map((v) => `"${v.replace(/"/g, '""')}"`);
            text += cells.join(',') + eol;
            if (a !== '' || b !== '') expected.push({ line, a, b });
            line += 1 + (a + b).split('\n').length - 1;
          }
          const { rows } = await readAll(tempFile(text));
          expect(rows.map((r) => ({ line: r.line, a: r.record.a, b: r.record.b }))).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { openCsv } from '../../../src/core/contacts/read.js';
import { tempFile } from './helpers.js';

/** A title or note as spreadsheets export it: one cell of text, padded with delimiters to the sheet's width. */
const title = fc.tuple(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).filter((s) => s.trim() === s && !/[",;\t\r\n=]/.test(s)), fc.nat(3));
// A whole `="..."` cell is read as its text (another property), so values here never look like one.
const value = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 10 }).filter((s) => !s.startsWith('="')), fc.constantFrom('+34612345678', '612 345 678', 'sí', '', ',', ';', '\t', '\n', '\r\n', 'a"b'));

describe('properties of the header search', () => {
  it('with any title, blank and sep= lines above the header, every data row is read once with its true line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(',', ';', '\t'),
        fc.boolean(),
        fc.array(fc.oneof(title, fc.constant(null)), { maxLength: 6 }),
        fc.array(fc.tuple(value, value, value), { minLength: 1, maxLength: 8 }),
        fc.constantFrom('\n', '\r\n'),
        async (d, sep, above, records, eol) => {
          let text = sep ? `sep=${d}${eol}` : '';
          for (const t of above) text += (t === null ? '' : t[0] + d.repeat(t[1])) + eol;
          let line = 1 + (sep ? 1 : 0) + above.length;
          const headerLine = line;
          text += ['Móvil', 'Consentimiento', 'Nombre'].join(d) + eol;
          line++;
          const expected: { line: number; values: string[] }[] = [];
          for (const r of records) {
            text += r.map((v) => `"${v.replace(/"/g, '""')}"`).join(d) + eol;
            // csv-parse skips a record whose every cell is empty: it is a blank row.
            if (r.some((v) => v !== '')) expected.push({ line, values: r });
            line += 1 + r.join('').split('\n').length - 1;
          }
          const csv = await openCsv(tempFile(text));
          const rows = [];
          for await (const row of csv.rows) rows.push({ line: row.line, values: [row.record['Móvil'], row.record.Consentimiento, row.record.Nombre] });
          expect([csv.delimiter, csv.header, csv.headerLine]).toEqual([d, ['Móvil', 'Consentimiento', 'Nombre'], headerLine]);
          expect(rows).toEqual(expected);
          // Said exactly when a non-blank row was skipped.
          const skipped = above.some((t) => t !== null);
          expect(csv.findings.map((f) => f.rule)).toEqual(skipped ? ['header-not-first'] : []);
        },
      ),
      { numRuns: 300 },
    );
  });
});

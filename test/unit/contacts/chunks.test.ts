/**
 * The chunked read (issue 13 item 1): the file cut at record ends and each chunk parsed on its
 * own gives the records, and the lines they start on, that one parse of the whole gives. Where
 * the cut cannot follow a quote exactly it must say so (`failed`) instead of cutting wrongly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkError, chunkParser, countNewlines, isBlank, parseChunk, RecordCutter, type ChunkDialect } from '../../../src/core/contacts/chunks.js';

function parseWhole(text: string, d: ChunkDialect, line = 1) {
  const rows: { fields: string[]; line: number }[] = [];
  const err = chunkParser(d).parse(Buffer.from(text), true, (fields) => {
    const start = line;
    line += 1 + countNewlines(fields);
    if (!isBlank(fields)) rows.push({ fields, line: start });
  }, () => {});
  if (err) throw new ChunkError('csv', line, err);
  return rows;
}

/** The rows, or the error (its code and the line of the record it is in) that stopped the read. */
function outcome(read: () => { fields: string[]; line: number }[]) {
  try {
    return { rows: read() };
  } catch (e) {
    if (!(e instanceof ChunkError)) throw e;
    return { error: e.csv?.code ?? e.kind, line: e.line };
  }
}

/** Cuts `text` into chunks of about `target` bytes (fed `feed` bytes at a time), parses each; the rest after a failed cut as one. */
function parseCut(text: string, d: ChunkDialect, target: number, feed: number) {
  const buf = Buffer.from(text);
  const cutter = new RecordCutter(d, target, { offset: 0, line: 1 });
  const rows: { fields: string[]; line: number }[] = [];
  let chunks = 0;
  for (let at = 0; at < buf.length && !cutter.failed; at += feed) {
    for (const c of cutter.push(buf.subarray(at, at + feed))) {
      expect(Buffer.from(c.bytes).equals(buf.subarray(c.offset, c.offset + c.bytes.length))).toBe(true);
      rows.push(...parseChunk(c.bytes, c, d));
      chunks++;
    }
  }
  if (cutter.failed) {
    const rest = cutter.rest();
    // The rest starts at a record end the cut was sure of: parsed from there, it reads the same.
    const tail = Buffer.concat([rest.bytes, buf.subarray(rest.offset + rest.bytes.length)]);
    rows.push(...parseWhole(tail.toString(), d, rest.line));
  } else {
    const last = cutter.finish();
    if (last) rows.push(...parseChunk(last.bytes, last, d)), chunks++;
  }
  return { rows, chunks, failed: cutter.failed };
}

const value = fc.oneof(
  fc.constantFrom('Ana', '', ' espacio ', 'María José', '600000001', 'sí'),
  fc.constantFrom('"con, coma"', '"dos\nlíneas"', '"comillas ""dobles"""', '""', '"a\r\nb"'),
  // Quotes csv-parse reads leniently (relax_quotes): the cut must give up, not guess.
  fc.constantFrom('ab"c', '"x"y', ' "z"'),
);

describe('RecordCutter and parseChunk', () => {
  it('random lists, LF and CRLF, cut anywhere: the same records and lines as one parse', () => {
    fc.assert(
      fc.property(fc.array(fc.array(value, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 30 }), fc.boolean(), fc.boolean(), fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 50 }), (rows, crlf, trailing, target, feed) => {
        const eol = crlf ? '\r\n' : '\n';
        const text = `h1,h2${eol}` + rows.map((r) => r.join(',')).join(eol) + (trailing ? eol : '');
        const d: ChunkDialect = { delimiter: ',', recordDelimiter: crlf ? '\r\n' : '\n', encoding: 'utf-8' };
        const whole = outcome(() => parseWhole(text, d));
        let failed = false;
        const cut = outcome(() => {
          const r = parseCut(text, d, target, feed);
          failed = r.failed;
          return r.rows;
        });
        expect(cut).toEqual(whole);
        if (!/ab"c|"x"y| "z"/.test(text)) expect(failed).toBe(false);
      }),
      { numRuns: 400 },
    );
  });

  it('a quoted newline counts as a line; blank lines are skipped but counted', () => {
    const text = 'a,b\n"uno\ndos",x\n\n3,4\n';
    const d: ChunkDialect = { delimiter: ',', recordDelimiter: '\n', encoding: 'utf-8' };
    const cut = parseCut(text, d, 1, 2);
    expect(cut.rows.map((r) => r.line)).toEqual([1, 2, 5]);
    expect(cut.chunks).toBeGreaterThan(2);
  });

  it('a bare LF in a CRLF file stops the cutting (csv-parse keeps it in the field)', () => {
    const d: ChunkDialect = { delimiter: ',', recordDelimiter: '\r\n', encoding: 'utf-8' };
    const text = 'a,b\r\nx\ny,z\r\n1,2\r\n';
    const cut = parseCut(text, d, 1, 100);
    expect(cut.failed).toBe(true);
    expect(cut.rows).toEqual(parseWhole(text, d));
  });

  it('invalid UTF-8 or an unclosed quote in a chunk: a ChunkError with the line, never wrong rows', () => {
    const d: ChunkDialect = { delimiter: ',', recordDelimiter: '\n', encoding: 'utf-8' };
    expect(() => parseChunk(Buffer.from([0x61, 0x2c, 0xff, 0x0a]), { line: 7 }, d)).toThrow(expect.objectContaining({ kind: 'encoding', line: 7 }));
    expect(() => parseChunk(Buffer.from('a,b\n"open,x\n'), { line: 3 }, d)).toThrow(expect.objectContaining({ kind: 'csv', line: 4 }));
  });

  it('windows-1252 chunks are decoded as the head said', () => {
    const d: ChunkDialect = { delimiter: ';', recordDelimiter: '\n', encoding: 'windows-1252' };
    expect(parseChunk(Buffer.from([0x4d, 0xe1, 0x3b, 0xf1, 0x0a]), { line: 2 }, d)).toEqual([{ fields: ["Má", "ñ"], line: 2 }]);
  });
});

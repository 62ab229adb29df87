import { isUtf8 } from 'node:buffer';
import { parse, type CsvError } from 'csv-parse';
import type { RawBatch } from './types.js';

/**
 * The file cut into chunks of whole records, for the lint's workers to parse on every core
 * (issue 13 item 1). The main thread only finds where records end, which is far cheaper than
 * parsing them; each worker runs csv-parse on its chunk with the dialect found in the file's head.
 * Anything this cannot cut exactly (a quote csv-parse would read leniently, a bare LF in a CRLF
 * file) ends the cutting: the rest of the file is parsed in order on the main thread, as before.
 */

/** What a chunk's parser must know, as the head of the file showed it. */
export interface ChunkDialect {
  delimiter: string;
  recordDelimiter: '\n' | '\r\n';
  /** Single-byte encodings cut the same way: a 0x0A byte is always a newline. */
  encoding: 'utf-8' | 'windows-1252' | 'latin1';
}

/** Whole records of the file: its bytes, the line the first starts on and where they are in the file. */
export interface ByteChunk {
  bytes: Uint8Array;
  line: number;
  /** The line after the chunk, as its newlines count it (the parse must agree). */
  endLine: number;
  offset: number;
}

/** A chunk for a worker, or rows the main thread parsed itself (past a spot that could not be cut). */
export type ChunkItem = { chunk: ByteChunk; rows?: undefined } | { rows: RawBatch; chunk?: undefined };

export interface ApiParser {
  parse(buf: Buffer | undefined, end: boolean, push: (rec: string[]) => void, close: () => void): CsvError | undefined;
}

/** The parser openCsv uses, with the record delimiter it discovered given explicitly. */
export function chunkParser(d: Pick<ChunkDialect, 'delimiter'> & { recordDelimiter?: string }): ApiParser {
  const api = (parse({ delimiter: d.delimiter, ...(d.recordDelimiter ? { record_delimiter: d.recordDelimiter } : {}), relax_column_count: true, relax_quotes: true, trim: true }) as unknown as { api?: ApiParser }).api;
  if (!api || typeof api.parse !== 'function') throw new Error('csv-parse no longer exposes its synchronous parser (Parser#api); pin csv-parse 7.');
  return api;
}

export function countNewlines(fields: string[]): number {
  let n = 0;
  for (const f of fields) {
    let i = f.indexOf('\n');
    while (i !== -1) {
      n++;
      i = f.indexOf('\n', i + 1);
    }
  }
  return n;
}

export function isBlank(fields: string[]): boolean {
  for (const f of fields) if (f !== '') return false;
  return true;
}

/** Why a chunk could not be parsed: said by the main thread as openCsv would (csvError, invalidUtf8Error). */
export class ChunkError extends Error {
  constructor(readonly kind: 'encoding' | 'csv' | 'lines', readonly line: number, readonly csv?: CsvError) {
    super(kind);
  }
}

/**
 * A chunk's records with the line each starts on: a record takes one line and one more for each
 * newline in its fields, as openCsv counts them; blank records are skipped.
 */
export function parseChunk(bytes: Uint8Array, c: { line: number; endLine?: number }, d: ChunkDialect): RawBatch {
  let buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (d.encoding === 'utf-8') {
    if (!isUtf8(buf)) throw new ChunkError('encoding', c.line);
  } else {
    buf = Buffer.from(new TextDecoder(d.encoding).decode(buf));
  }
  const rows: RawBatch = [];
  let line = c.line;
  const err = chunkParser(d).parse(buf, true, (fields) => {
    const start = line;
    line += 1 + countNewlines(fields);
    if (!isBlank(fields)) rows.push({ fields, line: start });
  }, () => {});
  if (err) throw new ChunkError('csv', line, err);
  // The cut counted newlines; the parse counts records and their fields' newlines: the same, or the lines would be wrong.
  if (c.endLine !== undefined && line !== c.endLine && !(line === c.endLine + 1 && bytes[bytes.length - 1] !== 10)) throw new ChunkError('lines', line);
  return rows;
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

/**
 * Finds record ends in the bytes pushed to it, in order, and hands out chunks of whole records of
 * about `target` bytes. Quotes are followed exactly as csv-parse reads a well-formed file: a quote
 * opens a field only right after a delimiter or a record's start, `""` inside is a quote, and a
 * closing quote is followed by a delimiter or the record's end. Any other quote (which csv-parse's
 * relax_quotes reads as text) stops the cutting (`failed`), as does a bare LF in a CRLF file.
 */
export class RecordCutter {
  private parts: Buffer[] = [];
  private bytes = 0;
  /** Where the bytes held start in the file, and on which line. */
  private offset: number;
  private line: number;
  // Scan state past the last record end.
  private quoted = false;
  private fieldStart = true;
  /** A quote was the last byte seen inside a quoted field: the next byte says whether it closes it. */
  private quoteSeen = false;
  /** Just after a closing quote: only a delimiter or a record end may follow. */
  private closed = false;
  private prevCR = false;
  /** Newlines before the last record end (in the bytes held), and after it. */
  private linesToEnd = 0;
  private linesPast = 0;
  /** The last record end: bytes held up to it. */
  private end = 0;
  failed = false;

  constructor(private readonly d: ChunkDialect, private readonly target: number, start: { offset: number; line: number }) {
    this.offset = start.offset;
    this.line = start.line;
  }

  /** The bytes held, not cut yet (after `failed`: the rest to parse otherwise), and where they start. */
  rest(): { bytes: Buffer; line: number; offset: number } {
    return { bytes: Buffer.concat(this.parts, this.bytes), line: this.line, offset: this.offset };
  }

  push(buf: Buffer): ByteChunk[] {
    if (this.failed) return [];
    const base = this.bytes;
    this.parts.push(buf);
    this.bytes += buf.length;
    if (!this.scan(buf, base)) {
      this.failed = true;
      return [];
    }
    const out: ByteChunk[] = [];
    if (this.end >= this.target) out.push(this.cut());
    return out;
  }

  /** At the end of the file: what is left, as one chunk (it may end without a newline). */
  finish(): ByteChunk | undefined {
    if (this.failed || this.bytes === 0) return undefined;
    if (this.quoteSeen) {
      // A quote as the file's last byte closes its field.
      this.quoteSeen = false;
      this.quoted = false;
    }
    this.end = this.bytes;
    this.linesToEnd += this.linesPast;
    this.linesPast = 0;
    return this.cut();
  }

  private cut(): ByteChunk {
    const all = Buffer.concat(this.parts, this.bytes);
    // A fresh ArrayBuffer of the chunk's own: it is transferred to a worker, not copied.
    const bytes = new Uint8Array(this.end);
    bytes.set(all.subarray(0, this.end));
    const chunk: ByteChunk = { bytes, line: this.line, endLine: this.line + this.linesToEnd, offset: this.offset };
    this.parts = this.end < this.bytes ? [all.subarray(this.end)] : [];
    this.bytes -= this.end;
    this.offset += this.end;
    this.line += this.linesToEnd;
    this.linesToEnd = 0;
    this.end = 0;
    return chunk;
  }

  /** Scans one buffer (held from `base`); false when a quote or newline cannot be followed exactly. */
  private scan(buf: Buffer, base: number): boolean {
    const crlf = this.d.recordDelimiter === '\r\n';
    const delim = this.d.delimiter.charCodeAt(0);
    // Most of a list has no quote at all: then only its newlines matter, found natively.
    if (!this.quoted && !this.quoteSeen && !this.closed && buf.indexOf(QUOTE) === -1) {
      let last = -1;
      let n = 0;
      for (let i = buf.indexOf(LF); i !== -1; i = buf.indexOf(LF, i + 1)) {
        if (crlf && (i === 0 ? !this.prevCR : buf[i - 1] !== CR)) return false;
        n++;
        last = i;
      }
      if (last !== -1) {
        this.linesToEnd += this.linesPast + n;
        this.linesPast = 0;
        this.end = base + last + 1;
      }
      if (buf.length) {
        const tail = buf[buf.length - 1];
        this.fieldStart = tail === LF || tail === delim;
      }
      this.prevCR = buf.length ? buf[buf.length - 1] === CR : this.prevCR;
      return true;
    }
    for (let i = 0; i < buf.length; i++) {
      const c = buf[i];
      if (this.quoteSeen) {
        this.quoteSeen = false;
        if (c === QUOTE) continue; // "" inside a quoted field
        this.quoted = false;
        this.closed = true;
      }
      if (this.quoted) {
        if (c === QUOTE) this.quoteSeen = true;
        else if (c === LF) this.linesPast++;
        this.prevCR = c === CR;
        continue;
      }
      if (this.closed) {
        // After a closing quote: a delimiter, or the record's end (CR LF in a CRLF file).
        if (c === delim) this.closed = false;
        else if (c === LF) this.closed = false;
        else if (!(crlf && c === CR)) return false;
        else if (this.prevCR) return false;
      }
      if (c === LF) {
        if (crlf && !this.prevCR) return false;
        this.linesToEnd += this.linesPast + 1;
        this.linesPast = 0;
        this.end = base + i + 1;
        this.fieldStart = true;
      } else if (c === QUOTE) {
        if (!this.fieldStart) return false;
        this.quoted = true;
        this.fieldStart = false;
      } else {
        this.fieldStart = c === delim;
      }
      this.prevCR = c === CR;
    }
    return true;
  }
}

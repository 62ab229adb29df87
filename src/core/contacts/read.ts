import { createHash } from 'node:crypto';
import { createReadStream, promises as fsp } from 'node:fs';
import { parse, type CsvError } from 'csv-parse';
import { InputError, UsageError } from '../errors.js';
import type { Finding } from '../findings.js';
import { normaliseName, phoneColumnRank } from './columns.js';
import type { OpenedCsv, RawBatch, RawRow, ReadCsvOptions } from './types.js';
import { RecordCutter, chunkParser, countNewlines, isBlank, type ChunkDialect, type ChunkError, type ChunkItem } from './chunks.js';

type Delimiter = OpenedCsv['delimiter'];

/** User-facing encoding names → the WHATWG label TextDecoder understands. */
const ENCODINGS: Record<string, { name: string; label: string }> = {
  'utf-8': { name: 'utf-8', label: 'utf-8' },
  utf8: { name: 'utf-8', label: 'utf-8' },
  'windows-1252': { name: 'windows-1252', label: 'windows-1252' },
  cp1252: { name: 'windows-1252', label: 'windows-1252' },
  latin1: { name: 'latin1', label: 'latin1' },
  'iso-8859-1': { name: 'latin1', label: 'latin1' },
  'utf-16le': { name: 'utf-16le', label: 'utf-16le' },
  utf16le: { name: 'utf-16le', label: 'utf-16le' },
  'utf-16be': { name: 'utf-16be', label: 'utf-16be' },
  utf16be: { name: 'utf-16be', label: 'utf-16be' },
};

export const VALID_ENCODINGS = ['utf-8', 'windows-1252 (cp1252)', 'latin1 (iso-8859-1)', 'utf-16le', 'utf-16be'];

const CHUNK_BYTES = 256 * 1024;
const SNIFF_MAX_CHARS = 1024 * 1024;
/** How many non-blank rows may stand above the header (titles, notes) before the first row is taken for it. */
const HEADER_LOOKAHEAD = 20;
/** Lines the delimiter is sniffed from: enough to see past a title or two above the header. */
const SNIFF_LINES = 12;

interface ApiParser {
  parse(buf: Buffer | undefined, end: boolean, push: (rec: string[]) => void, close: () => void): CsvError | undefined;
}

/** Resolves an `--encoding` value; unknown names are a usage error listing the valid ones. */
export function resolveEncoding(encoding: string | undefined): { name: string; label: string } {
  if (encoding === undefined || encoding === '') return ENCODINGS['utf-8'];
  const found = ENCODINGS[encoding.trim().toLowerCase().replace(/_/g, '-')];
  if (!found) {
    throw new UsageError(`Unknown --encoding "${encoding}".`, { hint: `Use one of: ${VALID_ENCODINGS.join(', ')}.` });
  }
  return found;
}

/**
 * Opens a contacts CSV for one streamed pass: reads just enough to sniff the delimiter and
 * parse the header, then yields rows chunk by chunk. Each row carries the line where it starts.
 */
export async function openCsv(path: string, opts: ReadCsvOptions = {}): Promise<OpenedCsv> {
  let encoding = resolveEncoding(opts.encoding);
  const fileBytes = await checkReadable(path);

  const stream = createReadStream(path, { highWaterMark: CHUNK_BYTES });
  const read = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  // Every byte of the pass comes through here once, in order: hashed as it goes by.
  const hash = opts.hash ? createHash('sha256') : undefined;
  let digest: string | undefined;
  const chunks: AsyncIterator<Buffer> = hash
    ? {
        next: async () => {
          const r = await read.next();
          if (!r.done) hash.update(r.value);
          else digest ??= hash.digest('hex');
          return r;
        },
      }
    : read;
  let first: Buffer | undefined;
  try {
    const r = await chunks.next();
    first = r.done ? undefined : r.value;
  } catch (err) {
    throw readError(path, err);
  }
  if (!first || first.length === 0) {
    stream.destroy();
    throw new InputError('The contacts file is empty.', { file: path, line: 1, hint: 'It needs a header row naming a phone and a consent column.' });
  }

  // A byte-order mark is authoritative, whatever --encoding said.
  const bom = bomEncoding(first);
  if (bom) encoding = ENCODINGS[bom];
  else if (!encoding.name.startsWith('utf-16')) rejectBinary(path, first);

  const decoder = new TextDecoder(encoding.label, { fatal: encoding.name === 'utf-8' });
  let pending: Buffer | undefined = first;
  let eof = false;
  let bytesRead = first.length;
  /** The bytes read until the header is settled: the chunked pass starts in them. */
  let raw: Buffer[] | undefined = [first];

  async function nextText(): Promise<string | undefined> {
    if (eof) return undefined;
    let buf: Buffer | undefined = pending;
    pending = undefined;
    if (!buf) {
      let r: IteratorResult<Buffer>;
      try {
        r = await chunks.next();
      } catch (err) {
        throw readError(path, err);
      }
      buf = r.done ? undefined : r.value;
      if (buf) bytesRead += buf.length;
      if (buf) raw?.push(buf);
    }
    try {
      if (buf) return decoder.decode(buf, { stream: true });
      eof = true;
      return decoder.decode();
    } catch (err) {
      stream.destroy();
      throw await invalidUtf8Error(path, err);
    }
  }

  // Sniff from whole lines: keep reading until the first record is complete (quotes may span lines).
  let head = '';
  while (!eof && head.length < SNIFF_MAX_CHARS) {
    const text = await nextText();
    if (text) head += text;
    if (hasCompleteFirstLines(head)) break;
  }
  if (head.trim() === '') {
    stream.destroy();
    throw new InputError('The contacts file is empty.', { file: path, line: 1, hint: 'It needs a header row naming a phone and a consent column.' });
  }

  // Excel's `sep=;` first line names the delimiter; it is no row, but it is line 1.
  let line = 1;
  const sep = excelSepLine(head);
  if (sep) {
    head = head.slice(sep.length);
    line = 2;
    if (head.trim() === '' && eof) {
      stream.destroy();
      throw new InputError('The contacts file has only Excel\'s sep= line.', { file: path, line: 1, hint: 'It needs a header row naming a phone and a consent column.' });
    }
  }
  const delimiter = sep?.delimiter ?? sniffDelimiter(opts.headerLine ? dropLines(head, opts.headerLine - line) : head);
  const parser = (parse({ delimiter, relax_column_count: true, relax_quotes: true, trim: true }) as unknown as { api?: ApiParser }).api;
  if (!parser || typeof parser.parse !== 'function') {
    throw new Error('csv-parse no longer exposes its synchronous parser (Parser#api); pin csv-parse 7.');
  }

  const finder = new HeaderFinder(path, opts);
  let batch: { fields: string[]; line: number }[] = [];
  const push = (fields: string[]) => {
    const start = line;
    line += 1 + countNewlines(fields);
    if (isBlank(fields)) return;
    if (finder.header === undefined) batch.push(...finder.offer(fields, start));
    else batch.push({ fields, line: start });
  };
  const feed = (text: string | undefined, end: boolean) => {
    let err: CsvError | undefined;
    try {
      err = parser.parse(text === undefined ? undefined : Buffer.from(text), end, push, () => {});
    } catch (e) {
      stream.destroy();
      throw e;
    }
    if (err) {
      stream.destroy();
      throw csvError(path, err, line);
    }
  };

  feed(head, eof);
  while (finder.header === undefined && !eof) {
    const text = await nextText();
    feed(text, eof);
  }
  if (finder.header === undefined) batch.push(...finder.settleAtEnd(line - 1));
  const header = finder.header!;
  const headRaw = raw!;
  raw = undefined;
  const recordDelimiter = (parser as unknown as { options?: { record_delimiter?: Buffer[] } }).options?.record_delimiter;

  const names = nameColumns(header.map(unforceText));
  const first_batch = batch;
  batch = [];
  // From the rows in what was read so far: lets the duplicate index be sized once, not grown.
  const estimatedRows = eof ? first_batch.length : Math.ceil((fileBytes * Math.max(1, first_batch.length)) / bytesRead);

  // One pass only: either rows() or batches() is read, never both.
  async function* batches(): AsyncGenerator<RawBatch> {
    try {
      let current = first_batch;
      for (;;) {
        if (current.length) yield current;
        if (eof) return;
        batch = [];
        feed(await nextText(), eof);
        current = batch;
      }
    } finally {
      stream.destroy();
    }
  }
  async function* rows(): AsyncGenerator<RawRow> {
    for await (const b of batches()) for (const r of b) yield toRawRow(names, r.fields, r.line);
  }

  /**
   * The rest of the file after the header as chunks of whole records for workers to parse, or
   * undefined when it cannot be cut exactly here (UTF-16, old Mac CR line ends, no record after
   * the header in the head). Instead of `rows`/`batches()`: the rows parsed so far are parsed again.
   */
  function cutChunks(target: number): { dialect: ChunkDialect; items: AsyncIterable<ChunkItem> } | undefined {
    const enc = encoding.name;
    if (enc !== 'utf-8' && enc !== 'windows-1252' && enc !== 'latin1') return undefined;
    const rd = recordDelimiter?.length === 1 ? recordDelimiter[0].toString() : '';
    if (rd !== '\n' && rd !== '\r\n') return undefined;
    const dialect: ChunkDialect = { delimiter, recordDelimiter: rd, encoding: enc };
    // The data starts on the line after the header record: find that line's first byte.
    const dataLine = finder.line! + 1 + countNewlines(header);
    const head = Buffer.concat(headRaw);
    let offset = 0;
    for (let l = 1; l < dataLine; l++) {
      const nl = head.indexOf(10, offset);
      if (nl === -1 || (rd === '\r\n' && head[nl - 1] !== 13)) return undefined;
      offset = nl + 1;
    }
    async function* items(): AsyncGenerator<ChunkItem> {
      try {
        const cutter = new RecordCutter(dialect, target, { offset, line: dataLine });
        let next: Buffer | undefined = head.subarray(offset);
        let unpushed: Buffer = Buffer.alloc(0);
        // Pushed in quarters of a chunk: the cutter cuts at most once a push, so a read of the
        // stream larger than a chunk still gives chunks of about `target` bytes.
        const step = Math.max(1, Math.ceil(target / 4));
        while (next) {
          for (let at = 0; at < next.length; at += step) {
            for (const chunk of cutter.push(next.subarray(at, at + step))) yield { chunk };
            if (cutter.failed) {
              // The bytes not pushed yet belong to the rest, parsed here.
              unpushed = next.subarray(at + step);
              break;
            }
          }
          if (cutter.failed) break;
          let r: IteratorResult<Buffer>;
          try {
            r = eof ? { done: true, value: undefined } : await chunks.next();
          } catch (err) {
            throw readError(path, err);
          }
          next = r.done ? undefined : r.value;
        }
        if (!cutter.failed) {
          const last = cutter.finish();
          if (last) yield { chunk: last };
          return;
        }
        // A quote the cut cannot follow exactly: the rest is parsed here, in order, as openCsv does.
        const rest = cutter.rest();
        yield* parsedFrom(path, unpushed.length ? Buffer.concat([rest.bytes, unpushed]) : rest.bytes, rest.line, dialect, async () => {
          try {
            const r = await chunks.next();
            return r.done ? undefined : r.value;
          } catch (err) {
            throw readError(path, err);
          }
        });
      } finally {
        stream.destroy();
      }
    }
    return { dialect, items: items() };
  }

  return { path, header: names, headerLine: finder.line!, delimiter, encoding: encoding.name, findings: finder.findings, rows: rows(), batches, estimatedRows, chunks: cutChunks, sha256: () => digest };
}

/** Rows parsed on this thread from a record boundary on: bytes held, then the stream's. */
async function* parsedFrom(path: string, first: Buffer, line: number, d: ChunkDialect, read: () => Promise<Buffer | undefined>): AsyncGenerator<ChunkItem> {
  const parser = chunkParser(d);
  const decoder = new TextDecoder(d.encoding, { fatal: d.encoding === 'utf-8' });
  let buf: Buffer | undefined = first;
  for (;;) {
    let text: string;
    try {
      text = buf ? decoder.decode(buf, { stream: true }) : decoder.decode();
    } catch (err) {
      throw await invalidUtf8Error(path, err);
    }
    const rows: RawBatch = [];
    const err = parser.parse(Buffer.from(text), buf === undefined, (fields) => {
      const start = line;
      line += 1 + countNewlines(fields);
      if (!isBlank(fields)) rows.push({ fields, line: start });
    }, () => {});
    if (err) throw csvError(path, err, line);
    if (rows.length) yield { rows };
    if (!buf) return;
    buf = await read();
  }
}

/** A chunk's parse failed (in a worker or here): the error openCsv would give. */
export async function chunkInputError(path: string, e: ChunkError): Promise<InputError> {
  if (e.kind === 'encoding') return invalidUtf8Error(path, e);
  if (e.kind === 'csv' && e.csv) return csvError(path, e.csv, e.line);
  return new InputError(`The CSV could not be read past line ${e.line}.`, { file: path, line: e.line, cause: e });
}

/**
 * Decides which row is the header. With `--header-line N` it is the row that starts on line N.
 * Otherwise the first non-blank row, unless it names no phone column: then the first of the next
 * rows that names one, has two cells or more and more cells than every row above it (titles and
 * notes are short; a data row is as wide as its header). Rows before the header are held only
 * until it is settled, so that, if none qualifies, the first row is the header after all.
 */
class HeaderFinder {
  header: string[] | undefined;
  line: number | undefined;
  readonly findings: Finding[] = [];
  private held: { fields: string[]; line: number }[] = [];
  private readonly phoneColumn: string | undefined;

  constructor(private readonly path: string, private readonly opts: ReadCsvOptions) {
    this.phoneColumn = opts.phoneColumn ? normaliseName(opts.phoneColumn) : undefined;
  }

  /** Takes a non-blank record seen before the header; returns the held records that turn out to be data. */
  offer(fields: string[], start: number): { fields: string[]; line: number }[] {
    const wanted = this.opts.headerLine;
    if (wanted !== undefined) {
      if (start < wanted) return [];
      if (start > wanted) throw this.notAHeaderLine(wanted);
      this.header = fields;
      this.line = start;
      return [];
    }
    this.held.push({ fields, line: start });
    const cells = nonEmpty(fields);
    if (this.namesPhone(fields) && cells >= 2 && this.held.every((r, i) => i === this.held.length - 1 || nonEmpty(r.fields) < cells)) {
      return this.settle(this.held.length - 1);
    }
    if (this.held.length >= HEADER_LOOKAHEAD) return this.fallback();
    return [];
  }

  /** The file ended before the header was settled. */
  settleAtEnd(lastLine: number): { fields: string[]; line: number }[] {
    const wanted = this.opts.headerLine;
    if (wanted !== undefined) {
      throw new InputError(
        wanted > lastLine ? `--header-line ${wanted} is past the end of the file (it has ${lastLine} lines).` : `Line ${wanted} has no header row (it is blank, or Excel's sep= line).`,
        { file: this.path, line: Math.min(wanted, lastLine), hint: 'Pass --header-line with the line of the row that names the columns.' },
      );
    }
    if (this.held.length === 0) {
      throw new InputError('The contacts file has no header row.', { file: this.path, line: 1, hint: 'Add a first line naming the columns, e.g. phone,consent,first_name.' });
    }
    return this.fallback();
  }

  private fallback(): { fields: string[]; line: number }[] {
    const first = this.held[0];
    // A lone cell above other rows is a title, not a header: taking it would read every row wrongly.
    if (nonEmpty(first.fields) < 2 && this.held.length > 1) {
      throw new InputError(`No header row found: line ${first.line} is a single cell and none of the ${this.held.length} rows from there names a phone column.`, {
        file: this.path,
        line: first.line,
        hint: 'Pass --header-line N with the line of the row that names the columns (and --phone-column if the phone column has another name).',
      });
    }
    return this.settle(0);
  }

  private settle(i: number): { fields: string[]; line: number }[] {
    const found = this.held[i];
    this.header = found.fields;
    this.line = found.line;
    if (i > 0) {
      this.findings.push({
        rule: 'header-not-first',
        severity: 'info',
        message: `The header row is on line ${found.line}: the ${i === 1 ? 'row' : `${i} rows`} above it (a title or notes) ${i === 1 ? 'was' : 'were'} skipped. --header-line sets the header's line if that is wrong.`,
        line: found.line,
      });
    }
    const data = this.held.slice(i + 1);
    this.held = [];
    return data;
  }

  private namesPhone(fields: string[]): boolean {
    return fields.some((f) => {
      const cell = unforceText(f);
      return phoneColumnRank(cell) > 0 || (this.phoneColumn !== undefined && normaliseName(cell) === this.phoneColumn);
    });
  }

  private notAHeaderLine(wanted: number): InputError {
    return new InputError(`Line ${wanted} is not where a row starts (it is blank, Excel's sep= line, or inside a quoted field of the row above).`, {
      file: this.path,
      line: wanted,
      hint: 'Pass --header-line with the line of the row that names the columns.',
    });
  }
}

function nonEmpty(fields: string[]): number {
  let n = 0;
  for (const f of fields) if (f !== '') n++;
  return n;
}

/** Excel's first line `sep=;` (also `sep=,` and `sep=` tab, maybe quoted): the whole line, and the delimiter it names. */
export function excelSepLine(text: string): { length: number; delimiter: Delimiter } | undefined {
  const m = /^\uFEFF?"?sep=(,|;|\t|\\t)"?[ ]*(?:\r?\n|$)/i.exec(text);
  if (!m) return undefined;
  return { length: m[0].length, delimiter: m[1] === ',' ? ',' : m[1] === ';' ? ';' : '\t' };
}

function dropLines(text: string, n: number): string {
  let at = 0;
  for (let i = 0; i < n; i++) {
    const nl = text.indexOf('\n', at);
    if (nl === -1) return text;
    at = nl + 1;
  }
  return text.slice(at);
}

/** `="0034612345678"`: Excel's formula-as-text habit, which keeps leading zeros; the cell is that text. */
export function unforceText(cell: string): string {
  if (cell.charCodeAt(0) !== 61 /* = */ || cell.charCodeAt(1) !== 34 /* " */) return cell;
  const m = /^="((?:[^"]|"")*)"$/s.exec(cell);
  return m ? m[1].replace(/""/g, '"') : cell;
}

export function toRawRow(names: string[], fields: string[], line: number): RawRow {
  const record: Record<string, string> = {};
  for (let i = 0; i < names.length; i++) record[names[i]] = unforceText(fields[i] ?? '');
  return { line, record, fieldCount: fields.length };
}

/** Trimmed header names; empty ones become `column_N` and repeats get `_2`, `_3` so no value is lost. */
export function nameColumns(raw: string[]): string[] {
  const seen = new Set<string>();
  return raw.map((h, i) => {
    let name = h.replace(/^\uFEFF/, '').trim() || `column_${i + 1}`;
    if (seen.has(name)) {
      let n = 2;
      while (seen.has(`${name}_${n}`)) n++;
      name = `${name}_${n}`;
    }
    seen.add(name);
    return name;
  });
}

/** The encoding a byte-order mark names, if the buffer starts with one. */
export function bomEncoding(buf: Buffer): 'utf-8' | 'utf-16le' | 'utf-16be' | undefined {
  if (buf[0] === 0xff && buf[1] === 0xfe) return 'utf-16le';
  if (buf[0] === 0xfe && buf[1] === 0xff) return 'utf-16be';
  if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return 'utf-8';
  return undefined;
}

/**
 * A file's encoding when nobody said it (opt-out lists): the BOM's, else UTF-8 if every byte is
 * valid UTF-8, else Windows-1252, which is what Excel saves "CSV" as in Spanish and Portuguese locales.
 */
export async function detectEncoding(path: string): Promise<'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252'> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let first = true;
  try {
    for await (const buf of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      if (first) {
        const bom = bomEncoding(buf as Buffer);
        if (bom) return bom;
        first = false;
      }
      decoder.decode(buf as Buffer, { stream: true });
    }
    decoder.decode();
  } catch (err) {
    if (err instanceof TypeError) return 'windows-1252';
    throw readError(path, err);
  }
  return 'utf-8';
}


/** True once `text` holds a few complete records, so that quoted newlines cannot fool the sniffer. */
function hasCompleteFirstLines(text: string): boolean {
  return splitLogicalLines(text, SNIFF_LINES).complete;
}

function splitLogicalLines(text: string, max: number): { lines: string[]; complete: boolean } {
  const lines: string[] = [];
  let inQuotes = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) inQuotes = !inQuotes;
    else if (c === 10 && !inQuotes) {
      const l = text.slice(start, i).replace(/\r$/, '');
      if (l.trim() !== '') lines.push(l);
      start = i + 1;
      if (lines.length >= max) return { lines, complete: true };
    }
  }
  const rest = text.slice(start);
  if (rest.trim() !== '' && !inQuotes) lines.push(rest);
  return { lines, complete: false };
}

/**
 * Picks `,`, `;` or tab from the first lines, counting only delimiters outside quotes. The winner
 * is the candidate that splits the most lines into the same number of fields (a title or note
 * above the header splits differently, usually not at all), then the one that splits into more.
 */
export function sniffDelimiter(text: string): Delimiter {
  const { lines } = splitLogicalLines(text, SNIFF_LINES);
  const candidates: Delimiter[] = [',', ';', '\t'];
  let best: Delimiter = ',';
  let bestScore = 0;
  for (const d of candidates) {
    const linesWith = new Map<number, number>();
    for (const l of lines) {
      const c = countOutsideQuotes(l, d);
      if (c > 0) linesWith.set(c, (linesWith.get(c) ?? 0) + 1);
    }
    for (const [count, n] of linesWith) {
      const score = n * 1_000_000 + count;
      if (score > bestScore) {
        best = d;
        bestScore = score;
      }
    }
  }
  return best;
}

function countOutsideQuotes(line: string, d: string): number {
  let n = 0;
  let inQuotes = false;
  for (const ch of line) {
    if (ch === '"') inQuotes = !inQuotes;
    else if (ch === d && !inQuotes) n++;
  }
  return n;
}

async function checkReadable(path: string): Promise<number> {
  let st;
  try {
    st = await fsp.stat(path);
  } catch (err) {
    throw readError(path, err);
  }
  if (st.isDirectory()) {
    throw new InputError('This is a directory, not a CSV file.', { file: path, hint: 'Pass the path of the contacts CSV itself.' });
  }
  return st.size;
}

function readError(path: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') {
    return new InputError('There is no such file.', { file: path, hint: 'Check the path and the working directory.', cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new InputError(`The file cannot be read (permission denied).`, { file: path, hint: 'Check its permissions.', cause: err });
  }
  if (code === 'EISDIR') {
    return new InputError('This is a directory, not a CSV file.', { file: path, hint: 'Pass the path of the contacts CSV itself.', cause: err });
  }
  return new InputError(`The file cannot be read: ${(err as Error)?.message ?? String(err)}.`, { file: path, cause: err });
}

function rejectBinary(path: string, buf: Buffer): void {
  if (buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04) {
    throw new InputError('This is a spreadsheet workbook (.xlsx/.ods), not a CSV file.', { file: path, line: 1, hint: 'Export it as CSV ("Save as" → CSV UTF-8) and pass that file.' });
  }
  const nul = buf.indexOf(0);
  if (nul === -1) return;
  let oddZeros = 0;
  const sample = Math.min(buf.length, 4096);
  for (let i = 1; i < sample; i += 2) if (buf[i] === 0) oddZeros++;
  if (oddZeros > sample / 4) {
    throw new InputError('The file looks like UTF-16 text without a byte-order mark.', { file: path, line: 1, hint: 'Pass --encoding utf-16le, or export it again as CSV UTF-8.' });
  }
  throw new InputError('This looks like a binary file (it contains NUL bytes), not a CSV export.', { file: path, line: lineAt(buf, nul), hint: 'Export the contacts as CSV and pass that file.' });
}

function lineAt(buf: Buffer, offset: number): number {
  let n = 1;
  for (let i = buf.indexOf(10); i !== -1 && i < offset; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** The decoder only says "invalid"; read again, leniently, to say on which line. */
async function invalidUtf8Error(path: string, cause: unknown): Promise<InputError> {
  const dec = new TextDecoder('utf-8');
  let line = 1;
  let found = false;
  try {
    for await (const buf of createReadStream(path, { highWaterMark: CHUNK_BYTES })) {
      const s = dec.decode(buf as Buffer, { stream: true });
      const at = s.indexOf('\uFFFD');
      const upto = at === -1 ? s : s.slice(0, at);
      for (let i = upto.indexOf('\n'); i !== -1; i = upto.indexOf('\n', i + 1)) line++;
      if (at !== -1) {
        found = true;
        break;
      }
    }
  } catch {
    // the first error is the one worth reporting
  }
  return new InputError(`Line ${found ? line : '?'} is not valid UTF-8; the file was probably exported with a Windows encoding.`, {
    file: path,
    line: found ? line : undefined,
    hint: 'Pass --encoding windows-1252 (or export it again as CSV UTF-8).',
    cause,
  });
}

function csvError(path: string, err: CsvError, recordStart: number): InputError {
  if (err.code === 'CSV_QUOTE_NOT_CLOSED') {
    return new InputError(`A quoted field that starts on line ${recordStart} is never closed.`, {
      file: path,
      line: recordStart,
      hint: 'Close the quote, or write a quote inside a quoted field as two quotes ("").',
      cause: err,
    });
  }
  return new InputError(`The CSV is malformed on line ${recordStart}: ${err.message.replace(/ at line \d+.*$/, '')}.`, {
    file: path,
    line: recordStart,
    hint: 'Fix the quoting on that line: a field with a quote, delimiter or newline must be wrapped in quotes, inner quotes doubled.',
    cause: err,
  });
}

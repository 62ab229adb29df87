import { createReadStream, promises as fsp } from 'node:fs';
import { basename, join } from 'node:path';
import { InputError } from '../errors.js';
import type { Finding } from '../findings.js';
import { STATE_DIR } from '../history/history.js';
import { stateDirs } from '../history/state-dirs.js';
import { LineTail } from '../journal/tail.js';
import { isCountryColumn, phoneColumnRank } from './columns.js';
import { parseCountry } from './country.js';
import { normalisePhone } from './phone.js';
import { detectEncoding, openCsv, unforceText } from './read.js';

/**
 * THE opt-out list: `.campaign/optouts.txt` (written by `campaign webhook`, and by hand) and the
 * `--suppress` files are read by the same parser, here, by lint, send (and its watcher during the
 * run), the report and the webhook's writer. Numbers may be in any human format (`+34 610 00 00
 * 50`, `0034 610…`, `(+34) 610-000-050`, national ones with the default country); `#` starts a
 * comment; blank lines, a BOM and CRLF are fine; each file's encoding is its own (BOM, else UTF-8
 * if valid, else Windows-1252, as Excel saves it); a file with a row naming a phone column among
 * its first lines is read as a CSV from that row (a title or Excel's `sep=` line may come first).
 */
export function optOutsPath(dir: string): string {
  return join(dir, STATE_DIR, 'optouts.txt');
}

/**
 * Every opt-out list a campaign folder honours by default: its own, then the user-level one
 * (`$CAMPAIGN_HOME/optouts.txt`), which the webhook mirrors every opt-out to, so that a webhook
 * run in one folder protects campaigns in the others.
 */
export function optOutFiles(cwd: string, env: Record<string, string | undefined>): string[] {
  return stateDirs(cwd, env).map((dir) => join(dir, 'optouts.txt'));
}

export interface SuppressionList {
  /** E.164 numbers never to message. */
  numbers: Set<string>;
  /** Non-empty entries that are not a phone number: skipped, counted so that the caller can say so. */
  ignored: number;
  /** Line of the first ignored entry, to point the user at it. */
  firstIgnoredLine?: number;
  /** Lines of the first ignored entries (at most IGNORED_LINES_KEPT), for `suppress-unreadable`. */
  ignoredLines: number[];
  /** How many of the ignored entries are national numbers that a default country would have read. */
  needCountry: number;
}

const IGNORED_LINES_KEPT = 10;
/** Lines looked at for a CSV header before a file is taken for a plain list. */
const HEADER_SCAN_LINES = 20;

export interface SuppressionOptions {
  defaultCountry?: string;
  /** `error` (a --suppress file the user named, the default) or `empty` (optouts.txt, not written yet). */
  missing?: 'error' | 'empty';
}

/** One line of a plain list: its E.164 number, false when it is no number, null when it is blank or a comment. */
export function parseOptOutLine(raw: string, defaultCountry?: string): string | false | null {
  const r = readEntry(raw, defaultCountry);
  return r === null ? null : r.ok ? r.e164 : false;
}

function readEntry(raw: string, defaultCountry: string | undefined, country?: string): ReturnType<typeof normalisePhone> | null {
  const entry = stripComment(unforceText(raw.replace(/^\uFEFF/, '')));
  return entry === '' ? null : normalisePhone(entry, { defaultCountry, country });
}

/**
 * Reads an opt-out / do-not-contact list: one number a line (`#` comments, blank lines), or a
 * CSV with a recognisable phone column. Entries that are no number are counted with their lines
 * (for `suppress-unreadable`), never fatal.
 */
export async function readOptOutList(path: string, opts: SuppressionOptions = {}): Promise<SuppressionList> {
  const list: SuppressionList = { numbers: new Set(), ignored: 0, ignoredLines: [], needCountry: 0 };
  if (!(await exists(path, opts.missing === 'empty'))) return list;
  const encoding = await detectEncoding(path);
  let headerLine: number | undefined;
  let seen = 0;
  for await (const { text, line } of lines(path, encoding)) {
    const entry = readEntry(text, opts.defaultCountry);
    if (entry === null) continue;
    // A number first: a plain list, whatever a later line says (reading it as a CSV would lose this number).
    if (entry.ok || entry.reason === 'needs-country') break;
    if (looksLikeCsvHeader(text)) {
      headerLine = line;
      break;
    }
    if (++seen >= HEADER_SCAN_LINES) break;
  }
  if (headerLine !== undefined) await readCsvList(path, encoding, headerLine, opts.defaultCountry, list);
  else for await (const { text, line } of lines(path, encoding)) addEntry(list, text, line, opts.defaultCountry);
  return list;
}

/**
 * `suppress-unreadable`: one finding for a list's entries that are no number, so that an opt-out
 * list read wrongly (a national list without --default-country, another column) is never silent.
 */
export function unreadableFinding(path: string, list: SuppressionList): Finding | undefined {
  if (list.ignored === 0) return undefined;
  const shown = list.ignoredLines.slice(0, 5).join(', ') + (list.ignored > 5 ? ', …' : '');
  const entries = list.ignored === 1 ? '1 entry' : `${list.ignored} entries`;
  const one = list.ignored === 1;
  const why =
    list.needCountry === list.ignored
      ? `${one ? 'it is a national number' : 'they are national numbers'}: pass --default-country to read ${one ? 'it' : 'them'}`
      : list.needCountry > 0
        ? `${list.needCountry} ${list.needCountry === 1 ? 'is a national number that needs' : 'are national numbers that need'} --default-country, the others are not phone numbers`
        : one ? 'it is not a phone number' : 'they are not phone numbers';
  return {
    rule: 'suppress-unreadable',
    severity: 'warning',
    message: `${entries} of the opt-out list ${basename(path)} suppress${one ? 'es' : ''} nobody (line${list.ignoredLines.length === 1 ? '' : 's'} ${shown}): ${why}.`,
    value: path,
  };
}

/**
 * Follows a plain opt-out list while a send runs: each line appended since the last poll, by
 * hand or by `campaign webhook`, through the same parser. A line still without its "\n" waits
 * for it; a file saved whole by an editor (a new inode, a shorter file, other bytes before the
 * offset) is read again from the start.
 */
export class OptOutFollower {
  private readonly tail: LineTail;

  constructor(path: string, private readonly opts: { fromOffset?: number; defaultCountry?: string } = {}) {
    this.tail = new LineTail(path, opts.fromOffset ?? 0);
  }

  /** The numbers in the lines read by this poll. */
  async poll(): Promise<string[]> {
    const out: string[] = [];
    await this.tail.read((line) => {
      const n = parseOptOutLine(line, this.opts.defaultCountry);
      if (n) out.push(n);
    });
    return out;
  }
}

function looksLikeCsvHeader(line: string): boolean {
  return line.split(/[,;\t]/).some((cell) => phoneColumnRank(unforceText(cell.trim()).replace(/"/g, '')) > 0);
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return (hash === -1 ? line : line.slice(0, hash)).trim();
}

async function exists(path: string, missingIsEmpty: boolean): Promise<boolean> {
  try {
    const st = await fsp.stat(path);
    if (st.isDirectory()) throw new InputError('The suppression list is a directory, not a file.', { file: path, hint: 'Pass the list file to --suppress.' });
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (missingIsEmpty && (err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new InputError('There is no such suppression list.', { file: path, hint: 'Check the path given to --suppress.', cause: err });
  }
  return true;
}

/** The file's lines, decoded, with their 1-based numbers (CRLF and a BOM removed). */
async function* lines(path: string, encoding: string): AsyncGenerator<{ text: string; line: number }> {
  const decoder = new TextDecoder(encoding);
  let rest = '';
  let line = 0;
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  try {
    for await (const buf of stream) {
      rest += decoder.decode(buf as Buffer, { stream: true });
      let nl = rest.indexOf('\n');
      let from = 0;
      for (; nl !== -1; nl = rest.indexOf('\n', from)) {
        yield { text: rest.slice(from, nl).replace(/\r$/, ''), line: ++line };
        from = nl + 1;
      }
      rest = rest.slice(from);
    }
  } finally {
    stream.destroy();
  }
  rest += decoder.decode();
  if (rest !== '') yield { text: rest.replace(/\r$/, ''), line: ++line };
}

/** A CSV list: every phone column counts (someone who opted out is out on each of their numbers). */
async function readCsvList(path: string, encoding: string, headerLine: number, defaultCountry: string | undefined, list: SuppressionList): Promise<void> {
  // Never --encoding: that names the contact list's encoding, and each list has its own.
  const csv = await openCsv(path, { encoding, headerLine });
  const columns = csv.header.filter((h) => phoneColumnRank(h) > 0);
  // A country column reads each national number in its own country, as in the contact list.
  const countryColumn = csv.header.find(isCountryColumn);
  for await (const row of csv.rows) {
    const cell = countryColumn ? (row.record[countryColumn] ?? '').trim() : '';
    const country = cell ? (parseCountry(cell) ?? cell) : undefined;
    for (const column of columns) addEntry(list, row.record[column], row.line, defaultCountry, country);
  }
}

function addEntry(list: SuppressionList, raw: string, line: number, defaultCountry: string | undefined, country?: string): void {
  const r = readEntry(raw, defaultCountry, country);
  if (r === null) return;
  if (r.ok) {
    list.numbers.add(r.e164);
    return;
  }
  list.ignored++;
  list.firstIgnoredLine ??= line;
  if (r.reason === 'needs-country') list.needCountry++;
  if (list.ignoredLines.length < IGNORED_LINES_KEPT && list.ignoredLines.at(-1) !== line) list.ignoredLines.push(line);
}

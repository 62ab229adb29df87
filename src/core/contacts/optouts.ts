import { createReadStream, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import { STATE_DIR } from '../history/history.js';
import { stateDirs } from '../history/state-dirs.js';
import { LineTail } from '../journal/tail.js';
import { phoneColumnRank } from './columns.js';
import { normalisePhone } from './phone.js';
import { openCsv } from './read.js';

/**
 * THE opt-out list: `.campaign/optouts.txt` (written by `campaign webhook`, and by hand) and the
 * `--suppress` files are read by the same parser, here, by lint, send (and its watcher during the
 * run), the report and the webhook's writer. Numbers may be in any human format (`+34 610 00 00
 * 50`, `0034 610…`, `(+34) 610-000-050`, national ones with the default country); `#` starts a
 * comment; blank lines, a BOM and CRLF are fine; a file whose first line names a phone column is
 * read as a CSV.
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
}

export interface SuppressionOptions {
  defaultCountry?: string;
  encoding?: string;
  /** `error` (a --suppress file the user named, the default) or `empty` (optouts.txt, not written yet). */
  missing?: 'error' | 'empty';
}

/** One line of a plain list: its E.164 number, false when it is no number, null when it is blank or a comment. */
export function parseOptOutLine(raw: string, defaultCountry?: string): string | false | null {
  const entry = stripComment(raw.replace(/^\uFEFF/, ''));
  if (entry === '') return null;
  const r = normalisePhone(entry, defaultCountry);
  return r.ok ? r.e164 : false;
}

/**
 * Reads an opt-out / do-not-contact list: one number a line (`#` comments, blank lines), or a
 * CSV with a recognisable phone column. Entries that are no number are ignored, never fatal.
 */
export async function readOptOutList(path: string, opts: SuppressionOptions = {}): Promise<SuppressionList> {
  const list: SuppressionList = { numbers: new Set(), ignored: 0 };
  const first = await firstMeaningfulLine(path, opts.missing === 'empty');
  if (first === undefined) return list;
  if (looksLikeCsvHeader(first)) await readCsvList(path, opts, list);
  else await readPlainList(path, opts, list);
  return list;
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
  return line.split(/[,;\t]/).some((cell) => phoneColumnRank(cell.replace(/"/g, '')) > 0);
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return (hash === -1 ? line : line.slice(0, hash)).trim();
}

async function firstMeaningfulLine(path: string, missingIsEmpty: boolean): Promise<string | undefined> {
  try {
    const st = await fsp.stat(path);
    if (st.isDirectory()) throw new InputError('The suppression list is a directory, not a file.', { file: path, hint: 'Pass the list file to --suppress.' });
  } catch (err) {
    if (err instanceof InputError) throw err;
    if (missingIsEmpty && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError('There is no such suppression list.', { file: path, hint: 'Check the path given to --suppress.', cause: err });
  }
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  try {
    for await (const raw of rl) {
      const line = raw.replace(/^\uFEFF/, '');
      if (stripComment(line) !== '') return line;
    }
  } finally {
    rl.close();
  }
  return undefined;
}

async function readPlainList(path: string, opts: SuppressionOptions, list: SuppressionList): Promise<void> {
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of rl) {
    line++;
    addEntry(list, raw, line, opts.defaultCountry);
  }
}

async function readCsvList(path: string, opts: SuppressionOptions, list: SuppressionList): Promise<void> {
  const csv = await openCsv(path, { encoding: opts.encoding });
  let column: string | undefined;
  let best = 0;
  for (const h of csv.header) {
    const r = phoneColumnRank(h);
    if (r > best) [column, best] = [h, r];
  }
  if (!column) {
    throw new InputError('The suppression list has no phone column.', { file: path, line: 1, hint: 'Name the column "phone", or give one number per line.' });
  }
  for await (const row of csv.rows) {
    addEntry(list, row.record[column], row.line, opts.defaultCountry);
  }
}

function addEntry(list: SuppressionList, raw: string, line: number, defaultCountry: string | undefined): void {
  const n = parseOptOutLine(raw, defaultCountry);
  if (n) list.numbers.add(n);
  else if (n === false) {
    list.ignored++;
    list.firstIgnoredLine ??= line;
  }
}

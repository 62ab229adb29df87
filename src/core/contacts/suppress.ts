import { createReadStream, promises as fsp } from 'node:fs';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import { phoneColumnRank } from './columns.js';
import { normalisePhone } from './phone.js';
import { openCsv } from './read.js';

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
}

/**
 * Reads an opt-out / do-not-contact list: one number a line (`#` comments, blank lines), or a
 * CSV with a recognisable phone column. Entries that are no number are ignored, never fatal.
 */
export async function readSuppressionList(path: string, opts: SuppressionOptions = {}): Promise<SuppressionList> {
  const first = await firstMeaningfulLine(path);
  const list: SuppressionList = { numbers: new Set(), ignored: 0 };
  if (first === undefined) return list;
  if (looksLikeCsvHeader(first)) await readCsvList(path, opts, list);
  else await readPlainList(path, opts, list);
  return list;
}

function looksLikeCsvHeader(line: string): boolean {
  return line.split(/[,;\t]/).some((cell) => phoneColumnRank(cell.replace(/"/g, '')) > 0);
}

function stripComment(line: string): string {
  const hash = line.indexOf('#');
  return (hash === -1 ? line : line.slice(0, hash)).trim();
}

async function firstMeaningfulLine(path: string): Promise<string | undefined> {
  try {
    const st = await fsp.stat(path);
    if (st.isDirectory()) throw new InputError('The suppression list is a directory, not a file.', { file: path, hint: 'Pass the list file to --suppress.' });
  } catch (err) {
    if (err instanceof InputError) throw err;
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
    const entry = stripComment(raw.replace(/^\uFEFF/, ''));
    if (entry === '') continue;
    addEntry(list, entry, line, opts.defaultCountry);
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
    const entry = row.record[column].trim();
    if (entry !== '') addEntry(list, entry, row.line, opts.defaultCountry);
  }
}

function addEntry(list: SuppressionList, entry: string, line: number, defaultCountry: string | undefined): void {
  const r = normalisePhone(entry, defaultCountry);
  if (r.ok) {
    list.numbers.add(r.e164);
    return;
  }
  list.ignored++;
  list.firstIgnoredLine ??= line;
}

import { createReadStream } from 'node:fs';
import { access } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InputError } from '../errors.js';
import type { JournalLine } from '../journal/format.js';

/** What the tolerant reader saw besides the lines it yields. */
export interface ReadStats {
  /** Lines that were not a JSON object (a torn last line after a crash, or damage). */
  unreadable: number;
}

/**
 * Reads a journal's JSON Lines, tolerantly: blank lines are skipped, and so is any line that is
 * not a JSON object with a string `type` (a torn last line after a crash is normal; damage in
 * the middle is counted in `stats.unreadable` rather than failing a report).
 */
export async function* readJournalLines(path: string, stats: ReadStats = { unreadable: 0 }): AsyncGenerator<JournalLine> {
  try {
    await access(path);
  } catch (err) {
    throw new InputError(`cannot read the journal: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}.`, {
      file: path,
      hint: 'Pass the journal written by `campaign send` (a .jsonl file).',
      cause: err,
    });
  }
  const rl = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      stats.unreadable++;
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
      stats.unreadable++;
      continue;
    }
    yield value as JournalLine;
  }
}

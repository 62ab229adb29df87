import { LineTail } from '../journal/tail.js';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { appendWholeLines } from './append.js';
import { stateDirs } from './state-dirs.js';

/**
 * Cross-campaign history: one line per recipient sent to, by any campaign, in `history.jsonl` of
 * each state directory the campaign sees (state-dirs.ts: the folder's `.campaign/` and the
 * user-level one). It answers --min-interval, --daily-limit and the repeat guard (repeat.ts).
 */
export const STATE_DIR = '.campaign';

/** The folder's own history file (the first of historyFiles()). */
export function historyPath(dir: string): string {
  return join(dir, STATE_DIR, 'history.jsonl');
}

/** The history files a campaign folder reads and writes: its own, then the user-level one. */
export function historyFiles(cwd: string, env: Record<string, string | undefined>): string[] {
  return stateDirs(cwd, env).map((dir) => join(dir, 'history.jsonl'));
}

/** One line of a history file. The fields after `campaign` are absent from lines written before the repeat guard. */
export interface HistoryEntry {
  to: string;
  at: string;
  campaign: string;
  /** The approved template's name (or `text:<hash>`) and language, and who sent it (repeat.ts). */
  template?: string;
  language?: string;
  sender?: string;
  journal?: string;
}

/**
 * Where history lives: the history files (the embedded default), or a shared store's history
 * (src/core/store/), chosen once by the store factory; every reader below takes either.
 */
export interface HistoryStore {
  read(take: (rec: HistoryEntry) => void, prefilter?: (line: string) => boolean): Promise<void>;
  record(entries: HistoryEntry[]): Promise<void>;
}
export type HistorySource = string[] | HistoryStore;

/** Appends sends to every history file (creating their directories), whole lines only. */
export async function recordSends(files: HistorySource, entries: HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  if (!Array.isArray(files)) return files.record(entries);
  const lines = entries.map((e) => JSON.stringify(e));
  for (const file of files) {
    // Several small writes rather than one huge one, so each stays a whole-lines unit.
    for (let i = 0; i < lines.length; i += 200) await appendWholeLines(file, lines.slice(i, i + 200), { mkdir: true });
  }
}

/** Calls `take` with each readable record of the files, in order; torn or unparsable lines are skipped. */
export async function readHistory(files: HistorySource, take: (rec: HistoryEntry) => void, prefilter?: (line: string) => boolean): Promise<void> {
  if (!Array.isArray(files)) return files.read(take, prefilter);
  for (const file of files) {
    await new LineTail(file).read((line) => {
      if (line.length < 2 || (prefilter && !prefilter(line))) return;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch {
        return;
      }
      if (!rec || typeof rec !== 'object') return;
      const r = rec as Partial<HistoryEntry>;
      if (typeof r.to !== 'string' || typeof r.at !== 'string') return;
      take(r as HistoryEntry);
    });
  }
}

/**
 * E.164 → time of the last send (ms since the epoch), over every campaign. Streams the files in
 * chunks; a missing file is an empty history.
 */
export async function loadHistory(files: HistorySource): Promise<Map<string, number>> {
  const last = new Map<string, number>();
  await readHistory(files, (rec) => {
    const t = Date.parse(rec.at);
    if (Number.isNaN(t)) return;
    const prev = last.get(rec.to);
    if (prev === undefined || t > prev) last.set(rec.to, t);
  });
  return last;
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `7d`, `12h`, `30m`, `45s`, `2w`, `1.5h` → milliseconds. Anything else is a usage error. */
export function parseDuration(value: string, flag = '--min-interval'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(value);
  if (!m) {
    throw new UsageError(`${flag} "${value}" is not a duration.`, {
      hint: 'Write a number and a unit, for example 7d, 12h or 30m.',
    });
  }
  return Math.round(Number(m[1]) * UNITS[m[2].toLowerCase()]);
}

/**
 * `--min-interval`: a lookup of when a recipient was last messaged by any campaign, answering
 * only for those messaged within the interval (undefined without the option).
 */
export async function loadRecentlyMessaged(files: HistorySource, minInterval: string | undefined): Promise<((to: string) => number | undefined) | undefined> {
  if (!minInterval) return undefined;
  const since = Date.now() - parseDuration(minInterval);
  const history = await loadHistory(files);
  if (history.size === 0) return () => undefined;
  return (to) => {
    const last = history.get(to);
    return last !== undefined && last >= since ? last : undefined;
  };
}

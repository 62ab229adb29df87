import { LineTail } from '../journal/tail.js';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { appendWholeLines } from './append.js';

/**
 * Cross-campaign state kept beside campaign.yaml, in the working directory's `.campaign/`:
 * - `history.jsonl`: one `{"to","at","campaign"}` line per recipient sent to, by any campaign;
 * - `optouts.txt`: the opt-out list, written by the webhook receiver (and by hand): contacts/optouts.ts.
 */
export const STATE_DIR = '.campaign';

export function historyPath(dir: string): string {
  return join(dir, STATE_DIR, 'history.jsonl');
}

export interface HistoryEntry {
  to: string;
  at: string;
  campaign: string;
}

/** Appends sends to `.campaign/history.jsonl` (creating the directory), one line each. */
export async function recordSends(dir: string, entries: HistoryEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const lines = entries.map((e) => JSON.stringify({ to: e.to, at: e.at, campaign: e.campaign }));
  // Several small writes rather than one huge one, so each stays a whole-lines unit.
  for (let i = 0; i < lines.length; i += 200) {
    await appendWholeLines(historyPath(dir), lines.slice(i, i + 200), { mkdir: true });
  }
}

/**
 * E.164 → time of the last send (ms since the epoch), over every campaign. Streams the file in
 * chunks; a torn or unparsable line is skipped. A missing file is an empty history.
 */
export async function loadHistory(dir: string): Promise<Map<string, number>> {
  const last = new Map<string, number>();
  const take = (line: string): void => {
    if (line.length < 2) return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      return;
    }
    if (!rec || typeof rec !== 'object') return;
    const { to, at } = rec as { to?: unknown; at?: unknown };
    if (typeof to !== 'string' || typeof at !== 'string') return;
    const t = Date.parse(at);
    if (Number.isNaN(t)) return;
    const prev = last.get(to);
    if (prev === undefined || t > prev) last.set(to, t);
  };
  await new LineTail(historyPath(dir)).read((line) => take(line));
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
export async function loadRecentlyMessaged(dir: string, minInterval: string | undefined): Promise<((to: string) => number | undefined) | undefined> {
  if (!minInterval) return undefined;
  const since = Date.now() - parseDuration(minInterval);
  const history = await loadHistory(dir);
  return (to) => {
    const last = history.get(to);
    return last !== undefined && last >= since ? last : undefined;
  };
}

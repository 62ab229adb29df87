export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * `--daily-limit N`: distinct recipients messaged in any rolling 24 h, counted across runs.
 * Earlier runs come from the journal and the folder's history (send.ts recentRecipients: sent or
 * uncertain recipients, time of their last attempt); this run adds one entry per recipient it starts.
 */
export class DailyCounter {
  /** Ascending ms timestamps. */
  private times: number[];

  constructor(prior: Iterable<number | Date> = []) {
    this.times = Array.from(prior, (t) => (typeof t === 'number' ? t : t.getTime())).sort((a, b) => a - b);
  }

  add(at: number): void {
    let i = this.times.length;
    while (i > 0 && this.times[i - 1] > at) i--;
    this.times.splice(i, 0, at);
  }

  /** Entries inside (now - 24 h, now]. */
  count(now: number): number {
    const from = now - DAY_MS;
    // Drop what can never count again.
    let drop = 0;
    while (drop < this.times.length && this.times[drop] <= from) drop++;
    if (drop > 0) this.times.splice(0, drop);
    return this.times.length;
  }

  /** When the count falls below `limit` again (now if it already is). */
  freeAt(now: number, limit: number): number {
    const n = this.count(now);
    if (n < limit) return now;
    // The (n - limit + 1)-th oldest entry must leave the window.
    return this.times[n - limit] + DAY_MS + 1;
  }
}

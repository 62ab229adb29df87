import { readOptOutList } from '../contacts/optouts.js';
import { InputError } from '../errors.js';
import type { HealthEvent, JournalEvent, JournalHeader, JournalLine } from '../journal/format.js';
import { streamJournal } from '../journal/reader.js';
import { countJournal, JournalReducer } from '../journal/state.js';
import { lookupCode } from '../providers/index.js';
import { healthJson } from '../campaign/health.js';
import { WaveLog } from '../campaign/ramp.js';
import { countWave } from '../campaign/watch.js';

/** One row of the failures table: recipients whose final outcome is this failure code. */
export interface FailureGroup {
  code: string;
  count: number;
  /** One line: what the code means. */
  meaning: string;
  /** One line: what to do about it. */
  action: string;
}

/** Outcomes per minute (UTC, `minute` is the ISO start of the minute); only minutes with activity. */
export interface TimelinePoint {
  minute: string;
  sent: number;
  failed: number;
}

/**
 * The contract's report (`campaign report --json`): the first ten keys are fixed; the rest are
 * extras for people and for the HTML page.
 *
 * Counting rules, per distinct recipient (E.164 `to`), shared with `campaign status`: the state
 * of each comes from the journal's one reduction (journal/state.ts `settle`, where late
 * callbacks are defined) and the counts from its `countJournal`. In short:
 * - selected: every recipient the journal has an attempt, outcome, status or opt-out for, minus
 *   those only ever `skipped` for a filter reason and those skipped before sending; if the
 *   header's options carry `selected` (how many the plan selected), the larger of the two.
 * - sent: the provider accepted the message and did not report it undeliverable later.
 * - delivered / read: a status callback reached `delivered` (or `read`) / `read`; a `failed`
 *   callback after that does not undo it.
 * - failed: the final outcome is a failure (`failed_retryable` counts those `resume` retries),
 *   including a message accepted and then reported undeliverable (then it is not in `sent`).
 * - uncertain: the last attempt has no outcome and no callback arrived.
 * - skipped: the final outcome is `skipped` (filtered recipients are not counted at all).
 * - opted_out: an `optout` event, an opt-out error code (131050, 21610, 63014), a skip for an
 *   opt-out, or the number is in the opt-outs file.
 * - pending: selected recipients with none of the outcomes above (not reached yet).
 * - failures: recipients in `failed`, grouped by their final error code, most frequent first.
 * - halt: the reason of the last halt not followed by a `resume`, else null. A pause (daily
 *   limit, send window) is not a halt: it is in `paused`.
 */
export interface Report {
  selected: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  uncertain: number;
  skipped: number;
  opted_out: number;
  failures: FailureGroup[];
  halt: string | null;
  campaign: string | null;
  provider: string | null;
  /** Header time, or the first event's. */
  started: string | null;
  /** The last event's time. */
  ended: string | null;
  /** IANA time zone from the send options (`--tz`), for showing times; null means UTC. */
  tz: string | null;
  /** The approved header the messages carried: its kind and URL or file name (null: none). */
  header: { kind: string; media?: string } | null;
  pending: number;
  failed_retryable: number;
  halt_code: string | null;
  /** Halts for the account's safety, resumed from or not (pauses are not halts). */
  halts: { at: string; reason: string; code?: string }[];
  /** The send stopped on its own schedule (--daily-limit, --window) and is resumable from `until`; `halt` stays null. */
  paused: { reason: string; until: string | null } | null;
  skip_reasons: { reason: string; count: number }[];
  timeline: TimelinePoint[];
  /** Canary waves (`--ramp`), in order: their figures now, and the verdict the send gave (null: not judged, e.g. the last wave). */
  waves: ReportWave[];
  /** What the sender's health read said before the last run (the journal's latest `health` event, without its type); null: none recorded. */
  health: Omit<HealthEvent, 'type'> | null;
  /** Unparseable journal lines that were ignored (a torn last line after a crash is normal). */
  unreadable_lines: number;
}

export interface ReportWave {
  n: number;
  /** Recipients the wave messaged. */
  size: number;
  started: string | null;
  judged: string | null;
  verdict: string | null;
  /** Counted now, over the wave's recipients, as the send's judge counts them. */
  delivered: number;
  failed: number;
  opted_out: number;
  detail: string | null;
}

export interface ReportOptions {
  /** Opt-outs list (`.campaign/optouts.txt`, any format lint reads); a missing file is fine. */
  optoutsFile?: string;
  /** The opt-outs already read (from the shared store): used instead of `optoutsFile`. */
  optouts?: ReadonlySet<string>;
  /** For national numbers in that list. */
  defaultCountry?: string;
}

/** Builds the report from a journal file, read leniently: damaged lines are counted, not fatal. */
export async function buildReport(journalPath: string, opts: ReportOptions = {}): Promise<Report> {
  const optouts = opts.optouts ?? (opts.optoutsFile ? (await readOptOutList(opts.optoutsFile, { defaultCountry: opts.defaultCountry, missing: 'empty' })).numbers : undefined);
  const view = new ReportView();
  const read = await streamJournal(journalPath, (e) => view.add(e), { lenient: true });
  if (read.header === null && view.reducer.recipients.size === 0 && read.unreadable > 0) {
    throw new InputError('this is not a campaign journal: no line could be read as a journal event.', {
      file: journalPath,
      hint: 'Pass the .jsonl journal written by `campaign send`.',
    });
  }
  const report = view.report(read.header, optouts);
  report.unreadable_lines = read.unreadable;
  return report;
}

/** The report over journal lines from anywhere (tests, the sample journal). */
export async function reduceReport(
  lines: AsyncIterable<JournalLine> | Iterable<JournalLine>,
  opts: { optouts?: ReadonlySet<string> } = {},
): Promise<Report> {
  const view = new ReportView();
  let header: JournalHeader | null = null;
  for await (const line of lines) {
    if (line.type === 'header') header ??= line;
    else view.add(line);
  }
  return view.report(header, opts.optouts);
}

/** The journal's one reduction (journal/state.ts), plus what only the report shows: sends per minute. */
class ReportView {
  readonly reducer = new JournalReducer();
  private readonly perMinute = new Map<number, { sent: number; failed: number }>();
  private readonly waves = new WaveLog('all');
  private health: HealthEvent | null = null;

  add(e: JournalEvent): void {
    this.reducer.add(e);
    this.waves.add(e);
    if (e.type === 'health') this.health = e;
    if (e.type === 'sent' || e.type === 'failed') {
      const ms = Date.parse(e.at);
      if (!Number.isFinite(ms)) return;
      const minute = Math.floor(ms / 60_000) * 60_000;
      const slot = this.perMinute.get(minute) ?? { sent: 0, failed: 0 };
      slot[e.type]++;
      this.perMinute.set(minute, slot);
    }
  }

  report(header: JournalHeader | null, optouts?: ReadonlySet<string>): Report {
    const red = this.reducer;
    const c = countJournal(red, header, optouts);
    const provider = header?.provider ?? null;
    const failures: FailureGroup[] = [...c.failuresByCode.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([code, count]) => describe(code, count, provider));
    const halt = red.standingHalt();
    const pause = red.standingPause();
    const tzOption = (header?.options as Record<string, unknown> | undefined)?.tz;
    return {
      selected: c.selected,
      sent: c.sent,
      delivered: c.delivered,
      read: c.read,
      failed: c.failed,
      uncertain: c.uncertain,
      skipped: c.skipped,
      opted_out: c.optedOut,
      failures,
      halt: halt?.reason ?? null,
      campaign: header?.campaign ?? null,
      provider,
      started: header?.at ?? red.firstAt ?? null,
      ended: red.lastAt ?? null,
      tz: typeof tzOption === 'string' && validZone(tzOption) ? tzOption : null,
      header: headerOf(header?.options),
      pending: c.pending,
      failed_retryable: c.failedRetryable,
      halt_code: halt?.code === undefined ? null : String(halt.code),
      halts: red.halts.map((h) => ({ at: h.at, reason: h.reason, ...(h.code !== undefined ? { code: String(h.code) } : {}) })),
      paused: pause ? { reason: pause.reason, until: pause.until ?? null } : null,
      skip_reasons: [...c.skipReasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
      timeline: [...this.perMinute.entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([ms, v]) => ({ minute: new Date(ms).toISOString(), sent: v.sent, failed: v.failed })),
      waves: this.waveRows(optouts),
      health: this.health ? healthJson(this.health) : null,
      unreadable_lines: 0,
    };
  }

  private waveRows(optouts?: ReadonlySet<string>): ReportWave[] {
    const members = new Map<number, string[]>();
    for (const [to, n] of this.waves.waveOf) {
      const list = members.get(n) ?? [];
      list.push(to);
      members.set(n, list);
    }
    return this.waves.waves.map((w) => {
      const f = countWave(members.get(w.n) ?? [], (to) => this.reducer.recipients.get(to), (to) => optouts?.has(to) ?? false);
      return {
        n: w.n, size: f.size, started: w.started ?? null, judged: w.judged ?? null, verdict: w.verdict ?? null,
        delivered: f.delivered, failed: f.failed, opted_out: f.optedOut, detail: w.detail ?? null,
      };
    });
  }
}

function codeOf(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'unknown';
  return String(value).trim();
}

function describe(code: string, count: number, provider: string | null): FailureGroup {
  const known = lookupCode(code, provider ?? undefined);
  return {
    code,
    count,
    meaning: known?.meaning ?? (code === 'unknown' ? 'The provider gave no error code.' : 'Code not in the built-in table.'),
    action: known?.action ?? "Look the code up in the provider's error documentation.",
  };
}

function headerOf(options: Record<string, unknown> | undefined): Report['header'] {
  const h = options?.header as { kind?: unknown; media?: unknown } | undefined;
  if (!h || typeof h.kind !== 'string') return null;
  return { kind: h.kind, ...(typeof h.media === 'string' ? { media: h.media } : {}) };
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

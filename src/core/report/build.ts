import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { JournalHeader, JournalLine } from '../journal/format.js';
import { lookupCode, OPT_OUT_CODES } from '../providers/index.js';
import { readJournalLines, type ReadStats } from './read.js';

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
 * Counting rules, per distinct recipient (E.164 `to`):
 * - selected: every recipient the journal has an attempt, outcome, status or opt-out for, minus
 *   those only ever `skipped` for a filter reason; if the header's options carry `selected`
 *   (how many the plan selected), the larger of the two.
 * - sent: the provider accepted the message (a `sent` event, or a `sent`/`delivered`/`read` status).
 * - delivered / read: a status callback reached `delivered` (or `read`) / `read`.
 * - failed: the final outcome is a failure: a `failed` event after the last attempt (permanent or
 *   not; `failed_retryable` counts the latter, which `resume` retries), or a `failed` status with
 *   no later delivery. A recipient accepted and then failed at delivery is in both sent and failed.
 * - uncertain: the last attempt has no outcome and no status arrived.
 * - skipped: the final outcome is `skipped` (filtered recipients are not counted at all).
 * - opted_out: an `optout` event, an opt-out error code (131050, 21610, 63014), a skip for an
 *   opt-out, or the number is in the opt-outs file.
 * - pending: selected recipients with none of the outcomes above (not reached yet).
 * - failures: recipients in `failed`, grouped by their final error code, most frequent first.
 * - halt: the reason of the last halt not followed by a `resume`, else null.
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
  pending: number;
  failed_retryable: number;
  halt_code: string | null;
  halts: { at: string; reason: string; code?: string }[];
  skip_reasons: { reason: string; count: number }[];
  timeline: TimelinePoint[];
  /** Unparseable journal lines that were ignored (a torn last line after a crash is normal). */
  unreadable_lines: number;
}

export interface ReportOptions {
  /** Opt-outs list (one E.164 number a line), e.g. `.campaign/optouts.txt`; a missing file is fine. */
  optoutsFile?: string;
}

interface Recipient {
  open: boolean;
  outcome: null | 'sent' | 'failed' | 'failed-retryable' | 'skipped';
  code?: string;
  skipReason?: string;
  filtered: boolean;
  active: boolean;
  statuses: Set<string>;
  statusCode?: string;
  optout: boolean;
  codes: Set<string>;
}

const FILTER_REASON = /^filter|filtered/i;
const OPTOUT_REASON = /opt[-_ ]?out|unsubscrib/i;

/** Builds the report from a journal file (tolerant of a torn last line). */
export async function buildReport(journalPath: string, opts: ReportOptions = {}): Promise<Report> {
  const stats: ReadStats = { unreadable: 0 };
  const optouts = opts.optoutsFile ? await readOptouts(opts.optoutsFile) : new Set<string>();
  const report = await reduceReport(readJournalLines(journalPath, stats), { ...opts, optouts });
  report.unreadable_lines = stats.unreadable;
  if (report.campaign === null && report.selected === 0 && stats.unreadable > 0) {
    throw new InputError('this is not a campaign journal: no line could be read as a journal event.', {
      file: journalPath,
      hint: 'Pass the .jsonl journal written by `campaign send`.',
    });
  }
  return report;
}

/** The reducer behind `buildReport`, over journal lines from anywhere. */
export async function reduceReport(
  lines: AsyncIterable<JournalLine> | Iterable<JournalLine>,
  opts: ReportOptions & { optouts?: ReadonlySet<string> } = {},
): Promise<Report> {
  let header: JournalHeader | null = null;
  let first: string | null = null;
  let last: string | null = null;
  let halt: { reason: string; code?: string } | null = null;
  const halts: Report['halts'] = [];
  const people = new Map<string, Recipient>();
  const perMinute = new Map<number, { sent: number; failed: number }>();

  const person = (to: string): Recipient => {
    let r = people.get(to);
    if (!r) {
      r = { open: false, outcome: null, filtered: false, active: false, statuses: new Set(), optout: false, codes: new Set() };
      people.set(to, r);
    }
    return r;
  };
  const tick = (at: unknown, key: 'sent' | 'failed') => {
    const ms = typeof at === 'string' ? Date.parse(at) : NaN;
    if (!Number.isFinite(ms)) return;
    const minute = Math.floor(ms / 60_000) * 60_000;
    const slot = perMinute.get(minute) ?? { sent: 0, failed: 0 };
    slot[key]++;
    perMinute.set(minute, slot);
  };

  for await (const line of lines) {
    const ev = line as JournalLine & Record<string, unknown>;
    if (ev.type === 'header') {
      header ??= ev as JournalHeader;
      continue;
    }
    const at = typeof ev.at === 'string' ? ev.at : null;
    if (at) {
      first ??= at;
      if (last === null || at > last) last = at;
    }
    if (ev.type === 'halt') {
      halt = { reason: String(ev.reason ?? 'halted'), code: ev.code === undefined ? undefined : String(ev.code) };
      halts.push({ at: at ?? '', reason: halt.reason, ...(halt.code ? { code: halt.code } : {}) });
      continue;
    }
    if (ev.type === 'resume') {
      halt = null;
      continue;
    }
    if (typeof ev.to !== 'string' || ev.to === '') continue;
    const r = person(ev.to);
    switch (ev.type) {
      case 'attempt':
        r.active = true;
        r.open = true;
        break;
      case 'sent':
        r.active = true;
        r.open = false;
        r.outcome = 'sent';
        tick(ev.at, 'sent');
        break;
      case 'failed': {
        r.active = true;
        r.open = false;
        const code = codeOf(ev.code);
        r.codes.add(code);
        if (r.outcome !== 'sent') {
          r.outcome = ev.permanent === false ? 'failed-retryable' : 'failed';
          r.code = code;
        }
        tick(ev.at, 'failed');
        break;
      }
      case 'skipped': {
        const reason = String(ev.reason ?? 'skipped');
        if (FILTER_REASON.test(reason) && !r.active) {
          r.filtered = true;
          break;
        }
        r.active = true;
        // A skip never undoes a known outcome, and an attempt without outcome stays uncertain.
        if (!r.open && (r.outcome === null || r.outcome === 'failed-retryable' || r.outcome === 'skipped')) {
          r.outcome = 'skipped';
          r.skipReason = reason;
        }
        if (OPTOUT_REASON.test(reason)) r.optout = true;
        break;
      }
      case 'status': {
        r.active = true;
        const status = String(ev.status ?? '');
        r.statuses.add(status);
        if (status === 'failed') {
          const code = codeOf(ev.code);
          r.statusCode = code;
          r.codes.add(code);
        }
        break;
      }
      case 'optout':
        r.active = true;
        r.optout = true;
        break;
      default:
        break;
    }
  }

  const optouts = opts.optouts ?? new Set<string>();
  const provider = header?.provider ?? null;
  const counts = { selected: 0, sent: 0, delivered: 0, read: 0, failed: 0, uncertain: 0, skipped: 0, opted_out: 0, pending: 0, failed_retryable: 0 };
  const byCode = new Map<string, number>();
  const skipReasons = new Map<string, number>();

  for (const [to, r] of people) {
    if (!r.active) continue;
    counts.selected++;
    const read = r.statuses.has('read');
    const delivered = read || r.statuses.has('delivered');
    const sent = delivered || r.outcome === 'sent' || r.statuses.has('sent');
    if (sent) counts.sent++;
    if (delivered) counts.delivered++;
    if (read) counts.read++;

    let failCode: string | null = null;
    if (r.statuses.has('failed') && !delivered) failCode = r.statusCode ?? 'unknown';
    else if (!r.open && !sent && (r.outcome === 'failed' || r.outcome === 'failed-retryable')) {
      failCode = r.code ?? 'unknown';
      if (r.outcome === 'failed-retryable') counts.failed_retryable++;
    }
    if (failCode !== null) {
      counts.failed++;
      byCode.set(failCode, (byCode.get(failCode) ?? 0) + 1);
    } else if (r.open && r.statuses.size === 0 && !sent) {
      counts.uncertain++;
    } else if (!sent && r.outcome === 'skipped') {
      // Rows lint skipped were never selected: the funnel starts at the recipients the send chose.
      // Someone who opted out while the send ran was selected, then skipped.
      if (r.skipReason !== 'opted-out') counts.selected--;
      counts.skipped++;
      const reason = r.skipReason ?? 'skipped';
      skipReasons.set(reason, (skipReasons.get(reason) ?? 0) + 1);
    } else if (!sent) {
      counts.pending++;
    }

    if (r.optout || [...r.codes].some((c) => OPT_OUT_CODES.has(c)) || optouts.has(normalise(to))) counts.opted_out++;
  }

  const planned = Number((header?.options as Record<string, unknown> | undefined)?.selected);
  if (Number.isInteger(planned) && planned > counts.selected) {
    counts.pending += planned - counts.selected;
    counts.selected = planned;
  }

  const failures: FailureGroup[] = [...byCode.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, count]) => describe(code, count, provider));

  const tzOption = (header?.options as Record<string, unknown> | undefined)?.tz;
  return {
    selected: counts.selected,
    sent: counts.sent,
    delivered: counts.delivered,
    read: counts.read,
    failed: counts.failed,
    uncertain: counts.uncertain,
    skipped: counts.skipped,
    opted_out: counts.opted_out,
    failures,
    halt: halt?.reason ?? null,
    campaign: header?.campaign ?? null,
    provider,
    started: header?.at ?? first,
    ended: last,
    tz: typeof tzOption === 'string' && validZone(tzOption) ? tzOption : null,
    pending: counts.pending,
    failed_retryable: counts.failed_retryable,
    halt_code: halt?.code ?? null,
    halts,
    skip_reasons: [...skipReasons.entries()].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
    timeline: [...perMinute.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([ms, v]) => ({ minute: new Date(ms).toISOString(), sent: v.sent, failed: v.failed })),
    unreadable_lines: 0,
  };
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

/** E.164-ish key: `+` and digits only. */
function normalise(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return digits === '' ? '' : `+${digits}`;
}

async function readOptouts(path: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Set();
    throw new InputError(`cannot read the opt-outs list: ${(err as Error).message}`, { file: path, cause: err });
  }
  const set = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\uFEFF/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const n = normalise(line.split(/[,;\t]/)[0] ?? '');
    if (n.length > 4) set.add(n);
  }
  return set;
}

function validZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

import { OPT_OUT_CODES } from '../providers/opt-out-codes.js';
import { blank, RecipientTable } from './table.js';
import { asPause, type HaltEvent, type JournalEvent, type JournalHeader, type PauseEvent, type RecipientState } from './format.js';

/** How far callbacks say a message got (a `status` event's `status`, failed aside). */
const REACH: Record<string, number> = { sent: 1, delivered: 2, read: 3 };
export const REACHED_DELIVERED = 2;
export const REACHED_READ = 3;

const FILTER_REASON = /^filter|filtered/i;
const OPTOUT_REASON = /opt(?:ed)?[-_ ]?out|unsubscrib/i;

export interface RecipientRecord {
  /** The settled state (see `settle`), kept current by every event. */
  state: RecipientState;
  /** attempt lines for this recipient (each retry writes one). */
  attempts: number;
  /** Final failure code, when the state is failed / failed-retryable. */
  lastCode?: string;
  /** Opted out: an `optout` event, an opt-out error code, or a skip for an opt-out. */
  optedOut?: boolean;
  /** ms since epoch of the last attempt (or `sent` when there was no attempt line). */
  lastAttemptAt?: number;
  /** ms since epoch of the latest event about this recipient (its `at`s that are times). */
  lastAtMs?: number;
  /** The send's own outcome of its last attempt (null: none yet). */
  outcome: null | 'sent' | 'failed' | 'failed-retryable' | 'skipped';
  /** An attempt with no outcome of the send's own after it. */
  open: boolean;
  /** The furthest status callback: 0 none, 1 sent, 2 delivered, 3 read. */
  reach: number;
  /** A `failed` status callback arrived (with `callbackCode`). */
  callbackFailed: boolean;
  callbackCode?: string;
  /** Code of the send's own `failed` outcome. */
  failCode?: string;
  skipReason?: string;
  /** Only ever skipped by a --where filter: not part of the campaign at all. */
  filtered: boolean;
}

/** What planning reads of a recipient: the verdict (state, opted out), a ramp (attempts), --daily-limit (last attempt). */
export type PlanState = Pick<RecipientRecord, 'state' | 'optedOut' | 'attempts' | 'lastAttemptAt'>;

/**
 * The reduced states as planning looks them up: the reduction's table (journal/table.ts), read
 * here or moved from a worker thread.
 */
export interface RecipientStates {
  readonly size: number;
  /** What planning reads of one recipient (a lookup per row of the list). */
  plan(to: string): PlanState | undefined;
  /** Every recipient (order unspecified). */
  entries(): Iterable<[string, PlanState]>;
}

/**
 * What a recipient's events mean, in ONE place (status, report, resume, the webhook's index and
 * the send's feedback watcher all read the state from here). Callbacks may arrive late, twice or
 * out of order, so the state depends on what was seen, not on the order:
 *
 * | seen                                               | state                              |
 * |----------------------------------------------------|------------------------------------|
 * | a `delivered` or `read` status                     | sent (delivered; `read` implies it), whatever failed before or after |
 * | else a `failed` status (after `sent`, or settling an attempt never answered) | failed (permanent: resume does not send again) |
 * | else a `sent` status                               | sent (settles an uncertain attempt) |
 * | else an attempt with no outcome after it           | uncertain                          |
 * | else the send's own outcome                        | sent / failed / failed-retryable / skipped |
 * | nothing of the above                               | pending                            |
 *
 * Counting (status and report alike): each recipient is in exactly one of sent, failed,
 * uncertain, skipped and pending, so someone accepted and then reported undeliverable is failed,
 * not sent; delivered ⊆ sent and read ⊆ delivered.
 */
export function settle(r: RecipientRecord): void {
  if (r.reach >= REACHED_DELIVERED) {
    r.state = 'sent';
    r.lastCode = undefined;
  } else if (r.callbackFailed) {
    r.state = 'failed';
    r.lastCode = r.callbackCode ?? r.failCode ?? 'unknown';
  } else if (r.reach > 0) {
    r.state = 'sent';
    r.lastCode = undefined;
  } else if (r.open) {
    r.state = 'uncertain';
    r.lastCode = undefined;
  } else if (r.outcome === null) {
    r.state = 'pending';
  } else {
    r.state = r.outcome;
    r.lastCode = r.outcome === 'failed' || r.outcome === 'failed-retryable' ? (r.failCode ?? 'unknown') : undefined;
  }
}

/** `YYYY-MM-DDTHH:MM:SS` with an hour below 24 (24:00:00.000 is valid ISO, 24:00:00.001 is not). */
const ISO_SECOND = /^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):\d\d:\d\d$/;

/**
 * Date.parse for the journal's `at`, faster: the send writes `toISOString()`, and a burst of lines
 * shares its second, so only the milliseconds are new. Within a valid second Date.parse is that
 * second plus the milliseconds; any other text goes to Date.parse itself.
 */
export class IsoTimes {
  private second = '';
  private secondMs = NaN;

  parse(at: unknown): number {
    // A hand-edited `at` that is no string: what Date.parse reads in it (NaN for most), not a TypeError.
    if (typeof at !== 'string') return Date.parse(String(at));
    if (at.length !== 24 || at.charCodeAt(19) !== 0x2e || at.charCodeAt(23) !== 0x5a) return Date.parse(at);
    const d0 = at.charCodeAt(20) - 0x30;
    const d1 = at.charCodeAt(21) - 0x30;
    const d2 = at.charCodeAt(22) - 0x30;
    if (!(d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return Date.parse(at);
    // indexOf, not startsWith: V8's startsWith on a slice of a read chunk is several times slower.
    if (this.second === '' || at.indexOf(this.second) !== 0) {
      const second = at.slice(0, 19);
      if (!ISO_SECOND.test(second)) return Date.parse(at);
      this.second = second;
      this.secondMs = Date.parse(`${second}.000Z`);
    }
    return this.secondMs + d0 * 100 + d1 * 10 + d2;
  }
}

/** A skip folded into its recipient's record. */
function skipped(r: RecipientRecord, reason: string): void {
  if (OPTOUT_REASON.test(reason)) r.optedOut = true;
  if (FILTER_REASON.test(reason) && r.outcome === null && !r.open && r.reach === 0 && !r.callbackFailed) {
    r.filtered = true;
    return;
  }
  r.filtered = false;
  // A skip never undoes a known outcome, and an attempt without outcome stays uncertain.
  if (!r.open && (r.outcome === null || r.outcome === 'failed-retryable' || r.outcome === 'skipped')) {
    r.outcome = 'skipped';
    r.skipReason = reason;
  }
}

function codeOf(value: unknown): string {
  if (value === undefined || value === null || value === '') return 'unknown';
  return String(value).trim();
}

/**
 * About how many recipients a journal of `bytes` holds, for sizing the reduction's table: a sent
 * recipient takes an attempt and a `sent` line (~170 bytes), so this is near the count for a
 * journal of sends and above it for one with status callbacks; a journal of skips alone (~110
 * bytes each) grows the table once more.
 */
export function expectedRecipients(bytes: number): number {
  return Math.floor(bytes / 170);
}

/** Folds events one at a time, so a million-line journal never needs its events held in memory. */
export class JournalReducer {
  /** The recipients' records, packed by number (table.ts). */
  readonly recipients: RecipientTable;
  /** Halts for the account's safety (pauses are apart). */
  readonly halts: HaltEvent[] = [];
  readonly pauses: PauseEvent[] = [];
  /** `at` of the last `resume` event: a halt or pause before it no longer stands. */
  lastResumeAt?: string;
  attempts = 0;
  firstAt?: string;
  /** The latest `at` of the lines read as text, and (addOwn) the latest of those read by bytes, as ms. */
  private lastAtText?: string;
  private lastOwnMs = -Infinity;
  private readonly times = new IsoTimes();
  /** The record an event is folded into: loaded from the table, stored back (no object per recipient). */
  private readonly scratch = blank();

  /** `expectedRecipients`: the table's size up front (expectedRecipients()), or none. */
  constructor(expectedRecipients = 0) {
    this.recipients = new RecipientTable(undefined, expectedRecipients);
  }

  add(e: JournalEvent): void {
    // The health read is about the sender, not a recipient, nor the campaign's timeline.
    if (e.type === 'health') return;
    const at = typeof e.at === 'string' ? e.at : undefined;
    if (at !== undefined) this.timeline(at);
    switch (e.type) {
      case 'halt': {
        const pause = asPause(e);
        if (pause) this.pauses.push(pause);
        else this.halts.push(e);
        return;
      }
      case 'pause':
        this.pauses.push(e);
        return;
      case 'resume':
        this.lastResumeAt = e.at;
        return;
      default:
        break;
    }
    const to = (e as { to?: unknown }).to;
    if (typeof to !== 'string' || to === '') return;
    this.fold(this.recipients.slot(to), e, at);
  }

  /** The latest `at` of every event (as text: a hand-edited one may be no time at all). */
  get lastAt(): string | undefined {
    if (this.lastOwnMs === -Infinity) return this.lastAtText;
    // addOwn's times are canonical toISOString() texts, so this is the very text of that line.
    const own = new Date(this.lastOwnMs).toISOString();
    return this.lastAtText === undefined || own > this.lastAtText ? own : this.lastAtText;
  }

  private timeline(at: string): void {
    if (this.firstAt === undefined) this.firstAt = at;
    if (this.lastAtText === undefined || at > this.lastAtText) this.lastAtText = at;
  }

  /**
   * An `attempt` (kind 1), `sent` (2) or `skipped` (3, with its reason) line of the send's own
   * shape read from its bytes (reader.ts parseOwnBytes), as `add` would fold it: recipient i of
   * the table, its `at` as ms, whose toISOString() is the line's text.
   */
  addOwn(kind: 1 | 2 | 3, i: number, ms: number, reason = ''): void {
    if (this.firstAt === undefined) this.firstAt = new Date(ms).toISOString();
    if (ms > this.lastOwnMs) this.lastOwnMs = ms;
    const r = this.recipients.load(i, this.scratch);
    if (r.lastAtMs === undefined || ms > r.lastAtMs) r.lastAtMs = ms;
    if (kind === 1) this.attempted(r, ms);
    else if (kind === 2) this.sentOk(r, ms);
    else skipped(r, reason);
    settle(r);
    this.recipients.store(i, r);
  }

  private attempted(r: RecipientRecord, ms: number): void {
    r.open = true;
    r.filtered = false;
    r.attempts++;
    this.attempts++;
    r.lastAttemptAt = ms;
  }

  private sentOk(r: RecipientRecord, ms: number): void {
    r.open = false;
    r.filtered = false;
    r.outcome = 'sent';
    if (r.lastAttemptAt === undefined) r.lastAttemptAt = ms;
  }

  /** Folds event `e` (its `at` if a string) into recipient i's record. */
  private fold(i: number, e: JournalEvent, at: string | undefined): void {
    const r = this.recipients.load(i, this.scratch);
    const ms = at === undefined ? undefined : this.times.parse(at);
    if (ms !== undefined && !Number.isNaN(ms) && (r.lastAtMs === undefined || ms > r.lastAtMs)) r.lastAtMs = ms;
    switch (e.type) {
      case 'attempt':
        this.attempted(r, ms ?? this.times.parse(e.at));
        break;
      case 'sent':
        this.sentOk(r, ms ?? this.times.parse(e.at));
        break;
      case 'failed': {
        r.open = false;
        r.filtered = false;
        const code = codeOf(e.code);
        if (OPT_OUT_CODES.has(code)) r.optedOut = true;
        // The send's own failure never undoes its own earlier acceptance.
        if (r.outcome !== 'sent') {
          r.outcome = e.permanent === false ? 'failed-retryable' : 'failed';
          r.failCode = code;
        }
        break;
      }
      case 'skipped':
        skipped(r, String(e.reason ?? 'skipped'));
        break;
      case 'status': {
        r.filtered = false;
        if (e.status === 'failed') {
          r.callbackFailed = true;
          r.callbackCode = codeOf(e.code);
          if (OPT_OUT_CODES.has(r.callbackCode)) r.optedOut = true;
        } else {
          r.reach = Math.max(r.reach, REACH[e.status] ?? 0);
        }
        break;
      }
      case 'optout':
        r.filtered = false;
        r.optedOut = true;
        break;
      default:
        break;
    }
    settle(r);
    this.recipients.store(i, r);
  }

  /** The last halt, unless a later run resumed from it (then it is history, not the campaign's state). */
  standingHalt(): HaltEvent | undefined {
    return standing(this.halts, this.lastResumeAt);
  }

  /** The last pause (daily limit, send window), unless a later run resumed from it. */
  standingPause(): PauseEvent | undefined {
    return standing(this.pauses, this.lastResumeAt);
  }
}

function standing<T extends { at: string }>(list: T[], lastResumeAt: string | undefined): T | undefined {
  const last = list.at(-1);
  return last && !(lastResumeAt && lastResumeAt > last.at) ? last : undefined;
}

/** Per-recipient state (see the contract's resume rules): attempt without outcome → uncertain. */
export function reduceJournal(events: Iterable<JournalEvent>): RecipientTable {
  const r = new JournalReducer();
  for (const e of events) r.add(e);
  return r.recipients;
}

/** The counts `campaign status` and `campaign report` share: one computation, so they agree. */
export interface JournalCounts {
  /** Recipients the send chose: reached ones (not skipped before sending), or the plan's number if larger. */
  selected: number;
  sent: number;
  delivered: number;
  read: number;
  /** Failed, permanently or not. */
  failed: number;
  /** Failed for now (deferred, retries exhausted): resume sends again. */
  failedRetryable: number;
  uncertain: number;
  skipped: number;
  optedOut: number;
  /** Selected recipients with no outcome yet (not reached, or only an opt-out line). */
  pending: number;
  /** Final failure codes of failed recipients. */
  failuresByCode: Map<string, number>;
  skipReasons: Map<string, number>;
}

/**
 * Counts the reduced journal. Recipients only ever skipped by a filter are not counted at all;
 * skipped rows are not selected (lint skipped them before sending) except someone who opted out
 * while the send ran. `optOutList` adds the numbers of `.campaign/optouts.txt` to `optedOut`.
 */
export function countJournal(red: JournalReducer, header: JournalHeader | null, optOutList?: ReadonlySet<string>): JournalCounts {
  const c: JournalCounts = {
    selected: 0, sent: 0, delivered: 0, read: 0, failed: 0, failedRetryable: 0, uncertain: 0, skipped: 0, optedOut: 0, pending: 0,
    failuresByCode: new Map(), skipReasons: new Map(),
  };
  const table = red.recipients;
  const r = blank();
  for (let i = 0; i < table.size; i++) {
    table.load(i, r);
    if (r.filtered) continue;
    c.selected++;
    if (r.optedOut || optOutList?.has(table.nameOf(i))) c.optedOut++;
    switch (r.state) {
      case 'sent':
        c.sent++;
        if (r.reach >= REACHED_DELIVERED) c.delivered++;
        if (r.reach >= REACHED_READ) c.read++;
        break;
      case 'failed':
      case 'failed-retryable': {
        c.failed++;
        if (r.state === 'failed-retryable') c.failedRetryable++;
        const code = r.lastCode ?? 'unknown';
        c.failuresByCode.set(code, (c.failuresByCode.get(code) ?? 0) + 1);
        break;
      }
      case 'uncertain':
        c.uncertain++;
        break;
      case 'skipped': {
        c.skipped++;
        if (!(r.skipReason && OPTOUT_REASON.test(r.skipReason))) c.selected--;
        const reason = r.skipReason ?? 'skipped';
        c.skipReasons.set(reason, (c.skipReasons.get(reason) ?? 0) + 1);
        break;
      }
      default:
        c.pending++;
    }
  }
  const planned = plannedSelection(header);
  if (planned !== undefined && planned > c.selected) {
    c.pending += planned - c.selected;
    c.selected = planned;
  }
  return c;
}

/** How many recipients the send's plan selected, from the header (`selected`, else `counts.sendable`). */
function plannedSelection(header: JournalHeader | null): number | undefined {
  const o = (header?.options ?? {}) as { selected?: unknown; counts?: { sendable?: unknown } };
  const n = Number(o.selected ?? o.counts?.sendable);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

import { OptOutFollower } from '../contacts/optouts.js';
import type { OptOutSource } from '../store/state.js';
import type { JournalLine } from '../journal/format.js';
import { JournalFollower } from '../journal/reader.js';
import { JournalReducer, REACHED_DELIVERED, type RecipientRecord } from '../journal/state.js';

/**
 * While a send runs, `campaign webhook` appends `status` and `optout` events to the same
 * journal. WhatsApp judges a sender by exactly these (blocks, opt-outs, undeliverable
 * messages), so a rising rate of them halts the send like a STOP code does.
 */
export interface FeedbackLimits {
  /** Halt when opt-outs exceed max(minOptOuts, optOutRate × sent). */
  optOutRate: number;
  minOptOuts: number;
  /** Halt when failed delivery callbacks exceed max(minFailures, failureRate × sent). */
  failureRate: number;
  minFailures: number;
}

export const DEFAULT_FEEDBACK_LIMITS: FeedbackLimits = { optOutRate: 0.02, minOptOuts: 5, failureRate: 0.1, minFailures: 10 };

export interface FeedbackVerdict {
  reason: 'opt-out-rate' | 'delivery-failure-rate';
  detail: string;
}

/**
 * Follows what is appended to the journal (and the opt-out list) during a run, and judges the
 * run by it. The journal is read through the one reduction (journal/state.ts), so a failed
 * delivery here is what `status` and `report` count as failed: a `failed` callback after a
 * `delivered` one is no failure, and repeated callbacks count one recipient once.
 */
/** What the callbacks say so far about one canary wave's recipients (ramp.ts judges it). */
export interface WaveFigures {
  /** Recipients the wave messaged. */
  size: number;
  delivered: number;
  /** Failed at delivery (a `failed` callback not undone by a delivered one). */
  failed: number;
  optedOut: number;
  /** Recipients with any status callback: none at all means the wave cannot be judged. */
  callbacks: number;
  /** Recipients with a final callback state (delivered, read or failed): all of them ends the wait early. */
  final: number;
}

/** One wave's figures from the reduced records of its recipients: the send's judge and the report count alike. */
export function countWave(members: Iterable<string>, record: (to: string) => RecipientRecord | undefined, optedOut: (to: string) => boolean = () => false): WaveFigures {
  const f: WaveFigures = { size: 0, delivered: 0, failed: 0, optedOut: 0, callbacks: 0, final: 0 };
  for (const to of members) {
    f.size++;
    const r = record(to);
    if (r?.optedOut || optedOut(to)) f.optedOut++;
    if (!r) continue;
    const delivered = r.reach >= REACHED_DELIVERED;
    const failed = r.state === 'failed' && r.callbackFailed;
    if (delivered) f.delivered++;
    if (failed) f.failed++;
    if (r.reach > 0 || r.callbackFailed) f.callbacks++;
    if (delivered || failed) f.final++;
  }
  return f;
}

type OptOutFile = { path: string; fromOffset: number; defaultCountry?: string };

/** The lines the watcher takes (take()): the webhook's callbacks. */
const CALLBACK_TYPES = ['status', 'optout'] as const;

export class FeedbackWatcher {
  private readonly journal: JournalFollower;
  private readonly optOutLists: OptOutSource[];
  /** The callbacks appended during this run, reduced. */
  private readonly reduction = new JournalReducer();
  /** Recipients of this run who opted out / whose message failed at delivery. */
  private readonly optOutsOfRun = new Set<string>();
  private readonly failuresOfRun = new Set<string>();
  /** Messages this run sent (the dispatcher's count). */
  sent = 0;
  /** Recipients this run sent to: only their callbacks are judged against this run's count. */
  private readonly sentTo = new Set<string>();
  /** Numbers that opted out during this run (journal `optout` events and the opt-out list): never message them. */
  readonly optedOut = new Set<string>();

  constructor(
    path: string,
    fromOffset: number,
    private readonly limits: FeedbackLimits = DEFAULT_FEEDBACK_LIMITS,
    // A file spec is followed here; anything else that polls (the store's followers, store/state.ts) as it is.
    optOutFiles: OptOutFile | OptOutSource | (OptOutFile | OptOutSource)[] = [],
  ) {
    this.journal = new JournalFollower(path, fromOffset, CALLBACK_TYPES);
    this.optOutLists = (Array.isArray(optOutFiles) ? optOutFiles : [optOutFiles]).map((f) => ('poll' in f ? f : new OptOutFollower(f.path, f)));
  }

  /** The recipients of the current canary wave (ramp.ts), judged through the same reduction. */
  private wave = new Set<string>();

  /** A new wave; `members`: recipients an earlier run already sent this wave to. */
  beginWave(members: Iterable<string> = []): void {
    this.wave = new Set(members);
  }

  addToWave(to: string): void {
    this.wave.add(to);
  }

  /** A callback line read before this run (resume of a wave): counted as if followed live. */
  seed(line: JournalLine): void {
    this.take(line);
  }

  waveFigures(): WaveFigures {
    return countWave(this.wave, (to) => this.reduction.recipients.get(to), (to) => this.optedOut.has(to));
  }

  get optOuts(): number {
    return this.optOutsOfRun.size;
  }

  get failures(): number {
    return this.failuresOfRun.size;
  }

  noteSent(to: string): void {
    this.sent++;
    this.sentTo.add(to);
    // A callback may be read before the dispatcher reports its own outcome.
    this.judge(to);
  }

  /** Reads what was appended since the last poll; returns a verdict when the send must halt. */
  async poll(): Promise<FeedbackVerdict | null> {
    await this.journal.read((line) => this.take(line));
    for (const list of this.optOutLists) for (const n of await list.poll()) this.optedOut.add(n);
    return this.verdict();
  }

  private take(line: JournalLine): void {
    // Only callbacks decide the verdict (a failed delivery, an opt-out); this run's own
    // attempt/sent lines would only hold a record per recipient of a million-row run in memory.
    if (line.type !== 'status' && line.type !== 'optout') return;
    this.reduction.add(line);
    if ('to' in line && typeof line.to === 'string') this.judge(line.to);
  }

  private judge(to: string): void {
    const r = this.reduction.recipients.get(to);
    if (!r) return;
    if (r.optedOut) this.optedOut.add(to);
    // Late callbacks about an earlier run's messages are not this run's feedback.
    if (!this.sentTo.has(to)) return;
    if (r.optedOut) this.optOutsOfRun.add(to);
    if (r.state === 'failed' && r.callbackFailed) this.failuresOfRun.add(to);
    else this.failuresOfRun.delete(to);
  }

  verdict(): FeedbackVerdict | null {
    const l = this.limits;
    if (this.optOuts > Math.max(l.minOptOuts, l.optOutRate * this.sent)) {
      return { reason: 'opt-out-rate', detail: `${this.optOuts} opt-outs for ${this.sent} messages sent in this run` };
    }
    if (this.failures > Math.max(l.minFailures, l.failureRate * this.sent)) {
      return { reason: 'delivery-failure-rate', detail: `${this.failures} failed deliveries for ${this.sent} messages sent in this run` };
    }
    return null;
  }
}

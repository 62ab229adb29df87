import { LineTail } from '../journal/tail.js';

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

/** Counts the callbacks appended after `fromOffset` and says when their rate is too high. */
export class FeedbackWatcher {
  private readonly journal: LineTail;
  private readonly optOutList?: LineTail;
  optOuts = 0;
  failures = 0;
  /** Messages this run sent (the dispatcher's count; its own lines are not read back). */
  sent = 0;
  /** Recipients this run sent to: only their callbacks are judged against this run's count. */
  private readonly sentTo = new Set<string>();
  /** Numbers that opted out during this run (journal `optout` events and the opt-out list): never message them. */
  readonly optedOut = new Set<string>();

  constructor(path: string, fromOffset: number, private readonly limits: FeedbackLimits = DEFAULT_FEEDBACK_LIMITS, optOutFile?: { path: string; fromOffset: number }) {
    this.journal = new LineTail(path, fromOffset);
    if (optOutFile) this.optOutList = new LineTail(optOutFile.path, optOutFile.fromOffset);
  }

  noteSent(to: string): void {
    this.sent++;
    this.sentTo.add(to);
  }

  /** Reads what was appended since the last poll; returns a verdict when the send must halt. */
  async poll(): Promise<FeedbackVerdict | null> {
    await this.journal.read((line) => this.count(line));
    await this.optOutList?.read((line) => {
      if (line.trim()) this.optedOut.add(line.trim());
    });
    return this.verdict();
  }

  private count(line: string): void {
    // Cheap prefilter: most appended lines are this process's own attempt/sent lines.
    if (!line.includes('"type":"status"') && !line.includes('"type":"optout"')) return;
    let e: { type?: string; status?: string };
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    const to = typeof (e as { to?: unknown }).to === 'string' ? (e as { to: string }).to : undefined;
    if (e.type === 'optout') {
      if (to) this.optedOut.add(to);
      // Late callbacks about an earlier run's messages are not this run's feedback.
      if (!to || this.sentTo.has(to)) this.optOuts++;
    } else if (e.type === 'status' && e.status === 'failed' && (!to || this.sentTo.has(to))) this.failures++;
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

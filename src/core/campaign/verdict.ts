import { emptyCounts, type Bucket, type ContactCounts, type Finding, type RuleInfo } from '../findings.js';
import type { ClassifiedRow } from '../contacts/types.js';
import type { PlanState, RecipientStates } from '../journal/reader.js';
import type { RepeatLookup } from '../history/repeat.js';
import type { SKIP_REASONS } from '../journal/table.js';

/**
 * The one verdict of who is messaged. For each classified row and what the journal already says,
 * `decide` answers send, skip (with the reason the journal records) or already done; `Tally`
 * counts verdicts. lint counts them, planning counts them, the send pass and the dry run act on
 * them: nobody else decides.
 */

/** A classified row and, when it is sendable and there is a template, its rendered text. */
export type PlannedRow = ClassifiedRow & { text?: string };

export interface VerdictContext {
  /** The journal's per-recipient state (a resume, or a second send of the same inputs). */
  states?: Pick<RecipientStates, 'plan'>;
  /** `--resend-uncertain`: an attempt with unknown outcome is sent again. */
  resendUncertain?: boolean;
  /** `--min-interval`: when another campaign last messaged the number, if within the interval. */
  lastMessaged?: (to: string) => number | undefined;
  /** The repeat guard: who already got this template from this sender within `--repeat-after`. */
  alreadyMessaged?: RepeatLookup;
  /** `--repeat-after`, for the finding's words. */
  repeatAfter?: string;
  /**
   * Numbers a later row declined after an earlier row made them sendable. A stream learns this
   * only at the later row: a first pass collects them (Tally.revoked) for the passes that act.
   */
  revoked?: ReadonlySet<string>;
}

export type Verdict =
  /** Message this recipient now. */
  | { action: 'send'; row: PlannedRow; to: string }
  /** Not messaged, and the journal records why (`reason`: a kebab-case bucket or cause). */
  | { action: 'skip'; row: PlannedRow; to: string; reason: SkipReason }
  /** The journal already settled this recipient (sent, failed for good, uncertain, opted out). */
  | { action: 'done'; row: PlannedRow; to: string; uncertain: boolean }
  /** Nothing to send nor to record: no usable number, a duplicate row, or a skip already journalled. */
  | { action: 'none'; row: PlannedRow };

export type SkipReason =
  | 'no-consent' | 'invalid-phone' | 'suppressed' | 'filtered-out' | 'missing-variable'
  | 'consent-conflict' | 'already-messaged' | 'recently-messaged';

// The journal's table keeps these reasons as a byte (journal/table.ts SKIP_REASONS); one missing
// there would only be read more slowly, but the compiler says so.
const everyReasonPacked: Exclude<SkipReason, (typeof SKIP_REASONS)[number]> extends never ? true : never = true;
void everyReasonPacked;

/** Recipients that must not get another message: sent, failed for good, or an attempt with unknown outcome. */
export function isDone(r: PlanState | undefined, resendUncertain = false): boolean {
  if (!r) return false;
  if (r.optedOut) return true;
  return r.state === 'sent' || r.state === 'failed' || (r.state === 'uncertain' && !resendUncertain);
}

export function decide(row: PlannedRow, ctx: VerdictContext): Verdict {
  const to = row.phone;
  if (!to) return { action: 'none', row };
  const state = ctx.states?.plan(to);
  if (row.bucket !== 'sendable') {
    // A recipient the journal knows keeps its outcome; a later duplicate row says nothing new.
    if (state || row.bucket === 'duplicate') return { action: 'none', row };
    return { action: 'skip', row, to, reason: row.bucket.replace(/_/g, '-') as SkipReason };
  }
  if (isDone(state, ctx.resendUncertain)) return { action: 'done', row, to, uncertain: state!.state === 'uncertain' };
  if (ctx.revoked?.has(to)) return { action: 'skip', row, to, reason: 'consent-conflict' };
  // History from other runs counts only for recipients this journal has not met yet.
  if (!state && ctx.alreadyMessaged?.(to)) return { action: 'skip', row, to, reason: 'already-messaged' };
  if (!state && ctx.lastMessaged?.(to) !== undefined) return { action: 'skip', row, to, reason: 'recently-messaged' };
  return { action: 'send', row, to };
}

/** The finding a verdict adds to the row's own (classification reports the rest). */
export function verdictFinding(v: Verdict, ctx: VerdictContext, minInterval: string | undefined): Finding | undefined {
  if (v.action !== 'skip') return undefined;
  const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  if (v.reason === 'already-messaged') {
    const earlier = ctx.alreadyMessaged!(v.to)!;
    return {
      rule: 'already-messaged',
      severity: 'info',
      message: `${v.to} already got this template from this sender on ${when(earlier.at)} (campaign ${earlier.campaign}${earlier.journal ? `, journal ${earlier.journal}` : ''}), within --repeat-after ${ctx.repeatAfter}; skipped.`,
      line: v.row.line,
      value: v.to,
    };
  }
  if (v.reason === 'recently-messaged') {
    return {
      rule: 'recently-messaged',
      severity: 'info',
      message: `${v.to} was messaged ${when(ctx.lastMessaged!(v.to)!)}, within --min-interval ${minInterval}; skipped.`,
      line: v.row.line,
      value: v.to,
    };
  }
  return undefined;
}

/** The rules only the verdict applies (history), for the catalogue and the README's table. */
export const VERDICT_RULES: RuleInfo[] = [
  {
    id: 'already-messaged',
    severity: 'info',
    summary: 'This sender already sent this approved template to the number within --repeat-after (default 7d), in another journal or folder.',
    fix: 'Nothing: the row is skipped. Pass --allow-repeat to send it again on purpose.',
  },
  {
    id: 'recently-messaged',
    severity: 'info',
    summary: 'Another campaign messaged this number within --min-interval.',
    fix: 'Nothing: the row is skipped; lower --min-interval to include it.',
  },
];

/** Why a recipient is not sent, as the send summary groups them. */
export type SkipGroup = Exclude<Bucket, 'sendable'> | 'already' | 'recent';

/**
 * Counts verdicts: the contract's `contacts` buckets (every row in exactly one), and what a send
 * would do (to send, already done, skipped by reason). A row that revokes an earlier "yes" moves
 * that earlier recipient out of sendable (or recently_messaged) into no_consent, here and only here.
 */
export class Tally {
  readonly counts: ContactCounts = emptyCounts();
  toSend = 0;
  alreadyDone = 0;
  uncertain = 0;
  readonly skipped: Partial<Record<SkipGroup, number>> = {};
  /** Numbers whose "yes" a later "no" took back: the acting passes need them (VerdictContext.revoked). */
  readonly revoked = new Set<string>();

  constructor(private readonly ctx: VerdictContext) {
    if (ctx.lastMessaged) this.counts.recently_messaged = 0;
    if (ctx.alreadyMessaged) this.counts.already_messaged = 0;
  }

  add(v: Verdict): void {
    const row = v.row;
    this.counts.rows++;
    if (v.action === 'skip' && v.reason === 'recently-messaged') {
      this.counts.recently_messaged = (this.counts.recently_messaged ?? 0) + 1;
      this.bump('recent');
    } else if (v.action === 'skip' && v.reason === 'already-messaged') {
      this.counts.already_messaged = (this.counts.already_messaged ?? 0) + 1;
      this.bump('already');
    } else {
      this.counts[row.bucket]++;
      if (row.bucket !== 'sendable') this.bump(row.bucket);
    }
    if (v.action === 'send') this.toSend++;
    else if (v.action === 'done') {
      this.alreadyDone++;
      if (v.uncertain) this.uncertain++;
    }
    if (row.revokes !== undefined && row.phone && !this.revoked.has(row.phone)) this.revoke(row.phone);
  }

  private revoke(phone: string): void {
    this.revoked.add(phone);
    // What the earlier "yes" row was given, now that it is taken back.
    const earlier = decide({ line: 0, bucket: 'sendable', phone, record: {} }, this.ctx);
    if (earlier.action === 'skip' && earlier.reason === 'recently-messaged') {
      this.counts.recently_messaged!--;
      this.bump('recent', -1);
    } else if (earlier.action === 'skip' && earlier.reason === 'already-messaged') {
      this.counts.already_messaged!--;
      this.bump('already', -1);
    } else {
      this.counts.sendable--;
    }
    this.counts.no_consent++;
    this.bump('no_consent');
    if (earlier.action === 'send') this.toSend--;
  }

  private bump(group: SkipGroup, by = 1): void {
    this.skipped[group] = (this.skipped[group] ?? 0) + by;
  }
}

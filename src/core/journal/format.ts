/**
 * The journal: JSON Lines, append-only (see the contract's "Journal"). Line 1 is the header;
 * every later line is one event about one recipient (keyed by E.164 `to`) or about the campaign.
 */
export const JOURNAL_VERSION = 1;

export interface JournalHeader {
  type: 'header';
  version: number;
  campaign: string;
  at: string;
  contacts: { path: string; sha256: string };
  template: { path: string; sha256: string } | null;
  provider: string;
  /** Options that shape who gets what (never a secret). */
  options: Record<string, unknown>;
}

export type JournalEvent =
  | { type: 'attempt'; to: string; at: string; line?: number; n?: number }
  | { type: 'sent'; to: string; at: string; id: string }
  | { type: 'failed'; to: string; at: string; code: string; permanent: boolean; class?: string; message?: string }
  | { type: 'skipped'; to: string; at: string; reason: string; line?: number }
  | { type: 'halt'; at: string; reason: string; code?: string; to?: string; detail?: string }
  | PauseEvent
  | { type: 'status'; to: string; at: string; id: string; status: 'sent' | 'delivered' | 'read' | 'failed'; code?: string | number; provider_at?: string }
  | { type: 'optout'; to: string; at: string; source: string }
  | { type: 'resume'; at: string; pid?: number; changed?: string[] }
  | MediaEvent
  | WaveEvent
  | HealthEvent;

/**
 * Canary waves (`--ramp`, issue 12): `start` when a wave begins (its planned `size`, over `base`
 * sendable recipients), `wait` when its sending is done (watching callbacks until `until`), and
 * `verdict` with its figures. About no recipient: the reduction ignores it.
 */
export interface WaveEvent {
  type: 'wave';
  at: string;
  phase: 'start' | 'wait' | 'verdict';
  /** 1-based wave number, and how many waves the plan had then. */
  n: number;
  of: number;
  /** start: recipients planned for the wave; verdict: recipients it messaged. */
  size?: number;
  base?: number;
  until?: string;
  verdict?: WaveVerdict;
  delivered?: number;
  failed?: number;
  opted_out?: number;
  /** Recipients of the wave with any status callback. */
  callbacks?: number;
  /** The wait ended early: every recipient had a final callback. */
  early?: boolean;
  detail?: string;
}

/** ok: next wave; blind: no callback, went on with --ramp-blind; halt: ramp-health; unjudged: no callback, stopped. */
export type WaveVerdict = 'ok' | 'blind' | 'halt' | 'unjudged' | 'dry-run';

/**
 * A header file uploaded for this campaign (issue 10): every message uses `id`, and a resume
 * reuses it while it is valid (the Cloud API keeps uploaded media 30 days). About no recipient:
 * the reduction ignores it.
 */
export interface MediaEvent {
  type: 'media';
  /** Absolute path of the file. */
  file: string;
  sha256: string;
  /** The provider's media id. */
  id: string;
  at: string;
}

export type JournalLine = JournalHeader | JournalEvent;

export type PauseReason = 'daily-limit' | 'window';

/**
 * The send stopped on its own schedule (--daily-limit, --window), not for the account's safety:
 * `campaign resume` after `until` goes on. Not a halt.
 */
export interface PauseEvent {
  type: 'pause';
  at: string;
  reason: PauseReason;
  /** ISO time from which sending may go on. */
  until?: string;
}

export type HaltEvent = Extract<JournalEvent, { type: 'halt' }>;

const PAUSE_REASONS: ReadonlySet<string> = new Set<PauseReason>(['daily-limit', 'window']);

/**
 * The event as a pause, if it is one. Journals written before `pause` existed recorded a pause as
 * `{type:'halt', reason:'daily-limit'|'window'}`: those read as pauses too.
 */
export function asPause(e: { type: string; at?: unknown; reason?: unknown; until?: unknown }): PauseEvent | undefined {
  if (e.type !== 'pause' && e.type !== 'halt') return undefined;
  if (typeof e.reason !== 'string' || !PAUSE_REASONS.has(e.reason)) return undefined;
  return { type: 'pause', at: String(e.at ?? ''), reason: e.reason as PauseReason, ...(typeof e.until === 'string' ? { until: e.until } : {}) };
}

/** Per-recipient state after reducing the journal. */
export type RecipientState = 'pending' | 'uncertain' | 'sent' | 'failed' | 'failed-retryable' | 'skipped';

/**
 * What the sender's health read said before this run (issue 12), right after the header (or the
 * `resume` line). About no recipient: the reduction ignores it; `status --json` shows the latest.
 */
export interface HealthEvent {
  type: 'health';
  at: string;
  provider: string;
  /** `ok`, `failed` (see `error`) or `none` (the provider gives no health signal). */
  read: 'ok' | 'failed' | 'none';
  error?: string;
  quality: string;
  status: string;
  tier: string;
  limit: number | 'unlimited' | 'unknown';
  throughput: string;
  per_second: number | 'unknown';
  name_status?: string;
  /** Why the reading refuses a send; present with `ignored: true` when --ignore-health sent anyway. */
  refusal?: string;
  ignored: boolean;
}

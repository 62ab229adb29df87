import { CampaignError } from '../errors.js';
import type { HealthEvent } from '../journal/format.js';
import { providerModule } from '../providers/index.js';
import type { HealthOptions, ProviderEnv, SenderHealth } from '../providers/types.js';

/**
 * The one policy over the sender's health (issue 12): what a reading means for a send. RED quality
 * or a status that is not connected refuses the send (unless --ignore-health); YELLOW halves the
 * default rate; the messaging-limit tier is the default --daily-limit; the throughput caps --rate.
 * An unknown value is shown as unknown and changes nothing: it is never taken as healthy.
 */

/** Statuses that mean the sender may send: the Cloud number's, and the Twilio account's. */
const SENDING_STATUSES: ReadonlySet<string> = new Set(['CONNECTED', 'ACTIVE']);
/**
 * Statuses that mean it may not (Meta's phone-number and account-number enums, providers.md §1.7;
 * Twilio's account_enum_status). A status in neither list is shown as it is and taken as unknown.
 */
const STOPPED_STATUSES: ReadonlySet<string> = new Set([
  'FLAGGED', 'RESTRICTED', 'BANNED', 'DISCONNECTED', 'UNVERIFIED', 'PENDING', 'DELETED', 'MIGRATED', 'UNLINKED', 'RATE_LIMITED', 'SUSPENDED', 'CLOSED',
]);

export interface HealthVerdict {
  health: SenderHealth;
  /** Why the send must not start (RED, FLAGGED...), also when --ignore-health overrides it. */
  refusal?: string;
  /** --ignore-health overrode a refusal. */
  ignored: boolean;
  /** Sentences to show before the send, most important first. */
  warnings: string[];
  /** The run's pace after the reading: the rate (halved on YELLOW unless given) and the 24 h limit (the tier unless given). */
  options: { rate: number; dailyLimit?: number };
}

export interface HealthInput {
  rate: number;
  /** --rate was set by the user (flag, campaign.yaml, environment): a YELLOW rating keeps it. */
  rateGiven: boolean;
  dailyLimit?: number;
  ignoreHealth: boolean;
}

/** The provider's reading; one without a reader says so. Never throws. */
export async function readSenderHealth(provider: string, env: ProviderEnv, opts: HealthOptions): Promise<SenderHealth> {
  const module = providerModule(provider);
  if (!module.health) return { provider: module.name, read: 'none', quality: 'UNKNOWN', status: 'UNKNOWN', tier: 'UNKNOWN', limit: 'unknown', throughput: 'UNKNOWN', perSecond: 'unknown' };
  try {
    return await module.health(env, opts);
  } catch (err) {
    // A reader is written not to throw; a bug in one must still not stop the send.
    return { provider: module.name, read: 'failed', error: (err as Error).message, quality: 'UNKNOWN', status: 'UNKNOWN', tier: 'UNKNOWN', limit: 'unknown', throughput: 'UNKNOWN', perSecond: 'unknown' };
  }
}

/** Why this reading refuses a send, or undefined. */
export function refusalOf(h: SenderHealth): string | undefined {
  if (h.read !== 'ok') return undefined;
  if (h.quality === 'RED') return "the sender number's quality rating is RED: recipients are blocking or reporting its messages, and more of them can get the number restricted or banned";
  if (STOPPED_STATUSES.has(h.status)) {
    return h.provider === 'twilio' ? `the Twilio account is ${h.status}, not active` : `the sender number's status is ${h.status}, not CONNECTED`;
  }
  return undefined;
}

export function judgeHealth(h: SenderHealth, input: HealthInput): HealthVerdict {
  const warnings: string[] = [];
  const options: HealthVerdict['options'] = { rate: input.rate, ...(input.dailyLimit !== undefined ? { dailyLimit: input.dailyLimit } : {}) };
  const refusal = refusalOf(h);
  const ignored = Boolean(refusal && input.ignoreHealth);
  if (ignored) warnings.push(`--ignore-health: sending although ${refusal}.`);
  if (h.read === 'failed') warnings.push(`Could not read the sender's health (${h.error ?? 'no answer'}); quality, status and limits are unknown.`);
  if (h.read === 'ok' && h.status !== 'UNKNOWN' && !SENDING_STATUSES.has(h.status) && !STOPPED_STATUSES.has(h.status)) {
    warnings.push(`The sender's status ${h.status} is not one this version knows: taken as unknown, neither connected nor refused.`);
  }
    if (h.read === 'none') warnings.push(`${h.provider} gives no health signal: quality, status and messaging limit are unknown.`);
  if (h.quality === 'YELLOW') {
    if (input.rateGiven) {
      warnings.push(`Quality rating YELLOW: recipients are starting to block or report these messages; keeping the --rate ${input.rate}/s given (a lower one is safer).`);
    } else {
      options.rate = Math.max(1, Math.floor(input.rate / 2));
      warnings.push(`Quality rating YELLOW: recipients are starting to block or report these messages; the default rate is halved to ${options.rate}/s.`);
    }
  }
  if (typeof h.limit === 'number') {
    if (input.dailyLimit === undefined) options.dailyLimit = h.limit;
    else if (input.dailyLimit > h.limit) warnings.push(`--daily-limit ${input.dailyLimit} is above the messaging limit ${h.tier} (${h.limit} recipients per 24 h): the provider refuses the rest.`);
  }
  if (typeof h.perSecond === 'number' && options.rate > h.perSecond) {
    warnings.push(`--rate ${options.rate}/s is above the number's throughput (${h.throughput}: ${h.perSecond}/s): the provider throttles past it (130429).`);
  }
  return { health: h, ...(refusal ? { refusal } : {}), ignored, warnings, options };
}

/** The sendable recipients over the tier, as one sentence; undefined when they fit or the tier is unknown. */
export function tierNote(v: HealthVerdict, toSend: number): string | undefined {
  const { limit, tier } = v.health;
  if (typeof limit !== 'number' || toSend <= limit) return undefined;
  const daily = v.options.dailyLimit ?? limit;
  return `${toSend} to send is more than the messaging limit ${tier} allows (${limit} recipients per 24 h): the send stops at ${daily} in 24 h and goes on with campaign resume when the limit allows.`;
}

/** One line: quality, status, tier, throughput; unknowns spelled unknown. */
export function healthLine(h: SenderHealth): string {
  if (h.read === 'failed') return `unknown (the read failed: ${h.error ?? 'no answer'})`;
  if (h.read === 'none') return `unknown (${h.provider} gives no health signal)`;
  const show = (v: string) => (v === 'UNKNOWN' ? 'unknown' : v);
  const limit = typeof h.limit === 'number' ? ` (${h.limit}/24 h)` : h.limit === 'unlimited' ? ' (unlimited)' : '';
  const speed = typeof h.perSecond === 'number' ? ` (${h.perSecond}/s)` : '';
  return `quality ${show(h.quality)}, status ${show(h.status)}, tier ${show(h.tier)}${limit}, throughput ${show(h.throughput)}${speed}`;
}

/** The send refused for the account's safety: exit 1, nothing sent, what to do. */
export function refusedError(v: HealthVerdict): CampaignError {
  return new CampaignError(`Halted for the account's safety before the first message: ${v.refusal}. Nothing was sent.`, {
    exitCode: 1,
    hint: 'Wait for the number to recover (campaign account shows its health), or pass --ignore-health to send anyway.',
  });
}

/** What the journal records of a reading (the `health` event, see journal/format.ts). */
export function healthEvent(v: HealthVerdict, at: string): HealthEvent {
  const h = v.health;
  return {
    type: 'health',
    at,
    provider: h.provider,
    read: h.read,
    ...(h.error ? { error: h.error } : {}),
    quality: h.quality,
    status: h.status,
    tier: h.tier,
    limit: h.limit,
    throughput: h.throughput,
    per_second: h.perSecond,
    ...(h.nameStatus ? { name_status: h.nameStatus } : {}),
    ...(v.refusal ? { refusal: v.refusal } : {}),
    ignored: v.ignored,
  };
}

/** The reading as --json and the report show it: the journal's `health` event without its type. */
export function healthJson(e: HealthEvent): Omit<HealthEvent, 'type'> {
  const { type: _type, ...rest } = e;
  return rest;
}

/** The one-line sender health of a recorded reading (the report's `sender` line). */
export function recordedHealthLine(h: Omit<HealthEvent, 'type'>): string {
  return healthLine(healthOfEvent({ type: 'health', ...h }));
}

/**
 * A journal's `health` event back as a reading, for `status` and the report. The journal may have
 * been edited by hand or written by another version: a field that is missing or of another type
 * reads as unknown, never as "undefined" on screen.
 */
export function healthOfEvent(e: HealthEvent): SenderHealth {
  const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : 'UNKNOWN');
  const count = (v: unknown, word?: string) => (typeof v === 'number' && Number.isFinite(v) ? v : word !== undefined && v === word ? word : 'unknown');
  const read = e.read === 'failed' || e.read === 'none' ? e.read : 'ok';
  return {
    provider: (typeof e.provider === 'string' ? e.provider : 'unknown') as SenderHealth['provider'],
    read,
    ...(typeof e.error === 'string' && e.error ? { error: e.error } : {}),
    quality: text(e.quality) as SenderHealth['quality'],
    status: text(e.status),
    tier: text(e.tier),
    limit: count(e.limit, 'unlimited') as SenderHealth['limit'],
    throughput: text(e.throughput),
    perSecond: count(e.per_second) as SenderHealth['perSecond'],
  };
}

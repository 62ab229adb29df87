import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Redis } from 'ioredis';
import { GateHaltError, RateGate, type Gate, type GateSlot } from '../dispatch/rate-gate.js';
import { sleep } from '../sleep.js';

/**
 * Grants one start when fewer than ARGV[1] starts lie in the last ARGV[2] ms, by the Redis
 * server's clock (machines' clocks do not matter); else answers how many ms until one frees up.
 * The span varies with the caller's adaptive margin, so entries are kept for ARGV[4] ms (the
 * longest span any caller may ask for) and only those inside this caller's span are counted.
 * Entries are start times, not leases: a process that dies holds nothing once they age out.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local keep = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - keep)
local n = redis.call('ZCOUNT', KEYS[1], '(' .. (now - span), '+inf')
if n < rate then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.ceil(keep) + 1000)
  return {1, 0}
end
local total = redis.call('ZCARD', KEYS[1])
local due = redis.call('ZRANGE', KEYS[1], total - rate, total - rate, 'WITHSCORES')
return {0, math.ceil(tonumber(due[2]) + span - now)}
`;

/** The request really went out now: move the start later (never earlier), by the server's clock. */
const RESTAMP = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
return redis.call('ZADD', KEYS[1], 'XX', 'GT', now, ARGV[1])
`;

/**
 * A slow answer moved the start on by ARGV[1] ms in this process (RateGate's lateRead: the provider
 * may have read it that late): the store's entry too, if it is still there.
 */
const DELAY = `
if redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  return redis.call('ZINCRBY', KEYS[1], ARGV[1], ARGV[2])
end
return false
`;

type Scripted = Redis & {
  campaignRateTake(key: string, rate: number, spanMs: number, member: string, keepMs: number): Promise<[number, number]>;
  campaignRateRestamp(key: string, member: string): Promise<number>;
  campaignRateDelay(key: string, ms: number, member: string): Promise<string | null>;
};

function scripted(redis: Redis): Scripted {
  const r = redis as Scripted;
  // defineCommand sends EVALSHA and falls back to EVAL when the server lost its script cache.
  if (typeof r.campaignRateTake !== 'function') {
    redis.defineCommand('campaignRateTake', { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand('campaignRateRestamp', { numberOfKeys: 1, lua: RESTAMP });
    redis.defineCommand('campaignRateDelay', { numberOfKeys: 1, lua: DELAY });
  }
  return r;
}

/** The Redis key of one sender's ceiling: `senderId` is ProviderModule.senderId (`cloud:<phone id>`). */
export function rateKey(senderId: string): string {
  return `campaign:rate:${senderId}`;
}

/** A store command that does not answer within this is a lost store. */
export const STORE_TIMEOUT_MS = 3000;

export function storeLost(cause: unknown, shown: string): GateHaltError {
  const why = cause instanceof Error ? cause.message : String(cause);
  const err = new GateHaltError('store-lost', `the store ${shown} stopped answering (${why})`);
  err.cause = cause;
  return err;
}

/** Rejects after `ms` when `p` has not settled: a hung store must stop the send, not freeze it. */
export function withTimeout<T>(p: Promise<T>, ms = STORE_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** How far above its floor the store's margin may grow under load (ms). */
const MAX_EXTRA_MARGIN_MS = 500;

export interface StoreRateGateOptions {
  redis: Redis;
  /** The store's URL as it may be shown (no password), for the halt's message. */
  shown: string;
  /** ProviderModule.senderId(env). */
  senderId: string;
  /** `--rate`: the ceiling every process on this sender shares. */
  rate: number;
  /**
   * The least spacing beyond the 1000 ms window: covers the spread between a grant and the
   * request's arrival at the provider (journal fsync, connection). Default 25. Above it the margin
   * adapts to measured lateness, as the local gate's does (AdaptiveMargin).
   */
  marginMs?: number;
}

/**
 * `--rate` shared by every process that sends for one sender, through the store. A local RateGate
 * still applies this process's throttling (halving on 429, Retry-After); a slot it grants is then
 * drawn from the store, one draw at a time per process (so that 20 waiting requests do not poll
 * Redis 20 times over). The store records the grant; `start()` moves it to when the request goes
 * out. A failed or silent store rejects the acquire with a GateHaltError (`store-lost`).
 */
export class StoreRateGate implements Gate {
  private readonly local: RateGate;
  private readonly redis: Scripted;
  private readonly key: string;
  private readonly keepMs: number;
  private readonly idPrefix = `${process.pid}:${randomBytes(4).toString('hex')}:`;
  private seq = 0;
  private draws: Promise<unknown> = Promise.resolve();
  private lost: GateHaltError | null = null;

  constructor(private readonly opts: StoreRateGateOptions) {
    const floorMs = opts.marginMs ?? 25;
    // No early grants: the store's slot is drawn after the local one and goes at once (no untilDue).
    this.local = new RateGate({ rate: opts.rate, holdUntilStart: true, admitEarly: false, margin: { floorMs, maxMs: floorMs + MAX_EXTRA_MARGIN_MS } });
    this.redis = scripted(opts.redis);
    this.key = rateKey(opts.senderId);
    this.keepMs = 1000 + floorMs + MAX_EXTRA_MARGIN_MS;
  }

  get recentStarts(): number {
    return this.local.recentStarts;
  }

  get rate(): number {
    return this.local.rate;
  }

  throttle(retryAfterMs?: number): number {
    return this.local.throttle(retryAfterMs);
  }

  async acquire(signal?: AbortSignal): Promise<GateSlot> {
    if (this.lost) throw this.lost;
    const localSlot = await this.local.acquire(signal);
    const draw = this.draws.then(() => this.draw(signal));
    this.draws = draw.catch(() => undefined);
    const member = await draw;
    const slot: GateSlot = {
      get at() {
        return localSlot.at;
      },
      start: () => {
        localSlot.start();
        // Best effort: the grant already counts; a lost store is noticed by the next draw.
        void withTimeout(this.redis.campaignRateRestamp(this.key, member)).catch(() => undefined);
      },
      mark: () => localSlot.mark?.(),
      done: () => {
        const before = localSlot.at;
        localSlot.done?.();
        // A slow answer moved the local start on (lateRead): the shared one moves with it, so
        // that the other processes do not reuse its slot early either (after the restamp: one
        // connection keeps the order). Best effort, as the restamp.
        const moved = localSlot.at - before;
        if (moved > 0) void withTimeout(this.redis.campaignRateDelay(this.key, moved, member)).catch(() => undefined);
      },
    };
    return slot;
  }

  private async draw(signal: AbortSignal | undefined): Promise<string> {
    const member = this.idPrefix + this.seq++;
    for (;;) {
      if (this.lost) throw this.lost;
      if (signal?.aborted) throw signal.reason;
      let granted: number;
      let waitMs: number;
      try {
        const spanMs = 1000 + this.local.marginMs;
        [granted, waitMs] = await withTimeout(this.redis.campaignRateTake(this.key, this.local.ceiling, spanMs, member, this.keepMs));
      } catch (cause) {
        this.lost = storeLost(cause, this.opts.shown);
        throw this.lost;
      }
      if (granted === 1) return member;
      const ms = Math.max(1, waitMs);
      const due = performance.now() + ms;
      const waitedAt = this.local.cpuWait();
      await sleep(ms, signal);
      // How late the wake-up came is the same load signal the local gate's timer gives.
      this.local.observeLateness(performance.now() - due, this.local.cpuWait() - waitedAt);
    }
  }
}

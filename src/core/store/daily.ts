import type { Redis } from 'ioredis';
import { DAY_MS } from '../dispatch/daily-limit.js';
import type { ProviderEnv } from '../providers/types.js';
import { storeLost, withTimeout } from './rate.js';

/**
 * Admits one recipient under the business's 24 h limit, by the Redis server's clock: a sorted
 * set recipient → last time. A recipient already counted is admitted again (the limit counts
 * distinct people) and moves to now; a new one only while fewer than ARGV[1] are counted. One
 * script, so two processes near the limit cannot both take the last place. Otherwise answers the
 * ms until the oldest counted one leaves the 24 h.
 */
const ADMIT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local day = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - day)
local known = redis.call('ZSCORE', KEYS[1], ARGV[2])
local limit = tonumber(ARGV[1])
local n = redis.call('ZCARD', KEYS[1])
if known or n < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[2])
  redis.call('PEXPIRE', KEYS[1], day + 60000)
  return {1, 0}
end
local due = redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')
return {0, tonumber(due[2]) + day - now + 1}
`;

type Scripted = Redis & { campaignDailyAdmit(key: string, limit: number, to: string, dayMs: number): Promise<[number, number]> };

/**
 * The business whose messaging limit is shared: `--business`, else the provider account (the
 * Cloud WABA id, the Twilio account SID, the Vonage API key), else the sender itself.
 */
export function businessOf(provider: string, env: ProviderEnv, senderId: string, business?: string): string {
  if (business?.trim()) return business.trim();
  const account = { cloud: env.WHATSAPP_BUSINESS_ACCOUNT_ID, twilio: env.TWILIO_ACCOUNT_SID, vonage: env.VONAGE_API_KEY }[provider]?.trim();
  return account ? `${provider}:${account}` : senderId;
}

export function dailyKey(business: string): string {
  return `campaign:daily:${business}`;
}

export class StoreDailyLimit {
  private readonly redis: Scripted;
  private readonly key: string;

  constructor(
    redis: Redis,
    private readonly shown: string,
    business: string,
    private readonly limit: number,
  ) {
    this.redis = redis as Scripted;
    if (typeof this.redis.campaignDailyAdmit !== 'function') redis.defineCommand('campaignDailyAdmit', { numberOfKeys: 1, lua: ADMIT });
    this.key = dailyKey(business);
  }

  /**
   * Counts what this folder sent before the store was used (its journal and history), so that
   * turning the store on does not reset the count. Times are this machine's; only newer ones win.
   */
  async seed(latest: ReadonlyMap<string, number>): Promise<void> {
    if (!latest.size) return;
    const args: (string | number)[] = [];
    for (const [to, at] of latest) args.push(at, to);
    try {
      await withTimeout(this.redis.zadd(this.key, 'GT', ...args));
      await withTimeout(this.redis.pexpire(this.key, DAY_MS + 60_000));
    } catch (cause) {
      throw storeLost(cause, this.shown);
    }
  }

  /** The dispatcher's dailyAdmit hook. */
  admit = async (to: string): Promise<{ ok: true } | { ok: false; until: Date }> => {
    let granted: number;
    let waitMs: number;
    try {
      [granted, waitMs] = await withTimeout(this.redis.campaignDailyAdmit(this.key, this.limit, to, DAY_MS));
    } catch (cause) {
      throw storeLost(cause, this.shown);
    }
    return granted === 1 ? { ok: true } : { ok: false, until: new Date(Date.now() + waitMs) };
  };
}

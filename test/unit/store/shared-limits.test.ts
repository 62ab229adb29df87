/** The store's rate ceiling and 24 h limit against a real redis-server, several clients at once. */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateHaltError } from '../../../src/core/dispatch/rate-gate.js';
import { businessOf, StoreDailyLimit } from '../../../src/core/store/daily.js';
import { StoreRateGate } from '../../../src/core/store/rate.js';
import { redisAvailable, startRedis, type RunningRedis } from '../../helpers/redis.js';
import { fullestSecond } from '../../helpers/run-cli.js';

let server: RunningRedis;
const clients: Redis[] = [];
const client = () => {
  const r = new Redis(server.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null, lazyConnect: false });
  r.on('error', () => undefined);
  clients.push(r);
  return r;
};
const ready = (r: Redis) => (r.status === 'ready' ? Promise.resolve() : new Promise<void>((res) => r.once('ready', () => res())));

beforeAll(async () => {
  if (redisAvailable) server = await startRedis();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await server?.stop();
});


describe.skipIf(!redisAvailable)('StoreRateGate', () => {
  it('three gates on one sender at --rate 40 each start at most 40 in any 1 s together, and reach most of it', async () => {
    const gates = [0, 1, 2].map(() => client());
    await Promise.all(gates.map(ready));
    const starts: number[] = [];
    const N = 60;
    await Promise.all(
      gates.map(async (redis) => {
        const gate = new StoreRateGate({ redis, shown: server.url, senderId: 'cloud:rate-test', rate: 40 });
        // 10 concurrent requesters per gate, like --concurrency 10.
        let left = N;
        await Promise.all(
          Array.from({ length: 10 }, async () => {
            while (left-- > 0) {
              const slot = await gate.acquire();
              slot.start();
              starts.push(performance.now());
            }
          }),
        );
      }),
    );
    expect(starts.length).toBe(3 * N);
    expect(fullestSecond(starts)).toBeLessThanOrEqual(40);
    // 180 starts at 40/s: the first 40 at once, then ≥ 3.5 s; most of the rate means under 5 s.
    const span = Math.max(...starts) - Math.min(...starts);
    expect(span).toBeGreaterThanOrEqual(3400);
    expect(span).toBeLessThan(5000);
  }, 20_000);

  it('a slow answer moves the shared start on by what it moved the local one (lateRead); a prompt one leaves it', async () => {
    const redis = client();
    await ready(redis);
    const gate = new StoreRateGate({ redis, shown: server.url, senderId: 'cloud:late-read', rate: 10 });
    const key = 'campaign:rate:cloud:late-read';
    const score = async () => {
      const members = await redis.zrange(key, 0, -1, 'WITHSCORES');
      return Number(members[members.length - 1]);
    };
    const answered = async (ms: number) => {
      const slot = await gate.acquire();
      slot.start();
      await new Promise((r) => setTimeout(r, ms));
      const at = await score();
      const before = slot.at;
      slot.done!();
      await redis.ping(); // after the delay script, on the same connection
      return { storeMoved: (await score()) - at, localMoved: slot.at - before };
    };
    const prompt = await answered(2); // the least round trip so far
    expect(prompt).toEqual({ storeMoved: 0, localMoved: 0 });
    // ~120 ms: beyond the least and the store gate's 25 ms margin, the provider may have read it late.
    const slow = await answered(120);
    expect(slow.localMoved).toBeGreaterThan(50);
    expect(slow.storeMoved).toBeCloseTo(slow.localMoved, 2); // scores are ms since 1970: ~0.0002 ms of precision
  });

  it('another sender has its own ceiling', async () => {
    const redis = client();
    await ready(redis);
    const a = new StoreRateGate({ redis, shown: server.url, senderId: 'cloud:a', rate: 5 });
    const b = new StoreRateGate({ redis, shown: server.url, senderId: 'cloud:b', rate: 5 });
    const t0 = performance.now();
    await Promise.all([...Array(5)].flatMap(() => [a.acquire(), b.acquire()]));
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

describe.skipIf(!redisAvailable)('StoreDailyLimit', () => {
  it('two processes near the limit cannot both take the last place; a counted recipient is admitted again', async () => {
    const [r1, r2] = [client(), client()];
    await Promise.all([ready(r1), ready(r2)]);
    const d1 = new StoreDailyLimit(r1, server.url, 'biz-1', 5);
    const d2 = new StoreDailyLimit(r2, server.url, 'biz-1', 5);
    await d1.seed(new Map([['+15550000001', Date.now() - 1000]]));
    const tries = Array.from({ length: 10 }, (_, i) => `+1555100${String(i).padStart(4, '0')}`);
    const verdicts = await Promise.all(tries.flatMap((to) => [d1.admit(to), d2.admit(to)]));
    // 4 places left after the seeded one; each admitted recipient is admitted to both (same person).
    const admitted = new Set(tries.filter((_, i) => verdicts[2 * i].ok || verdicts[2 * i + 1].ok));
    expect(admitted.size).toBe(4);
    const refused = verdicts.find((v) => !v.ok) as { ok: false; until: Date };
    // The seeded one leaves the 24 h first.
    expect(refused.until.getTime()).toBeGreaterThan(Date.now() + 23.9 * 3_600_000);
    expect((await d2.admit('+15550000001')).ok).toBe(true);
    expect((await d2.admit('+15559999999')).ok).toBe(false);
    // Another business counts apart.
    expect((await new StoreDailyLimit(r1, server.url, 'biz-2', 5).admit('+15559999999')).ok).toBe(true);
  });

  it('the business defaults to the provider account, else the sender', () => {
    expect(businessOf('cloud', { WHATSAPP_BUSINESS_ACCOUNT_ID: '123' }, 'cloud:9')).toBe('cloud:123');
    expect(businessOf('twilio', { TWILIO_ACCOUNT_SID: 'AC1' }, 'twilio:+1')).toBe('twilio:AC1');
    expect(businessOf('vonage', {}, 'vonage:1555')).toBe('vonage:1555');
    expect(businessOf('cloud', { WHATSAPP_BUSINESS_ACCOUNT_ID: '123' }, 'cloud:9', 'acme')).toBe('acme');
  });
});

describe.skipIf(!redisAvailable)('the store lost', () => {
  it('an acquire after redis-server died rejects with a store-lost GateHaltError, and so does every later one', async () => {
    const own = await startRedis();
    const redis = new Redis(own.url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    await ready(redis);
    const gate = new StoreRateGate({ redis, shown: own.url, senderId: 'cloud:lost', rate: 10 });
    await gate.acquire();
    own.kill();
    await new Promise((r) => setTimeout(r, 200));
    const err = await gate.acquire().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateHaltError);
    expect((err as GateHaltError).reason).toBe('store-lost');
    await expect(gate.acquire()).rejects.toBe(err);
    redis.disconnect();
    await own.stop();
  });
});

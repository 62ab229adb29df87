/**
 * The shared store (--store) across real CLI processes: one rate ceiling per sender measured at
 * the provider, one 24 h limit across folders, and a store killed mid-send stopping the send
 * resumably. A real redis-server; a local Cloud API.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { duplicates, startFakeCloud } from '../helpers/fake-cloud.js';
import { readJournal } from '../helpers/journal.js';
import { makeContacts, phoneOf, TEMPLATE } from '../helpers/make-contacts.js';
import { redisAvailable, startRedis } from '../helpers/redis.js';
import { fullestSecond, runCli, startCli, tempDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

/** A folder with `n` contacts numbered from `from` (so two folders reach different people). */
function folder(n: number, from: number): string {
  const t = tempDir('campaign-store-');
  cleanups.push(t.cleanup);
  const rows = Array.from({ length: n }, (_, i) => `N${i},${phoneOf(from + i)},yes,Madrid`);
  writeFileSync(path.join(t.dir, 'contacts.csv'), `name,phone,consent,city\n${rows.join('\n')}\n`);
  writeFileSync(path.join(t.dir, 'message.md'), TEMPLATE);
  return t.dir;
}


const SEND = ['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--yes'];

describe.skipIf(!redisAvailable)('--store: many senders, one business', () => {
  it('two sends from two folders on one number at --rate 50 each: at most 50 arrivals in any 1 s together, and most of 50/s', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    // The provider's arrival clock is this test process's event loop: on 2 cores shared with
    // other test files it can stall and stamp a burst late, so that it shares a window with the
    // next. A real ceiling bug repeats on every run; scheduling noise does not: up to 3 runs
    // (new folders, new people), one must hold the ceiling, and each says what it saw.
    const run = async (attempt: number) => {
      const fake = await startFakeCloud(undefined, { delayMs: 5 });
      cleanups.push(() => fake.close());
      const dirs = [folder(150, attempt * 10_000), folder(150, attempt * 10_000 + 1000)];
      const env = { ...fake.env, CAMPAIGN_STORE: redis.url };
      const runs = await Promise.all(dirs.map((cwd) => runCli([...SEND, '--rate', '50', '--concurrency', '20'], { cwd, env, timeoutMs: 40_000 })));
      for (const r of runs) expect(r.code, r.stderr).toBe(0);
      expect(duplicates(fake.accepted())).toEqual([]);
      const times = fake.server.requests.map((q) => q.startedAt);
      expect(times.length).toBe(300);
      return { worst: fullestSecond(times), span: (Math.max(...times) - Math.min(...times)) / 1000 };
    };
    let m = await run(0);
    for (let attempt = 1; m.worst > 50 && attempt < 3; attempt++) {
      console.warn(`store e2e: ${m.worst} arrivals in one 1 s window (machine busy?); measuring again`);
      m = await run(attempt);
    }
    // Alone each would go at 50/s, so together 100/s: the store holds them to 50 together.
    expect(m.worst).toBeLessThanOrEqual(50);
    // 300 starts, the first 50 at once: ≥ 5 s from first to last; most of the rate: under 6 s.
    expect(m.span).toBeGreaterThanOrEqual(4.9);
    expect(m.span).toBeLessThan(6);
  }, 150_000);

  it('--daily-limit is shared across folders: the second stops at what the first left', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const fake = await startFakeCloud();
    cleanups.push(() => fake.close());
    const env = { ...fake.env, CAMPAIGN_STORE: redis.url };
    const [a, b] = [folder(6, 0), folder(8, 1000)];
    const first = await runCli([...SEND, '--rate', '100', '--daily-limit', '10'], { cwd: a, env });
    expect(first.code, first.stderr).toBe(0);
    const second = await runCli([...SEND, '--rate', '100', '--daily-limit', '10'], { cwd: b, env });
    expect(second.code, second.stderr).toBe(1);
    expect(second.stderr).toMatch(/daily-limit/);
    const j = readJournal(path.join(b, 'contacts.journal.jsonl'));
    expect(j.byState('sent')).toHaveLength(4);
    expect(j.events.some((e) => e.type === 'pause' && e.reason === 'daily-limit')).toBe(true);
    expect(fake.server.requests).toHaveLength(10);
    // Without the store, folder b counts only itself (the limit stays per folder, as before).
    const alone = await runCli([...SEND, '--rate', '100', '--daily-limit', '10'], { cwd: folder(8, 2000), env: fake.env });
    expect(alone.code, alone.stderr).toBe(0);
  }, 60_000);

  it('redis-server killed mid-send: exit 1, a store-lost halt; after a restart a resume finishes, nobody messaged twice', async () => {
    const redis = await startRedis();
    let restarted: Awaited<ReturnType<typeof startRedis>> | undefined;
    cleanups.push(async () => {
      await redis.stop();
      await restarted?.stop();
    });
    const fake = await startFakeCloud();
    cleanups.push(() => fake.close());
    const dir = folder(120, 0);
    const env = { ...fake.env, CAMPAIGN_STORE: redis.url };
    const run = startCli([...SEND, '--rate', '20', '--concurrency', '5'], { cwd: dir, env, timeoutMs: 40_000 });
    while (fake.server.requests.length < 30) await new Promise((r) => setTimeout(r, 20));
    redis.kill();
    const r = await run.done;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/store-lost/);
    const j = readJournal(path.join(dir, 'contacts.journal.jsonl'));
    const halt = j.events.find((e) => e.type === 'halt');
    expect(halt?.reason).toBe('store-lost');
    // It stopped at once: well short of the list (20/s for 6 s would be all of it).
    const before = fake.server.requests.length;
    expect(before).toBeLessThan(60);

    restarted = await startRedis(redis.port);
    const resume = await runCli(['resume', 'contacts.journal.jsonl', '--yes'], { cwd: dir, env: { ...env, CAMPAIGN_STORE: restarted.url }, timeoutMs: 40_000 });
    expect(resume.code, resume.stderr).toBe(0);
    expect(duplicates(fake.accepted())).toEqual([]);
    expect(fake.accepted().size).toBe(120);
  }, 90_000);
});

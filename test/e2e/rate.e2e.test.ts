/** The --rate ceiling, measured where it matters: at the provider's side of the connection. */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { duplicates, startFakeCloud } from '../helpers/fake-cloud.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

const RATE = 50;

/** One send of 200 messages at --rate 50; arrival times as the server saw them. */
async function measure() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const c = makeContacts(t.dir, 200, { extras: false });
  const fake = await startFakeCloud(undefined, { delayMs: 5 });
  cleanups.push(() => fake.close());
  const r = await runCli(
    ['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--rate', String(RATE), '--concurrency', '20', '--yes'],
    { cwd: t.dir, env: fake.env, timeoutMs: 30_000 },
  );
  expect(r.code, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/Warning/); // e.g. MaxListenersExceededWarning at --concurrency > 10
  expect(duplicates(fake.accepted())).toEqual([]);
  const times = fake.server.requests.map((q) => q.startedAt).sort((a, b) => a - b);
  expect(times.length).toBe(c.sendable.length);

  // At every arrival, count the arrivals in the 1 s window that ends there (inclusive).
  let worst = 0;
  let lo = 0;
  for (let hi = 0; hi < times.length; hi++) {
    while (times[hi] - times[lo] >= 1000) lo++;
    worst = Math.max(worst, hi - lo + 1);
  }
  return { worst, times };
}

describe('rate ceiling', () => {
  it('--rate 50 --concurrency 20 against a fake Cloud API: never more than 50 arrivals in any 1 s window, at least 90% of 50/s', async () => {
    // The server's clock is this test process's event loop: on 2 cores shared with the other
    // e2e files (load average above 2) either process can be descheduled for longer than the
    // gate's 25 ms margin, and a batch then looks bunched. A real ceiling bug repeats on every
    // run; scheduling noise does not. So: up to 3 runs, one must hold the ceiling, and say so.
    // The same holds for the achieved rate: a descheduled child sends late. So a run counts when
    // it holds the ceiling and reaches 90% of it; up to 3 runs, and the figures of each are said.
    const runs: string[] = [];
    let m = await measure();
    for (;;) {
      const span = (m.times.at(-1)! - m.times[0]) / 1000;
      // With a sliding-window ceiling the first 50 may start at once, so 200 requests need at
      // least (200 - 50) / 50 = 3 s from first to last arrival; allow 10% over that.
      const ideal = (m.times.length - RATE) / RATE;
      runs.push(`worst window ${m.worst}, span ${span.toFixed(2)} s (ideal ${ideal} s)`);
      // Faster than the ideal means the ceiling itself slipped: never retried away.
      expect(span, runs.join('; ')).toBeGreaterThanOrEqual(ideal * 0.98);
      const ok = m.worst <= RATE && span <= ideal / 0.9;
      if (ok || runs.length === 3) {
        expect(m.worst, runs.join('; ')).toBeLessThanOrEqual(RATE);
        expect(span, runs.join('; ')).toBeLessThanOrEqual(ideal / 0.9);
        break;
      }
      console.warn(`rate e2e: ${runs.at(-1)} (machine busy?); measuring again`);
      m = await measure();
    }
  }, 80_000);
});

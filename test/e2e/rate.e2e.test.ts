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

describe('rate ceiling', () => {
  it('--rate 50 --concurrency 20: never more than 50 arrivals in any 1 s window, at least 90% of 50/s', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const c = makeContacts(t.dir, 200, { extras: false });
    const fake = await startFakeCloud(undefined, { delayMs: 5 });
    cleanups.push(() => fake.close());

    const r = await runCli(
      ['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--rate', '50', '--concurrency', '20', '--yes'],
      { cwd: t.dir, env: fake.env, timeoutMs: 30_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    const times = fake.server.requests.map((q) => q.startedAt).sort((a, b) => a - b);
    expect(times.length).toBe(c.sendable.length);
    expect(duplicates(fake.accepted())).toEqual([]);

    // At every arrival, count the arrivals in the 1 s window that ends there (inclusive).
    let worst = 0;
    let lo = 0;
    for (let hi = 0; hi < times.length; hi++) {
      while (times[hi] - times[lo] >= 1000) lo++;
      worst = Math.max(worst, hi - lo + 1);
    }
    expect(worst).toBeLessThanOrEqual(50);

    // Achieved rate: the first 50 may go at once, so measure over whole windows from the first
    // arrival: 200 requests need at least 3 full seconds at 50/s; allow 10% for slack.
    const span = (times.at(-1)! - times[0]) / 1000;
    const ideal = (times.length - 50) / 50; // 3 s: the ceiling's own minimum span
    expect(span).toBeLessThanOrEqual(ideal / 0.9);
  });
});

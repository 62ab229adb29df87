/**
 * The flags resume takes really steer the resumed run (not the options the journal recorded),
 * and the ones that would change who is selected are refused before anything is sent.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { cloudError, duplicates, startFakeCloud } from '../helpers/fake-cloud.js';
import { readJournal } from '../helpers/journal.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

/** A send at --rate 200 halted by 131048 at its 3rd request: a journal with most recipients left. */
async function haltedSend(n: number) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const c = makeContacts(t.dir, n, { extras: false });
  const bad = await startFakeCloud(({ index }) => (index === 2 ? cloudError(131048, 400, 'Spam rate limit hit') : undefined));
  cleanups.push(() => bad.close());
  const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--rate', '200', '--concurrency', '1', '--yes'], {
    cwd: t.dir,
    env: bad.env,
  });
  expect(r.code, r.stderr).toBe(1);
  expect(readJournal(path.join(t.dir, 'contacts.journal.jsonl')).header.options).toMatchObject({ rate: 200, maxRetries: 5 });
  return { dir: t.dir, c, sentBefore: new Set(bad.accepted().keys()) };
}

describe('resume with flags', () => {
  it('--rate 5 paces the resumed run at 5/s, not the 200/s the journal recorded', async () => {
    const { dir, c, sentBefore } = await haltedSend(14);
    const good = await startFakeCloud();
    cleanups.push(() => good.close());
    const r = await runCli(['resume', 'contacts.journal.jsonl', '--rate', '5', '--concurrency', '5', '--yes'], { cwd: dir, env: good.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/at most 5\/s, 5 in flight/);
    expect(duplicates(good.accepted())).toEqual([]);
    expect(new Set([...sentBefore, ...good.accepted().keys()])).toEqual(new Set(c.sendable));

    const times = good.server.requests.map((q) => q.startedAt).sort((a, b) => a - b);
    expect(times.length).toBe(c.sendable.length - sentBefore.size);
    let worst = 0;
    for (let hi = 0, lo = 0; hi < times.length; hi++) {
      while (times[hi] - times[lo] >= 1000) lo++;
      worst = Math.max(worst, hi - lo + 1);
    }
    // This test is about which rate the resume uses, not the ceiling's precision (rate tests own
    // that): at 200/s all 12 would land in one second. The server stamps arrivals on this busy
    // test process's event loop, so a burst of 5 stamped a few ms late can share a window with
    // the next burst: allow that, and prove the pace by the duration below.
    expect(worst).toBeLessThan(times.length);
    expect(worst).toBeLessThanOrEqual(10);
    // 12 requests at 5/s: the first 5 may start at once, the last no sooner than 1.4 s later.
    expect((times.at(-1)! - times[0]) / 1000).toBeGreaterThanOrEqual(((times.length - 5) / 5) * 0.98);
  }, 60_000);

  it('--max-retries 0 is accepted and used: a transient error is not retried', async () => {
    const { dir, sentBefore } = await haltedSend(8);
    const down = await startFakeCloud(() => cloudError(131000, 503, 'Service unavailable'));
    cleanups.push(() => down.close());
    const r = await runCli(['resume', 'contacts.journal.jsonl', '--max-retries', '0', '--timeout', '2000', '--yes'], { cwd: dir, env: down.env });
    expect(r.code, r.stderr).toBe(1);
    const tos = down.tos();
    expect(tos.length).toBeGreaterThan(0);
    // With the recorded 5 retries each recipient would be asked up to 6 times.
    expect(tos.length).toBe(new Set(tos).size);
    expect(tos.filter((to) => sentBefore.has(to))).toEqual([]);
  }, 60_000);

  it('--where is refused (exit 2) before anything is sent', async () => {
    const { dir } = await haltedSend(5);
    const good = await startFakeCloud();
    cleanups.push(() => good.close());
    const r = await runCli(['resume', 'contacts.journal.jsonl', '--where', 'city=Madrid', '--yes'], { cwd: dir, env: good.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--where: resume runs with the journal's selection; start a new send to change it.");
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(good.server.requests).toEqual([]);
  }, 60_000);
});

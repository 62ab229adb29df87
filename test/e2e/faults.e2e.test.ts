/**
 * Provider faults end to end against a fake Cloud API: throttling then success, a STOP-class
 * error that halts the campaign (and a resume that finishes it), and a provider that only
 * answers 500.
 */
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { cloudError, duplicates, startFakeCloud } from '../helpers/fake-cloud.js';
import { journalProblems, readJournal } from '../helpers/journal.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

function setup(n: number) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return { dir: t.dir, c: makeContacts(t.dir, n), journal: path.join(t.dir, 'contacts.journal.jsonl') };
}
const send = (...extra: string[]) => ['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--yes', ...extra];

async function status(dir: string) {
  const r = await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('provider faults', () => {
  it('130429 throttling for the first requests, then 200: everyone sent once, exit 0', async () => {
    const { dir, c, journal } = setup(20);
    const fake = await startFakeCloud(({ index }) =>
      index < 3 ? { ...cloudError(130429, 429, 'Rate limit hit'), ...(index === 0 ? { headers: { 'retry-after': '1' } } : {}) } : undefined,
    );
    cleanups.push(() => fake.close());
    const r = await runCli(send('--rate', '100', '--concurrency', '5'), { cwd: dir, env: fake.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/20 sent, 0 failed/);
    expect(fake.server.requests.length).toBe(23);
    expect(duplicates(fake.accepted())).toEqual([]);
    const j = readJournal(journal);
    expect(journalProblems(j)).toEqual([]);
    expect(new Set(j.byState('sent'))).toEqual(new Set(c.sendable));
    // The throttled recipients were attempted again (n > 1).
    expect(j.events.filter((e) => e.type === 'attempt' && e.n > 1).length).toBe(3);
    // Retry-After: 1 s paused the whole sender: a gap of about a second between arrivals.
    const times = fake.server.requests.map((q) => q.startedAt).sort((a, b) => a - b);
    const gap = Math.max(...times.slice(1).map((t, i) => t - times[i]));
    expect(gap).toBeGreaterThanOrEqual(900);
  });

  it('131048 at the 10th request halts the campaign (exit 1, halt event, nothing new attempted); resume against a healthy server finishes', async () => {
    const { dir, c, journal } = setup(40);
    const bad = await startFakeCloud(({ index }) => (index === 9 ? cloudError(131048, 400, 'Spam rate limit hit') : undefined), { delayMs: 5 });
    cleanups.push(() => bad.close());
    const r = await runCli(send('--rate', '200', '--concurrency', '4'), { cwd: dir, env: bad.env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/Halted/);
    expect(r.stderr).toContain('131048');
    expect(r.stderr).toMatch(/campaign resume contacts\.journal\.jsonl/);

    const j = readJournal(journal);
    expect(journalProblems(j)).toEqual([]);
    const haltAt = j.events.findIndex((e) => e.type === 'halt');
    expect(haltAt).toBeGreaterThan(0);
    expect(j.events[haltAt]).toMatchObject({ type: 'halt', reason: 'provider-stop', code: '131048' });
    // Nothing is attempted after the halt; only requests already in flight (concurrency 4) finish.
    expect(j.events.slice(haltAt).filter((e) => e.type === 'attempt')).toEqual([]);
    expect(bad.server.requests.length).toBeLessThanOrEqual(10 + 3);
    const attempted = new Set(j.events.filter((e) => e.type === 'attempt').map((e) => e.to));
    expect(attempted.size).toBe(bad.server.requests.length);
    const victim = bad.tos()[9];
    expect(j.events.find((e) => e.type === 'failed' && e.to === victim)).toMatchObject({ code: '131048', permanent: false });

    const s = await status(dir);
    expect(s.halt).toBe('provider-stop');
    expect(s.complete).toBe(false);
    // The halted recipient is failed for now (retried on resume), not "remaining".
    expect(s.failed_retryable).toBe(1);
    expect(s.remaining).toBe(40 - s.sent - 1);

    // The account is fixed: resume against a healthy server sends the rest (the halted one too).
    const good = await startFakeCloud();
    cleanups.push(() => good.close());
    const resumed = await runCli(['resume', 'contacts.journal.jsonl', '--yes'], { cwd: dir, env: good.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    const sentBefore = new Set(bad.accepted().keys());
    expect(good.tos().filter((to) => sentBefore.has(to))).toEqual([]);
    expect(new Set([...sentBefore, ...good.accepted().keys()])).toEqual(new Set(c.sendable));
    expect(good.tos()).toContain(victim);
    const after = await status(dir);
    expect(after).toMatchObject({ sent: 40, failed: 0, remaining: 0, complete: true, halt: null });
  });

  it('HTTP 503 for every request: retried, then failed (permanent: false) or a failure-rate halt; exit 1', async () => {
    const { dir, journal } = setup(25);
    const fake = await startFakeCloud(() => ({ status: 503, text: 'Service Unavailable' }));
    cleanups.push(() => fake.close());
    const r = await runCli(send('--rate', '200', '--concurrency', '5', '--max-retries', '1'), { cwd: dir, env: fake.env });
    expect(r.code, r.stderr).toBe(1);
    const j = readJournal(journal);
    expect(journalProblems(j)).toEqual([]);
    const failed = j.events.filter((e) => e.type === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect(f).toMatchObject({ code: '503', permanent: false });
    // A failure before any halt was tried twice (one retry); one cut short by the halt mid-backoff, once or twice.
    const haltAt = j.events.findIndex((e) => e.type === 'halt');
    const tries = (to: string) => j.events.filter((e) => e.type === 'attempt' && e.to === to).length;
    for (const f of failed) {
      const before = haltAt < 0 || j.events.indexOf(f) < haltAt;
      if (before) expect(tries(f.to), f.to).toBe(2);
      else expect([1, 2]).toContain(tries(f.to));
    }
    // No attempt ever went out after the halt.
    if (haltAt >= 0) expect(j.events.slice(haltAt).filter((e) => e.type === 'attempt')).toEqual([]);
    expect(j.byState('sent')).toEqual([]);
    const halted = j.events.some((e) => e.type === 'halt' && e.reason === 'failure-rate');
    expect(halted || failed.length === 25).toBe(true);
    const s = await status(dir);
    expect(s.sent).toBe(0);
    expect(s.failed_retryable).toBe(failed.length);
  });

  it('a gateway 502 for every request: outcomes unknown, never replayed, and the error budget halts the send', async () => {
    const { dir, journal } = setup(60);
    const fake = await startFakeCloud(() => ({ status: 502, text: '<html>Bad Gateway</html>' }));
    cleanups.push(() => fake.close());
    const r = await runCli(send('--rate', '200', '--concurrency', '5'), { cwd: dir, env: fake.env });
    expect(r.code, r.stderr).toBe(1);
    const j = readJournal(journal);
    const attempts = j.events.filter((e) => e.type === 'attempt');
    // One request per recipient: an unknown outcome is never sent again.
    expect(new Set(attempts.map((e) => e.to)).size).toBe(attempts.length);
    expect(j.events.some((e) => e.type === 'halt' && e.reason === 'failure-rate')).toBe(true);
    expect(attempts.length).toBeLessThan(60);
    const s = await status(dir);
    expect(s.uncertain).toBe(attempts.length);
  });
});

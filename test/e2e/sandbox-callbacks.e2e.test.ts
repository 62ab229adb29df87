/**
 * The embedded sandbox's delivery callbacks end to end: `campaign send` on a copy of samples/
 * leaves a journal with the full funnel (the seeded failures and "BAJA" replies exactly), the
 * opt-outs in .campaign/optouts.txt and suppressed by a later lint; a burst of replies halts the
 * send; `callbacks=off` and a dry run produce none.
 */
import { cpSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CALLBACKS, DEFAULT_CALLBACK_SEED, parseCallbackFault, planCallbacks } from '../../src/core/providers/sandbox/callbacks.js';
import { ensureBuilt, REPO_ROOT } from '../helpers/build-once.js';
import { readJournal } from '../helpers/journal.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

function samples(): { dir: string; journal: string } {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const from = path.join(REPO_ROOT, 'samples');
  for (const f of readdirSync(from)) if (!f.endsWith('.jsonl') && !f.startsWith('.')) cpSync(path.join(from, f), path.join(t.dir, f), { recursive: true });
  return { dir: t.dir, journal: path.join(t.dir, 'contacts.journal.jsonl') };
}

/** Who the seeded sandbox fails and who answers BAJA, among the numbers the send attempted. */
function predict(attempted: string[], spec: string, seed: number) {
  const into: { callbacks?: typeof DEFAULT_CALLBACKS } = {};
  for (const item of spec.split(',')) parseCallbackFault(item, into);
  const settings = into.callbacks ?? DEFAULT_CALLBACKS;
  const plans = attempted.map((to) => ({ to, ...planCallbacks(to, seed, settings) }));
  return {
    failed: plans.filter((p) => p.outcome === 'failed').map((p) => p.to).sort(),
    baja: plans.filter((p) => p.baja).map((p) => p.to).sort(),
    read: plans.filter((p) => p.read).length,
  };
}

const attemptedIn = (journal: string) => [...new Set(readJournal(journal).events.filter((e) => e.type === 'attempt').map((e) => e.to as string))];

async function report(dir: string) {
  const r = await runCli(['report', 'contacts.journal.jsonl', '--json'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe('the sandbox produces the callbacks a real Cloud number would', () => {
  it('the sample as it ships: a full funnel in the report right after the send, the BAJA in optouts.txt and suppressed by lint', async () => {
    const { dir, journal } = samples();
    // As a user runs it: no CAMPAIGN_SANDBOX_FAULTS (the test environment turns the callbacks off).
    const r = await runCli(['send', 'contacts.csv', '--yes'], { cwd: dir, timeoutMs: 90_000, env: { CAMPAIGN_SANDBOX_FAULTS: undefined } });
    expect(r.stderr).toMatch(/Waiting \d+ s for the sandbox's delivery callbacks/);
    const attempted = attemptedIn(journal);
    const want = predict(attempted, '', DEFAULT_CALLBACK_SEED);
    // The default seed is meant to show every outcome on the sample.
    expect(want.failed.length).toBeGreaterThan(0);
    expect(want.baja.length).toBeGreaterThan(0);
    // Undeliverable numbers are failures, as with a real provider: the summary counts them, exit 1.
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`${attempted.length - want.failed.length} sent, ${want.failed.length} failed, 0 uncertain`);

    const rep = await report(dir);
    expect(rep.failed).toBe(want.failed.length);
    expect(rep.sent).toBe(attempted.length - want.failed.length);
    expect(rep.delivered).toBe(rep.sent);
    expect(rep.read).toBe(want.read);
    expect(rep.opted_out).toBe(want.baja.length);
    expect(rep.failures).toEqual([expect.objectContaining({ code: '131026', count: want.failed.length })]);
    // The sandbox's health read, as the send's summary showed it.
    expect(rep.health).toMatchObject({ provider: 'sandbox', read: 'ok', quality: 'GREEN', status: 'CONNECTED' });
    const text = await runCli(['report', 'contacts.journal.jsonl'], { cwd: dir });
    expect(text.stdout).toMatch(/sender\s+quality GREEN, status CONNECTED/);

    const optouts = readFileSync(path.join(dir, '.campaign', 'optouts.txt'), 'utf8').split('\n').filter(Boolean).sort();
    expect(optouts).toEqual(want.baja);
    // Made-up opt-outs stay in the folder, like the sandbox's history (run-cli's CAMPAIGN_HOME).
    expect(existsSync(path.join(dir, '.campaign-home', 'optouts.txt'))).toBe(false);
    // Every callback went through the webhook's matching: each status names a message the send journaled.
    const events = readJournal(journal).events;
    const ids = new Set(events.filter((e) => e.type === 'sent').map((e) => e.id));
    const statuses = events.filter((e) => e.type === 'status');
    expect(statuses.length).toBeGreaterThan(attempted.length);
    for (const s of statuses) expect(ids.has(s.id), JSON.stringify(s)).toBe(true);

    const lint = await runCli(['lint', 'contacts.csv', '--json'], { cwd: dir });
    const suppressed = JSON.parse(lint.stdout).findings.filter((f: { rule: string }) => f.rule === 'suppressed').map((f: { message: string }) => f.message);
    for (const n of want.baja) expect(suppressed.some((m: string) => m.startsWith(`${n} `)), n).toBe(true);
  }, 120_000);

  it('seed=7 with larger shares: failed and opted_out are exactly the seeded ones', async () => {
    const { dir, journal } = samples();
    const spec = 'undeliverable=0.1,baja=0.05,callback-delay=100';
    const r = await runCli(['send', 'contacts.csv', '--yes', '--sandbox-faults', `${spec},seed=7`], { cwd: dir, timeoutMs: 90_000 });
    // Four or so opt-outs among 40-odd: under the halt's minimum of five.
    const want = predict(attemptedIn(journal), spec, 7);
    expect(want.baja.length).toBeLessThanOrEqual(5);
    expect(want.failed.length).toBeGreaterThan(0);
    expect(r.code, r.stderr).toBe(1);
    const rep = await report(dir);
    expect(rep.failed).toBe(want.failed.length);
    expect(rep.opted_out).toBe(want.baja.length);
    expect(rep.read).toBe(want.read);
    expect(rep.delivered).toBeGreaterThan(0);
    const failedTo = readJournal(journal).events.filter((e) => e.type === 'status' && e.status === 'failed').map((e) => e.to).sort();
    expect(failedTo).toEqual(want.failed);
  }, 120_000);

  it('baja=0.5 draws enough opt-outs during the send to halt it (opt-out-rate) before the end', async () => {
    const { dir, journal } = samples();
    const r = await runCli(['send', 'contacts.csv', '--yes', '--rate', '5', '--sandbox-faults', 'baja=0.5,callback-delay=200'], { cwd: dir, timeoutMs: 90_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/Halted for the account's safety: opt-out-rate/);
    const events = readJournal(journal).events;
    expect(events.some((e) => e.type === 'halt' && e.reason === 'opt-out-rate')).toBe(true);
    const plan = JSON.parse(readFileSync(journal, 'utf8').split('\n')[0]).options.selected as number;
    expect(attemptedIn(journal).length).toBeLessThan(plan);
  }, 120_000);

  it('callbacks=off: no callback reaches the journal; a dry run produces none either', async () => {
    const { dir, journal } = samples();
    const dry = await runCli(['send', 'contacts.csv', '--yes', '--dry-run'], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).not.toMatch(/delivery callbacks/);
    expect(existsSync(journal)).toBe(false);
    expect(existsSync(path.join(dir, '.campaign', 'optouts.txt'))).toBe(false);

    const r = await runCli(['send', 'contacts.csv', '--yes', '--sandbox-faults', 'callbacks=off,baja=0.9'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/delivery callbacks/);
    const events = readJournal(journal).events;
    expect(events.filter((e) => e.type === 'status' || e.type === 'optout')).toEqual([]);
    expect(existsSync(path.join(dir, '.campaign', 'optouts.txt'))).toBe(false);
    expect((await report(dir)).delivered).toBe(0);
  }, 120_000);
});

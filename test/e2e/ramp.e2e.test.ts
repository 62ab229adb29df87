/**
 * Canary waves (issue 12, items 3-5) through the built CLI: a local Cloud API server takes the
 * requests, a real `campaign webhook` receives the signed Meta callbacks this test posts while
 * the send waits after its first wave, and the journal, the exit codes and the server's
 * requests say what happened. The waits end early once every recipient of the wave has a final
 * callback, so nothing here depends on timing except test (c), whose wait is 2 s by design.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { duplicates, startFakeCloud, type FakeCloud } from '../helpers/fake-cloud.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, runCli, startCli, tempDir, waitFor } from '../helpers/run-cli.js';
import { postMetaReply, startWebhook, type RunningWebhook } from '../helpers/webhook.js';

const APP_SECRET = 'app-secret-for-ramp-tests';
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await ensureBuilt();
}, 120_000);

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function postStatus(hook: RunningWebhook, id: string, to: string, status: 'delivered' | 'read' | 'failed', code?: number): Promise<number> {
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: {
      messaging_product: 'whatsapp', metadata: { display_phone_number: '34600000000', phone_number_id: '1234567890' },
      statuses: [{ id, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: to.slice(1), ...(code ? { errors: [{ code, title: 'error' }] } : {}) }],
    } }] }],
  });
  const res = await fetch(`${hook.url}/webhooks/cloud`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}` },
    body,
  });
  await res.text();
  return res.status;
}

interface Setup {
  dir: string;
  csv: string;
  template: string;
  journal: string;
  sendable: string[];
  cloud: FakeCloud;
  hook: RunningWebhook;
  env: Record<string, string>;
}

async function setup(n: number): Promise<Setup> {
  const tmp = tempDir('campaign-ramp-');
  cleanups.push(tmp.cleanup);
  const { csv, template, sendable } = makeContacts(tmp.dir, n, { extras: false });
  const journal = path.join(tmp.dir, 'contacts.journal.jsonl');
  const cloud = await startFakeCloud();
  cleanups.push(() => cloud.close());
  const env = { ...cloud.env, WHATSAPP_APP_SECRET: APP_SECRET };
  const hook = await startWebhook(['--journal', journal], { cwd: tmp.dir, env, timeoutMs: 120_000 });
  cleanups.push(() => hook.stop());
  return { dir: tmp.dir, csv, template, journal, sendable, cloud, hook, env };
}

const lines = (journal: string) => readJsonl(journal).lines;
const waveEvents = (journal: string) => lines(journal).filter((l) => l.type === 'wave');
const waiting = (journal: string, n: number, after = 0) => () => waveEvents(journal).filter((l) => l.phase === 'wait' && l.n === n).length > after;

function sendArgs(s: Setup, ramp: string, wait: string, extra: string[] = []): string[] {
  return ['send', s.csv, '--template', s.template, '--provider', 'cloud', '--yes', '--journal', s.journal, '--ramp', ramp, '--ramp-wait', wait, ...extra];
}

/** Delivered callbacks for every `sent` of the journal whose recipient is in `who`. */
async function deliverAll(s: Setup, who: ReadonlySet<string>): Promise<void> {
  for (const l of lines(s.journal)) if (l.type === 'sent' && who.has(l.to)) expect(await postStatus(s.hook, l.id, l.to, 'delivered')).toBe(200);
}

describe('canary waves (--ramp)', () => {
  it('(a) a first wave that draws opt-outs halts before the second: no request for wave 2, halt ramp-health, exit 1; resume judges it again', async () => {
    const s = await setup(30);
    const send = startCli(sendArgs(s, '10,all', '60s', ['--json']), { cwd: s.dir, env: s.env, timeoutMs: 90_000 });
    await waitFor(waiting(s.journal, 1), 30_000, 'the wait after wave 1');
    const wave1 = new Set(s.cloud.tos());
    expect(wave1.size).toBe(10);
    // Two "BAJA" replies (20% of the wave), then delivered for everyone: the wait ends early.
    const [a, b] = [...wave1];
    expect(await postMetaReply(s.hook.url, APP_SECRET, a.slice(1), 'BAJA')).toBe(200);
    expect(await postMetaReply(s.hook.url, APP_SECRET, b.slice(1), 'Baja por favor')).toBe(200);
    await deliverAll(s, wave1);
    const r = await send.done;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/Halted for the account's safety \(ramp-health\): wave 1: 10\/10 delivered, 0 failed, 2 opted out/);
    expect(r.stderr).toMatch(/--ramp-max-optouts/);
    // --json: the wave with its figures and verdict.
    expect(JSON.parse(r.stdout)).toMatchObject({ halt: 'ramp-health', waves: [{ n: 1, of: 2, size: 10, delivered: 10, failed: 0, opted_out: 2, verdict: 'halt', detail: expect.stringMatching(/--ramp-max-optouts 1%/) }] });
    expect(s.cloud.tos()).toHaveLength(10);
    const halt = lines(s.journal).filter((l) => l.type === 'halt');
    expect(halt).toHaveLength(1);
    expect(halt[0]).toMatchObject({ reason: 'ramp-health' });
    expect(halt[0].detail).toMatch(/opted out, more than --ramp-max-optouts 1%/);
    expect(waveEvents(s.journal).at(-1)).toMatchObject({ phase: 'verdict', n: 1, verdict: 'halt', size: 10, delivered: 10 });

    // Resume re-judges the wave with what the journal holds: still too many opt-outs.
    const again = await runCli(['resume', s.journal, '--yes'], { cwd: s.dir, env: s.env, timeoutMs: 60_000 });
    expect(again.code, again.stderr).toBe(1);
    expect(s.cloud.tos()).toHaveLength(10);
    expect(lines(s.journal).filter((l) => l.type === 'halt' && l.reason === 'ramp-health')).toHaveLength(2);

    // Reviewed and accepted: a higher threshold for this run goes on with wave 2, the two who opted out excluded.
    const on = await runCli(['resume', s.journal, '--yes', '--ramp-max-optouts', '25%'], { cwd: s.dir, env: s.env, timeoutMs: 60_000 });
    expect(on.code, on.stderr).toBe(0);
    expect(duplicates(s.cloud.accepted())).toEqual([]);
    expect(new Set(s.cloud.tos())).toEqual(new Set(s.sendable));
    expect(waveEvents(s.journal).filter((l) => l.phase === 'start').map((l) => l.n)).toEqual([1, 2]);
  }, 120_000);

  it('(b, e) a healthy first wave is followed by the rest; the report shows the waves and their verdicts', async () => {
    const s = await setup(25);
    const send = startCli(sendArgs(s, '20%,all', '60s'), { cwd: s.dir, env: s.env, timeoutMs: 90_000 });
    await waitFor(waiting(s.journal, 1), 30_000, 'the wait after wave 1');
    const wave1 = new Set(s.cloud.tos());
    expect(wave1.size).toBe(5); // 20% of 25
    // Printed right after the journal's wait event: waited for, not raced.
    await waitFor(() => /wave 1\/2 sent \(5\); watching its callbacks/.test(send.stderr()), 10_000, 'the waiting line');
    await deliverAll(s, wave1);
    const r = await send.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wave 1\/2: every recipient has a final callback, so the wait ended early; healthy \(5\/5 delivered, 0 failed, 0 opted out\)/);
    expect(new Set(s.cloud.tos())).toEqual(new Set(s.sendable));
    expect(duplicates(s.cloud.accepted())).toEqual([]);
    // Wave 2's requests all come after wave 1's verdict.
    const ev = lines(s.journal);
    const verdictAt = ev.findIndex((l) => l.type === 'wave' && l.phase === 'verdict');
    expect(ev.slice(0, verdictAt).filter((l) => l.type === 'attempt')).toHaveLength(5);
    expect(ev[verdictAt]).toMatchObject({ verdict: 'ok', early: true, delivered: 5, size: 5 });

    const report = await runCli(['report', s.journal, '--json'], { cwd: s.dir, timeoutMs: 30_000 });
    expect(report.code, report.stderr).toBe(0);
    const waves = JSON.parse(report.stdout).waves;
    expect(waves).toMatchObject([
      { n: 1, size: 5, verdict: 'ok', delivered: 5, failed: 0, opted_out: 0 },
      { n: 2, size: 20, verdict: null, delivered: 0 },
    ]);
    expect(Date.parse(waves[1].started)).toBeGreaterThanOrEqual(Date.parse(waves[0].judged));
  }, 120_000);

  it('(c) no callbacks: the wave cannot be judged and the send stops resumably; --ramp-blind goes on', async () => {
    const s = await setup(12);
    const r = await runCli(sendArgs(s, '4,all', '2s'), { cwd: s.dir, env: s.env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/no delivery callback arrived for its 4 recipients, so it cannot be judged/);
    expect(r.stderr).toMatch(/--ramp-blind/);
    expect(s.cloud.tos()).toHaveLength(4);
    expect(lines(s.journal).filter((l) => l.type === 'halt').map((l) => l.reason)).toEqual(['ramp-blind']);
    const status = await runCli(['status', s.journal, '--json'], { cwd: s.dir, timeoutMs: 30_000 });
    expect(JSON.parse(status.stdout).halt).toBe('ramp-blind');

    const blind = await runCli(['resume', s.journal, '--yes', '--ramp-blind'], { cwd: s.dir, env: s.env, timeoutMs: 60_000 });
    expect(blind.code, blind.stderr).toBe(0);
    expect(new Set(s.cloud.tos())).toEqual(new Set(s.sendable));
    expect(duplicates(s.cloud.accepted())).toEqual([]);
    expect(waveEvents(s.journal).filter((l) => l.phase === 'verdict').map((l) => l.verdict)).toEqual(['unjudged', 'blind']);
  }, 120_000);

  it('(d) Ctrl-C during the wait, then resume: the same wave is judged, the next one sent, nobody messaged twice', async () => {
    const s = await setup(15);
    const send = startCli(sendArgs(s, '5,10,all', '60s'), { cwd: s.dir, env: s.env, timeoutMs: 90_000 });
    await waitFor(waiting(s.journal, 1), 30_000, 'the wait after wave 1');
    send.child.kill('SIGINT');
    const r = await send.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toMatch(/campaign resume/);
    const wave1 = new Set(s.cloud.tos());
    expect(wave1.size).toBe(5);
    expect(waveEvents(s.journal).at(-1)).toMatchObject({ phase: 'wait', n: 1 });

    // The resume waits out wave 1's wait; its callbacks arrive meanwhile and end it.
    const resume = startCli(['resume', s.journal, '--yes'], { cwd: s.dir, env: s.env, timeoutMs: 90_000 });
    await waitFor(() => /wave 1\/3/.test(resume.stderr()) || resume.child.exitCode !== null, 30_000, 'the resumed wait');
    expect(s.cloud.tos()).toHaveLength(5);
    await deliverAll(s, wave1);
    await waitFor(waiting(s.journal, 2), 30_000, 'the wait after wave 2');
    const wave2 = new Set(s.cloud.tos().filter((to) => !wave1.has(to)));
    expect(wave2.size).toBe(5);
    await deliverAll(s, wave2);
    const done = await resume.done;
    expect(done.code, done.stderr).toBe(0);
    expect(new Set(s.cloud.tos())).toEqual(new Set(s.sendable));
    expect(duplicates(s.cloud.accepted())).toEqual([]);
    expect(waveEvents(s.journal).filter((l) => l.phase === 'start').map((l) => [l.n, l.of])).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(waveEvents(s.journal).filter((l) => l.phase === 'verdict').map((l) => [l.n, l.verdict])).toEqual([[1, 'ok'], [2, 'ok']]);
  }, 120_000);

  it('(d) kill -9 while a wave is being sent: resume goes on as that wave, up to its size, then waits and judges it', async () => {
    const s = await setup(12);
    const args = sendArgs(s, '6,all', '3s', ['--rate', '1', '--ramp-min-delivered', '50%']);
    const send = startCli(args, { cwd: s.dir, env: s.env, timeoutMs: 90_000 });
    await waitFor(() => lines(s.journal).filter((l) => l.type === 'sent').length >= 3, 30_000, 'three sends of wave 1');
    send.child.kill('SIGKILL');
    await send.done.catch(() => undefined);
    const before = lines(s.journal).filter((l) => l.type === 'attempt').length;
    expect(before).toBeLessThan(6);

    const resume = startCli(['resume', s.journal, '--yes', '--rate', '20'], { cwd: s.dir, env: s.env, timeoutMs: 90_000 });
    await waitFor(waiting(s.journal, 1), 30_000, 'the wait after the rest of wave 1');
    // Wave 1 was finished, not started again: six recipients attempted in all before the wait.
    expect(new Set(lines(s.journal).filter((l) => l.type === 'attempt').map((l) => l.to)).size).toBe(6);
    expect(waveEvents(s.journal).filter((l) => l.phase === 'start').map((l) => l.n)).toEqual([1]);
    await deliverAll(s, new Set(s.sendable));
    const done = await resume.done;
    expect(done.code === 0 || done.code === 1, done.stderr).toBe(true); // 1 only if the kill left someone uncertain
    expect(duplicates(s.cloud.accepted())).toEqual([]);
    expect(waveEvents(s.journal).filter((l) => l.phase === 'verdict').map((l) => [l.n, l.verdict])).toEqual([[1, 'ok']]);
    expect(waveEvents(s.journal).filter((l) => l.phase === 'start').map((l) => l.n)).toEqual([1, 2]);
    const attempted = new Set(lines(s.journal).filter((l) => l.type === 'attempt').map((l) => l.to));
    expect(attempted).toEqual(new Set(s.sendable));
  }, 120_000);

  it('dry run: the plan puts the waits between the waves and writes no journal', async () => {
    const s = await setup(10);
    const r = await runCli(['send', s.csv, '--template', s.template, '--provider', 'cloud', '--journal', s.journal, '--ramp', '3,all', '--ramp-wait', '15m', '--dry-run'], { cwd: s.dir, env: s.env, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const plan = readJsonl(s.journal.replace(/\.jsonl$/, '.plan.jsonl')).lines;
    expect(plan).toHaveLength(10);
    const at = plan.map((l) => Date.parse(l.at));
    expect(at[3] - at[2]).toBeGreaterThanOrEqual(15 * 60_000);
    expect(at[2] - at[0]).toBeLessThan(60_000);
    expect(readJsonl(s.journal).lines).toEqual([]);
    expect(s.cloud.tos()).toEqual([]);
  }, 60_000);

  it('a bad --ramp is bad usage, naming the value, before anything is sent', async () => {
    const s = await setup(3);
    const r = await runCli(sendArgs(s, '500,all,5000', '2s'), { cwd: s.dir, env: s.env, timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--ramp "500,all,5000": "all" can only be the last step/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(s.cloud.tos()).toEqual([]);
  }, 60_000);
});

/**
 * Opt-outs and history in a shared Redis store (--store, issue 11), against a real redis-server:
 * folders with nothing in common on disk (each its own CAMPAIGN_HOME) share them only through it.
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { hasRedis, startRedis } from '../helpers/redis.js';
import { readJsonl, runCli, startCli, tempDir, waitFor } from '../helpers/run-cli.js';
import { postMetaReply, startWebhook } from '../helpers/webhook.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
beforeAll(async () => {
  await ensureBuilt();
  if (hasRedis) redis = await startRedis();
}, 120_000);
afterAll(async () => redis?.stop());

let db = 0;
/** Two folders, each with its own user-level directory, and a fresh Redis database for the test. */
function setup(n = 6) {
  const t = tempDir('campaign-store-');
  cleanups.push(t.cleanup);
  const a = path.join(t.dir, 'a');
  const b = path.join(t.dir, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const contacts = makeContacts(a, n, { extras: false });
  copyFileSync(contacts.csv, path.join(b, 'contacts.csv'));
  copyFileSync(contacts.template, path.join(b, 'message.md'));
  const store = `${redis!.url}/${++db}`;
  return { a, b, store, sendable: contacts.sendable, envA: { CAMPAIGN_HOME: path.join(t.dir, 'home-a') }, envB: { CAMPAIGN_HOME: path.join(t.dir, 'home-b') } };
}

const lintJson = async (dir: string, env: Record<string, string>, extra: string[] = []) => {
  const r = await runCli(['lint', 'contacts.csv', '--template', 'message.md', '--json', ...extra], { cwd: dir, env });
  expect(r.code, r.stderr).not.toBe(2);
  return JSON.parse(r.stdout);
};
const outbox = (dir: string) => readJsonl(path.join(dir, '.campaign', 'sandbox-outbox.jsonl')).lines.map((m) => m.to);
// Requests run several at a time: who was messaged matters, not in which order.
const sorted = (list: string[]) => [...list].sort();

describe.skipIf(!hasRedis)('opt-outs and history in a Redis store', () => {
  it('an opt-out received by `webhook --store` in one folder is suppressed by `lint --store` in another', async () => {
    const s = setup();
    const secret = 'app-secret';
    const hook = await startWebhook(['--store', s.store], { cwd: s.a, env: { ...s.envA, WHATSAPP_APP_SECRET: secret } });
    cleanups.push(hook.stop);
    const from = s.sendable[2].slice(1);
    expect(await postMetaReply(hook.url, secret, from, 'BAJA')).toBe(200);
    expect(hook.stderr()).toContain(`opt-out +${from} (keyword) added to ${s.store}`);
    // Only in the store: neither folder's files hold it, so nothing else can explain the lint below.
    expect(existsSync(path.join(s.a, '.campaign', 'optouts.txt'))).toBe(false);
    expect(existsSync(path.join(s.envA.CAMPAIGN_HOME, 'optouts.txt'))).toBe(false);
    expect((await lintJson(s.b, s.envB, ['--store', s.store])).contacts).toMatchObject({ suppressed: 1, sendable: 5 });
    // Without the store the other folder knows nothing of it.
    expect((await lintJson(s.b, s.envB)).contacts).toMatchObject({ suppressed: 0, sendable: 6 });
  }, 60_000);

  it('`optout add|list|remove` with numbers in any format, honoured by lint (CAMPAIGN_STORE too)', async () => {
    const s = setup();
    const env = { ...s.envA, CAMPAIGN_STORE: s.store };
    const n = s.sendable[1];
    const spaced = `${n.slice(0, 3)} ${n.slice(3, 6)} ${n.slice(6)}`;
    const add = await runCli(['optout', 'add', spaced, `00${n.slice(1)}`, s.sendable[4]], { cwd: s.a, env });
    expect(add.code, add.stderr).toBe(0);
    expect(add.stderr).toContain(`2 of 3 numbers added to ${s.store}`);
    const list = await runCli(['optout', 'list', '--json'], { cwd: s.a, env });
    expect(JSON.parse(list.stdout)).toEqual([n, s.sendable[4]].sort());
    expect((await lintJson(s.b, s.envB, ['--store', s.store])).contacts).toMatchObject({ suppressed: 2, sendable: 4 });
    const bad = await runCli(['optout', 'add', 'not-a-number'], { cwd: s.a, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"not-a-number" is not a phone number');
    expect((await runCli(['optout', 'remove', n], { cwd: s.a, env })).code).toBe(0);
    expect((await lintJson(s.b, s.envB, ['--store', s.store])).contacts).toMatchObject({ suppressed: 1, sendable: 5 });
  }, 60_000);

  it('`optout add` without a store writes .campaign/optouts.txt, which lint reads as before', async () => {
    const s = setup();
    expect((await runCli(['optout', 'add', s.sendable[0]], { cwd: s.a, env: s.envA })).code).toBe(0);
    expect(readFileSync(path.join(s.a, '.campaign', 'optouts.txt'), 'utf8')).toContain(s.sendable[0]);
    expect((await lintJson(s.a, s.envA)).contacts).toMatchObject({ suppressed: 1, sendable: 5 });
    expect((await runCli(['optout', 'remove', s.sendable[0]], { cwd: s.a, env: s.envA })).code).toBe(0);
    expect((await lintJson(s.a, s.envA)).contacts).toMatchObject({ suppressed: 0, sendable: 6 });
  }, 60_000);

  it('store import then export: opt-outs and history of one folder reach another, and the repeat guard there sees them', async () => {
    const s = setup();
    mkdirSync(path.join(s.a, '.campaign'), { recursive: true });
    writeFileSync(path.join(s.a, '.campaign', 'optouts.txt'), `# by hand\n${s.sendable[5]}\n`);
    const sent = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '100'], { cwd: s.a, env: s.envA });
    expect(sent.code, sent.stderr).toBe(0);
    const imp = await runCli(['store', 'import', '--store', s.store, '--json'], { cwd: s.a, env: s.envA });
    expect(imp.code, imp.stderr).toBe(0);
    expect(JSON.parse(imp.stdout)).toMatchObject({ optoutsAdded: 1, history: 5 });
    // Twice is harmless: nothing new.
    expect(JSON.parse((await runCli(['store', 'import', '--store', s.store, '--json'], { cwd: s.a, env: s.envA })).stdout)).toMatchObject({ optoutsAdded: 0, history: 0 });
    // Folder b reads the store: the repeat guard and the opt-out hold all six.
    expect((await lintJson(s.b, s.envB, ['--store', s.store])).contacts).toMatchObject({ suppressed: 1, already_messaged: 5, sendable: 0 });
    const exp = await runCli(['store', 'export', '--store', s.store, '--json'], { cwd: s.b, env: s.envB });
    expect(exp.code, exp.stderr).toBe(0);
    expect(readFileSync(path.join(s.b, '.campaign', 'optouts.txt'), 'utf8')).toContain(s.sendable[5]);
    expect(readJsonl(path.join(s.b, '.campaign', 'history.jsonl')).lines.map((l) => l.to).sort()).toEqual(s.sendable.slice(0, 5).sort());
    // Now without any store.
    expect((await lintJson(s.b, s.envB)).contacts).toMatchObject({ suppressed: 1, already_messaged: 5, sendable: 0 });
  }, 90_000);

  it('an unreachable store: exit 2, one sentence naming the URL (not its password), no stack, nothing written', async () => {
    const s = setup();
    const url = 'redis://user:hunter2@127.0.0.1:1/0';
    for (const args of [
      ['send', 'contacts.csv', '--template', 'message.md', '--yes', '--store', url],
      ['lint', 'contacts.csv', '--template', 'message.md', '--store', url],
      ['optout', 'add', s.sendable[0], '--store', url],
      ['webhook', '--port', '0', '--store', url],
    ]) {
      const r = await runCli(args, { cwd: s.a, env: s.envA });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^campaign: cannot reach the store redis:\/\/\S*@127\.0\.0\.1:1\/0: [^\n]*[^.]\. Start it/);
      expect(r.stderr).not.toContain('hunter2');
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
    expect(existsSync(path.join(s.a, 'contacts.journal.jsonl'))).toBe(false);
    expect(existsSync(path.join(s.a, '.campaign'))).toBe(false);
  }, 60_000);

  it('a mid-send `optout add` on the store is skipped by the running send; the send warns of a store without persistence', async () => {
    const s = setup(8);
    const send = startCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '2', '--store', s.store], { cwd: s.a, env: s.envA, timeoutMs: 60_000 });
    cleanups.push(async () => {
      send.child.kill('SIGKILL');
      await send.done.catch(() => undefined);
    });
    await waitFor(() => existsSync(path.join(s.a, '.campaign', 'sandbox-outbox.jsonl')) && outbox(s.a).length >= 1, 20_000, 'the first message');
    const last = s.sendable[7];
    expect((await runCli(['optout', 'add', last, '--store', s.store], { cwd: s.b, env: s.envB })).code).toBe(0);
    const done = await send.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stderr).toContain('this Redis keeps opt-outs only in memory');
    expect(sorted(outbox(s.a))).toEqual(sorted(s.sendable.slice(0, 7)));
    const skipped = readJsonl(path.join(s.a, 'contacts.journal.jsonl')).lines.filter((l) => l.type === 'skipped' && l.to === last);
    expect(skipped.length).toBe(1);
    // The send recorded its history in the store: the other folder's lint sees the seven.
    expect((await lintJson(s.b, s.envB, ['--store', s.store])).contacts).toMatchObject({ already_messaged: 7, suppressed: 1 });
    // The report counts opt-outs the store knows, not only the folder's own list.
    const report = JSON.parse((await runCli(['report', 'contacts.journal.jsonl', '--json', '--store', s.store], { cwd: s.a, env: s.envA })).stdout);
    expect(report.opted_out).toBe(1);
  }, 90_000);
});

/**
 * The same campaign twice: a second journal, or a copy of the list in another folder on the same
 * machine, messages nobody again unless asked (--allow-repeat); a different approved template
 * goes out. Opt-outs the webhook receives in one folder protect campaigns in the others.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { makeContacts, TEMPLATE } from '../helpers/make-contacts.js';
import { readJsonl, runCli, tempDir, waitFor } from '../helpers/run-cli.js';
import { startFakeCloud } from '../helpers/fake-cloud.js';
import { postMetaReply, startWebhook } from '../helpers/webhook.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

function setup() {
  const t = tempDir('campaign-repeat-');
  cleanups.push(t.cleanup);
  const home = path.join(t.dir, 'home');
  const a = path.join(t.dir, 'a');
  const b = path.join(t.dir, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const contacts = makeContacts(a, 6, { extras: false });
  copyFileSync(contacts.csv, path.join(b, 'contacts.csv'));
  copyFileSync(contacts.template, path.join(b, 'message.md'));
  return { home, a, b, sendable: contacts.sendable, env: { CAMPAIGN_HOME: home } };
}

const outbox = (dir: string) => readJsonl(path.join(dir, '.campaign', 'sandbox-outbox.jsonl')).lines.map((m) => m.to);
// Requests run several at a time: who was messaged matters, not in which order.
const sorted = (list: string[]) => [...list].sort();
const send = (dir: string, extra: string[], env: Record<string, string>) =>
  runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '100', ...extra], { cwd: dir, env });

describe('the same campaign again', () => {
  it('from a second journal: nobody twice, each skip naming the earlier campaign and journal', async () => {
    const s = setup();
    expect((await send(s.a, [], s.env)).code).toBe(0);
    const again = await send(s.a, ['--journal', 'other.jsonl', '--json'], s.env);
    expect(again.code, again.stderr).toBe(0);
    expect(sorted(outbox(s.a))).toEqual(sorted(s.sendable)); // once each
    expect(again.stderr).toMatch(/skipped +6 already got this template from this sender/);
    expect(again.stderr).toMatch(/already got this template from this sender on .* \(campaign contacts-.*, journal .*contacts\.journal\.jsonl\)/);
    // Nothing to send: no second journal to resume either.
    expect(readJsonl(path.join(s.a, 'other.jsonl')).lines.filter((e) => e.type === 'attempt')).toEqual([]);
    const lint = await runCli(['lint', 'contacts.csv', '--template', 'message.md', '--json'], { cwd: s.a, env: s.env });
    const report = JSON.parse(lint.stdout);
    expect(report.contacts).toMatchObject({ rows: 6, sendable: 0, already_messaged: 6 });
    const finding = report.findings.find((f: { rule: string }) => f.rule === 'already-messaged');
    expect(finding.message).toMatch(/campaign contacts-\d{4}-\d{2}-\d{2}-[0-9a-f]{8}, journal .*contacts\.journal\.jsonl/);
  }, 60_000);

  it('from another folder with a copy of the list: the user-level history sees it', async () => {
    const s = setup();
    const fake = await startFakeCloud();
    cleanups.push(() => fake.close());
    const cloud = (dir: string, extra: string[], env: Record<string, string>) =>
      runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '100', '--provider', 'cloud', ...extra], { cwd: dir, env: { ...fake.env, ...env } });
    expect((await cloud(s.a, [], s.env)).code).toBe(0);
    const other = await cloud(s.b, [], s.env);
    expect(other.code, other.stderr).toBe(0);
    expect(sorted(fake.tos())).toEqual(sorted(s.sendable)); // once each, from the first folder
    // Without the shared state directory (another user), the folder alone knows nothing.
    const stranger = await cloud(s.b, ['--journal', 'stranger.jsonl'], { CAMPAIGN_HOME: path.join(s.b, 'other-home') });
    expect(stranger.code).toBe(0);
    expect(sorted(fake.tos())).toEqual(sorted([...s.sendable, ...s.sendable]));
  }, 60_000);

  it('the sandbox keeps its history to the folder: the sample can be tried in a second folder', async () => {
    const s = setup();
    expect((await send(s.a, [], s.env)).code).toBe(0);
    expect((await send(s.b, [], s.env)).code).toBe(0);
    expect(sorted(outbox(s.b))).toEqual(sorted(s.sendable));
    // In the same folder, another journal is still the same campaign again.
    expect((await send(s.b, ['--journal', 'again.jsonl'], s.env)).code).toBe(0);
    expect(sorted(outbox(s.b))).toEqual(sorted(s.sendable));
  }, 60_000);

  it('--allow-repeat sends anyway and says so; another approved template is not a repeat', async () => {
    const s = setup();
    expect((await send(s.a, [], s.env)).code).toBe(0);
    writeFileSync(path.join(s.a, 'reminder.md'), TEMPLATE.replace('e2e_invite', 'e2e_reminder'));
    const reminder = await runCli(['send', 'contacts.csv', '--template', 'reminder.md', '--yes', '--rate', '100', '--journal', 'reminder.jsonl'], { cwd: s.a, env: s.env });
    expect(reminder.code, reminder.stderr).toBe(0);
    const forced = await send(s.a, ['--journal', 'forced.jsonl', '--allow-repeat'], s.env);
    expect(forced.code, forced.stderr).toBe(0);
    expect(forced.stderr).toMatch(/--allow-repeat: recipients who already got this template from this sender are messaged again/);
    expect(sorted(outbox(s.a))).toEqual(sorted([...s.sendable, ...s.sendable, ...s.sendable]));
    // --repeat-after shorter than the time since: not a repeat.
    await new Promise((r) => setTimeout(r, 1100));
    const later = await send(s.a, ['--journal', 'later.jsonl', '--repeat-after', '1s'], s.env);
    expect(later.code).toBe(0);
    expect(outbox(s.a)).toHaveLength(4 * s.sendable.length);
  }, 60_000);
});

describe('opt-outs across folders', () => {
  it('a "BAJA" received by the webhook in one folder keeps that number out of a lint and a send in another', async () => {
    const s = setup();
    const secret = 'app-secret';
    const hook = await startWebhook([], { cwd: s.a, env: { ...s.env, WHATSAPP_APP_SECRET: secret } });
    cleanups.push(hook.stop);
    const from = s.sendable[2].slice(1);
    expect(await postMetaReply(hook.url, secret, from, 'BAJA')).toBe(200);
    await waitFor(() => {
      try {
        return readFileSync(path.join(s.home, 'optouts.txt'), 'utf8').includes(`+${from}`);
      } catch {
        return false;
      }
    }, 10_000, 'the user-level opt-out list');
    const lint = JSON.parse((await runCli(['lint', 'contacts.csv', '--template', 'message.md', '--json'], { cwd: s.b, env: s.env })).stdout);
    expect(lint.contacts).toMatchObject({ suppressed: 1, sendable: 5 });
    expect((await send(s.b, [], s.env)).code).toBe(0);
    expect(sorted(outbox(s.b))).toEqual(sorted(s.sendable.filter((n) => n !== `+${from}`)));
  }, 60_000);
});

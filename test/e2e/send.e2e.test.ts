/**
 * `campaign send` end to end through the built CLI: sandbox send and re-run, the no-TTY refusal,
 * --dry-run, and missing provider settings.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { journalProblems, readJournal } from '../helpers/journal.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, runCli, tempDir } from '../helpers/run-cli.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});
function workdir() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

beforeAll(() => ensureBuilt(), 120_000);

describe('campaign send (sandbox)', () => {
  it('sends every sendable row exactly once, journals attempt-then-sent, and a second run sends nothing', async () => {
    const dir = workdir();
    const c = makeContacts(dir, 30);
    const outbox = path.join(dir, '.campaign', 'sandbox-outbox.jsonl');
    const journalPath = path.join(dir, 'contacts.journal.jsonl');

    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '500', '--concurrency', '10'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/30 sent, 0 failed, 0 uncertain, \d+ skipped/);
    expect(r.stderr).toContain('to send    30');
    expect(r.stdout).toBe('');

    const j = readJournal(journalPath);
    expect(j.torn).toBeNull();
    expect(j.header).toMatchObject({
      type: 'header',
      version: 1,
      provider: 'sandbox',
      contacts: { path: c.csv, sha256: sha256(c.csv) },
      template: { path: c.template, sha256: sha256(c.template) },
    });
    expect(typeof j.header.campaign).toBe('string');
    expect(j.header.campaign.length).toBeGreaterThan(0);
    expect(j.header.options).toMatchObject({ provider: 'sandbox', rate: 500, concurrency: 10 });
    expect(journalProblems(j)).toEqual([]);

    // One attempt, then one sent, per recipient.
    for (const to of c.sendable) {
      const mine = j.events.filter((e) => e.to === to).map((e) => e.type);
      expect(mine, to).toEqual(['attempt', 'sent']);
    }
    expect(new Set(j.byState('sent'))).toEqual(new Set(c.sendable));
    expect(j.states.get(c.noConsent[0])).not.toBe('sent');

    // The outbox holds exactly the sendable recipients, once each, and the ids match the journal.
    const sent = readJsonl(outbox).lines;
    expect(sent.map((m) => m.to).sort()).toEqual([...c.sendable].sort());
    const ids = new Map(j.events.filter((e) => e.type === 'sent').map((e) => [e.to, e.id]));
    for (const m of sent) expect(ids.get(m.to)).toBe(m.id);
    expect(sent[0].template).toBe('e2e_invite');

    const again = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes'], { cwd: dir });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain('Nothing left to send');
    expect(again.stderr).toMatch(/30 recipients already done/);
    expect(readJsonl(outbox).lines).toHaveLength(sent.length);
    expect(existsSync(`${journalPath}.lock`)).toBe(false);

    const status = await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir });
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ sent: 30, failed: 0, uncertain: 0, remaining: 0, complete: true, halt: null });
  });

  it('--json prints one machine-readable result on stdout', async () => {
    const dir = workdir();
    makeContacts(dir, 5);
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--json', '--rate', '500'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ sent: 5, failed: 0, uncertain: 0, halt: null, interrupted: false });
  });

  it('refuses without a TTY and without --yes: exit 2, names --yes, no journal, nothing sent', async () => {
    const dir = workdir();
    makeContacts(dir, 5);
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--yes');
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/); // no stack trace
    expect(existsSync(path.join(dir, 'contacts.journal.jsonl'))).toBe(false);
    expect(existsSync(path.join(dir, '.campaign', 'sandbox-outbox.jsonl'))).toBe(false);
  });

  it('--dry-run renders the plan and sends nothing', async () => {
    const dir = workdir();
    const c = makeContacts(dir, 8);
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Dry run: 8 messages/);
    const planFile = path.join(dir, 'contacts.journal.plan.jsonl');
    const plan = readJsonl(planFile).lines;
    expect(plan.map((p) => p.to)).toEqual(c.sendable);
    expect(plan[0].text).toBe('Hola Name0, te esperamos en City0.');
    expect(plan[0].template).toMatchObject({ name: 'e2e_invite', language: 'es', params: ['Name0', 'City0'] });
    expect(existsSync(path.join(dir, 'contacts.journal.jsonl'))).toBe(false);
    expect(existsSync(path.join(dir, '.campaign', 'sandbox-outbox.jsonl'))).toBe(false);
  });

  it('--provider cloud without WHATSAPP_TOKEN: exit 2, names the variable, no journal', async () => {
    const dir = workdir();
    makeContacts(dir, 3);
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--yes'], {
      cwd: dir,
      env: { WHATSAPP_PHONE_NUMBER_ID: '123', WHATSAPP_API_URL: 'http://127.0.0.1:9/v23.0' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('WHATSAPP_TOKEN');
    expect(r.stderr).not.toContain('WHATSAPP_PHONE_NUMBER_ID,');
    expect(existsSync(path.join(dir, 'contacts.journal.jsonl'))).toBe(false);
    expect(existsSync(path.join(dir, 'contacts.journal.jsonl.lock'))).toBe(false);

    // Same for twilio: every missing variable is named, never a value.
    const t = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'twilio', '--yes'], {
      cwd: dir,
      env: { TWILIO_ACCOUNT_SID: 'AC123' },
    });
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/TWILIO_AUTH_TOKEN/);
    expect(t.stderr).toMatch(/TWILIO_WHATSAPP_FROM/);
    expect(existsSync(path.join(dir, 'contacts.journal.jsonl'))).toBe(false);
  });
});

describe('campaign send start-up', () => {
  it('loads the Redis client only with --store (it costs every other send ~50 ms)', async () => {
    const dir = workdir();
    makeContacts(dir, 3);
    // Loaded before the CLI: at exit it says whether any ioredis file was required.
    const probe = path.join(dir, 'probe.mjs');
    writeFileSync(
      probe,
      "import { createRequire } from 'node:module';\n" +
        "const cache = createRequire(import.meta.url).cache;\n" +
        "process.on('exit', () => process.stderr.write(`ioredis loaded: ${Object.keys(cache).some((k) => /[\\\\/]ioredis[\\\\/]/.test(k))}\\n`));\n",
    );
    const env = { NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` };
    const plain = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes'], { cwd: dir, env });
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).toMatch(/3 sent/);
    expect(plain.stderr).toContain('ioredis loaded: false');
    // The probe sees it when it is used: a store that is not there (port 1) is refused, exit 2.
    const stored = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--store', 'redis://127.0.0.1:1'], { cwd: dir, env });
    expect(stored.code, stored.stderr).toBe(2);
    expect(stored.stderr).toMatch(/cannot reach the store redis:\/\/127\.0\.0\.1:1/);
    expect(stored.stderr).toContain('ioredis loaded: true');
  });
});

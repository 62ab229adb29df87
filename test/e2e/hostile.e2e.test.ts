/**
 * Hostile and damaged inputs through the built CLI: secrets quoted from a file stay redacted,
 * escape sequences in the data never reach the terminal raw, alias bombs and damaged journals
 * are bad input (exit 2) with a plain message and no stack trace, never "a bug".
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { makeContacts, TEMPLATE } from '../helpers/make-contacts.js';
import { runCli, startCli, tempDir } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

const TOKEN = 'EAAGm0PX4ZCpsBAKzp1ZAeZBZCQq7H2NQd9s8ZBxkq5n';
function dir() {
  const t = tempDir('campaign-hostile-');
  cleanups.push(t.cleanup);
  return t.dir;
}
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+|this is a bug/i);

describe('secrets in messages that quote input', () => {
  it('`campaign lint .env` names the problem without printing the token (environment or .env)', async () => {
    const d = dir();
    writeFileSync(path.join(d, '.env'), `WHATSAPP_TOKEN=${TOKEN}\nWHATSAPP_PHONE_NUMBER_ID=123456789\n`);
    for (const env of [{}, { WHATSAPP_TOKEN: TOKEN }]) {
      const r = await runCli(['lint', '.env'], { cwd: d, env });
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).not.toContain(TOKEN);
      expect(r.stderr).toMatch(/\.env/);
      noStack(r.stderr);
    }
  });

  it('a header quoting a token-shaped value is redacted in lint --json too', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'c.csv'), `phone,consent,note\n+34612000001,yes,${TOKEN}\n`);
    writeFileSync(path.join(d, 'm.md'), '---\ntemplate: t\nlanguage: es\ncategory: utility\nparams: [note]\n---\nHola {{note}} https://bit.ly/x\n');
    const r = await runCli(['lint', 'c.csv', '--template', 'm.md', '--json'], { cwd: d, env: { WHATSAPP_TOKEN: TOKEN } });
    expect(r.stdout + r.stderr).not.toContain(TOKEN);
  });
});

describe('escape sequences in the data', () => {
  it('are shown as text in the send preview, never written raw to the terminal', async () => {
    const d = dir();
    writeFileSync(path.join(d, 'contacts.csv'), `name,phone,consent,city\n"Ana\x1b[2J\x1b]0;pwned\x07\u202Eevil",+34612000001,yes,Madrid\n`);
    writeFileSync(path.join(d, 'message.md'), TEMPLATE);
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--dry-run'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/[\x1b\x07\u202E]/);
    expect(r.stderr).toContain('Hola Ana\\x1b[2J\\x1b]0;pwned\\x07<U+202E>evil');
    // The message itself is sent as written: only the display is made safe.
    const plan = readFileSync(path.join(d, 'contacts.journal.plan.jsonl'), 'utf8');
    expect(JSON.parse(plan.split('\n')[0]).template.params[0]).toBe('Ana\x1b[2J\x1b]0;pwned\x07\u202Eevil');
  });
});

describe('hostile YAML', () => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefgh'.split('').map((n, i) => `${n}: &${n} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`)];
  it('an alias bomb in the front matter: exit 2 naming the template', async () => {
    const d = dir();
    makeContacts(d, 2, { extras: false });
    writeFileSync(path.join(d, 'message.md'), ['---', 'template: t', 'language: es', 'category: utility', ...bomb, '---', 'Hola.'].join('\n'));
    const r = await runCli(['lint', 'contacts.csv', '--template', 'message.md'], { cwd: d, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/message\.md:\d+: The front matter uses too many YAML aliases/);
    noStack(r.stderr);
  });
  it('an alias bomb in campaign.yaml: exit 2 naming the file', async () => {
    const d = dir();
    makeContacts(d, 2, { extras: false });
    writeFileSync(path.join(d, 'campaign.yaml'), `${bomb.join('\n')}\n`);
    const r = await runCli(['lint', 'contacts.csv', '--template', 'message.md'], { cwd: d, timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/campaign\.yaml/);
    noStack(r.stderr);
  });
});

describe('a journal damaged in the middle', () => {
  it('is refused with its line by status, resume and send (exit 2); nobody is messaged again', async () => {
    const d = dir();
    makeContacts(d, 6, { extras: false });
    const first = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '100'], { cwd: d });
    expect(first.code, first.stderr).toBe(0);
    const journal = path.join(d, 'contacts.journal.jsonl');
    const lines = readFileSync(journal, 'utf8').split('\n');
    const victim = lines.findIndex((l) => l.includes('"type":"sent"'));
    lines[victim] = '\0'.repeat(lines[victim].length); // a disk block overwritten with NULs
    writeFileSync(journal, lines.join('\n'));
    const outboxBefore = readFileSync(path.join(d, '.campaign', 'sandbox-outbox.jsonl'), 'utf8');
    for (const args of [['status', 'contacts.journal.jsonl'], ['resume', 'contacts.journal.jsonl', '--yes'], ['send', 'contacts.csv', '--template', 'message.md', '--yes']]) {
      const r = await runCli(args, { cwd: d });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`contacts.journal.jsonl:${victim + 1}: journal line ${victim + 1} is damaged (overwritten with NUL bytes)`);
      noStack(r.stderr);
    }
    expect(readFileSync(path.join(d, '.campaign', 'sandbox-outbox.jsonl'), 'utf8')).toBe(outboxBefore);
    // The report stays lenient and says what it skipped.
    const report = JSON.parse((await runCli(['report', 'contacts.journal.jsonl', '--json'], { cwd: d })).stdout);
    expect(report.unreadable_lines).toBe(1);
  }, 60_000);
});

describe('a reader that stops early', () => {
  it('`campaign --help | head -1`: no stack trace, exit 0', async () => {
    const d = dir();
    const run = startCli(['--help'], { cwd: d });
    run.child.stdout!.destroy();
    const r = await run.done;
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled/);
    expect(r.code).toBe(0);
  });
});

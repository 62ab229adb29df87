/** --daily-limit counts every campaign's recipients in the last 24 h, not only this journal's. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { makeContacts, TEMPLATE } from '../helpers/make-contacts.js';
import { readJsonl, runCli, tempDir } from '../helpers/run-cli.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-limits-');
}, 120_000);
afterAll(() => tmp?.cleanup());

describe('--daily-limit', () => {
  it('stops a second campaign once the first and the second together reach it; resumable', async () => {
    makeContacts(tmp.dir, 3, { extras: false, name: 'first' });
    const second = path.join(tmp.dir, 'second.csv');
    writeFileSync(second, 'name,phone,consent,city\n' + [0, 1, 2, 3, 4].map((i) => `B${i},+3462200000${i},yes,Madrid`).join('\n') + '\n');

    const a = await runCli(['send', 'first.csv', '--template', 'message.md', '--yes', '--rate', '100'], { cwd: tmp.dir });
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['send', 'second.csv', '--template', 'message.md', '--yes', '--rate', '100', '--daily-limit', '5'], { cwd: tmp.dir });
    expect(b.code, b.stderr).toBe(1);
    expect(b.stderr).toMatch(/daily-limit/);
    const events = readJsonl(path.join(tmp.dir, 'second.journal.jsonl')).lines;
    expect(events.filter((e) => e.type === 'sent')).toHaveLength(2);
    expect(events.some((e) => e.type === 'pause' && e.reason === 'daily-limit' && typeof e.until === 'string')).toBe(true);
    expect(events.some((e) => e.type === 'halt')).toBe(false);
    const outbox = readJsonl(path.join(tmp.dir, '.campaign', 'sandbox-outbox.jsonl')).lines;
    expect(outbox).toHaveLength(5);
  }, 60_000);
});

describe('--min-interval', () => {
  it('skips recipients another campaign messaged within the interval, in lint and in send', async () => {
    const dir = path.join(tmp.dir, 'interval');
    (await import('node:fs')).mkdirSync(dir);
    makeContacts(dir, 4, { extras: false });
    const first = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--rate', '100', '--where', 'city=City0'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0); // City0 is row 0 only
    // Another template: the same one again would be the repeat guard's (already_messaged).
    (await import('node:fs')).writeFileSync(path.join(dir, 'other.md'), TEMPLATE.replace('e2e_invite', 'e2e_reminder'));
    const lint = await runCli(['lint', 'contacts.csv', '--template', 'other.md', '--min-interval', '7d', '--json'], { cwd: dir });
    expect(JSON.parse(lint.stdout).contacts).toMatchObject({ rows: 4, sendable: 3, recently_messaged: 1, already_messaged: 0 });
    const same = await runCli(['lint', 'contacts.csv', '--template', 'message.md', '--min-interval', '7d', '--json'], { cwd: dir });
    expect(JSON.parse(same.stdout).contacts).toMatchObject({ rows: 4, sendable: 3, recently_messaged: 0, already_messaged: 1 });
    const second = await runCli(['send', 'contacts.csv', '--template', 'other.md', '--yes', '--rate', '100', '--min-interval', '7d', '--journal', 'again.jsonl'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    const events = readJsonl(path.join(dir, 'again.jsonl')).lines;
    expect(events.filter((e) => e.type === 'sent')).toHaveLength(3);
    expect(events.filter((e) => e.type === 'skipped' && e.reason === 'recently-messaged')).toHaveLength(1);
  }, 60_000);
});

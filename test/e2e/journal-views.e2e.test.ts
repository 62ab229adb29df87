/**
 * Issue 7: one model of who gets a message and of what the journal says. `campaign status` and
 * `campaign report` are views over the same reduction and agree on every count, late callbacks
 * of every kind included; a number written by hand into `.campaign/optouts.txt` during a send is
 * never messaged.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { TEMPLATE } from '../helpers/make-contacts.js';
import { readJsonl, runCli, startCli, tempDir, waitFor } from '../helpers/run-cli.js';

let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-views-');
}, 120_000);

afterAll(async () => {
  await tmp?.cleanup();
});

const t = (s: number) => new Date(Date.parse('2025-03-05T09:00:00.000Z') + s * 1000).toISOString();
const n = (i: number) => `+3461200${String(i).padStart(4, '0')}`;

/** A journal with every kind of late callback, a retry, a skip, an opt-out and a pause. */
function lateCallbackJournal(): string {
  const header = {
    type: 'header', version: 1, campaign: 'views', at: t(0), contacts: { path: 'c.csv', sha256: 'x' }, template: null,
    provider: 'cloud', options: { selected: 16 },
  };
  const sent = (i: number, s: number) => [{ type: 'attempt', to: n(i), at: t(s) }, { type: 'sent', to: n(i), at: t(s), id: `m${i}` }];
  const st = (i: number, s: number, status: string, code?: number) => ({ type: 'status', to: n(i), at: t(s), id: `m${i}`, status, ...(code ? { code } : {}) });
  const events: object[] = [
    ...sent(1, 1), st(1, 50, 'failed', 131049), //                          failed after sent → failed
    ...sent(2, 2), st(2, 50, 'read'), //                                     read → delivered and read
    ...sent(3, 3), st(3, 40, 'delivered'), st(3, 60, 'failed', 131049), //  failed after delivered → delivered
    ...sent(4, 4), st(4, 40, 'read'), st(4, 60, 'failed'), //               failed after read → read
    ...sent(5, 5), st(5, 60, 'failed', 131026), st(5, 40, 'delivered'), //  out of order → delivered
    { type: 'attempt', to: n(6), at: t(6) }, st(6, 50, 'delivered'), //      uncertain settled → sent, delivered
    { type: 'attempt', to: n(7), at: t(7) }, st(7, 50, 'failed', 131026), // uncertain settled → failed
    { type: 'attempt', to: n(8), at: t(8) }, //                              uncertain, no callback
    ...sent(9, 9), st(9, 50, 'sent'), st(9, 51, 'sent'), //                  a repeated callback
    { type: 'attempt', to: n(10), at: t(10) }, { type: 'failed', to: n(10), at: t(10), code: '131056', permanent: false },
    { type: 'attempt', to: n(11), at: t(11) }, { type: 'failed', to: n(11), at: t(11), code: '131050', permanent: true },
    { type: 'optout', to: n(11), at: t(11), source: 'provider:131050' },
    ...sent(12, 12), { type: 'optout', to: n(12), at: t(70), source: 'keyword' },
    { type: 'skipped', to: n(13), at: t(13), reason: 'opted-out' },
    { type: 'skipped', to: n(14), at: t(0), reason: 'no-consent', line: 15 },
    { type: 'skipped', to: n(15), at: t(0), reason: 'filtered-out', line: 16 },
    { type: 'pause', at: t(14), reason: 'daily-limit', until: t(86_400) },
  ];
  return [header, ...events].map((e) => JSON.stringify(e)).join('\n') + '\n';
}

describe('status and report: one model', () => {
  it('agree on every shared count for a journal with late callbacks of every kind', async () => {
    const dir = path.join(tmp.dir, 'agree');
    mkdirSync(path.join(dir, '.campaign'), { recursive: true });
    const journal = path.join(dir, 'j.jsonl');
    writeFileSync(journal, lateCallbackJournal());
    // A number the journal does not know as opted out, written by hand in a human format.
    writeFileSync(path.join(dir, '.campaign', 'optouts.txt'), `# by hand\n+34 612 00 00 09\n`);

    const status = await runCli(['status', journal, '--json'], { cwd: dir });
    const report = await runCli(['report', journal, '--json'], { cwd: dir });
    expect(status.code, status.stderr).toBe(0);
    expect(report.code, report.stderr).toBe(0);
    const s = JSON.parse(status.stdout);
    const r = JSON.parse(report.stdout);

    const expected = { selected: 16, sent: 7, delivered: 5, read: 2, failed: 4, uncertain: 1, skipped: 2, opted_out: 4 };
    for (const [key, value] of Object.entries(expected)) {
      expect([key, s[key]]).toEqual([key, value]);
      expect([key, r[key]]).toEqual([key, value]);
    }
    expect(s.failed_retryable).toBe(r.failed_retryable);
    expect(s.remaining).toBe(r.pending);
    // 16 planned, 13 reached and selected (n(13) opted out while the send ran; n(14), n(15) were not selected).
    expect(r.pending).toBe(3);
    expect(s.failures.map((f: { code: string; count: number }) => [f.code, f.count]).sort()).toEqual(
      r.failures.map((f: { code: string; count: number }) => [f.code, f.count]).sort(),
    );
    // A pause is not a halt: both say paused, resumable, until when.
    expect(s.halt).toBeNull();
    expect(r.halt).toBeNull();
    expect(s.paused).toEqual({ reason: 'daily-limit', until: t(86_400) });
    expect(r.paused).toEqual(s.paused);
  }, 60_000);

  it('status refuses a damaged line in the middle, naming it; report counts it and goes on', async () => {
    const dir = path.join(tmp.dir, 'damaged');
    mkdirSync(dir, { recursive: true });
    const journal = path.join(dir, 'j.jsonl');
    const lines = lateCallbackJournal().split('\n');
    lines.splice(3, 0, '{"type":"sent","to":'); // line 4
    writeFileSync(journal, lines.join('\n'));
    const status = await runCli(['status', journal, '--json'], { cwd: dir });
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/line 4/);
    expect(status.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const report = await runCli(['report', journal, '--json'], { cwd: dir });
    expect(report.code, report.stderr).toBe(0);
    expect(JSON.parse(report.stdout)).toMatchObject({ unreadable_lines: 1, sent: 7 });
  }, 60_000);
});

describe('the opt-out list, during a send', () => {
  it('a number written into .campaign/optouts.txt by hand while the send runs is never messaged', async () => {
    const dir = path.join(tmp.dir, 'by-hand');
    mkdirSync(dir, { recursive: true });
    const late = '+34610000050';
    const numbers = Array.from({ length: 12 }, (_, i) => (i === 9 ? late : `+34612${String(i).padStart(6, '0')}`));
    writeFileSync(path.join(dir, 'contacts.csv'), 'name,phone,consent,city\n' + numbers.map((p, i) => `N${i},${p},yes,Madrid`).join('\n') + '\n');
    writeFileSync(path.join(dir, 'message.md'), TEMPLATE);
    const journal = path.join(dir, 'contacts.journal.jsonl');

    const send = startCli(['send', 'contacts.csv', '--template', 'message.md', '--rate', '2', '--yes'], { cwd: dir, timeoutMs: 60_000 });
    await waitFor(() => readJsonl(journal).lines.some((l) => l.type === 'sent'), 20_000, 'the first message');
    mkdirSync(path.join(dir, '.campaign'), { recursive: true });
    appendFileSync(path.join(dir, '.campaign', 'optouts.txt'), '# added by hand\n+34 610 00 00 50\n');
    const result = await send.done;
    expect(result.code, result.stderr).toBe(0);

    const lines = readJsonl(journal).lines;
    expect(lines.some((l) => l.type === 'attempt' && l.to === late)).toBe(false);
    expect(lines.filter((l) => l.to === late)).toEqual([expect.objectContaining({ type: 'skipped', reason: 'opted-out' })]);
    const outbox = readJsonl(path.join(dir, '.campaign', 'sandbox-outbox.jsonl')).lines;
    expect(outbox.map((m) => m.to)).not.toContain(late);
    expect(outbox).toHaveLength(11);
  }, 90_000);
});

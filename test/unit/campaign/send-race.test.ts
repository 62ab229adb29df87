/**
 * Two sends of the same list: the second planned (and was confirming) while the first ran.
 * It must not send anyone a second message.
 */
import { mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { planSend, runSend, sha256File, type PlanRequest } from '../../../src/core/campaign/send.js';
import { mergeOptions } from '../../../src/core/config/load.js';
import { fileVersion, RACY_MS, unchangedSince, type FileVersion } from '../../../src/core/campaign/file-version.js';

function setup() {
  const dir = mkdtempSync(path.join(tmpdir(), 'send-race-'));
  writeFileSync(path.join(dir, 'contacts.csv'), 'name,phone,consent\n' + [0, 1, 2, 3, 4].map((i) => `N${i},+3461200000${i},yes`).join('\n') + '\n');
  writeFileSync(path.join(dir, 'message.md'), '---\ntemplate: t\nlanguage: es\ncategory: utility\nparams: [name]\n---\nHola {{name}}.\n');
  const options = mergeOptions({}, { template: path.join(dir, 'message.md'), rate: 100, yes: true });
  const req: PlanRequest = {
    contactsPath: path.join(dir, 'contacts.csv'),
    options,
    cwd: dir,
    env: { CAMPAIGN_SANDBOX_OUTBOX: path.join(dir, 'outbox.jsonl'), CAMPAIGN_SANDBOX_FAULTS: 'callbacks=off' },
    onFinding: () => {},
  };
  const outbox = () => (existsSync(path.join(dir, 'outbox.jsonl')) ? readFileSync(path.join(dir, 'outbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).to) : []);
  return { dir, req, outbox };
}

describe('a send that planned before another send wrote the journal', () => {
  it('refuses when the journal appeared after it planned', async () => {
    const { req, outbox } = setup();
    const a = await planSend(req);
    const b = await planSend(req);
    await runSend(req, a, new AbortController().signal);
    await expect(runSend(req, b, new AbortController().signal)).rejects.toThrow(/another send started this journal/);
    expect(outbox()).toHaveLength(5);
  });

  it('re-reads a journal that changed after it planned, and sends nobody twice', async () => {
    const { dir, req, outbox } = setup();
    const journal = path.join(dir, 'contacts.journal.jsonl');
    const header = {
      type: 'header', version: 1, campaign: 'race', at: new Date().toISOString(),
      contacts: { path: req.contactsPath, sha256: await sha256File(req.contactsPath) },
      template: { path: req.options.template, sha256: await sha256File(req.options.template!) },
      provider: 'sandbox', options: {},
    };
    writeFileSync(journal, `${JSON.stringify(header)}\n`);
    const a = await planSend(req);
    const b = await planSend(req);
    expect([a.toSend, b.toSend]).toEqual([5, 5]);
    await runSend(req, a, new AbortController().signal);
    const r = await runSend(req, b, new AbortController().signal);
    expect(r.sent).toBe(0);
    expect(outbox().sort()).toEqual(['+34612000000', '+34612000001', '+34612000002', '+34612000003', '+34612000004']);
  });
});

describe('consent given on one row and withdrawn on another', () => {
  it('sends nothing to that number and journals why', async () => {
    const { dir, req, outbox } = setup();
    writeFileSync(req.contactsPath, 'name,phone,consent\nAna,+34612000000,yes\nLuis,+34612000001,yes\nAna,612000000,no\n');
    const plan = await planSend({ ...req, options: { ...req.options, defaultCountry: 'ES' } });
    expect(plan.counts).toMatchObject({ rows: 3, sendable: 1, no_consent: 2 });
    expect(plan.toSend).toBe(1);
    const dry = await runSend({ ...req, options: { ...req.options, defaultCountry: 'ES', dryRun: true } }, { ...plan, rows: [...plan.rows!] }, new AbortController().signal);
    expect(dry.dryRun?.messages).toBe(1); // the plan file says exactly what a send would do
    await runSend({ ...req, options: { ...req.options, defaultCountry: 'ES' } }, plan, new AbortController().signal);
    expect(outbox()).toEqual(['+34612000001']);
    const events = readFileSync(path.join(dir, 'contacts.journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    // The "yes" row (line 2) is skipped as a conflict, the "no" row (line 4) for its own reason.
    expect(events.filter((e) => e.to === '+34612000000').map((e) => [e.type, e.reason, e.line])).toEqual([
      ['skipped', 'consent-conflict', 2],
      ['skipped', 'no-consent', 4],
    ]);
  });
});

describe('resolveContentSid', () => {
  it.each([
    ['HX0123', {}, 'HX0123'],
    ['env:TWILIO_CONTENT_SID_RALLY', { TWILIO_CONTENT_SID_RALLY: 'HXabc' }, 'HXabc'],
    [undefined, { TWILIO_CONTENT_SID: 'HXdef' }, 'HXdef'],
    ['env:WHATSAPP_TOKEN', { WHATSAPP_TOKEN: 'secret' }, undefined],
    ['$TWILIO_AUTH_TOKEN', { TWILIO_AUTH_TOKEN: 'secret' }, undefined],
  ])('%s → %s', async (value, env, expected) => {
    const { resolveContentSid } = await import('../../../src/core/campaign/send.js');
    expect(resolveContentSid(value, env as Record<string, string>)).toBe(expected);
  });
});

describe('a contacts file changed between the plan and the send', () => {
  it('is refused before anyone is messaged: rows added, or the same size edited in place', async () => {
    const { req, outbox } = setup();
    const added = await planSend(req);
    writeFileSync(req.contactsPath, `${readFileSync(req.contactsPath, 'utf8')}N5,+34612000005,yes\n`);
    await expect(runSend(req, added, new AbortController().signal)).rejects.toThrow(/contacts file changed while the campaign was being prepared/);
    const edited = await planSend(req);
    const before = statSync(req.contactsPath);
    // One digit changed, the size and the modification time put back: the change time still moves.
    writeFileSync(req.contactsPath, readFileSync(req.contactsPath, 'utf8').replace('+34612000005', '+34612000006'));
    utimesSync(req.contactsPath, before.atime, before.mtime);
    expect(statSync(req.contactsPath).size).toBe(before.size);
    await expect(runSend(req, edited, new AbortController().signal)).rejects.toThrow(/contacts file changed/);
    expect(outbox()).toEqual([]);
  });

  it('is refused for a list last written long before the plan (no hash unless its metadata moved): edited in place, time put back', async () => {
    const { req, outbox } = setup();
    // A modification time of whole seconds, which `touch -d` or `cp -p` can put back exactly.
    const whole = Math.floor(Date.now() / 1000) - 60;
    utimesSync(req.contactsPath, whole, whole);
    // Past the racy window: now only the metadata decides whether the file is hashed again.
    await new Promise((r) => setTimeout(r, RACY_MS + 200));
    const plan = await planSend(req);
    writeFileSync(req.contactsPath, readFileSync(req.contactsPath, 'utf8').replace('+34612000004', '+34612000009'));
    utimesSync(req.contactsPath, whole, whole);
    expect(statSync(req.contactsPath, { bigint: true }).mtimeNs).toBe(plan.contactsVersion!.mtimeNs);
    await expect(runSend(req, plan, new AbortController().signal)).rejects.toThrow(/contacts file changed/);
    expect(outbox()).toEqual([]);
    const again = await planSend(req);
    await runSend(req, again, new AbortController().signal);
    expect(outbox()).toContain('+34612000009');
  }, 15_000);

  it('sends when the file was only touched: its bytes are what was planned', async () => {
    const { req, outbox } = setup();
    const plan = await planSend(req);
    utimesSync(req.contactsPath, new Date(), new Date(Date.now() + 60_000));
    await runSend(req, plan, new AbortController().signal);
    expect(outbox()).toHaveLength(5);
  });
});

describe('fileVersion', () => {
  it('reads the open file\'s metadata (what an NFS server says, not a cached stat), and null for no file', async () => {
    const { req } = setup();
    const v = await fileVersion(req.contactsPath);
    const st = statSync(req.contactsPath, { bigint: true });
    expect(v).toMatchObject({ ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });
    expect(await fileVersion(`${req.contactsPath}.missing`)).toBeNull();
  });
});

describe('unchangedSince', () => {
  const v = (o: Partial<FileVersion> = {}): FileVersion => ({ dev: 1n, ino: 2n, size: 300n, mtimeNs: 1_000_000_000_000n, ctimeNs: 1_000_000_000_000n, readAtMs: 1_000_000 + RACY_MS + 1, ...o });
  it('holds only for the same metadata of a file last changed well before the first look', () => {
    expect(unchangedSince(v(), v())).toBe(true);
    for (const k of ['dev', 'ino', 'size', 'mtimeNs', 'ctimeNs'] as const) expect(unchangedSince(v(), v({ [k]: v()[k] + 1n })), k).toBe(false);
    expect(unchangedSince(v(), null)).toBe(false);
    expect(unchangedSince(null, v())).toBe(false);
  });
  it('never holds for a file changed within RACY_MS of the first look: a write in that tick could keep its metadata', () => {
    const racy = v({ readAtMs: 1_000_000 + RACY_MS - 1 });
    expect(unchangedSince(racy, racy)).toBe(false);
    const touchedLater = v({ ctimeNs: 1_000_000_000_000n + 2_000_000n * 1_000_000n });
    expect(unchangedSince(touchedLater, touchedLater)).toBe(false);
  });
});

/**
 * Issue 4's "done means", in one test: a sandbox campaign runs while `campaign webhook` takes
 * signed status callbacks and a "BAJA" reply; forged callbacks are refused; the journal shows
 * delivered/read, the replying number lands in .campaign/optouts.txt, the next lint skips it,
 * and the HTML report of the campaign renders in Chromium with its charts.
 */
import { createHmac } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { hasChromium, withChromiumPage } from '../helpers/chromium.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, runCli, startCli, tempDir, waitFor, type RunningCli } from '../helpers/run-cli.js';

const APP_SECRET = 'app-secret-for-tests';
const VERIFY = 'verify-token-for-tests';

let tmp: ReturnType<typeof tempDir>;
let webhook: RunningCli;
let url: string;

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-loop-');
}, 120_000);

afterAll(async () => {
  webhook?.child.kill('SIGTERM');
  await webhook?.done.catch(() => undefined);
  await tmp?.cleanup();
});

function sign(body: string, secret = APP_SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

async function post(body: unknown, signature?: string): Promise<number> {
  const raw = JSON.stringify(body);
  const res = await fetch(`${url}/webhooks/cloud`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(signature === undefined ? { 'x-hub-signature-256': sign(raw) } : signature ? { 'x-hub-signature-256': signature } : {}) },
    body: raw,
  });
  await res.text();
  return res.status;
}

const envelope = (value: Record<string, unknown>) => ({
  object: 'whatsapp_business_account',
  entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '34600000000', phone_number_id: 'SANDBOX' }, ...value } }] }],
});
const status = (id: string, to: string, s: string) => envelope({ statuses: [{ id, status: s, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: to.slice(1) }] });
const reply = (from: string, text: string) => envelope({ contacts: [{ profile: { name: 'X' }, wa_id: from.slice(1) }], messages: [{ from: from.slice(1), id: `wamid.IN${Date.now()}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: text } }] });

describe('webhooks close the loop', () => {
  it('statuses, an opt-out reply and forged callbacks, during a sandbox send', async () => {
    const { csv, template, sendable } = makeContacts(tmp.dir, 12, { extras: false });
    const journal = path.join(tmp.dir, 'contacts.journal.jsonl');
    const env = { WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY };

    webhook = startCli(['webhook', '--port', '0', '--journal', journal], { cwd: tmp.dir, env, timeoutMs: 120_000 });
    await waitFor(() => /listening on (http:\/\/\S+)/.test(webhook.stderr()), 20_000, 'the webhook receiver');
    url = /listening on (http:\/\/\S+)/.exec(webhook.stderr())![1];

    // Meta's verification handshake: right token answers the challenge, a wrong one is refused.
    const ok = await fetch(`${url}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=12345`);
    expect([ok.status, await ok.text()]).toEqual([200, '12345']);
    expect((await fetch(`${url}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`)).status).toBe(403);

    // A slow send (4/s) so that callbacks arrive while it is still appending to the journal.
    const send = startCli(['send', csv, '--template', template, '--default-country', 'ES', '--rate', '4', '--yes', '--journal', journal], { cwd: tmp.dir, timeoutMs: 60_000 });
    const answered = new Set<string>();
    const optedOut = sendable[3];
    // Opts out before the send reaches them (about 2 s later at 4/s): the running send must skip them.
    const early = sendable[10];
    let replied = false;
    let earlyReplied = false;
    while (send.child.exitCode === null) {
      const sent = readJsonl(journal).lines.filter((l) => l.type === 'sent' && !answered.has(l.id));
      if (!earlyReplied && sent.length) {
        expect(await post(reply(early, 'Baja'))).toBe(200);
        earlyReplied = true;
      }
      for (const s of sent) {
        answered.add(s.id);
        expect(await post(status(s.id, s.to, 'delivered'))).toBe(200);
        if (answered.size % 2 === 0) expect(await post(status(s.id, s.to, 'read'))).toBe(200);
        if (!replied && s.to === optedOut) {
          expect(await post(reply(optedOut, ' Baja. '))).toBe(200);
          replied = true;
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const result = await send.done;
    expect(result.code).toBe(0);
    for (const s of readJsonl(journal).lines.filter((l) => l.type === 'sent' && !answered.has(l.id))) {
      answered.add(s.id);
      expect(await post(status(s.id, s.to, 'delivered'))).toBe(200);
    }
    if (!replied) expect(await post(reply(optedOut, 'BAJA'))).toBe(200);

    // Forged: wrong secret, no signature, a tampered body. None may change a file.
    const before = readFileSync(journal);
    const forged = status([...answered][0], sendable[0], 'failed');
    expect(await post(forged, sign(JSON.stringify(forged), 'wrong-secret'))).toBe(403);
    expect(await post(forged, '')).toBe(401);
    expect(await post(reply(sendable[5], 'STOP'), sign(JSON.stringify(reply(sendable[6], 'STOP'))))).toBe(403);
    expect(readFileSync(journal).equals(before)).toBe(true);

    const lines = readJsonl(journal).lines;
    expect(lines.some((l) => l.type === 'attempt' && l.to === early)).toBe(false);
    expect(lines.find((l) => l.type === 'skipped' && l.to === early)?.reason).toBe('opted-out');
    const messaged = sendable.filter((n) => n !== early);
    const statuses = lines.filter((l) => l.type === 'status');
    expect(new Set(statuses.filter((l) => l.status === 'delivered').map((l) => l.to))).toEqual(new Set(messaged));
    expect(statuses.some((l) => l.status === 'read')).toBe(true);
    for (const s of statuses) expect(lines.find((l) => l.type === 'sent' && l.id === s.id)?.to).toBe(s.to);

    const optouts = readFileSync(path.join(tmp.dir, '.campaign', 'optouts.txt'), 'utf8').split('\n').filter(Boolean);
    expect(optouts.sort()).toEqual([optedOut, early].sort());
    expect(optouts).not.toContain(sendable[5]);

    // The next lint of the same list skips the number that replied BAJA.
    const lint = await runCli(['lint', csv, '--template', template, '--default-country', 'ES', '--json'], { cwd: tmp.dir });
    const report = JSON.parse(lint.stdout);
    expect(report.contacts.suppressed).toBe(2);
    expect(report.findings.find((f: { rule: string }) => f.rule === 'suppressed').value ?? report.findings.find((f: { rule: string }) => f.rule === 'suppressed').message).toContain(optedOut);

    // The report: the funnel from the journal, and the same numbers as one HTML page.
    const html = path.join(tmp.dir, 'report.html');
    const rep = await runCli(['report', journal, '--json', '--html', html], { cwd: tmp.dir });
    expect(rep.code).toBe(0);
    const numbers = JSON.parse(rep.stdout);
    expect(numbers).toMatchObject({ selected: 12, sent: 11, delivered: 11, failed: 0, uncertain: 0, skipped: 1, pending: 0, halt: null });
    expect(numbers.opted_out).toBeGreaterThanOrEqual(1);
    expect(numbers.read).toBeGreaterThan(0);
    expect(statSync(html).size).toBeGreaterThan(1000);

    if (hasChromium) {
      await withChromiumPage(async (page) => {
        const requests: string[] = [];
        page.on('request', (r) => requests.push(r.url()));
        await page.goto(pathToFileURL(html).href, { waitUntil: 'load' });
        for (const cls of ['funnel', 'timeline']) {
          const box = await page.locator(`svg.chart.${cls}`).boundingBox();
          expect(box?.width).toBeGreaterThan(100);
          expect(box?.height).toBeGreaterThan(50);
        }
        expect(requests.every((r) => r.startsWith('file:'))).toBe(true);
        await page.screenshot({ path: path.join(tmp.dir, 'report.png'), fullPage: true });
      });
      expect(existsSync(path.join(tmp.dir, 'report.png'))).toBe(true);
    }
  }, 90_000);

  it('a burst of opt-out replies during a send halts it (exit 1, halt event, resumable)', async () => {
    const dir = path.join(tmp.dir, 'burst');
    (await import('node:fs')).mkdirSync(dir);
    const { csv, template, sendable } = makeContacts(dir, 40, { extras: false });
    const journal = path.join(dir, 'contacts.journal.jsonl');
    const hook = startCli(['webhook', '--port', '0', '--journal', journal], { cwd: dir, env: { WHATSAPP_APP_SECRET: APP_SECRET }, timeoutMs: 60_000 });
    await waitFor(() => /listening on (http:\/\/\S+)/.test(hook.stderr()), 20_000, 'the webhook receiver');
    url = /listening on (http:\/\/\S+)/.exec(hook.stderr())![1];
    try {
      const send = startCli(['send', csv, '--template', template, '--default-country', 'ES', '--rate', '5', '--yes', '--journal', journal], { cwd: dir, timeoutMs: 60_000 });
      await waitFor(() => readJsonl(journal).lines.filter((l) => l.type === 'sent').length >= 6, 20_000, 'the first messages');
      const messaged = readJsonl(journal).lines.filter((l) => l.type === 'sent').map((l) => l.to as string);
      for (const to of messaged.slice(0, 6)) expect(await post(reply(to, 'STOP'))).toBe(200);

      const r = await send.done;
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/opt-out-rate/);
      const lines = readJsonl(journal).lines;
      expect(lines.some((l) => l.type === 'halt' && l.reason === 'opt-out-rate')).toBe(true);
      expect(lines.filter((l) => l.type === 'sent').length).toBeLessThan(40);
    } finally {
      hook.child.kill('SIGTERM');
      await hook.done.catch(() => undefined);
    }
  }, 60_000);
});

/**
 * Issue 8: "never twice, never leaked". 2,000 signed Meta status callbacks (sent, delivered,
 * read and a provider retry of delivered, for 500 messages) reach `campaign webhook` with
 * bounded concurrency while a real `campaign send` child is appending to the same journal.
 * Every 200 means the event is already in the journal file when the answer arrives; none is in
 * it twice; the send is not disturbed.
 */
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineTail } from '../../src/core/journal/tail.js';
import { ensureBuilt } from '../helpers/build-once.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, startCli, tempDir, waitFor, type RunningCli } from '../helpers/run-cli.js';

const APP_SECRET = 'app-secret-for-durability';
const MESSAGES = 500;
const CONCURRENCY = 16;

let tmp: ReturnType<typeof tempDir>;
let webhook: RunningCli | undefined;

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-durable-');
}, 120_000);

afterAll(async () => {
  webhook?.child.kill('SIGTERM');
  await webhook?.done.catch(() => undefined);
  await tmp?.cleanup();
});

const statusBody = (id: string, to: string, status: string) =>
  JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '34600000000', phone_number_id: 'SANDBOX' }, statuses: [{ id, status, timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: to.slice(1) }] } }] }],
  });

/** The journal as the test sees it: status events counted by `id:status`, `sent` lines queued. */
class JournalView {
  readonly statuses = new Map<string, number>();
  readonly sent: { id: string; to: string }[] = [];
  private readonly tail: LineTail;
  private chain: Promise<void> = Promise.resolve();

  constructor(file: string) {
    this.tail = new LineTail(file);
  }

  /** Reads what was appended since the last read; reads are chained, never concurrent. */
  read(): Promise<void> {
    this.chain = this.chain.then(() =>
      this.tail.read((text) => {
        if (!text.trim()) return;
        const line = JSON.parse(text);
        if (line.type === 'status') this.statuses.set(`${line.id}:${line.status}`, (this.statuses.get(`${line.id}:${line.status}`) ?? 0) + 1);
        if (line.type === 'sent') this.sent.push({ id: line.id, to: line.to });
      }),
    );
    return this.chain;
  }
}

describe('webhook durability beside a running send', () => {
  it('2,000 callbacks during a send: every 200 already in the journal, none twice', async () => {
    const { csv, template } = makeContacts(tmp.dir, MESSAGES, { extras: false });
    const journal = path.join(tmp.dir, 'contacts.journal.jsonl');
    webhook = startCli(['webhook', '--port', '0', '--journal', journal], { cwd: tmp.dir, env: { WHATSAPP_APP_SECRET: APP_SECRET }, timeoutMs: 170_000 });
    await waitFor(() => /listening on (http:\/\/\S+)/.test(webhook!.stderr()), 20_000, 'the webhook receiver');
    const url = /listening on (http:\/\/\S+)/.exec(webhook.stderr())![1];

    const send = startCli(['send', csv, '--template', template, '--default-country', 'ES', '--rate', '60', '--yes', '--journal', journal], { cwd: tmp.dir, timeoutMs: 150_000 });
    let sendRunning = true;
    const sendDone = send.done.finally(() => (sendRunning = false));

    const view = new JournalView(journal);
    const queue: { id: string; to: string; status: string }[] = [];
    let queued = 0;
    let posted = 0;
    let duringSend = 0;
    const answers = new Map<number, number>();
    const notThereAfter200: string[] = [];

    const feed = async (): Promise<void> => {
      await view.read();
      for (; queued < view.sent.length; queued++) {
        const m = view.sent[queued];
        // The provider's three statuses, and a retry of one of them (it got no answer in time).
        for (const status of ['sent', 'delivered', 'read', 'delivered']) queue.push({ ...m, status });
      }
    };
    const worker = async (): Promise<void> => {
      for (;;) {
        const job = queue.shift();
        if (!job) {
          if (!sendRunning && queued === view.sent.length) {
            await feed();
            if (queue.length === 0) return;
          } else await feed().then(() => new Promise((r) => setTimeout(r, queue.length ? 0 : 20)));
          continue;
        }
        const body = statusBody(job.id, job.to, job.status);
        const during = sendRunning;
        const res = await fetch(`${url}/webhooks/cloud`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}` }, body });
        await res.text();
        posted++;
        answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
        if (res.status !== 200) continue;
        if (during) duringSend++;
        // Straight after the 200: the line must be in the file already.
        await view.read();
        if (!view.statuses.get(`${job.id}:${job.status}`)) notThereAfter200.push(`${job.id}:${job.status}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    const result = await sendDone;
    expect(result.code, result.stderr).toBe(0);
    expect(posted).toBe(MESSAGES * 4);
    expect(Object.fromEntries(answers)).toEqual({ 200: MESSAGES * 4 });
    expect(notThereAfter200).toEqual([]);
    // Most of them really did race the send's own appends.
    expect(duringSend).toBeGreaterThan(MESSAGES);

    const lines = readJsonl(journal).lines;
    const counts = new Map<string, number>();
    for (const l of lines.filter((l) => l.type === 'status')) counts.set(`${l.id}:${l.status}`, (counts.get(`${l.id}:${l.status}`) ?? 0) + 1);
    expect(counts.size).toBe(MESSAGES * 3);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    const sentIds = new Map(lines.filter((l) => l.type === 'sent').map((l) => [l.id, l.to]));
    expect(sentIds.size).toBe(MESSAGES);
    for (const l of lines.filter((l) => l.type === 'status')) expect(sentIds.get(l.id)).toBe(l.to);
    expect(webhook.stderr()).not.toMatch(/no journal holds it|could not record/);
  }, 180_000);
});

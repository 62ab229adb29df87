/**
 * The sandbox's delivery callbacks: the seeded choice of who fails, reads and replies, the shape
 * of the Meta webhooks it posts (validated against Meta's WebhookPayload schema), and the whole
 * path through the real webhook server into a journal a JournalWriter is writing at the same time.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv2020Module from 'ajv/dist/2020.js';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { openJournal } from '../../../src/core/journal/writer.js';
import { readJournal } from '../../../src/core/journal/reader.js';
import { JOURNAL_VERSION } from '../../../src/core/journal/format.js';
import { parseMetaPayload } from '../../../src/core/providers/cloud/webhook.js';
import {
  createSandboxCallbacks, DEFAULT_CALLBACKS, planCallbacks, replyPayload, statusPayload,
} from '../../../src/core/providers/sandbox/callbacks.js';
import { parseSandboxFaults } from '../../../src/core/providers/sandbox/server.js';

const Ajv2020 = ((Ajv2020Module as unknown as { default?: unknown }).default ?? Ajv2020Module) as typeof Ajv2020Module.default;
const specFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/specs/cloud-webhook.json');
const schemas = JSON.parse(readFileSync(specFile, 'utf8')).components.schemas;
// Spec defect: IncomingMessage's branches reuse the OUTGOING message schemas (they require `to`,
// `recipient_type`, and forbid `from`, `id`, `timestamp`). An inbound text is written here as
// providers.md §1.8 and Meta's webhook examples give it, with the spec's own `text` object.
schemas.IncomingMessage = {
  type: 'object',
  required: ['from', 'id', 'timestamp', 'type', 'text'],
  additionalProperties: false,
  properties: {
    from: { type: 'string', pattern: '^[0-9]+$' }, id: { type: 'string' }, timestamp: { type: 'string', pattern: '^[0-9]+$' },
    type: { enum: ['text'] },
    text: schemas.TextMessage.allOf[1].properties.text,
    context: { type: 'object', required: ['from', 'id'], properties: { from: { type: 'string' }, id: { type: 'string' } } },
  },
};
const ajv = new Ajv2020({ strict: false, allErrors: true });
ajv.addSchema({ $id: 'cloud', components: { schemas } });
const validPayload = ajv.compile({ $ref: 'cloud#/components/schemas/WebhookPayload' });
const schemaErrors = (body: unknown) => (validPayload(body) ? [] : (validPayload.errors ?? []).map((e) => `${e.instancePath} ${e.message}`));

const numbers = (n: number) => Array.from({ length: n }, (_, i) => `+346${String(10_000_000 + i * 7919).padStart(8, '0')}`);

describe('--sandbox-faults callback keys', () => {
  it('default: callbacks on with the realistic shares; each key overrides one', () => {
    expect(parseSandboxFaults('').callbacks).toBeUndefined();
    const f = parseSandboxFaults('undeliverable=0.05,baja=0.02,read=0.9,callback-delay=200,seed=7,429=0.1');
    expect(f.callbacks).toEqual({ ...DEFAULT_CALLBACKS, undeliverable: 0.05, baja: 0.02, read: 0.9, delayMs: 200 });
    expect(f.seed).toBe(7);
    expect(f.rates).toEqual([{ fault: '429', probability: 0.1 }]);
    expect(parseSandboxFaults('callbacks=off').callbacks?.enabled).toBe(false);
  });

  it.each(['baja=2', 'read=x', 'callbacks=maybe', 'callback-delay=1.5', 'undeliverable=0.7,baja=0.6'])('%s is a usage error', (spec) => {
    expect(() => parseSandboxFaults(spec)).toThrow(UsageError);
  });
});

describe('planCallbacks', () => {
  it('is decided by the number and the seed alone', () => {
    const s = { ...DEFAULT_CALLBACKS, undeliverable: 0.3, baja: 0.3 };
    const list = numbers(200);
    const outcomes = (seed: number) => list.map((n) => JSON.stringify(planCallbacks(n, seed, s)));
    expect(outcomes(7)).toEqual(outcomes(7));
    expect(outcomes(8)).not.toEqual(outcomes(7));
  });

  it('the shares come out near what was asked; undeliverable and baja never overlap; a reply follows a read', () => {
    const plans = numbers(20_000).map((n) => planCallbacks(n, 3, DEFAULT_CALLBACKS));
    const share = (f: (p: (typeof plans)[number]) => boolean) => plans.filter(f).length / plans.length;
    expect(share((p) => p.outcome === 'failed')).toBeGreaterThan(0.015);
    expect(share((p) => p.outcome === 'failed')).toBeLessThan(0.025);
    expect(share((p) => p.baja)).toBeGreaterThan(0.003);
    expect(share((p) => p.baja)).toBeLessThan(0.007);
    const delivered = plans.filter((p) => p.outcome === 'delivered');
    expect(delivered.filter((p) => p.read).length / delivered.length).toBeCloseTo(0.6, 1);
    for (const p of plans) {
      expect(p.outcome === 'failed' && (p.baja || p.read)).toBe(false);
      expect(p.sentAt).toBeLessThan(p.doneAt);
      if (p.read) expect(p.readAt!).toBeGreaterThan(p.doneAt);
      if (p.baja) expect(p.replyAt!).toBeGreaterThan(p.readAt!);
    }
    // Compressed delays: everything within ~8 s at the default scale.
    expect(Math.max(...plans.map((p) => p.replyAt ?? p.readAt ?? p.doneAt))).toBeLessThan(8_000);
  });

  it('callback-delay=0 posts everything at once', () => {
    const p = planCallbacks('+34600000001', 1, { ...DEFAULT_CALLBACKS, delayMs: 0, baja: 1, undeliverable: 0 });
    expect([p.sentAt, p.doneAt, p.readAt, p.replyAt]).toEqual([0, 0, 0, 0]);
  });
});

describe('payloads', () => {
  const m = { id: 'wamid.SANDBOXab12000001', to: '+34612345678', correlation: 'camp-1:+34612345678' };
  const at = new Date('2026-12-01T10:00:00Z');

  it.each(['sent', 'delivered', 'read', 'failed'] as const)('a %s status is a valid Meta webhook that the Cloud parser reads back', (status) => {
    const body = statusPayload(m, status, at);
    expect(schemaErrors(body)).toEqual([]);
    const [item] = parseMetaPayload(JSON.parse(JSON.stringify(body)));
    expect(item).toMatchObject({ kind: 'status', id: m.id, to: m.to, status, correlation: m.correlation, at: at.toISOString() });
    expect((item as { code?: string }).code).toBe(status === 'failed' ? '131026' : undefined);
  });

  it('a BAJA reply is a valid inbound text webhook naming the message it answers', () => {
    const body = replyPayload(m, 'BAJA', at);
    expect(schemaErrors(body)).toEqual([]);
    expect(parseMetaPayload(JSON.parse(JSON.stringify(body)))).toEqual([
      { kind: 'inbound', provider: 'cloud', from: m.to, at: at.toISOString(), contextId: m.id, text: 'BAJA' },
    ]);
  });

  it('the schema check is not vacuous', () => {
    const body = statusPayload(m, 'sent', at) as any;
    delete body.entry[0].changes[0].value.statuses[0].recipient_id;
    expect(schemaErrors(body)).not.toEqual([]);
    const reply = replyPayload(m, 'BAJA', at) as any;
    delete reply.entry[0].changes[0].value.contacts;
    expect(schemaErrors(reply)).not.toEqual([]);
  });
});

describe('createSandboxCallbacks through the real webhook server', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('writes statuses and opt-outs into the journal a send is writing, and the opt-out list', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sbcb-'));
    dirs.push(dir);
    const journalPath = path.join(dir, 'c.journal.jsonl');
    const journal = await openJournal(journalPath, {
      type: 'header', version: JOURNAL_VERSION, campaign: 'camp-1', at: new Date().toISOString(),
      contacts: { path: path.join(dir, 'c.csv'), sha256: 'x' }, template: null, provider: 'sandbox', options: {},
    });
    const settings = { ...DEFAULT_CALLBACKS, delayMs: 20, undeliverable: 0.2, baja: 0.2 };
    const seed = 11;
    const list = numbers(40);
    const home = path.join(dir, 'home');
    const cb = createSandboxCallbacks({ journal: journalPath, cwd: dir, settings, seed, env: { CAMPAIGN_HOME: home, WHATSAPP_TOKEN: 'not-for-the-webhook' } });
    try {
      for (const [i, to] of list.entries()) {
        const id = `wamid.T${i}`;
        await journal.attempt({ type: 'attempt', to, at: new Date().toISOString(), line: i + 2, n: 1 });
        cb.accepted({ id, to, correlation: `camp-1:${to}` });
        // The send's own lines go on being appended while the callbacks arrive.
        journal.append({ type: 'sent', to, at: new Date().toISOString(), id, line: i + 2 } as never);
      }
      await journal.flush();
      const waits: number[] = [];
      expect(await cb.settle({ onWait: (s) => waits.push(s) })).toBe(0);
      expect(waits.length).toBe(1);
    } finally {
      await cb.close();
      await journal.close();
    }
    const plans = list.map((to) => ({ to, ...planCallbacks(to, seed, settings) }));
    const { events } = await readJournal(journalPath);
    const statuses = (s: string) => new Set(events.filter((e: any) => e.type === 'status' && e.status === s).map((e: any) => e.to));
    expect(statuses('sent')).toEqual(new Set(list));
    expect(statuses('failed')).toEqual(new Set(plans.filter((p) => p.outcome === 'failed').map((p) => p.to)));
    expect(statuses('delivered')).toEqual(new Set(plans.filter((p) => p.outcome === 'delivered').map((p) => p.to)));
    expect(statuses('read')).toEqual(new Set(plans.filter((p) => p.read).map((p) => p.to)));
    const bajas = plans.filter((p) => p.baja).map((p) => p.to);
    expect(bajas.length).toBeGreaterThan(0);
    expect(new Set(events.filter((e: any) => e.type === 'optout').map((e: any) => e.to))).toEqual(new Set(bajas));
    const optouts = (await readFile(path.join(dir, '.campaign/optouts.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(new Set(optouts)).toEqual(new Set(bajas));
    // The user-level mirror, as `campaign webhook` writes it.
    const mirrored = (await readFile(path.join(home, 'optouts.txt'), 'utf8')).split('\n').filter(Boolean);
    expect(new Set(mirrored)).toEqual(new Set(bajas));
  });

  it('settle returns at once when the signal is already aborted, and close drops what is still due', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sbcb-'));
    dirs.push(dir);
    const journalPath = path.join(dir, 'c.journal.jsonl');
    const cb = createSandboxCallbacks({ journal: journalPath, cwd: dir, settings: { ...DEFAULT_CALLBACKS, delayMs: 600_000 }, seed: 1 });
    cb.accepted({ id: 'wamid.X', to: '+34600000001' });
    const ctl = new AbortController();
    ctl.abort();
    const waits: number[] = [];
    // Its sent and final callbacks (and maybe a read) are still due: counted, not lost silently.
    expect(await cb.settle({ signal: ctl.signal, onWait: (s) => waits.push(s) })).toBeGreaterThanOrEqual(2);
    expect(waits).toEqual([]);
    await cb.close();
  });

  it('a wait that ends before the callbacks are due says how many were left', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'sbcb-'));
    dirs.push(dir);
    const journalPath = path.join(dir, 'c.journal.jsonl');
    const cb = createSandboxCallbacks({ journal: journalPath, cwd: dir, settings: { ...DEFAULT_CALLBACKS, delayMs: 600_000, read: 0, baja: 0 }, seed: 1 });
    try {
      for (const [i, to] of numbers(3).entries()) cb.accepted({ id: `wamid.L${i}`, to });
      const waits: number[] = [];
      expect(await cb.settle({ maxWaitMs: 100, onWait: (s) => waits.push(s) })).toBe(6);
      expect(waits).toEqual([1]);
    } finally {
      await cb.close();
    }
  });
});

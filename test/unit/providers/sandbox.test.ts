import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { createHttpClient } from '../../../src/core/providers/http.js';
import { createProvider, PROVIDER_NAMES } from '../../../src/core/providers/index.js';
import { createSandboxProvider, parseSandboxFaults, startSandbox, type SandboxProvider } from '../../../src/core/providers/sandbox/index.js';
import type { OutboundMessage, Provider } from '../../../src/core/providers/types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'campaign-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const nextOutbox = () => path.join(dir, `run-${++n}`, 'outbox.jsonl');
const readOutbox = (file: string) =>
  existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

const msg: OutboundMessage = {
  to: '+34612345678',
  text: 'Hola Ana',
  template: { name: 'rally_invite', language: 'es', params: ['Ana'], paramNames: ['first_name'], buttonSuffixes: ['abc'] },
  correlation: 'cmp1:+34612345678',
};

let provider: Provider | undefined;
afterEach(async () => {
  await provider?.close();
  provider = undefined;
});

describe('parseSandboxFaults', () => {
  it('parses rates, latency, fixed faults and a seed', () => {
    const faults = parseSandboxFaults('429=0.05, 500=0.02,reset=0.01,latency=20,131048@50,drop@3,seed=7');
    expect(faults.latencyMs).toBe(20);
    expect(faults.seed).toBe(7);
    expect(faults.rates).toEqual([
      { fault: '429', probability: 0.05 },
      { fault: '500', probability: 0.02 },
      { fault: 'reset', probability: 0.01 },
    ]);
    expect([...faults.at]).toEqual([
      [50, '131048'],
      [3, 'drop'],
    ]);
  });

  it('an empty spec means no faults', () => expect(parseSandboxFaults('')).toEqual({ latencyMs: 0, rates: [], at: new Map() }));

  it.each(['429=2', 'boom=0.1', '131048@0', 'latency', '429=0.6,500=0.6', 'x@y'])('rejects %s', (spec) => {
    expect(() => parseSandboxFaults(spec)).toThrow(UsageError);
  });
});

describe('sandbox provider', () => {
  it('accepts through the real Cloud code path and writes one outbox line per message', async () => {
    const outbox = nextOutbox();
    const sandbox = createSandboxProvider({ outbox });
    provider = sandbox;
    expect(sandbox.name).toBe('sandbox');
    const first = await sandbox.send(msg);
    const second = await sandbox.send({ ...msg, to: '+34600000001', template: undefined, text: 'Hola https://example.org' });
    expect(first).toMatchObject({ ok: true, id: expect.stringMatching(/^wamid\.SANDBOX/) });
    expect(second.ok && first.ok && second.id !== first.id).toBe(true);
    expect(sandbox.received()).toBe(2);
    const lines = readOutbox(outbox);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      id: first.ok ? first.id : '',
      to: '+34612345678',
      type: 'template',
      template: 'rally_invite',
      correlation: 'cmp1:+34612345678',
      request: { messaging_product: 'whatsapp', to: '34612345678', template: { language: { code: 'es', policy: 'deterministic' } } },
    });
    expect(lines[1]).toMatchObject({ to: '+34600000001', type: 'text', text: 'Hola https://example.org' });
  });

  it.each([
    ['131048@2', 2, { class: 'stop', code: '131048', status: 400 }],
    ['429@1', 1, { class: 'retry', code: '130429', status: 429, throttle: true }],
    ['500@1', 1, { class: 'retry', code: '131000', status: 500 }],
    ['131050@1', 1, { class: 'suppress', code: '131050' }],
    ['190@1', 1, { class: 'stop', code: '190', status: 401 }],
    ['reset@1', 1, { class: 'unknown', code: 'ECONNRESET' }],
    ['drop@1', 1, { class: 'unknown', code: 'ECONNRESET' }],
  ] as const)('%s fails request %i with %o', async (faults, nth, expected) => {
    const outbox = nextOutbox();
    provider = createSandboxProvider({ outbox, faults });
    const results = [];
    for (let i = 0; i < nth + 1; i++) results.push(await provider.send(msg));
    expect(results[nth - 1]).toMatchObject({ ok: false, ...expected });
    expect(results.filter((r) => r.ok)).toHaveLength(nth);
    // `drop` records the message (accepted, answer lost); every other fault records nothing.
    expect(readOutbox(outbox)).toHaveLength(faults.startsWith('drop') ? nth + 1 : nth);
  });

  it('hang makes the client time out with an unknown outcome', async () => {
    provider = createSandboxProvider({ outbox: nextOutbox(), faults: 'hang@1', timeoutMs: 100 });
    expect(await provider.send(msg)).toMatchObject({ ok: false, class: 'unknown', code: 'ETIMEDOUT' });
  });

  it('rate faults follow their probability (seeded)', async () => {
    provider = createSandboxProvider({ outbox: nextOutbox(), faults: '500=0.5,seed=42' });
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await provider.send(msg));
    const failed = results.filter((r) => !r.ok).length;
    expect(failed).toBeGreaterThan(8);
    expect(failed).toBeLessThan(32);
  });

  it('adds fixed latency', async () => {
    provider = createSandboxProvider({ outbox: nextOutbox(), faults: 'latency=80' });
    await provider.send(msg);
    const started = performance.now();
    await provider.send(msg);
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
  });

  it('close() stops the server; closing twice or before use is fine', async () => {
    const sandbox: SandboxProvider = createSandboxProvider({ outbox: nextOutbox() });
    await sandbox.close();
    const other = createSandboxProvider({ outbox: nextOutbox() });
    expect((await other.send(msg)).ok).toBe(true);
    await other.close();
    await other.close();
  });
});

describe('startSandbox', () => {
  it('rejects malformed bodies and missing tokens in Meta error shape', async () => {
    const server = await startSandbox({ outbox: nextOutbox() });
    const client = createHttpClient();
    try {
      const url = `${server.url}/v23.0/SANDBOX/messages`;
      const bad = await client.post(url, { headers: { authorization: 'Bearer x' }, json: { messaging_product: 'whatsapp', to: 'abc', type: 'text' } });
      expect(bad).toMatchObject({ ok: true, response: { status: 400, json: { error: { code: 100, type: 'OAuthException' } } } });
      const noAuth = await client.post(url, { json: { messaging_product: 'whatsapp', to: '34600000000', type: 'text', text: { body: 'x' } } });
      expect(noAuth).toMatchObject({ ok: true, response: { status: 401, json: { error: { code: 190 } } } });
      const good = await client.post(url, { headers: { authorization: 'Bearer x' }, json: { messaging_product: 'whatsapp', to: '34600000000', type: 'text', text: { body: 'x' } } });
      expect(good).toMatchObject({
        ok: true,
        response: { status: 200, json: { messaging_product: 'whatsapp', contacts: [{ input: '34600000000', wa_id: '34600000000' }], messages: [{ message_status: 'accepted' }] } },
      });
      expect(server.received()).toBe(3);
    } finally {
      client.close();
      await server.close();
    }
    const after = createHttpClient();
    expect(await after.post(`${server.url}/v23.0/SANDBOX/messages`, { json: {} })).toMatchObject({ ok: false, code: 'ECONNREFUSED' });
    after.close();
  });
});

describe('createProvider', () => {
  it('lists the four providers', () => expect(PROVIDER_NAMES).toEqual(['sandbox', 'cloud', 'twilio', 'vonage']));

  it.each([
    ['cloud', { WHATSAPP_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '1' }],
    ['twilio', { TWILIO_ACCOUNT_SID: 'AC1', TWILIO_AUTH_TOKEN: 't', TWILIO_WHATSAPP_FROM: '+1' }],
    ['vonage', { VONAGE_API_KEY: 'k', VONAGE_API_SECRET: 's', VONAGE_WHATSAPP_FROM: '1' }],
  ])('creates %s', async (name, env) => {
    const p = createProvider(name, env, {});
    expect(p.name).toBe(name);
    await p.close();
  });

  it('creates the sandbox with its outbox from the environment', async () => {
    const outbox = nextOutbox();
    provider = createProvider('sandbox', { CAMPAIGN_SANDBOX_OUTBOX: outbox, CAMPAIGN_SANDBOX_FAULTS: '131049@1' }, {});
    expect(await provider.send(msg)).toMatchObject({ ok: false, class: 'defer-contact', code: '131049' });
    expect((await provider.send(msg)).ok).toBe(true);
    expect(readOutbox(outbox)).toHaveLength(1);
  });

  it('rejects other names, listing the valid ones', () => {
    expect(() => createProvider('whatsapp-web', {}, {})).toThrow(UsageError);
    try {
      createProvider('whatsapp-web', {}, {});
    } catch (err) {
      expect((err as UsageError).hint).toMatch(/sandbox, cloud, twilio, vonage/);
      expect((err as UsageError).exitCode).toBe(2);
    }
  });
});

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { buildTwilioForm, createTwilioProvider } from '../../../src/core/providers/twilio/index.js';
import type { OutboundMessage, Provider } from '../../../src/core/providers/types.js';
import { findClosedPort, startFakeServer, type FakeResponse, type FakeServer } from '../../helpers/fake-servers.js';
import { loadTwilioCreateMessage, type TwilioCreateMessage } from './specs.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const AUTH_TOKEN = 'twilio-auth-token-9f8e7d6c5b4a';
const templateMsg: OutboundMessage = {
  to: '+34612345678',
  text: 'Hola Ana, te esperamos en Madrid',
  template: { name: 'rally_invite', language: 'es', params: ['Ana', 'Madrid'], paramNames: ['first_name', 'city'], buttonSuffixes: [], contentSid: 'HX0123456789abcdef0123456789abcdef' },
  correlation: 'cmp1:+34612345678',
};
const textMsg: OutboundMessage = { to: '+34612345678', text: 'Hola Ana', correlation: 'c' };
const created: FakeResponse = { status: 201, json: { sid: 'SM0123456789abcdef0123456789abcdef', status: 'queued' } };
const twilioError = (code: number, status = 400, message = `error ${code}`): FakeResponse => ({
  status,
  json: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

let spec: TwilioCreateMessage;
beforeAll(() => {
  spec = loadTwilioCreateMessage();
});

let server: FakeServer | undefined;
let provider: Provider | undefined;
afterEach(async () => {
  await provider?.close();
  await server?.close();
  provider = server = undefined;
});

async function setup(script: FakeResponse[], env: Record<string, string> = {}, opts: { timeoutMs?: number } = {}) {
  server = await startFakeServer(script);
  provider = createTwilioProvider(
    { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_WHATSAPP_FROM: '+14155238886', TWILIO_API_URL: server.url, ...env },
    opts,
  );
  return { server, provider };
}

describe('twilio provider: request', () => {
  it('sends a Content API template exactly, with Basic auth and the UA', async () => {
    const { server, provider } = await setup([created], { CAMPAIGN_PUBLIC_URL: 'https://hooks.example.org/' });
    expect(await provider.send(templateMsg)).toEqual({ ok: true, id: 'SM0123456789abcdef0123456789abcdef' });
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/2010-04-01/Accounts/${SID}/Messages.json`);
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers['user-agent']).toMatch(/^campaign\/\d+\.\d+\.\d+$/);
    expect(Object.fromEntries(new URLSearchParams(req.body))).toEqual({
      To: 'whatsapp:+34612345678',
      From: 'whatsapp:+14155238886',
      ContentSid: 'HX0123456789abcdef0123456789abcdef',
      ContentVariables: '{"1":"Ana","2":"Madrid"}',
      StatusCallback: 'https://hooks.example.org/webhooks/twilio?ref=cmp1%3A%2B34612345678',
    });
  });

  it('uses only fields CreateMessage declares, with To present, at the spec path and auth scheme', () => {
    expect(spec.path).toBe('/2010-04-01/Accounts/{AccountSid}/Messages.json');
    expect(spec.securityScheme).toMatchObject({ type: 'http', scheme: 'basic' });
    for (const form of [buildTwilioForm(templateMsg, '+1415', 'https://h/webhooks/twilio'), buildTwilioForm(textMsg, 'whatsapp:+1415')]) {
      for (const field of Object.keys(form)) expect(spec.properties, field).toContain(field);
      for (const field of spec.required) expect(form).toHaveProperty(field);
    }
    expect(spec.required).toContain('To');
  });

  it('sends Body when there is no Content SID, and keeps an existing whatsapp: prefix', async () => {
    const { server, provider } = await setup([created], { TWILIO_WHATSAPP_FROM: 'whatsapp:+14155238886' });
    await provider.send(textMsg);
    expect(Object.fromEntries(new URLSearchParams(server.requests[0].body))).toEqual({
      To: 'whatsapp:+34612345678',
      From: 'whatsapp:+14155238886',
      Body: 'Hola Ana',
    });
  });

  it('names the missing variables, never the values', () => {
    expect(() => createTwilioProvider({ TWILIO_AUTH_TOKEN: AUTH_TOKEN }, {})).toThrow(UsageError);
    expect(() => createTwilioProvider({ TWILIO_AUTH_TOKEN: AUTH_TOKEN }, {})).toThrow(/TWILIO_ACCOUNT_SID, TWILIO_WHATSAPP_FROM/);
    expect(() => createTwilioProvider({ TWILIO_AUTH_TOKEN: AUTH_TOKEN }, {})).not.toThrow(new RegExp(AUTH_TOKEN));
  });
});

describe('twilio provider: errors', () => {
  it.each([
    [20429, 429, 'retry', true],
    [63018, 429, 'retry', true],
    [21610, 400, 'suppress', undefined],
    [63014, 400, 'suppress', undefined],
    [21211, 400, 'fail-contact', undefined],
    [20003, 401, 'stop', undefined],
    [63007, 400, 'stop', undefined],
    [30001, 500, 'unknown', undefined],
  ] as const)('code %i (HTTP %i) → %s', async (code, status, cls, throttle) => {
    const { provider } = await setup([twilioError(code, status)]);
    const result = await provider.send(templateMsg);
    expect(result).toMatchObject({ ok: false, class: cls, code: String(code), status });
    if (!result.ok) expect(result.throttle).toBe(throttle);
  });

  it('63016 on a Body message stops the campaign', async () => {
    const { provider } = await setup([twilioError(63016)]);
    expect(await provider.send(textMsg)).toMatchObject({ class: 'stop', code: '63016' });
  });

  it('a bare 503 is retried with its Retry-After', async () => {
    const { provider } = await setup([{ status: 503, text: 'unavailable', headers: { 'retry-after': '7' } }]);
    expect(await provider.send(templateMsg)).toMatchObject({ ok: false, class: 'retry', code: '503', retryAfterMs: 7000 });
  });

  it('never leaks the auth token or the Basic credential, even when echoed', async () => {
    const basic = Buffer.from(`${SID}:${AUTH_TOKEN}`).toString('base64');
    const { provider } = await setup([twilioError(20003, 401, `Authenticate with ${AUTH_TOKEN} (Basic ${basic}) https://${SID}:${AUTH_TOKEN}@api.twilio.com`)]);
    const result = await provider.send(templateMsg);
    expect(result).toMatchObject({ ok: false, class: 'stop' });
    expect(JSON.stringify(result)).not.toContain(AUTH_TOKEN);
    expect(JSON.stringify(result)).not.toContain(basic);
  });

  it('a 201 without a sid is an unknown outcome', async () => {
    const { provider } = await setup([{ status: 201, json: {} }]);
    expect(await provider.send(templateMsg)).toMatchObject({ ok: false, class: 'unknown', code: 'BAD_RESPONSE' });
  });
});

describe('twilio provider: transport', () => {
  it('reset after write → unknown; refused → retry; timeout → unknown', async () => {
    const { provider } = await setup([{ reset: true }, { hang: true }], {}, { timeoutMs: 100 });
    expect(await provider.send(templateMsg)).toMatchObject({ class: 'unknown', code: 'ECONNRESET' });
    expect(await provider.send(templateMsg)).toMatchObject({ class: 'unknown', code: 'ETIMEDOUT' });
    const refused = createTwilioProvider(
      { TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH_TOKEN, TWILIO_WHATSAPP_FROM: '+1', TWILIO_API_URL: `http://127.0.0.1:${await findClosedPort()}` },
      {},
    );
    expect(await refused.send(templateMsg)).toMatchObject({ class: 'retry', code: 'ECONNREFUSED' });
    await refused.close();
  });

  it('reuses one keep-alive socket', async () => {
    const { server, provider } = await setup([created]);
    for (let i = 0; i < 4; i++) await provider.send(templateMsg);
    expect(server.connections()).toBe(1);
  });
});

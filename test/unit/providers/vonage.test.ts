import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import type { OutboundMessage, Provider } from '../../../src/core/providers/types.js';
import { buildVonageMessage, createVonageProvider, readVonageCode } from '../../../src/core/providers/vonage/index.js';
import { findClosedPort, startFakeServer, type FakeResponse, type FakeServer } from '../../helpers/fake-servers.js';

const KEY = 'abcd1234';
const SECRET = 'vonageSecretXyZ987654';
const plainTemplate: OutboundMessage = {
  to: '+447700900000',
  text: 'Hi Ana, your order #123',
  template: { name: 'order_update', language: 'en_US', params: ['Ana', '#123'], paramNames: ['name', 'order'], buttonSuffixes: [] },
  correlation: 'campaign-0123456789-abcdefghij-0123456789-overflow',
};
const buttonTemplate: OutboundMessage = { ...plainTemplate, template: { ...plainTemplate.template!, buttonSuffixes: ['abc123'] } };
const textMsg: OutboundMessage = { to: '+447700900000', text: 'Hi Ana', correlation: 'c1' };
const accepted: FakeResponse = { status: 202, json: { message_uuid: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab' } };
const problem = (code: string | undefined, status: number, detail = 'detail'): FakeResponse => ({
  status,
  headers: { 'content-type': 'application/problem+json' },
  json: {
    type: `https://developer.nexmo.com/api-errors/messages-olympus${code ? `#${code}` : ''}`,
    title: 'Problem',
    detail,
    instance: 'trace-1',
  },
});

let server: FakeServer | undefined;
let provider: Provider | undefined;
afterEach(async () => {
  await provider?.close();
  await server?.close();
  provider = server = undefined;
});

async function setup(script: FakeResponse[], opts: { timeoutMs?: number } = {}) {
  server = await startFakeServer(script);
  provider = createVonageProvider({ VONAGE_API_KEY: KEY, VONAGE_API_SECRET: SECRET, VONAGE_WHATSAPP_FROM: '+447700900001', VONAGE_API_URL: server.url }, opts);
  return { server, provider };
}

describe('vonage provider: request', () => {
  it('sends a plain template as message_type template, with Basic auth and the UA', async () => {
    const { server, provider } = await setup([accepted]);
    expect(await provider.send(plainTemplate)).toEqual({ ok: true, id: 'aaaaaaaa-bbbb-cccc-dddd-0123456789ab' });
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/messages');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^campaign\/\d+\.\d+\.\d+$/);
    expect(req.json).toEqual({
      message_type: 'template',
      channel: 'whatsapp',
      to: '447700900000',
      from: '447700900001',
      client_ref: 'campaign-0123456789-abcdefghij-012345678',
      template: { name: 'order_update', parameters: ['Ana', '#123'] },
      whatsapp: { policy: 'deterministic', locale: 'en_US' },
    });
  });

  it('sends URL-button templates as custom with the Meta-native object', () => {
    expect(buildVonageMessage(buttonTemplate, '447700900001')).toEqual({
      message_type: 'custom',
      channel: 'whatsapp',
      to: '447700900000',
      from: '447700900001',
      client_ref: 'campaign-0123456789-abcdefghij-012345678',
      custom: {
        type: 'template',
        template: {
          name: 'order_update',
          language: { policy: 'deterministic', code: 'en_US' },
          components: [
            { type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '#123' }] },
            { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'abc123' }] },
          ],
        },
      },
    });
  });

  it('sends named-parameter templates as custom too', () => {
    const body = buildVonageMessage({ ...plainTemplate, template: { ...plainTemplate.template!, parameterFormat: 'named' } }, '1') as any;
    expect(body.message_type).toBe('custom');
    expect(body.custom.template.components[0].parameters[0]).toEqual({ type: 'text', parameter_name: 'name', text: 'Ana' });
  });

  it('sends text as message_type text', () => {
    expect(buildVonageMessage(textMsg, '+447700900001')).toEqual({
      message_type: 'text',
      channel: 'whatsapp',
      to: '447700900000',
      from: '447700900001',
      client_ref: 'c1',
      text: 'Hi Ana',
    });
  });

  it('names the missing variables, never the values', () => {
    expect(() => createVonageProvider({ VONAGE_API_SECRET: SECRET }, {})).toThrow(UsageError);
    expect(() => createVonageProvider({ VONAGE_API_SECRET: SECRET }, {})).toThrow(/VONAGE_API_KEY, VONAGE_WHATSAPP_FROM/);
    expect(() => createVonageProvider({ VONAGE_API_SECRET: SECRET }, {})).not.toThrow(new RegExp(SECRET));
  });
});

describe('vonage provider: errors', () => {
  it.each([
    ['https://developer.nexmo.com/api-errors/messages-olympus#1000', '1000'],
    ['https://developer.vonage.com/api-errors#unauthorized', undefined],
    [undefined, undefined],
  ])('problem type %s → code %s', (type, code) => expect(readVonageCode({ type })).toBe(code));

  it.each([
    ['1000', 429, '1000', 'retry', true],
    [undefined, 429, '429', 'retry', true],
    [undefined, 401, '401', 'stop', undefined],
    [undefined, 402, '402', 'stop', undefined],
    ['1022', 422, '1022', 'stop', undefined],
    ['1060', 403, '1060', 'stop', undefined],
    ['1070', 402, '1070', 'stop', undefined],
    ['1050', 422, '1050', 'fail-contact', undefined],
    [undefined, 500, '500', 'unknown', undefined],
    [undefined, 503, '503', 'retry', undefined],
  ] as const)('type #%s (HTTP %i) → code %s, %s', async (fragment, status, code, cls, throttle) => {
    const { provider } = await setup([problem(fragment, status)]);
    const result = await provider.send(plainTemplate);
    expect(result).toMatchObject({ ok: false, class: cls, code, status });
    if (!result.ok) expect(result.throttle).toBe(throttle);
  });

  it('never leaks the API secret, even when echoed', async () => {
    const basic = Buffer.from(`${KEY}:${SECRET}`).toString('base64');
    const { provider } = await setup([problem(undefined, 401, `bad credentials ${KEY}:${SECRET} / ${basic}`)]);
    const result = await provider.send(plainTemplate);
    expect(result).toMatchObject({ ok: false, class: 'stop' });
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain(basic);
  });

  it('a 202 without message_uuid is an unknown outcome', async () => {
    const { provider } = await setup([{ status: 202, json: {} }]);
    expect(await provider.send(plainTemplate)).toMatchObject({ ok: false, class: 'unknown', code: 'BAD_RESPONSE' });
  });
});

describe('vonage provider: transport', () => {
  it('reset after write → unknown; timeout → unknown; refused → retry', async () => {
    const { provider } = await setup([{ reset: true }, { hang: true }], { timeoutMs: 100 });
    expect(await provider.send(plainTemplate)).toMatchObject({ class: 'unknown', code: 'ECONNRESET' });
    expect(await provider.send(plainTemplate)).toMatchObject({ class: 'unknown', code: 'ETIMEDOUT' });
    const refused = createVonageProvider(
      { VONAGE_API_KEY: KEY, VONAGE_API_SECRET: SECRET, VONAGE_WHATSAPP_FROM: '1', VONAGE_API_URL: `http://127.0.0.1:${await findClosedPort()}` },
      {},
    );
    expect(await refused.send(plainTemplate)).toMatchObject({ class: 'retry', code: 'ECONNREFUSED' });
    await refused.close();
  });

  it('reuses one keep-alive socket', async () => {
    const { server, provider } = await setup([accepted]);
    for (let i = 0; i < 4; i++) await provider.send(plainTemplate);
    expect(server.connections()).toBe(1);
  });
});

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { buildCloudMessage, createCloudProvider } from '../../../src/core/providers/cloud/index.js';
import type { OutboundMessage, Provider } from '../../../src/core/providers/types.js';
import { findClosedPort, startFakeServer, type FakeResponse, type FakeServer } from '../../helpers/fake-servers.js';
import { loadCloudSpec, type CloudSpecValidator } from './specs.js';

const TOKEN = 'EAAGsecretTOKEN1234567890abcdef';
const templateMsg: OutboundMessage = {
  to: '+34612345678',
  text: 'Hola Ana, mira el vídeo del acto de Madrid: https://example.org/v/abc123',
  template: { name: 'rally_invite', language: 'es', params: ['Ana', 'Madrid'], paramNames: ['first_name', 'city'], buttonSuffixes: ['abc123'] },
  correlation: 'cmp1:+34612345678',
};
const textMsg: OutboundMessage = { to: '+34612345678', text: 'Hola Ana https://example.org', correlation: 'cmp1:+34612345678' };
const ok: FakeResponse = {
  json: { messaging_product: 'whatsapp', contacts: [{ input: '34612345678', wa_id: '34612345678' }], messages: [{ id: 'wamid.OK1', message_status: 'accepted' }] },
};
const metaError = (code: number, status = 400, message = `(#${code}) error`): FakeResponse => ({
  status,
  json: { error: { message, type: 'OAuthException', code, error_data: { messaging_product: 'whatsapp', details: 'details' }, fbtrace_id: 'Atrace' } },
});

let spec: CloudSpecValidator;
beforeAll(() => {
  spec = loadCloudSpec();
});

let server: FakeServer | undefined;
let provider: Provider | undefined;
afterEach(async () => {
  await provider?.close();
  await server?.close();
  provider = server = undefined;
});

async function setup(script: FakeResponse[], opts: { timeoutMs?: number; concurrency?: number } = {}) {
  server = await startFakeServer(script);
  provider = createCloudProvider({ WHATSAPP_TOKEN: TOKEN, WHATSAPP_PHONE_NUMBER_ID: '1234567890', WHATSAPP_API_URL: `${server.url}/v23.0` }, opts);
  return { server, provider };
}

describe('cloud provider: request', () => {
  it('sends a template message exactly as Meta documents it', async () => {
    const { server, provider } = await setup([ok]);
    expect(await provider.send(templateMsg)).toEqual({ ok: true, id: 'wamid.OK1' });
    const [req] = server.requests;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v23.0/1234567890/messages');
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['user-agent']).toMatch(/^campaign\/\d+\.\d+\.\d+$/);
    expect(req.json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '34612345678',
      type: 'template',
      template: {
        name: 'rally_invite',
        language: { code: 'es', policy: 'deterministic' },
        components: [
          { type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'Madrid' }] },
          { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'abc123' }] },
        ],
      },
      biz_opaque_callback_data: 'cmp1:+34612345678',
    });
  });

  it('validates the template request against the v23.0 OpenAPI spec', async () => {
    const { server, provider } = await setup([ok]);
    await provider.send(templateMsg);
    expect(spec.checkMessage(server.requests[0].json)).toEqual([]);
    expect(spec.checkHeaders(server.requests[0].headers)).toEqual([]);
  });

  it('validates named-parameter and static-button templates against the spec', () => {
    const body = buildCloudMessage({
      ...templateMsg,
      template: { ...templateMsg.template!, parameterFormat: 'named', buttonSuffixes: ['', 'xyz'] },
    });
    expect(spec.checkMessage(body)).toEqual([]);
    expect((body.template as any).components[0].parameters[0]).toEqual({ type: 'text', parameter_name: 'first_name', text: 'Ana' });
    expect((body.template as any).components[1].index).toBe('1');
  });

  it('sends a text message with a link preview when the text has a URL, valid against the spec', async () => {
    const { server, provider } = await setup([ok]);
    await provider.send(textMsg);
    expect(server.requests[0].json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '34612345678',
      type: 'text',
      text: { preview_url: true, body: 'Hola Ana https://example.org' },
      biz_opaque_callback_data: 'cmp1:+34612345678',
    });
    expect(spec.checkMessage(server.requests[0].json)).toEqual([]);
    expect((buildCloudMessage({ ...textMsg, text: 'no link' }).text as any).preview_url).toBe(false);
  });

  it('the spec validator does catch a malformed body', () => {
    const bad = buildCloudMessage(templateMsg) as any;
    bad.template.components[1].index = 0;
    bad.extra = true;
    expect(spec.checkMessage(bad).length).toBeGreaterThan(0);
    expect(spec.checkMessage({ ...buildCloudMessage(textMsg), typo: 1 }).length).toBeGreaterThan(0);
    const noText = buildCloudMessage(templateMsg) as any;
    noText.template.components[0].parameters[0] = { type: 'text' };
    expect(spec.checkMessage(noText)).toEqual([expect.stringContaining('TextParameter')]);
    const noPolicy = buildCloudMessage(templateMsg) as any;
    delete noPolicy.template.language.code;
    expect(spec.checkMessage(noPolicy).length).toBeGreaterThan(0);
  });

  it('defaults to graph.facebook.com v23.0', () => {
    expect(() => createCloudProvider({ WHATSAPP_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '1' }, {})).not.toThrow();
  });

  it('names the missing variables, never the values', () => {
    expect(() => createCloudProvider({ WHATSAPP_TOKEN: TOKEN }, {})).toThrow(UsageError);
    expect(() => createCloudProvider({ WHATSAPP_TOKEN: TOKEN }, {})).toThrow(/WHATSAPP_PHONE_NUMBER_ID/);
    expect(() => createCloudProvider({}, {})).toThrow(/WHATSAPP_TOKEN, WHATSAPP_PHONE_NUMBER_ID/);
    try {
      createCloudProvider({ WHATSAPP_TOKEN: TOKEN }, {});
    } catch (err) {
      expect(String((err as Error).message)).not.toContain(TOKEN);
    }
    expect(() => createCloudProvider({ WHATSAPP_TOKEN: 't', WHATSAPP_PHONE_NUMBER_ID: '1', WHATSAPP_API_URL: 'not a url' }, {})).toThrow(/WHATSAPP_API_URL/);
  });
});

describe('cloud provider: errors', () => {
  it.each([
    [130429, 400, 'retry', true],
    [130429, 429, 'retry', true],
    [4, 400, 'retry', true],
    [131000, 500, 'retry', undefined],
    [131056, 400, 'defer-contact', undefined],
    [131050, 400, 'suppress', undefined],
    [131026, 400, 'fail-contact', undefined],
    [190, 401, 'stop', undefined],
    [131048, 400, 'stop', undefined],
    [999999, 503, 'retry', undefined],
    [999999, 400, 'fail-contact', undefined],
  ] as const)('code %i (HTTP %i) → %s', async (code, status, cls, throttle) => {
    const { provider } = await setup([metaError(code, status)]);
    const result = await provider.send(templateMsg);
    expect(result).toMatchObject({ ok: false, class: cls, code: String(code), status });
    if (!result.ok) expect(result.throttle).toBe(throttle);
  });

  it('a gateway 5xx without a Meta body is an unknown outcome, never replayed', async () => {
    const { provider } = await setup([{ status: 502, text: '<html>Bad gateway</html>' }]);
    expect(await provider.send(templateMsg)).toMatchObject({ ok: false, class: 'unknown', code: '502', status: 502 });
  });

  it('131047 on free-form text stops the campaign; on a template it fails the contact', async () => {
    const { provider } = await setup([metaError(131047)]);
    expect(await provider.send(textMsg)).toMatchObject({ class: 'stop', code: '131047' });
    expect(await provider.send(templateMsg)).toMatchObject({ class: 'fail-contact', code: '131047' });
  });

  it('honours Retry-After (seconds, capped at 60 s) and 131057 defaults to a minute', async () => {
    const { provider } = await setup([{ ...metaError(130429, 429), headers: { 'retry-after': '3' } }, { ...metaError(4), headers: { 'retry-after': '3600' } }, metaError(131057)]);
    expect(await provider.send(templateMsg)).toMatchObject({ retryAfterMs: 3000, throttle: true });
    expect(await provider.send(templateMsg)).toMatchObject({ retryAfterMs: 60_000 });
    expect(await provider.send(templateMsg)).toMatchObject({ class: 'retry', retryAfterMs: 60_000 });
  });

  it('a 200 without a message id is an unknown outcome', async () => {
    const { provider } = await setup([{ json: { messaging_product: 'whatsapp' } }]);
    expect(await provider.send(templateMsg)).toMatchObject({ ok: false, class: 'unknown', code: 'BAD_RESPONSE' });
  });

  it('never leaks the token, even when the server echoes it', async () => {
    const echo = `(#190) Invalid OAuth access token - Cannot parse access token ${TOKEN}; Authorization: Bearer ${TOKEN}`;
    const { provider } = await setup([metaError(190, 401, echo), { status: 500, text: `boom ${TOKEN}` }]);
    for (let i = 0; i < 2; i++) {
      const result = await provider.send(templateMsg);
      expect(result.ok).toBe(false);
      expect(JSON.stringify(result)).not.toContain(TOKEN);
      expect(JSON.stringify(result)).not.toContain(TOKEN.slice(0, 20));
    }
  });
});

describe('cloud provider: transport', () => {
  it('a reset after the request was written is an unknown outcome', async () => {
    const { server, provider } = await setup([{ reset: true }]);
    const result = await provider.send(templateMsg);
    expect(result).toMatchObject({ ok: false, class: 'unknown', code: 'ECONNRESET' });
    expect(server.requests[0].json).toMatchObject({ type: 'template' });
  });

  it('connection refused is safe to retry', async () => {
    const port = await findClosedPort();
    provider = createCloudProvider({ WHATSAPP_TOKEN: TOKEN, WHATSAPP_PHONE_NUMBER_ID: '1', WHATSAPP_API_URL: `http://127.0.0.1:${port}/v23.0` }, {});
    expect(await provider.send(templateMsg)).toMatchObject({ ok: false, class: 'retry', code: 'ECONNREFUSED' });
  });

  it('a slow server times out with an unknown outcome', async () => {
    const { provider } = await setup([{ hang: true }], { timeoutMs: 150 });
    const started = Date.now();
    expect(await provider.send(templateMsg)).toMatchObject({ ok: false, class: 'unknown', code: 'ETIMEDOUT' });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('an abort while waiting for the answer is an unknown outcome; before sending, a retry', async () => {
    const { server, provider } = await setup([{ hang: true }]);
    const controller = new AbortController();
    const pending = provider.send(templateMsg, { signal: controller.signal });
    await server.waitForRequests(1);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, class: 'unknown', code: 'ABORTED' });
    expect(await provider.send(templateMsg, { signal: AbortSignal.abort() })).toMatchObject({ ok: false, class: 'retry', code: 'ABORTED' });
    expect(server.requests).toHaveLength(1);
  });

  it('reuses one keep-alive socket for sequential sends', async () => {
    const { server, provider } = await setup([ok], { concurrency: 4 });
    for (let i = 0; i < 5; i++) expect((await provider.send(templateMsg)).ok).toBe(true);
    expect(server.requests).toHaveLength(5);
    expect(server.connections()).toBe(1);
  });

  it('opens at most `concurrency` sockets for parallel sends', async () => {
    const { server, provider } = await setup([{ ...ok, delayMs: 30 }], { concurrency: 2 });
    const results = await Promise.all(Array.from({ length: 6 }, () => provider.send(templateMsg)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(server.connections()).toBe(2);
  });
});

// The request's bytes: key order and shape of the common bodies, exactly (built without spreads for speed).
describe('buildCloudMessage bytes', () => {
  const base: OutboundMessage = { to: '+34600000001', text: 'Hola Ana', correlation: 'cmp:+34600000001', template: { name: 't', language: 'es', params: ['Ana', 'Madrid'], paramNames: ['nombre', 'ciudad'], buttonSuffixes: [] } };
  it('positional parameters, no buttons', () => {
    expect(JSON.stringify(buildCloudMessage(base))).toBe(
      '{"messaging_product":"whatsapp","recipient_type":"individual","to":"34600000001","type":"template","template":{"name":"t","language":{"code":"es","policy":"deterministic"},"components":[{"type":"body","parameters":[{"type":"text","text":"Ana"},{"type":"text","text":"Madrid"}]}]},"biz_opaque_callback_data":"cmp:+34600000001"}',
    );
  });
  it('named parameters, a static and a parameterised button, no correlation', () => {
    const msg: OutboundMessage = { ...base, correlation: '', template: { ...base.template!, parameterFormat: 'named', buttonSuffixes: ['', 'x1'] } };
    expect(JSON.stringify(buildCloudMessage(msg))).toBe(
      '{"messaging_product":"whatsapp","recipient_type":"individual","to":"34600000001","type":"template","template":{"name":"t","language":{"code":"es","policy":"deterministic"},"components":[{"type":"body","parameters":[{"type":"text","parameter_name":"nombre","text":"Ana"},{"type":"text","parameter_name":"ciudad","text":"Madrid"}]},{"type":"button","sub_type":"url","index":"1","parameters":[{"type":"text","text":"x1"}]}]}}',
    );
  });
  it('no parameters and only static buttons: no components', () => {
    const msg: OutboundMessage = { ...base, template: { ...base.template!, params: [], paramNames: [], buttonSuffixes: ['', ''] } };
    expect(JSON.stringify(buildCloudMessage(msg))).toBe(
      '{"messaging_product":"whatsapp","recipient_type":"individual","to":"34600000001","type":"template","template":{"name":"t","language":{"code":"es","policy":"deterministic"}},"biz_opaque_callback_data":"cmp:+34600000001"}',
    );
  });
  it('a text message', () => {
    const msg: OutboundMessage = { to: '+34600000001', text: 'see https://x.es', correlation: 'c' };
    expect(JSON.stringify(buildCloudMessage(msg))).toBe('{"messaging_product":"whatsapp","recipient_type":"individual","to":"34600000001","type":"text","text":{"preview_url":true,"body":"see https://x.es"},"biz_opaque_callback_data":"c"}');
  });
});

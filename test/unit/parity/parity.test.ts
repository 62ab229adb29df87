import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { checkParity, compareTemplate, fetchApprovedTemplate, PARITY_RULES } from '../../../src/core/parity/index.js';
import type { TemplateMeta } from '../../../src/core/template/types.js';

const TOKEN = 'EAAG-secret-token-value-123';
const TW_SID = 'AC0123456789abcdef0123456789abcdef';
const TW_TOKEN = 'twilio-secret-auth-token';
const HX = 'HX0123456789abcdef0123456789abcdef';

type Handler = (req: IncomingMessage, url: URL) => { status: number; body: unknown };
let handler: Handler;
let server: Server;
let base: string;
const seen: { url: string; auth?: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    seen.push({ url: url.pathname + url.search, auth: req.headers.authorization });
    const { status, body } = handler(req, url);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => { seen.length = 0; });

const meta = (over: Partial<TemplateMeta> = {}): TemplateMeta => ({
  template: 'rally_invite', language: 'es', category: 'marketing', params: ['first_name', 'city'], links: [], extra: {}, ...over,
});

const cloudTemplate = (over: Record<string, unknown> = {}) => ({
  name: 'rally_invite', language: 'es', category: 'MARKETING', status: 'APPROVED', id: '1',
  components: [
    { type: 'HEADER', format: 'TEXT', text: 'Rally' },
    { type: 'BODY', text: 'Hola {{1}}, te esperamos en {{2}}.', example: { body_text: [['Ana', 'Madrid']] } },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Stop promotions' }, { type: 'URL', text: 'Ver', url: 'https://example.org/r/{{1}}' }] },
  ],
  ...over,
});

const env = () => ({ WHATSAPP_TOKEN: TOKEN, WHATSAPP_BUSINESS_ACCOUNT_ID: '1029384756', WHATSAPP_API_URL: `${base}/v23.0` });

function cloud(templates: unknown[], status = 200) {
  handler = (req, url) => {
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return { status: 401, body: { error: { message: 'Invalid OAuth access token.', code: 190 } } };
    if (url.pathname !== '/v23.0/1029384756/message_templates') return { status: 404, body: {} };
    return { status, body: { data: templates.filter((t) => (t as { name: string }).name.includes(url.searchParams.get('name') ?? '')) } };
  };
}

const rules = (f: { rule: string }[]) => f.map((x) => x.rule).sort();

describe('Cloud API parity', () => {
  it('a matching template gives no findings, and the request is what Meta expects', async () => {
    cloud([cloudTemplate()]);
    const findings = await checkParity('cloud', env(), meta({ button_params: ['ref'] }));
    expect(findings).toEqual([]);
    expect(seen[0].url).toMatch(/^\/v23\.0\/1029384756\/message_templates\?name=rally_invite/);
    expect(seen[0].auth).toBe(`Bearer ${TOKEN}`);
  });

  it('picks the language version the front matter asks for', async () => {
    cloud([cloudTemplate({ language: 'en_US' }), cloudTemplate({ language: 'es' })]);
    expect(await checkParity('cloud', env(), meta({ button_params: ['ref'] }))).toEqual([]);
  });

  it.each([
    ['template-not-approved', cloudTemplate({ status: 'PAUSED' }), {}],
    ['template-language-mismatch', cloudTemplate({ language: 'es_ES' }), {}],
    ['template-category-mismatch', cloudTemplate(), { category: 'utility' as const }],
    ['template-param-count', cloudTemplate(), { params: ['first_name'] }],
  ])('%s', async (rule, tpl, over) => {
    cloud([tpl]);
    const findings = await checkParity('cloud', env(), meta({ button_params: ['ref'], ...over }));
    expect(rules(findings)).toEqual([rule]);
    expect(findings[0].severity).toBe('error');
    expect(JSON.stringify(findings)).not.toContain(TOKEN);
  });

  it('category: utility approved as marketing is an error; the other way round a warning', async () => {
    cloud([cloudTemplate({ category: 'UTILITY' })]);
    const [f] = await checkParity('cloud', env(), meta({ button_params: ['ref'] }));
    expect(f).toMatchObject({ rule: 'template-category-mismatch', severity: 'warning' });
  });

  it('named parameters must match by name', async () => {
    const named = cloudTemplate({
      parameter_format: 'NAMED',
      components: [{ type: 'BODY', text: 'Hola {{first_name}}, te esperamos en {{town}}.' }],
    });
    cloud([named]);
    const findings = await checkParity('cloud', env(), meta());
    expect(rules(findings)).toEqual(['template-param-names']);
    expect(findings[0].message).toContain('{{town}}');
    expect(findings[0].message).toContain('city');
    expect(await checkParity('cloud', env(), meta({ params: ['town', 'first_name'] }))).toEqual([]);
  });

  it('button suffix: button_params without a dynamic URL button, and the reverse', async () => {
    cloud([cloudTemplate()]);
    const missing = await checkParity('cloud', env(), meta());
    expect(rules(missing)).toEqual(['template-button-suffix']);
    expect(missing[0].message).toMatch(/button_params is empty/);
    cloud([cloudTemplate({ components: [{ type: 'BODY', text: 'Hola {{1}} {{2}}' }, { type: 'BUTTONS', buttons: [{ type: 'URL', url: 'https://example.org/static' }] }] })]);
    const extra = await checkParity('cloud', env(), meta({ button_params: ['ref'] }));
    expect(rules(extra)).toEqual(['template-button-suffix']);
    expect(extra[0].message).toMatch(/no URL button with a dynamic suffix/);
  });

  it('empty data and 404 mean template-not-found', async () => {
    cloud([]);
    expect(rules(await checkParity('cloud', env(), meta()))).toEqual(['template-not-found']);
    cloud([cloudTemplate({ name: 'rally_invite_v2' })]); // a partial-name match is not the template
    expect(rules(await checkParity('cloud', env(), meta()))).toEqual(['template-not-found']);
    handler = () => ({ status: 404, body: { error: { message: 'not found' } } });
    expect(rules(await checkParity('cloud', env(), meta()))).toEqual(['template-not-found']);
  });

  it('401 is a clear error naming WHATSAPP_TOKEN, never its value', async () => {
    cloud([cloudTemplate()]);
    const err = await checkParity('cloud', { ...env(), WHATSAPP_TOKEN: 'wrong-token-value' }, meta()).catch((e: unknown) => e) as Error & { hint?: string; exitCode?: number };
    expect(err).toBeInstanceOf(Error);
    expect(`${err.message} ${err.hint}`).toContain('WHATSAPP_TOKEN');
    expect(`${err.message} ${err.hint}`).toContain('401');
    expect(`${err.message} ${err.hint}`).not.toContain('wrong-token-value');
    expect(err.exitCode).toBe(2);
  });

  it('missing settings are usage errors naming the variable', async () => {
    await expect(fetchApprovedTemplate('cloud', { WHATSAPP_TOKEN: TOKEN }, meta())).rejects.toThrow(/WHATSAPP_BUSINESS_ACCOUNT_ID/);
  });

  it('an unreachable provider is an error without the token', async () => {
    const err = await checkParity('cloud', { ...env(), WHATSAPP_API_URL: 'http://127.0.0.1:9' }, meta()).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/Could not reach/);
    expect((err as Error).message).not.toContain(TOKEN);
  });
});

describe('Twilio Content API parity', () => {
  const twEnv = () => ({ TWILIO_ACCOUNT_SID: TW_SID, TWILIO_AUTH_TOKEN: TW_TOKEN, TWILIO_CONTENT_API_URL: base, CAMPAIGN_HX: HX });
  const basic = `Basic ${Buffer.from(`${TW_SID}:${TW_TOKEN}`).toString('base64')}`;
  function twilio(content: Record<string, unknown> | null, approval: Record<string, unknown> | null) {
    handler = (req, url) => {
      if (req.headers.authorization !== basic) return { status: 401, body: { code: 20003, message: 'Authenticate', status: 401 } };
      if (url.pathname === `/v1/Content/${HX}` && content) return { status: 200, body: content };
      if (url.pathname === `/v1/Content/${HX}/ApprovalRequests` && approval) return { status: 200, body: { sid: HX, whatsapp: approval } };
      return { status: 404, body: { code: 20404, message: 'The requested resource was not found', status: 404 } };
    };
  }
  const content = (over: Record<string, unknown> = {}) => ({
    sid: HX, account_sid: TW_SID, friendly_name: 'rally_invite', language: 'es', variables: { 1: 'Ana', 2: 'Madrid' },
    types: { 'twilio/text': { body: 'Hola {{1}}, te esperamos en {{2}}.' } }, ...over,
  });
  const approval = (over: Record<string, unknown> = {}) => ({ type: 'whatsapp', name: 'rally_invite', category: 'MARKETING', status: 'approved', ...over });

  it('a matching content template gives no findings (SID from the env var content_sid names)', async () => {
    twilio(content(), approval());
    expect(await checkParity('twilio', twEnv(), meta({ content_sid: 'CAMPAIGN_HX' }))).toEqual([]);
    expect(seen.map((s) => s.url)).toEqual([`/v1/Content/${HX}`, `/v1/Content/${HX}/ApprovalRequests`]);
  });

  it('reports status, language, params and buttons', async () => {
    twilio(content({ language: 'en', types: { 'twilio/call-to-action': { body: 'Hi {{1}}', actions: [{ type: 'URL', title: 'Go', url: 'https://e.org/{{2}}' }] } } }), approval({ status: 'rejected' }));
    const findings = await checkParity('twilio', twEnv(), meta({ content_sid: HX }));
    expect(rules(findings)).toEqual(['template-button-suffix', 'template-language-mismatch', 'template-not-approved', 'template-param-count']);
  });

  it('404 is template-not-found; 401 names the Twilio variables, not the token', async () => {
    twilio(null, null);
    expect(rules(await checkParity('twilio', twEnv(), meta({ content_sid: HX })))).toEqual(['template-not-found']);
    const err = await checkParity('twilio', { ...twEnv(), TWILIO_AUTH_TOKEN: 'bad-secret' }, meta({ content_sid: HX })).catch((e: Error & { hint?: string }) => e) as Error & { hint?: string };
    expect(`${err.message} ${err.hint}`).toMatch(/TWILIO_AUTH_TOKEN/);
    expect(`${err.message} ${err.hint}`).not.toContain('bad-secret');
  });

  it('no content_sid is a usage error', async () => {
    await expect(checkParity('twilio', { TWILIO_ACCOUNT_SID: TW_SID, TWILIO_AUTH_TOKEN: TW_TOKEN }, meta())).rejects.toThrow(/content_sid/);
  });
});

describe('compareTemplate / PARITY_RULES', () => {
  it('every rule a finding can have is catalogued, with a fix', () => {
    const ids = PARITY_RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of PARITY_RULES) expect(r.fix.length).toBeGreaterThan(10);
    const all = compareTemplate(meta({ category: 'utility', params: ['a'], button_params: ['x'] }), {
      provider: 'cloud', name: 'rally_invite', language: 'en', category: 'marketing', status: 'REJECTED', body: 'Hi {{first}} {{second}}',
      params: ['first', 'second'], paramFormat: 'named', urlButtons: [],
    });
    for (const f of all) expect(ids).toContain(f.rule);
    expect(all).toHaveLength(6);
    expect(compareTemplate(meta(), null)[0].rule).toBe('template-not-found');
  });
});

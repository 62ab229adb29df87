import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkParity, fetchApprovedTemplate } from '../../../src/core/parity/index.js';
import type { TemplateButton, TemplateMeta } from '../../../src/core/template/types.js';

const TOKEN = 'EAAG-shape-token-456';
let server: Server;
let base = '';
let templates: unknown[] = [];
let twilioContent: unknown = null;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); };
    if (url.pathname === '/v23.0/55501/message_templates') {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return json(401, { error: { message: 'Invalid OAuth access token.', code: 190 } });
      return json(200, { data: templates.filter((t) => (t as { name: string }).name === url.searchParams.get('name')), paging: { cursors: { before: 'a', after: 'b' } } });
    }
    if (url.pathname === '/v1/Content/HX0123456789abcdef0123456789abcdef' && twilioContent) return json(200, twilioContent);
    return json(404, { error: { message: 'Unsupported get request.', code: 100 } });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const env = () => ({ WHATSAPP_TOKEN: TOKEN, WHATSAPP_BUSINESS_ACCOUNT_ID: '55501', WHATSAPP_API_URL: `${base}/v23.0` });

/** A marketing template as Graph returns it: a video header, body, footer, a quick reply and a dynamic URL button. */
const graphTemplate = (components?: unknown[]) => ({
  name: 'acto_video', language: 'es', status: 'APPROVED', category: 'MARKETING', parameter_format: 'POSITIONAL', id: '1234567890',
  components: components ?? [
    { type: 'HEADER', format: 'VIDEO', example: { header_handle: ['4::aW1hZ2UvanBlZw==:ARZ...'] } },
    { type: 'BODY', text: 'Hola {{1}}, mira el vídeo del acto en {{2}}.', example: { body_text: [['Ana', 'Madrid']] } },
    { type: 'FOOTER', text: 'Responde BAJA para no recibir más mensajes' },
    { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'No me interesa' }, { type: 'URL', text: 'Apúntate', url: 'https://partido.es/acto/{{1}}', example: ['https://partido.es/acto/madrid'] }] },
  ],
});

const buttons: TemplateButton[] = [{ type: 'quick_reply', text: 'No me interesa', optout: true }, { type: 'url', param: 'ref' }];
const meta = (over: Partial<TemplateMeta> = {}): TemplateMeta => ({
  template: 'acto_video', language: 'es', category: 'marketing', params: ['nombre', 'ciudad'], links: [], extra: {},
  header: { kind: 'video', url: 'https://cdn.partido.es/acto.mp4' }, footer: 'Responde BAJA para no recibir más mensajes', buttons, ...over,
});
const rules = (f: { rule: string }[]) => f.map((x) => x.rule).sort();

describe('--check-template: header, buttons and footer as approved (Cloud API)', () => {
  it('reads the approved header format, footer and every button in order', async () => {
    templates = [graphTemplate()];
    const a = await fetchApprovedTemplate('cloud', env(), meta());
    expect(a?.header).toEqual({ format: 'VIDEO' });
    expect(a?.footer).toBe('Responde BAJA para no recibir más mensajes');
    expect(a?.buttons).toEqual([
      { type: 'QUICK_REPLY', text: 'No me interesa' },
      { type: 'URL', text: 'Apúntate', url: 'https://partido.es/acto/{{1}}', dynamic: true },
    ]);
  });

  it('a front matter declaring what was approved gives no findings', async () => {
    templates = [graphTemplate()];
    expect(await checkParity('cloud', env(), meta())).toEqual([]);
  });

  it.each([
    ['an image header for an approved VIDEO', { header: { kind: 'image' as const, url: 'https://cdn.partido.es/cartel.jpg' } }, 'VIDEO'],
    ['no header for an approved VIDEO (every send refused)', { header: undefined }, '132012'],
  ])('header: %s', async (_, over, says) => {
    templates = [graphTemplate()];
    const f = await checkParity('cloud', env(), meta(over));
    expect(rules(f)).toEqual(['template-header-mismatch']);
    expect(f[0].severity).toBe('error');
    expect(f[0].message).toContain(says);
  });

  it('a document header declared where the approved template has none; a static TEXT header may stay undeclared', async () => {
    const [header, ...rest] = graphTemplate().components;
    void header;
    templates = [graphTemplate(rest)];
    expect(rules(await checkParity('cloud', env(), meta({ header: { kind: 'document', url: 'https://partido.es/p.pdf' } })))).toEqual(['template-header-mismatch']);
    templates = [graphTemplate([{ type: 'HEADER', format: 'TEXT', text: 'Acto central' }, ...rest])];
    expect(await checkParity('cloud', env(), meta({ header: undefined }))).toEqual([]);
    templates = [graphTemplate([{ type: 'HEADER', format: 'TEXT', text: 'Acto en {{1}}', example: { header_text: ['Madrid'] } }, ...rest])];
    expect(rules(await checkParity('cloud', env(), meta({ header: undefined })))).toEqual(['template-header-mismatch']);
  });

  it.each([
    ['buttons in another order', [buttons[1], buttons[0]], 'button 1 is quick_reply'],
    ['a quick reply with other text', [{ type: 'quick_reply' as const, text: 'Baja' }, buttons[1]], '"No me interesa"'],
    ['a dynamic URL button without its param', [buttons[0], { type: 'url' as const }], 'ends in a variable'],
    ['one button missing', [buttons[0]], '2 approved, 1 declared'],
  ])('buttons: %s', async (_, declared, says) => {
    templates = [graphTemplate()];
    const f = await checkParity('cloud', env(), meta({ buttons: declared as TemplateButton[] }));
    expect(rules(f)).toContain('template-buttons-mismatch');
    expect(f.find((x) => x.rule === 'template-buttons-mismatch')!.message).toContain(says);
  });

  it('a footer that is not the approved one, or one the template does not have', async () => {
    templates = [graphTemplate()];
    expect(rules(await checkParity('cloud', env(), meta({ footer: 'Escribe STOP' })))).toEqual(['template-footer-mismatch']);
    templates = [graphTemplate(graphTemplate().components.filter((c) => (c as { type: string }).type !== 'FOOTER'))];
    const f = await checkParity('cloud', env(), meta());
    expect(f).toMatchObject([{ rule: 'template-footer-mismatch', severity: 'error' }]);
    expect(f[0].message).toContain('has no footer');
  });
});

describe('--check-template: buttons and footer (Twilio Content API)', () => {
  it('compares the call-to-action and quick-reply buttons and the card footer', async () => {
    twilioContent = {
      sid: 'HX0123456789abcdef0123456789abcdef', friendly_name: 'acto_video', language: 'es',
      types: { 'whatsapp/card': { body: 'Hola {{1}}, mira el vídeo del acto en {{2}}.', footer: 'Responde BAJA', actions: [{ type: 'QUICK_REPLY', title: 'No me interesa', id: 'stop' }, { type: 'URL', title: 'Apúntate', url: 'https://partido.es/acto/{{3}}' }] } },
    };
    const twEnv = { TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', TWILIO_AUTH_TOKEN: 'tw-token', TWILIO_CONTENT_API_URL: base };
    const m = meta({ content_sid: 'HX0123456789abcdef0123456789abcdef', footer: 'Responde BAJA' });
    expect(await checkParity('twilio', twEnv, m)).toEqual([]);
    expect(rules(await checkParity('twilio', twEnv, { ...m, buttons: [buttons[0]], footer: 'Otro' }))).toEqual(['template-button-suffix', 'template-buttons-mismatch', 'template-footer-mismatch']);
  });
});

import { createHash, createHmac } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startWebhookServer } from '../../../src/core/webhook/server.js';
import { twilioSignature } from '../../../src/core/providers/twilio/index.js';

const APP_SECRET = 'meta-app-secret-123';
const VERIFY_TOKEN = 'verify-me';
const TWILIO_TOKEN = 'twilio-auth-token-xyz';
const VONAGE_SECRET = 'vonage-sig-secret';
const T0 = '2025-05-01T10:00:00.000Z';

const header = (campaign: string) => JSON.stringify({ type: 'header', version: 1, campaign, at: T0, contacts: { path: 'c.csv', sha256: 'x' }, template: null, provider: 'cloud', options: {} });
const line = (o: object) => JSON.stringify({ at: T0, ...o });

interface Ctx { dir: string; a: string; b: string; url: string; logs: string[]; close: () => Promise<void> }

async function setup(env: Record<string, string | undefined> = {}, journals?: string[], maxBodyBytes?: number): Promise<Ctx> {
  const dir = await mkdtemp(join(tmpdir(), 'webhook-'));
  const a = join(dir, 'a.jsonl');
  const b = join(dir, 'b.jsonl');
  await writeFile(a, [header('camp-a'),
    line({ type: 'attempt', to: '+34600000001' }), line({ type: 'sent', to: '+34600000001', id: 'wamid.A1' }),
    line({ type: 'attempt', to: '+34600000002' }), // uncertain: no outcome
    line({ type: 'attempt', to: '+34600000004' }), line({ type: 'sent', to: '+34600000004', id: 'SMa4' }),
  ].join('\n') + '\n');
  await writeFile(b, [header('camp-b'),
    line({ type: 'attempt', to: '+34600000003' }), line({ type: 'sent', to: '+34600000003', id: 'wamid.B1' }),
    line({ type: 'attempt', to: '+34600000005' }), // uncertain too
    line({ type: 'attempt', to: '+34600000006' }), line({ type: 'sent', to: '+34600000006', id: 'vonage-uuid-6' }),
  ].join('\n') + '\n');
  const logs: string[] = [];
  const server = await startWebhookServer({
    host: '127.0.0.1', port: 0, journals: journals ?? [], cwd: dir, log: (l) => logs.push(l), maxBodyBytes,
    env: { WHATSAPP_APP_SECRET: APP_SECRET, WHATSAPP_VERIFY_TOKEN: VERIFY_TOKEN, TWILIO_AUTH_TOKEN: TWILIO_TOKEN, VONAGE_SIGNATURE_SECRET: VONAGE_SECRET, ...env },
  });
  return { dir, a, b, url: server.url, logs, close: server.close };
}

const events = async (path: string) => (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const optouts = async (dir: string) => readFile(join(dir, '.campaign/optouts.txt'), 'utf8').catch(() => '');

function metaBody(value: object, field = 'messages'): string {
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'WABA', changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1555', phone_number_id: '123' }, ...value } }] }] });
}
const metaSig = (body: string | Buffer, secret = APP_SECRET) => 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
async function postMeta(ctx: Ctx, body: string, sig: string | null = metaSig(body)) {
  return fetch(`${ctx.url}/webhooks/cloud`, { method: 'POST', headers: { 'content-type': 'application/json', ...(sig ? { 'x-hub-signature-256': sig } : {}) }, body });
}
const metaStatus = (id: string, recipient: string, status: string, extra: object = {}) =>
  metaBody({ statuses: [{ id, status, timestamp: '1746093600', recipient_id: recipient, ...extra }] });
const metaText = (from: string, text: string) => metaBody({ contacts: [{ profile: { name: 'A' }, wa_id: from }], messages: [{ from, id: `in.${Math.random()}`, timestamp: '1746093600', type: 'text', text: { body: text } }] });

async function postTwilio(ctx: Ctx, params: Record<string, string>, opts: { signedUrl?: string; sig?: string } = {}) {
  const signedUrl = opts.signedUrl ?? `${ctx.url}/webhooks/twilio`;
  const sig = opts.sig ?? twilioSignature(signedUrl, params, TWILIO_TOKEN);
  return fetch(`${ctx.url}/webhooks/twilio`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': sig }, body: new URLSearchParams(params).toString() });
}

function vonageJwt(body: string, secret = VONAGE_SECRET, hashOf = body, claims: object = {}): string {
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const h = enc({ alg: 'HS256', typ: 'JWT' });
  const p = enc({ iat: Math.floor(Date.now() / 1000), ...claims, jti: 'j1', iss: 'Vonage', payload_hash: createHash('sha256').update(hashOf).digest('hex'), api_key: 'k', application_id: 'app' });
  return `${h}.${p}.${createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url')}`;
}
async function postVonage(ctx: Ctx, body: string, auth: string | null = `Bearer ${vonageJwt(body)}`) {
  return fetch(`${ctx.url}/webhooks/vonage`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}) }, body });
}

describe('webhook server', () => {
  let ctx: Ctx;
  beforeEach(async () => { ctx = await setup(); });
  afterEach(async () => { await ctx.close(); await rm(ctx.dir, { recursive: true, force: true }); });

  it('answers the Meta handshake only with the right token', async () => {
    const ok = await fetch(`${ctx.url}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await ok.text()).toBe('1158201444');
    const bad = await fetch(`${ctx.url}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1`);
    expect(bad.status).toBe(403);
    expect(await bad.text()).not.toContain('1158201444');
  });

  it('appends a signed Meta status to the journal holding the id, not the other one', async () => {
    const beforeA = await readFile(ctx.a);
    const res = await postMeta(ctx, metaStatus('wamid.B1', '34600000003', 'delivered'));
    expect(res.status).toBe(200);
    expect(await readFile(ctx.a)).toEqual(beforeA);
    expect((await events(ctx.b)).at(-1)).toEqual({ type: 'status', to: '+34600000003', id: 'wamid.B1', status: 'delivered', at: expect.any(String), provider_at: '2025-05-01T10:00:00.000Z' });
    // A provider retry of the same callback is not written twice.
    await postMeta(ctx, metaStatus('wamid.B1', '34600000003', 'delivered'));
    expect((await events(ctx.b)).filter((e) => e.type === 'status')).toHaveLength(1);
  });

  it('refuses forged (403) and unsigned (401) requests and writes nothing', async () => {
    const before = [await readFile(ctx.a), await readFile(ctx.b)];
    const body = metaStatus('wamid.B1', '34600000003', 'read');
    expect((await postMeta(ctx, body, metaSig(body, 'wrong-secret'))).status).toBe(403);
    expect((await postMeta(ctx, body, metaSig(body + ' '))).status).toBe(403);
    expect((await postMeta(ctx, body, null)).status).toBe(401);
    const optBody = metaText('34600000001', 'BAJA');
    expect((await postMeta(ctx, optBody, metaSig(optBody, 'x'))).status).toBe(403);
    expect([await readFile(ctx.a), await readFile(ctx.b)]).toEqual(before);
    expect(await optouts(ctx.dir)).toBe('');
    expect(ctx.logs.join('\n')).not.toContain(APP_SECRET);
  });

  it('answers 400 to malformed JSON with a valid signature, 404 to unknown routes', async () => {
    const res = await postMeta(ctx, '{"entry": [', metaSig('{"entry": ['));
    expect(res.status).toBe(400);
    expect(ctx.logs.some((l) => /not valid JSON/.test(l))).toBe(true);
    expect((await fetch(`${ctx.url}/nope`)).status).toBe(404);
    expect((await fetch(`${ctx.url}/webhooks/twilio`)).status).toBe(405);
  });

  it('answers 413 to a body over the limit', async () => {
    const big = metaBody({ pad: 'x'.repeat(1024 * 1024 + 10) });
    const res = await postMeta(ctx, big);
    expect(res.status).toBe(413);
  });

  it('records keyword opt-outs once, and not chat that merely contains a keyword', async () => {
    for (const text of ['BAJA', ' baja. ', 'Baja']) expect((await postMeta(ctx, metaText('34600000001', text))).status).toBe(200);
    expect((await postMeta(ctx, metaText('34600000003', 'no paro de pensar en el acto'))).status).toBe(200);
    expect(await optouts(ctx.dir)).toBe('+34600000001\n');
    const optEvents = (await events(ctx.a)).filter((e) => e.type === 'optout');
    expect(optEvents).toEqual([{ type: 'optout', to: '+34600000001', at: expect.any(String), source: 'keyword' }]);
    expect((await events(ctx.b)).some((e) => e.type === 'optout')).toBe(false);
  });

  it('treats the stop-promotions button and user_preferences stop as opt-outs', async () => {
    const button = metaBody({ messages: [{ from: '34600000003', id: 'in.b', timestamp: '1746093600', type: 'button', context: { from: '1555', id: 'wamid.B1' }, button: { payload: 'STOP_PROMOTIONS', text: 'Stop promotions' } }] });
    expect((await postMeta(ctx, button)).status).toBe(200);
    const prefs = metaBody({ user_preferences: [{ wa_id: '34600000009', detail: 'x', category: 'marketing_messages', value: 'stop', timestamp: 1746093600 }] }, 'user_preferences');
    expect((await postMeta(ctx, prefs)).status).toBe(200);
    expect(await optouts(ctx.dir)).toBe('+34600000003\n+34600000009\n');
    expect((await events(ctx.b)).filter((e) => e.type === 'optout')).toEqual([{ type: 'optout', to: '+34600000003', at: expect.any(String), source: 'button' }]);
  });

  it('a failed status with 131050 is a status event and an opt-out', async () => {
    await postMeta(ctx, metaStatus('wamid.A1', '34600000001', 'failed', { errors: [{ code: 131050, title: 'User has stopped marketing messages' }] }));
    const ev = await events(ctx.a);
    expect(ev.at(-2)).toEqual({ type: 'status', to: '+34600000001', id: 'wamid.A1', status: 'failed', code: '131050', at: expect.any(String), provider_at: '2025-05-01T10:00:00.000Z' });
    expect(ev.at(-1)).toMatchObject({ type: 'optout', to: '+34600000001', source: 'error 131050' });
    expect(await optouts(ctx.dir)).toBe('+34600000001\n');
  });

  it('logs and accepts a status for an unknown id, and finds ids appended after start', async () => {
    const before = [await readFile(ctx.a), await readFile(ctx.b)];
    expect((await postMeta(ctx, metaStatus('wamid.ZZ', '34699999999', 'delivered'))).status).toBe(200);
    expect([await readFile(ctx.a), await readFile(ctx.b)]).toEqual(before);
    expect(ctx.logs.some((l) => l.includes('wamid.ZZ') && /no journal/.test(l))).toBe(true);
    await appendFile(ctx.b, line({ type: 'attempt', to: '+34600000007' }) + '\n' + line({ type: 'sent', to: '+34600000007', id: 'wamid.B7' }) + '\n');
    await postMeta(ctx, metaStatus('wamid.B7', '34600000007', 'read'));
    expect((await events(ctx.b)).at(-1)).toMatchObject({ type: 'status', id: 'wamid.B7', status: 'read', to: '+34600000007' });
  });

  it('resolves an uncertain recipient by correlation, or by `to` when its attempt has no outcome', async () => {
    // +34600000002 (camp-a) and +34600000005 (camp-b) have attempts without outcome: no id yet.
    await postMeta(ctx, metaStatus('wamid.A2', '34600000002', 'sent', { biz_opaque_callback_data: 'camp-a:+34600000002' }));
    expect((await events(ctx.a)).at(-1)).toEqual({ type: 'status', to: '+34600000002', id: 'wamid.A2', status: 'sent', at: expect.any(String), provider_at: '2025-05-01T10:00:00.000Z' });
    // Later statuses for the same message now go by id.
    await postMeta(ctx, metaStatus('wamid.A2', '34600000002', 'delivered'));
    expect((await events(ctx.a)).at(-1)).toMatchObject({ id: 'wamid.A2', status: 'delivered' });
    // No correlation at all: recipient_id matches the open attempt in b.
    await postMeta(ctx, metaStatus('wamid.B5', '34600000005', 'delivered'));
    expect((await events(ctx.b)).at(-1)).toEqual({ type: 'status', to: '+34600000005', id: 'wamid.B5', status: 'delivered', at: expect.any(String), provider_at: '2025-05-01T10:00:00.000Z' });
    // Correlation beats `to`: +34600000008 has open attempts in b (newer) and c (older); a
    // Vonage client_ref cut at 40 characters still names c.
    const longId = 'campaign-2025-05-01-rally-madrid-0001';
    const c = join(ctx.dir, 'c.jsonl');
    await writeFile(c, header(longId) + '\n' + JSON.stringify({ type: 'attempt', to: '+34600000008', at: '2025-05-01T09:00:00.000Z' }) + '\n');
    await appendFile(ctx.b, JSON.stringify({ type: 'attempt', to: '+34600000008', at: '2025-05-01T11:00:00.000Z' }) + '\n');
    const ref = `${longId}:+34600000008`.slice(0, 40);
    const vBody = JSON.stringify({ message_uuid: 'u-trunc', to: '34600000008', timestamp: T0, status: 'submitted', client_ref: ref });
    expect((await postVonage(ctx, vBody)).status).toBe(200);
    expect((await events(c)).at(-1)).toEqual({ type: 'status', to: '+34600000008', id: 'u-trunc', status: 'sent', at: expect.any(String), provider_at: T0 });
    expect((await events(ctx.b)).some((e) => e.id === 'u-trunc')).toBe(false);
    // Without correlation, a status for some other message (a day after the attempt) settles nothing...
    const unix = (iso: string) => String(Date.parse(iso) / 1000);
    await postMeta(ctx, metaStatus('wamid.OTHER', '34600000008', 'failed', { timestamp: unix('2025-05-02T11:00:00Z') }));
    expect((await events(ctx.b)).some((e) => e.id === 'wamid.OTHER')).toBe(false);
    // ...while one just after the attempt goes to the newest open attempt.
    await postMeta(ctx, metaStatus('wamid.X8', '34600000008', 'sent', { timestamp: unix('2025-05-01T11:00:30Z') }));
    expect((await events(ctx.b)).at(-1)).toMatchObject({ id: 'wamid.X8', to: '+34600000008' });
  });

  it('Twilio: signed delivered callback → status event; forged → 403; 21610 → opt-out', async () => {
    const params = { MessageSid: 'SMa4', MessageStatus: 'delivered', To: 'whatsapp:+34600000004', From: 'whatsapp:+15550001111', AccountSid: 'AC1' };
    expect((await postTwilio(ctx, params)).status).toBe(200);
    expect((await events(ctx.a)).at(-1)).toMatchObject({ type: 'status', to: '+34600000004', id: 'SMa4', status: 'delivered' });
    const before = await readFile(ctx.a);
    expect((await postTwilio(ctx, { ...params, MessageStatus: 'read' }, { sig: twilioSignature(`${ctx.url}/webhooks/twilio`, params, TWILIO_TOKEN) })).status).toBe(403);
    expect((await postTwilio(ctx, { ...params, MessageStatus: 'read' }, { signedUrl: 'https://evil.example/webhooks/twilio' })).status).toBe(403);
    expect(await readFile(ctx.a)).toEqual(before);
    const failed = { MessageSid: 'SMa4', MessageStatus: 'undelivered', ErrorCode: '21610', To: 'whatsapp:+34600000004', From: 'whatsapp:+15550001111' };
    expect((await postTwilio(ctx, failed)).status).toBe(200);
    expect(await optouts(ctx.dir)).toBe('+34600000004\n');
    const ev = await events(ctx.a);
    expect(ev.at(-2)).toMatchObject({ type: 'status', status: 'failed', code: '21610' });
    expect(ev.at(-1)).toMatchObject({ type: 'optout', to: '+34600000004', source: 'error 21610' });
    // An inbound "STOP" reply.
    expect((await postTwilio(ctx, { MessageSid: 'SMin', SmsStatus: 'received', Body: 'Stop', From: 'whatsapp:+34600000001', To: 'whatsapp:+1555' })).status).toBe(200);
    expect(await optouts(ctx.dir)).toBe('+34600000004\n+34600000001\n');
  });

  it('Vonage: JWT-signed status → event; wrong payload_hash or key → 403; no token → 401', async () => {
    const body = JSON.stringify({ message_uuid: 'vonage-uuid-6', to: '34600000006', from: '1555', timestamp: '2025-05-01T10:05:00.000Z', status: 'delivered', channel: 'whatsapp' });
    expect((await postVonage(ctx, body)).status).toBe(200);
    expect((await events(ctx.b)).at(-1)).toEqual({ type: 'status', to: '+34600000006', id: 'vonage-uuid-6', status: 'delivered', at: expect.any(String), provider_at: '2025-05-01T10:05:00.000Z' });
    const before = await readFile(ctx.b);
    const read = body.replace('delivered', 'read');
    expect((await postVonage(ctx, read, `Bearer ${vonageJwt(read, VONAGE_SECRET, body)}`)).status).toBe(403);
    expect((await postVonage(ctx, read, `Bearer ${vonageJwt(read, 'other')}`)).status).toBe(403);
    expect((await postVonage(ctx, read, null)).status).toBe(401);
    // Correctly signed but replayed: an iat two years old, or none at all.
    expect((await postVonage(ctx, read, `Bearer ${vonageJwt(read, VONAGE_SECRET, read, { iat: Math.floor(Date.now() / 1000) - 2 * 365 * 86400 })}`)).status).toBe(403);
    expect((await postVonage(ctx, read, `Bearer ${vonageJwt(read, VONAGE_SECRET, read, { iat: undefined })}`)).status).toBe(403);
    expect(await readFile(ctx.b)).toEqual(before);
  });
});

describe('webhook server configuration', () => {
  it('refuses a route whose secret is not set (403), logging it once', async () => {
    const ctx = await setup({ WHATSAPP_APP_SECRET: undefined });
    try {
      const body = metaStatus('wamid.B1', '34600000003', 'delivered');
      expect((await postMeta(ctx, body)).status).toBe(403);
      expect((await postMeta(ctx, body)).status).toBe(403);
      expect(ctx.logs.filter((l) => l.includes('WHATSAPP_APP_SECRET'))).toHaveLength(1);
      expect((await events(ctx.b)).some((e) => e.type === 'status')).toBe(false);
    } finally {
      await ctx.close();
      await rm(ctx.dir, { recursive: true, force: true });
    }
  });

  it('Twilio signs CAMPAIGN_PUBLIC_URL + route when set; --journal limits the journals served; custom body limit', async () => {
    const ctx = await setup({ CAMPAIGN_PUBLIC_URL: 'https://hooks.example.org/' }, ['b.jsonl'], 2000);
    try {
      const params = { MessageSid: 'wamid.B1', MessageStatus: 'sent', To: 'whatsapp:+34600000003', From: 'whatsapp:+1555' };
      expect((await postTwilio(ctx, params)).status).toBe(403); // signed for the local URL
      expect((await postTwilio(ctx, params, { signedUrl: 'https://hooks.example.org/webhooks/twilio' })).status).toBe(200);
      expect((await events(ctx.b)).at(-1)).toMatchObject({ type: 'status', id: 'wamid.B1', to: '+34600000003', status: 'sent' });
      // a.jsonl is not served: its id is unknown.
      await postMeta(ctx, metaStatus('wamid.A1', '34600000001', 'read'));
      expect((await events(ctx.a)).some((e) => e.type === 'status')).toBe(false);
      expect((await postMeta(ctx, metaBody({ pad: 'x'.repeat(3000) }))).status).toBe(413);
    } finally {
      await ctx.close();
      await rm(ctx.dir, { recursive: true, force: true });
    }
  });
});

describe('the same callback, many times at once', () => {
  let ctx: Ctx;
  beforeEach(async () => { ctx = await setup(); });
  afterEach(async () => { await ctx.close(); await rm(ctx.dir, { recursive: true, force: true }); });

  const statuses = async (path: string, id: string) => (await events(path)).filter((e) => e.type === 'status' && e.id === id);
  const parallel = (n: number, post: () => Promise<Response>) => Promise.all(Array.from({ length: n }, async () => (await post()).status));

  it('30 parallel copies of a signed Meta, Twilio and Vonage status: one status event each, every copy 200', async () => {
    const meta = metaStatus('wamid.B1', '34600000003', 'delivered');
    const twilio = { MessageSid: 'SMa4', MessageStatus: 'delivered', To: 'whatsapp:+34600000004', From: 'whatsapp:+15550001111' };
    const vonage = JSON.stringify({ message_uuid: 'vonage-uuid-6', to: '34600000006', from: '1555', timestamp: '2025-05-01T10:05:00.000Z', status: 'delivered' });
    const codes = await Promise.all([parallel(30, () => postMeta(ctx, meta)), parallel(30, () => postTwilio(ctx, twilio)), parallel(30, () => postVonage(ctx, vonage))]);
    expect(codes.flat()).toEqual(Array(90).fill(200));
    expect(await statuses(ctx.b, 'wamid.B1')).toHaveLength(1);
    expect(await statuses(ctx.a, 'SMa4')).toHaveLength(1);
    expect(await statuses(ctx.b, 'vonage-uuid-6')).toHaveLength(1);
  });

  it('30 parallel copies of an opt-out reply: one line in optouts.txt, one optout event', async () => {
    const body = metaText('34600000001', 'BAJA');
    expect(await parallel(30, () => postMeta(ctx, body))).toEqual(Array(30).fill(200));
    expect(await optouts(ctx.dir)).toBe('+34600000001\n');
    expect((await events(ctx.a)).filter((e) => e.type === 'optout')).toHaveLength(1);
  });

  it('a restarted webhook does not record again a callback the journal already holds', async () => {
    const body = metaStatus('wamid.B1', '34600000003', 'read');
    expect((await postMeta(ctx, body)).status).toBe(200);
    await ctx.close();
    const again = await startWebhookServer({ host: '127.0.0.1', port: 0, journals: [], cwd: ctx.dir, log: () => undefined, env: { WHATSAPP_APP_SECRET: APP_SECRET } });
    ctx.close = again.close;
    ctx.url = again.url;
    expect(await parallel(10, () => postMeta(ctx, body))).toEqual(Array(10).fill(200));
    expect(await statuses(ctx.b, 'wamid.B1')).toHaveLength(1);
  });

  it('answers 200 only once the event is in the journal file; 500 while it cannot be written, then records the retry once', async () => {
    for (const [i, s] of ['sent', 'delivered', 'read'].entries()) {
      expect((await postMeta(ctx, metaStatus('wamid.A1', '34600000001', s))).status).toBe(200);
      // Read straight after the answer: the line is there already.
      expect((await statuses(ctx.a, 'wamid.A1')).map((e) => e.status)).toEqual(['sent', 'delivered', 'read'].slice(0, i + 1));
    }
    // The journal cannot be written (here: replaced by a directory of the same name).
    const saved = await readFile(ctx.b);
    await rm(ctx.b);
    await mkdir(ctx.b);
    const body = metaStatus('wamid.B1', '34600000003', 'delivered');
    expect((await postMeta(ctx, body)).status).toBe(500);
    expect(ctx.logs.some((l) => /could not record a callback/.test(l))).toBe(true);
    // Back as it was: the provider's retry is recorded, once.
    await rm(ctx.b, { recursive: true });
    await writeFile(ctx.b, saved);
    expect(await parallel(5, () => postMeta(ctx, body))).toEqual(Array(5).fill(200));
    expect(await statuses(ctx.b, 'wamid.B1')).toHaveLength(1);
  });
});

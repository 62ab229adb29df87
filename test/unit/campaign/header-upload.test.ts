/**
 * A local header file: uploaded once per campaign to a real HTTP server on 127.0.0.1 (multipart
 * POST /media), its id journaled, reused on resume, uploaded again once it is about to expire.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MEDIA_REUSE_MS, planSend, runSend, type PlanRequest, type SendPlan } from '../../../src/core/campaign/send.js';
import { mergeOptions } from '../../../src/core/config/load.js';
import { CampaignError, UsageError } from '../../../src/core/errors.js';
import { checkHeaderSupport } from '../../../src/core/providers/index.js';
import { checkMediaUpload } from '../../../src/core/providers/sandbox/server.js';
import type { TemplateHeader } from '../../../src/core/template/types.js';
import { cloudOk } from '../../helpers/fake-cloud.js';
import { startFakeServer, type FakeResponse, type FakeServer } from '../../helpers/fake-servers.js';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(2048, 7)]);

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function setup(n: number, provider = 'cloud') {
  const dir = mkdtempSync(path.join(tmpdir(), 'header-upload-'));
  writeFileSync(path.join(dir, 'contacts.csv'), 'name,phone,consent\n' + Array.from({ length: n }, (_, i) => `N${i},+346120${String(i).padStart(5, '0')},yes`).join('\n') + '\n');
  writeFileSync(path.join(dir, 'message.md'), '---\ntemplate: cartel\nlanguage: es\ncategory: marketing\nparams: [name]\n---\nHola {{name}}, mira el cartel.\n');
  writeFileSync(path.join(dir, 'cartel.png'), PNG);
  const options = mergeOptions({}, { template: path.join(dir, 'message.md'), provider, rate: 500, concurrency: 8, yes: true });
  const req: PlanRequest = { contactsPath: path.join(dir, 'contacts.csv'), options, cwd: dir, env: { CAMPAIGN_SANDBOX_OUTBOX: path.join(dir, 'outbox.jsonl'), CAMPAIGN_SANDBOX_FAULTS: 'callbacks=off' }, onFinding: () => {} };
  const journal = path.join(dir, 'contacts.journal.jsonl');
  const events = () => (existsSync(journal) ? readFileSync(journal, 'utf8').trim().split('\n').map((l) => JSON.parse(l)) : []);
  return { dir, req, journal, events, file: path.join(dir, 'cartel.png') };
}

/** The front matter parser is another branch's work: the header is set on the planned template. */
async function plan(req: PlanRequest, header: TemplateHeader): Promise<SendPlan> {
  const p = await planSend(req);
  p.template!.meta!.header = header;
  return p;
}

async function fakeCloud(media: (n: number) => FakeResponse = (n) => ({ json: { id: `MEDIA${n}` } })) {
  let uploads = 0;
  server = await startFakeServer((req, i) => (req.url.endsWith('/media') ? media(++uploads) : cloudOk(i, String((req.json as { to?: string })?.to))));
  const env = { WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: 'tok-upload-0123456789', WHATSAPP_PHONE_NUMBER_ID: '555' };
  const messages = () => server!.requests.filter((r) => r.url.endsWith('/messages'));
  const uploadRequests = () => server!.requests.filter((r) => r.url.endsWith('/media'));
  return { env, messages, uploadRequests };
}

const headerIds = (reqs: { json: unknown }[]) => reqs.map((r) => (r.json as any).template.components[0].parameters[0].image.id as string);

describe('a local header file', () => {
  it('is uploaded once (multipart, before the first message) and every message uses its id; the id is journaled', async () => {
    const { req, events, file } = setup(300);
    const cloud = await fakeCloud();
    const r = { ...req, env: { ...req.env, ...cloud.env } };
    const result = await runSend(r, await plan(r, { kind: 'image', file }), new AbortController().signal);
    expect(result.sent).toBe(300);
    const [upload, ...more] = cloud.uploadRequests();
    expect(more).toHaveLength(0);
    expect(upload.index).toBe(0);
    expect(upload.url).toBe('/v23.0/555/media');
    expect(upload.headers.authorization).toBe('Bearer tok-upload-0123456789');
    expect(checkMediaUpload(upload.headers['content-type'], Buffer.from(upload.body, 'latin1'))).toBeUndefined();
    expect(upload.body).toContain('name="type"\r\n\r\nimage/png\r\n');
    expect(upload.body).toContain('filename="cartel.png"');
    expect(new Set(headerIds(cloud.messages()))).toEqual(new Set(['MEDIA1']));
    const media = events().filter((e) => e.type === 'media');
    expect(media).toEqual([{ type: 'media', file, sha256: expect.stringMatching(/^[0-9a-f]{64}$/), id: 'MEDIA1', at: expect.any(String) }]);
    // The media event is about no recipient: the funnel is unchanged.
    expect(events().filter((e) => e.type === 'sent')).toHaveLength(300);
  });

  it('a resume reuses the journaled id; one older than 29 days is uploaded again', async () => {
    const { req, journal, file } = setup(40);
    const cloud = await fakeCloud();
    const r = { ...req, env: { ...req.env, ...cloud.env }, options: { ...req.options, rate: 40, concurrency: 1 } };
    const stop = new AbortController();
    let sent = 0;
    await runSend(r, await plan(r, { kind: 'image', file }), stop.signal, { onEvent: (e) => e.type === 'sent' && ++sent === 10 && stop.abort() });
    const first = cloud.messages().length;
    expect(first).toBeGreaterThanOrEqual(10);
    expect(first).toBeLessThan(40);

    // Resume, twice interrupted again: still the one upload.
    const again = new AbortController();
    let more = 0;
    await runSend(r, await plan(r, { kind: 'image', file }), again.signal, { onEvent: (e) => e.type === 'sent' && ++more === 5 && again.abort() });
    expect(cloud.uploadRequests()).toHaveLength(1);
    const second = cloud.messages().length;

    // The id's age: the journal's media event dated 29 days and a minute ago.
    const old = new Date(Date.now() - MEDIA_REUSE_MS - 60_000).toISOString();
    writeFileSync(journal, readFileSync(journal, 'utf8').replace(/("type":"media".*?"at":")[^"]+/, `$1${old}`));
    const done = await runSend(r, await plan(r, { kind: 'image', file }), new AbortController().signal);
    expect(cloud.uploadRequests()).toHaveLength(2);
    const ids = headerIds(cloud.messages());
    expect(new Set(ids.slice(0, second))).toEqual(new Set(['MEDIA1']));
    expect(new Set(ids.slice(second))).toEqual(new Set(['MEDIA2']));
    // Nobody twice: 40 recipients, 40 messages over three runs.
    expect(new Set(cloud.messages().map((m) => (m.json as any).to)).size).toBe(40);
    expect(cloud.messages()).toHaveLength(40);
    expect(done.sent).toBe(40 - second);
  });

  it('a failed upload stops the send before the first message and leaves no journal', async () => {
    const { req, journal, file } = setup(5);
    const cloud = await fakeCloud(() => ({ status: 400, json: { error: { message: '(#100) Param file must be a file with one of the following types', code: 100 } } }));
    const r = { ...req, env: { ...req.env, ...cloud.env } };
    const err = await runSend(r, await plan(r, { kind: 'image', file }), new AbortController().signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CampaignError);
    expect((err as CampaignError).exitCode).toBe(1);
    expect((err as CampaignError).file).toBe(file);
    expect((err as Error).message).toMatch(/could not be uploaded \(\(#100\) Param file must be.*\); nothing was sent/);
    expect(cloud.messages()).toHaveLength(0);
    expect(existsSync(journal)).toBe(false);
  });

  it('the sandbox accepts the upload too: a send with a local poster works with no account', async () => {
    const { req, dir, events, file } = setup(12, 'sandbox');
    const result = await runSend(req, await plan(req, { kind: 'image', file }), new AbortController().signal);
    expect(result.sent).toBe(12);
    const outbox = readFileSync(path.join(dir, 'outbox.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const ids = new Set(outbox.map((m) => m.request.template.components[0].parameters[0].image.id));
    expect(ids.size).toBe(1);
    expect(events().filter((e) => e.type === 'media').map((e) => e.id)).toEqual([...ids]);
  });

  it('a dry run uploads nothing', async () => {
    const { req, file } = setup(3);
    const cloud = await fakeCloud();
    const r = { ...req, env: { ...req.env, ...cloud.env }, options: { ...req.options, dryRun: true } };
    const result = await runSend(r, await plan(r, { kind: 'image', file }), new AbortController().signal);
    expect(result.dryRun?.messages).toBe(3);
    expect(server!.requests).toHaveLength(0);
  });
});

describe('what each provider can send as a header', () => {
  it('Twilio and Vonage refuse a local file, naming the provider and the kind; URLs and text go', () => {
    for (const provider of ['twilio', 'vonage']) {
      let err: unknown;
      try {
        checkHeaderSupport(provider, { kind: 'video', file: '/m/acto.mp4' });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toBe(`The ${provider} provider cannot send a video header from a local file (/m/acto.mp4).`);
      expect((err as UsageError).hint).toMatch(/public https address.*--provider cloud/);
      expect(() => checkHeaderSupport(provider, { kind: 'video', url: 'https://x.es/a.mp4' })).not.toThrow();
      expect(() => checkHeaderSupport(provider, { kind: 'text', text: 'Hola' })).not.toThrow();
    }
    for (const provider of ['cloud', 'sandbox']) expect(() => checkHeaderSupport(provider, { kind: 'document', file: '/m/p.pdf' })).not.toThrow();
  });
});

/** The sender's health read (issue 12): parsing real-shaped Graph API answers, and the reads against real servers. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_FIELDS, listCloudTemplates, parseCloudHealth, parseTier, readCloudHealth } from '../../../src/core/providers/cloud/index.js';
import { listTwilioTemplates, parseTwilioAccount, readTwilioHealth } from '../../../src/core/providers/twilio/index.js';
import { PROVIDERS } from '../../../src/core/providers/index.js';
import { parseSandboxFaults } from '../../../src/core/providers/sandbox/index.js';
import { findClosedPort, startFakeServer, type FakeResponse, type FakeServer } from '../../helpers/fake-servers.js';

const TOKEN = 'health-token-5a4b3c2d1e0f';
const specFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/specs/cloud-phone-number.json');
const spec = JSON.parse(readFileSync(specFile, 'utf8'));
const example = (p: string, name: string) => spec.paths[p].get.responses['200'].content['application/json'].examples[name].value;

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function cloudAnswering(health: FakeResponse) {
  server = await startFakeServer([], { health });
  return { WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: TOKEN, WHATSAPP_PHONE_NUMBER_ID: '1234567890' };
}

describe('parseCloudHealth: Graph API phone-number objects', () => {
  it("reads the spec's own examples: a connected GREEN number, and an unverified one whose NA quality is unknown", () => {
    const verified = parseCloudHealth(example('/{Version}/{WhatsApp-Account-Number-ID}', 'verified_account_number'));
    expect(verified).toMatchObject({ read: 'ok', quality: 'GREEN', status: 'CONNECTED', tier: 'TIER_1K', limit: 1000, nameStatus: 'APPROVED' });
    expect(verified.throughput).toBe('UNKNOWN');
    expect(verified.perSecond).toBe('unknown');
    const unverified = parseCloudHealth(example('/{Version}/{WhatsApp-Account-Number-ID}', 'unverified_account_number'));
    expect(unverified).toMatchObject({ quality: 'UNKNOWN', status: 'UNVERIFIED', tier: 'UNKNOWN', limit: 'unknown' });
    const listed = example('/{Version}/{WABA-ID}/phone_numbers', 'multiple_phone_numbers').data;
    expect(parseCloudHealth(listed[1])).toMatchObject({ quality: 'UNKNOWN', status: 'PENDING', tier: 'TIER_50', limit: 50 });
  });

  it('takes every quality spelling: GREEN/YELLOW/RED in any case; NA, UNKNOWN, odd values and a missing one are UNKNOWN', () => {
    const q = (quality_rating: unknown) => parseCloudHealth({ quality_rating, status: 'CONNECTED' }).quality;
    expect([q('GREEN'), q('yellow'), q(' Red ')]).toEqual(['GREEN', 'YELLOW', 'RED']);
    expect([q('NA'), q('UNKNOWN'), q('PURPLE'), q(undefined), q(3), q(null)]).toEqual(['UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'UNKNOWN', 'UNKNOWN']);
  });

  it('reads FLAGGED and RESTRICTED, any case, and a missing status as UNKNOWN', () => {
    expect(parseCloudHealth({ quality_rating: 'RED', status: 'FLAGGED' }).status).toBe('FLAGGED');
    expect(parseCloudHealth({ quality_rating: 'YELLOW', status: 'restricted' }).status).toBe('RESTRICTED');
    expect(parseCloudHealth({ quality_rating: 'GREEN' }).status).toBe('UNKNOWN');
  });

  it('prefers the per-portfolio messaging limit, as a string or an object around it, over the deprecated tier', () => {
    expect(parseCloudHealth({ messaging_limit_tier: 'TIER_1K', whatsapp_business_manager_messaging_limit: 'TIER_2K' })).toMatchObject({ tier: 'TIER_2K', limit: 2000 });
    expect(parseCloudHealth({ messaging_limit_tier: 'TIER_1K', whatsapp_business_manager_messaging_limit: { current_limit: 'TIER_10K' } })).toMatchObject({ tier: 'TIER_10K', limit: 10_000 });
    expect(parseCloudHealth({ whatsapp_business_manager_messaging_limit: { messaging_limit: { tier: 'TIER_UNLIMITED' } } })).toMatchObject({ limit: 'unlimited' });
    // An object we cannot read falls back to the old field, then to unknown.
    expect(parseCloudHealth({ messaging_limit_tier: 'TIER_250', whatsapp_business_manager_messaging_limit: { something: true } })).toMatchObject({ tier: 'TIER_250', limit: 250 });
    expect(parseCloudHealth({ whatsapp_business_manager_messaging_limit: { something: true } })).toMatchObject({ tier: 'UNKNOWN', limit: 'unknown' });
  });

  it('parses tiers in the spellings seen: TIER_250, tier_2k, 100K, 250, a number; nonsense is unknown', () => {
    expect(parseTier('TIER_250')).toEqual({ tier: 'TIER_250', limit: 250 });
    expect(parseTier('tier_2k')).toEqual({ tier: 'TIER_2K', limit: 2000 });
    expect(parseTier('100K')).toEqual({ tier: 'TIER_100K', limit: 100_000 });
    expect(parseTier('TIER_UNLIMITED')).toEqual({ tier: 'TIER_UNLIMITED', limit: 'unlimited' });
    expect(parseTier(250)).toEqual({ tier: 'TIER_250', limit: 250 });
    for (const bad of ['TIER_', 'TIER_X', '', 'unlimitedish', 0, -5, null, {}]) expect(parseTier(bad)).toBeUndefined();
  });

  it('reads the throughput level from its object or a bare string; an unknown level has no rate', () => {
    expect(parseCloudHealth({ throughput: { level: 'STANDARD' } })).toMatchObject({ throughput: 'STANDARD', perSecond: 80 });
    expect(parseCloudHealth({ throughput: 'high' })).toMatchObject({ throughput: 'HIGH', perSecond: 1000 });
    expect(parseCloudHealth({ throughput: { level: 'NOT_APPLICABLE' } })).toMatchObject({ throughput: 'NOT_APPLICABLE', perSecond: 'unknown' });
    expect(parseCloudHealth({})).toMatchObject({ read: 'ok', quality: 'UNKNOWN', status: 'UNKNOWN', tier: 'UNKNOWN', throughput: 'UNKNOWN' });
  });

  it('takes an answer that is not an object as a failed read', () => {
    expect(parseCloudHealth([1, 2])).toMatchObject({ read: 'failed' });
    expect(parseCloudHealth(null)).toMatchObject({ read: 'failed' });
  });
});

describe('readCloudHealth against a server on 127.0.0.1', () => {
  it('asks GET /{Version}/{Phone-Number-ID} for the health fields with the bearer token', async () => {
    const env = await cloudAnswering({ json: { quality_rating: 'YELLOW', status: 'CONNECTED', messaging_limit_tier: 'TIER_250', throughput: { level: 'STANDARD' } } });
    const h = await readCloudHealth(env);
    expect(h).toMatchObject({ provider: 'cloud', read: 'ok', quality: 'YELLOW', status: 'CONNECTED', limit: 250, perSecond: 80 });
    const req = server!.healthReads[0];
    expect(req.url).toBe(`/v23.0/1234567890?fields=${HEALTH_FIELDS}`);
    expect(req.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server!.requests).toHaveLength(0);
  });

  it('a 403 (no permission), a 401, a 500 and bad JSON are failed reads that never show the token', async () => {
    for (const answer of [
      { status: 403, json: { error: { message: `(#10) Application does not have permission; token ${TOKEN}`, code: 10 } } },
      { status: 401, json: { error: { message: 'Invalid OAuth access token', code: 190 } } },
      { status: 500, text: 'oops' },
      { text: '{not json' },
    ] satisfies FakeResponse[]) {
      const env = await cloudAnswering(answer);
      const h = await readCloudHealth(env);
      expect(h.read, JSON.stringify(answer)).toBe('failed');
      expect(h.quality).toBe('UNKNOWN');
      expect(h.error).toBeTruthy();
      expect(JSON.stringify(h)).not.toContain(TOKEN);
      await server!.close();
      server = undefined;
    }
  });

  it('a closed port and a hanging server are failed reads, not crashes', async () => {
    const port = await findClosedPort();
    const refused = await readCloudHealth({ WHATSAPP_API_URL: `http://127.0.0.1:${port}/v23.0`, WHATSAPP_TOKEN: TOKEN, WHATSAPP_PHONE_NUMBER_ID: '1' });
    expect(refused).toMatchObject({ read: 'failed' });
    expect(refused.error).toMatch(/ECONNREFUSED|reach/);
    const env = await cloudAnswering({ hang: true });
    const hung = await readCloudHealth(env, { timeoutMs: 300 });
    expect(hung).toMatchObject({ read: 'failed' });
    expect(hung.error).toMatch(/timed out/);
  });

  it('lists the templates with their status and quality_score', async () => {
    server = await startFakeServer(() => ({
      json: { data: [
        { name: 'invite', language: 'es', category: 'MARKETING', status: 'APPROVED', quality_score: { score: 'YELLOW', date: 1700000000 } },
        { name: 'new_one', language: 'en_US', category: 'UTILITY', status: 'PENDING' },
      ] },
    }));
    const list = await listCloudTemplates({ WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: TOKEN, WHATSAPP_BUSINESS_ACCOUNT_ID: 'waba1' });
    expect(list).toEqual({ read: 'ok', templates: [
      { name: 'invite', language: 'es', category: 'marketing', status: 'APPROVED', quality: 'YELLOW' },
      { name: 'new_one', language: 'en_US', category: 'utility', status: 'PENDING', quality: 'UNKNOWN' },
    ] });
    expect(server.requests[0].url).toMatch(/^\/v23\.0\/waba1\/message_templates\?fields=.*quality_score/);
    expect(await listCloudTemplates({ WHATSAPP_TOKEN: TOKEN })).toMatchObject({ read: 'failed', error: expect.stringMatching(/WHATSAPP_BUSINESS_ACCOUNT_ID/) });
  });

  it("follows Graph's paging.next cursor links, and says the list is cut past 10 pages", async () => {
    // Graph pages: `paging.cursors` and, while there is more, `paging.next` (the whole next URL).
    server = await startFakeServer((q) => {
      const page = Number(new URL(q.url, 'http://x').searchParams.get('after')?.replace('c', '') ?? 0);
      return { json: {
        data: [{ name: `t${page}`, language: 'es', category: 'UTILITY', status: 'APPROVED', quality_score: { score: 'GREEN' } }],
        paging: { cursors: { before: `b${page}`, after: `c${page + 1}` }, next: `${server!.url}/v23.0/waba1/message_templates?fields=name&limit=100&after=c${page + 1}` },
      } };
    });
    const list = await listCloudTemplates({ WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: TOKEN, WHATSAPP_BUSINESS_ACCOUNT_ID: 'waba1' });
    expect(list.read).toBe('ok');
    expect(list.templates.map((t) => t.name)).toEqual(['t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7', 't8', 't9']);
    expect(list).toMatchObject({ cut: 'only the first 10 pages (10 templates) are shown' });
    expect(server.requests).toHaveLength(10);
    expect(server.requests.every((q) => q.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it('a last page without paging.next is the whole list; a failed second page fails the read', async () => {
    server = await startFakeServer([
      { json: { data: [{ name: 'a', language: 'es', status: 'APPROVED' }], paging: { cursors: { before: 'x', after: 'y' }, next: '/relative-is-not-followed' } } },
    ]);
    const env = { WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: TOKEN, WHATSAPP_BUSINESS_ACCOUNT_ID: 'waba1' };
    // A relative `next` is not a URL of the same origin: not followed, and said.
    expect(await listCloudTemplates(env)).toMatchObject({ read: 'ok', templates: [{ name: 'a' }], cut: expect.stringMatching(/another address/) });
    await server.close();
    server = await startFakeServer([
      { json: { data: [{ name: 'a', language: 'es', status: 'APPROVED' }], paging: { cursors: { before: 'x', after: 'y' } } } },
    ]);
    expect(await listCloudTemplates({ ...env, WHATSAPP_API_URL: `${server.url}/v23.0` })).toEqual({ read: 'ok', templates: [{ name: 'a', language: 'es', category: null, status: 'APPROVED', quality: 'UNKNOWN' }] });
    await server.close();
    server = await startFakeServer((q) => (q.url.includes('after=') ? { status: 500, json: { error: { message: 'boom' } } } : { json: { data: [], paging: { next: `${server!.url}/v23.0/waba1/message_templates?after=z` } } }));
    expect(await listCloudTemplates({ ...env, WHATSAPP_API_URL: `${server.url}/v23.0` })).toMatchObject({ read: 'failed', error: expect.stringMatching(/HTTP 500/) });
  });
});

describe('Twilio: the account status', () => {
  const SID = 'AC0123456789abcdef0123456789abcdef';
  const AUTH = 'twilio-health-token-1234abcd';

  it('parses active, suspended and closed; a missing status is unknown', () => {
    expect(parseTwilioAccount({ sid: SID, status: 'active' })).toMatchObject({ provider: 'twilio', read: 'ok', status: 'ACTIVE', quality: 'UNKNOWN', limit: 'unknown' });
    expect(parseTwilioAccount({ status: 'suspended' }).status).toBe('SUSPENDED');
    expect(parseTwilioAccount({ status: 'closed' }).status).toBe('CLOSED');
    expect(parseTwilioAccount({ sid: SID }).status).toBe('UNKNOWN');
  });

  it('reads GET /2010-04-01/Accounts/{Sid}.json with Basic auth; a 401 is a failed read without the token', async () => {
    server = await startFakeServer([], { health: { json: { sid: SID, status: 'suspended' } } });
    const env = { TWILIO_API_URL: server.url, TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH };
    expect(await readTwilioHealth(env)).toMatchObject({ read: 'ok', status: 'SUSPENDED' });
    expect(server.healthReads[0].url).toBe(`/2010-04-01/Accounts/${SID}.json`);
    expect(server.healthReads[0].headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${AUTH}`).toString('base64')}`);
    await server.close();
    server = await startFakeServer([], { health: { status: 401, json: { code: 20003, message: `Authenticate ${AUTH}` } } });
    const failed = await readTwilioHealth({ ...env, TWILIO_API_URL: server.url });
    expect(failed.read).toBe('failed');
    expect(JSON.stringify(failed)).not.toContain(AUTH);
  });
});

describe('Twilio: the Content templates with their WhatsApp approval', () => {
  const SID = 'AC0123456789abcdef0123456789abcdef';
  const AUTH = 'twilio-content-token-9876fedc';
  // Shaped as Twilio's GET /v1/ContentAndApprovals answers: `contents` with `approval_requests`, paged by `meta`.
  const content = (sid: string, friendly: string, approval: Record<string, unknown> | null) => ({
    account_sid: SID, sid, friendly_name: friendly, language: 'es', variables: { 1: 'nombre' },
    types: { 'twilio/text': { body: 'Hola {{1}}' } }, url: `https://content.twilio.com/v1/Content/${sid}`,
    date_created: '2026-11-01T10:00:00Z', date_updated: '2026-11-02T10:00:00Z', approval_requests: approval,
  });

  it('reads every page on the same origin, with Basic auth; status and category from the approval, quality unknown', async () => {
    server = await startFakeServer((q) => {
      if (!q.url.includes('Page=1')) {
        return { json: {
          contents: [
            content('HX1', 'invitacion_mitin', { name: 'invitacion_mitin', category: 'MARKETING', content_type: 'twilio/text', status: 'approved', rejection_reason: '', allow_category_change: true, type: 'whatsapp', flows: null }),
            content('HX2', 'borrador', null),
          ],
          meta: { page: 0, page_size: 2, first_page_url: `${server!.url}/v1/ContentAndApprovals?PageSize=2&Page=0`, previous_page_url: null, url: `${server!.url}/v1/ContentAndApprovals?PageSize=2&Page=0`, next_page_url: `${server!.url}/v1/ContentAndApprovals?PageSize=2&Page=1&PageToken=PTabc`, key: 'contents' },
        } };
      }
      return { json: {
        contents: [content('HX3', 'recordatorio', { name: 'recordatorio', category: 'UTILITY', status: 'rejected', rejection_reason: 'INVALID_FORMAT' })],
        // A next page elsewhere is never asked for: the credentials would go with it.
        meta: { page: 1, page_size: 2, next_page_url: 'http://203.0.113.9/v1/ContentAndApprovals?Page=2', key: 'contents' },
      } };
    });
    const list = await listTwilioTemplates({ TWILIO_CONTENT_API_URL: server.url, TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH });
    expect(list).toEqual({ read: 'ok', templates: [
      { name: 'invitacion_mitin', language: 'es', category: 'marketing', status: 'APPROVED', quality: 'UNKNOWN' },
      { name: 'borrador', language: 'es', category: null, status: 'UNSUBMITTED', quality: 'UNKNOWN' },
      { name: 'recordatorio', language: 'es', category: 'utility', status: 'REJECTED', quality: 'UNKNOWN' },
    ], cut: 'the next page is on another address (http://203.0.113.9), which is not asked with these credentials' });
    expect(server.requests.map((q) => q.url)).toEqual(['/v1/ContentAndApprovals?PageSize=100', '/v1/ContentAndApprovals?PageSize=2&Page=1&PageToken=PTabc']);
    expect(server.requests[0].headers.authorization).toBe(`Basic ${Buffer.from(`${SID}:${AUTH}`).toString('base64')}`);
  });

  it('a 401, an answer without contents and missing credentials are failed reads, never the token', async () => {
    server = await startFakeServer([{ status: 401, json: { code: 20003, message: `Authenticate ${AUTH}`, more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 } }, { json: { message: 'hi' } }]);
    const env = { TWILIO_CONTENT_API_URL: server.url, TWILIO_ACCOUNT_SID: SID, TWILIO_AUTH_TOKEN: AUTH };
    const denied = await listTwilioTemplates(env);
    expect(denied).toMatchObject({ read: 'failed', error: expect.stringMatching(/HTTP 401/), templates: [] });
    expect(JSON.stringify(denied)).not.toContain(AUTH);
    expect(await listTwilioTemplates(env)).toMatchObject({ read: 'failed', error: expect.stringMatching(/without a template list/) });
    expect(await listTwilioTemplates({ TWILIO_ACCOUNT_SID: SID })).toMatchObject({ read: 'failed', error: expect.stringMatching(/TWILIO_AUTH_TOKEN/) });
  });
});

describe('the registry and the sandbox', () => {
  it('Vonage says it gives no health signal', async () => {
    expect(await PROVIDERS.vonage.health!({}, {})).toMatchObject({ provider: 'vonage', read: 'none', quality: 'UNKNOWN', status: 'UNKNOWN' });
  });

  it('the sandbox answers healthy by default, and as its faults say', async () => {
    expect(await PROVIDERS.sandbox.health!({}, {})).toMatchObject({ provider: 'sandbox', read: 'ok', quality: 'GREEN', status: 'CONNECTED', limit: 'unlimited', throughput: 'STANDARD' });
    expect(await PROVIDERS.sandbox.health!({}, { sandboxFaults: 'quality=red,status=flagged,tier=2k' })).toMatchObject({ quality: 'RED', status: 'FLAGGED', tier: 'TIER_2K', limit: 2000 });
    expect(await PROVIDERS.sandbox.health!({ CAMPAIGN_SANDBOX_FAULTS: 'tier=250' }, {})).toMatchObject({ tier: 'TIER_250', limit: 250 });
    expect(await PROVIDERS.sandbox.health!({}, { sandboxFaults: 'health=fail' })).toMatchObject({ read: 'failed', error: expect.stringMatching(/403/) });
    expect(await PROVIDERS.sandbox.listTemplates!({}, {})).toMatchObject({ read: 'ok', templates: [{ status: 'APPROVED', quality: 'GREEN' }] });
  });

  it('parseSandboxFaults takes the health keys beside the others, and refuses unknown values', () => {
    const f = parseSandboxFaults('quality=yellow,tier=250,429=0.1,status=restricted,seed=3');
    expect(f.health).toEqual({ quality: 'YELLOW', tier: 'TIER_250', status: 'RESTRICTED' });
    expect(f.rates).toEqual([{ fault: '429', probability: 0.1 }]);
    expect(parseSandboxFaults('health=fail').health).toEqual({ fail: true });
    expect(() => parseSandboxFaults('quality=purple')).toThrow(/quality is one of/);
    expect(() => parseSandboxFaults('tier=7')).toThrow(/tier is one of/);
  });
});

/**
 * The registry is complete: every provider folder is registered, every module provides each part
 * it claims, and the programme's users of providers (the sender, the webhook server,
 * `--check-template`) see exactly what the registry holds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/core/errors.js';
import { checkParity, fetchApprovedTemplate } from '../../../src/core/parity/index.js';
import {
  createProvider,
  lookupCode,
  meaningOf,
  OPT_OUT_CODES,
  CODE_TABLES,
  PROVIDER_NAMES,
  PROVIDERS,
  TEMPLATE_PROVIDERS,
  WEBHOOK_ROUTES,
  type CodeRow,
  type OutboundMessage,
  type ProviderEnv,
  type ProviderName,
  type WebhookRequest,
} from '../../../src/core/providers/index.js';
import { isOptOutCode } from '../../../src/core/webhook/optout.js';
import { startWebhookServer, type WebhookServer } from '../../../src/core/webhook/server.js';
import { startFakeServer, type FakeResponse, type FakeServer } from '../../helpers/fake-servers.js';

const providersDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/core/providers');
const CLASSES = ['retry', 'defer-contact', 'fail-contact', 'suppress', 'stop', 'unknown'];
const rows = (name: ProviderName): [string, CodeRow][] => Object.entries(PROVIDERS[name].codes);

/** A value for every secret variable, so that a leak of any of them is visible. */
const SECRETS: ProviderEnv = {
  WHATSAPP_TOKEN: 'EAAG-registry-token-0001',
  WHATSAPP_APP_SECRET: 'registry-app-secret-0002',
  WHATSAPP_VERIFY_TOKEN: 'registry-verify-token-0003',
  TWILIO_AUTH_TOKEN: 'registry-twilio-token-0004',
  VONAGE_API_SECRET: 'registry-vonage-secret-0005',
  VONAGE_SIGNATURE_SECRET: 'registry-vonage-sig-0006',
};

describe('the registry', () => {
  it('holds one module per provider folder, each under its own name, the sandbox first (the default)', () => {
    const folders = readdirSync(providersDir).filter((f) => statSync(join(providersDir, f)).isDirectory());
    expect([...PROVIDER_NAMES].sort()).toEqual(folders.sort());
    expect(PROVIDER_NAMES[0]).toBe('sandbox');
    for (const name of PROVIDER_NAMES) expect(PROVIDERS[name].name).toBe(name);
  });

  it('an unknown name is a usage error listing the valid ones', () => {
    let error: unknown;
    try {
      createProvider('whatsapp-web', {});
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect(`${(error as UsageError).message} ${(error as UsageError).hint}`).toMatch(/Unknown provider "whatsapp-web".*sandbox, cloud, twilio, vonage/);
  });

  it('the secrets of every test environment are the secret variables of the modules', () => {
    expect(PROVIDER_NAMES.flatMap((n) => PROVIDERS[n].secretVars).sort()).toEqual(Object.keys(SECRETS).sort());
  });
});

describe.each(PROVIDER_NAMES)('%s codes', (name) => {
  it('every code has a class, a meaning and an action, each one line', () => {
    expect(rows(name).length).toBeGreaterThan(0);
    for (const [code, row] of rows(name)) {
      expect(CLASSES, code).toContain(row.class);
      if (row.freeFormClass) expect(CLASSES, code).toContain(row.freeFormClass);
      expect(row.meaning, code).toMatch(/^\S[^\n]*[.!]$/);
      expect(row.action, code).toMatch(/^\S[^\n]*[.!)]$/);
    }
  });

  it('every tabled code is found for the provider and described by its own row', () => {
    for (const [code, row] of rows(name)) {
      if (code.includes('-')) continue; // a range row is looked up by the codes in it
      expect(lookupCode(code, name), code).toBe(row);
      expect(meaningOf(name, code)).toBe(`${row.meaning} ${row.action}`);
    }
  });
});

describe('codes across providers', () => {
  it('the opt-out codes are the suppress rows, and the webhook agrees', () => {
    expect([...OPT_OUT_CODES].sort()).toEqual(['131050', '21610', '63014']);
    for (const code of OPT_OUT_CODES) expect(isOptOutCode(code)).toBe(true);
    expect(isOptOutCode('131026')).toBe(false);
  });
  it('the sandbox answers with Cloud API codes', () => expect(PROVIDERS.sandbox.codes).toBe(PROVIDERS.cloud.codes));
  it('the code tables apart from the providers are every provider\'s', () => {
    expect(new Set(CODE_TABLES)).toEqual(new Set(Object.values(PROVIDERS).map((m) => m.codes)));
  });
});

/**
 * Each sender, against a real server that answers every tabled code in the provider's own error
 * format, comes back with the table's class: the table is what the sender uses. The server also
 * puts every secret into its error text, which must never come back.
 */
const templateMsg: OutboundMessage = {
  to: '+34612345678',
  text: 'Hola Ana',
  template: { name: 'rally_invite', language: 'es', params: ['Ana'], paramNames: ['first_name'], buttonSuffixes: [], contentSid: 'HX0123456789abcdef0123456789abcdef' },
  correlation: 'cmp1:+34612345678',
};
/** The provider's own secrets: the ones its sender holds. */
const leakOf = (name: ProviderName) => PROVIDERS[name].secretVars.map((v) => SECRETS[v]).join(' ');

const SENDERS: { name: ProviderName; env: (url: string) => ProviderEnv; answer: (code: string) => FakeResponse }[] = [
  {
    name: 'cloud',
    env: (url) => ({ ...SECRETS, WHATSAPP_PHONE_NUMBER_ID: '1234', WHATSAPP_API_URL: url }),
    answer: (code) => ({ status: 400, json: { error: { code: Number(code), message: `failed ${leakOf('cloud')}` } } }),
  },
  {
    name: 'twilio',
    env: (url) => ({ ...SECRETS, TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', TWILIO_WHATSAPP_FROM: '+14155238886', TWILIO_API_URL: url }),
    answer: (code) => ({ status: 400, json: { code: Number(code), message: `failed ${leakOf('twilio')}` } }),
  },
  {
    name: 'vonage',
    env: (url) => ({ ...SECRETS, VONAGE_API_KEY: 'key1234', VONAGE_WHATSAPP_FROM: '447700900001', VONAGE_API_URL: url }),
    // The statuses Vonage documents are tabled as statuses; its problem codes ride in `type`.
    answer: (code) =>
      code.length === 3
        ? { status: Number(code), json: { title: `failed ${leakOf('vonage')}` } }
        : { status: 422, json: { type: `https://developer.nexmo.com/api-errors/messages-olympus#${code}`, title: `failed ${leakOf('vonage')}` } },
  },
];

describe.each(SENDERS)('$name sender', ({ name, env, answer }) => {
  let server: FakeServer;
  const codes = rows(name).filter(([code]) => !code.includes('-'));
  beforeAll(async () => {
    server = await startFakeServer((_req, i) => answer(codes[i][0]));
  });
  afterAll(() => server.close());

  it('classifies every tabled code as its row says, and never shows a secret', async () => {
    const provider = createProvider(name, env(server.url));
    try {
      for (const [code, row] of codes) {
        const result = await provider.send(templateMsg);
        expect(result.ok, code).toBe(false);
        if (result.ok) continue;
        expect({ code: result.code, class: result.class, throttle: result.throttle ?? false }).toEqual({ code, class: row.class, throttle: row.throttle ?? false });
        for (const v of PROVIDERS[name].secretVars) expect(result.message).not.toContain(SECRETS[v]);
      }
    } finally {
      await provider.close();
    }
    expect(server.requests).toHaveLength(codes.length);
  });
});

describe('webhook routes', () => {
  const request = (over: Partial<WebhookRequest> = {}): WebhookRequest => ({
    raw: Buffer.from('{}'),
    header: () => undefined,
    url: new URL('http://127.0.0.1/'),
    env: {},
    ...over,
  });

  it('are the providers with callbacks, at /webhooks/<name>', () => {
    const withRoutes = PROVIDER_NAMES.filter((n) => PROVIDERS[n].webhook);
    expect(withRoutes).toEqual(['cloud', 'twilio', 'vonage']);
    expect(Object.keys(WEBHOOK_ROUTES).sort()).toEqual(withRoutes.map((n) => `/webhooks/${n}`).sort());
  });

  it.each(PROVIDER_NAMES.filter((n) => PROVIDERS[n].webhook))('%s verifies (its secrets are redacted) and parses', (name) => {
    const route = PROVIDERS[name].webhook!;
    expect(PROVIDERS[name].secretVars).toContain(route.secretVar);
    if (route.handshake) expect(PROVIDERS[name].secretVars).toContain(route.handshake.secretVar);
    // No signature: 401; a signature that does not match: 403.
    expect(route.verify(request(), 'secret-value')).toMatchObject({ ok: false, status: 401 });
    const forged = request({ header: (h) => ({ 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-twilio-signature': 'AAAA', authorization: 'Bearer a.b.c' })[h] });
    const verdict = route.verify(forged, 'secret-value');
    expect(verdict).toMatchObject({ ok: false, status: 403 });
    expect(verdict.ok || verdict.reason).not.toContain('secret-value');
    // An empty callback is no item; the parser never throws.
    expect(route.parse(request(), new Date().toISOString())).toEqual([]);
  });
});

describe('the webhook server serves exactly the registry routes', () => {
  let dir: string;
  let server: WebhookServer;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'registry-'));
    server = await startWebhookServer({ host: '127.0.0.1', port: 0, journals: [], cwd: dir, env: SECRETS, log: () => {} });
  });
  afterAll(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each(PROVIDER_NAMES)('/webhooks/%s', async (name) => {
    const route = PROVIDERS[name].webhook;
    const post = await fetch(`${server.url}/webhooks/${name}`, { method: 'POST', body: '{}' });
    // A registered route refuses an unsigned callback; anything else is not there.
    expect(post.status).toBe(route ? 401 : 404);
    const get = await fetch(`${server.url}/webhooks/${name}`);
    expect(get.status).toBe(!route ? 404 : route.handshake ? 403 : 405);
  });
});

describe('--check-template', () => {
  const meta = { template: 'rally_invite', language: 'es', category: 'marketing' } as Parameters<typeof checkParity>[2];
  it('goes to the providers with a template API', () => {
    expect(TEMPLATE_PROVIDERS).toEqual(PROVIDER_NAMES.filter((n) => PROVIDERS[n].fetchApprovedTemplate));
    expect(TEMPLATE_PROVIDERS).toEqual(['cloud', 'twilio']);
  });
  it.each(PROVIDER_NAMES.filter((n) => !PROVIDERS[n].fetchApprovedTemplate))('%s has none: no findings, and a direct fetch is a usage error', async (name) => {
    expect(await checkParity(name, {}, meta)).toEqual([]);
    await expect(fetchApprovedTemplate(name, {}, meta)).rejects.toThrow(/has no approved templates/);
  });
});

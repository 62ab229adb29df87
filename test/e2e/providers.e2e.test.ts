/** `campaign send --provider twilio|vonage` end to end against local servers speaking their APIs. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { startFakeServer } from '../helpers/fake-servers.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, runCli, tempDir } from '../helpers/run-cli.js';
import path from 'node:path';

let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-providers-');
  makeContacts(tmp.dir, 3, { extras: false });
}, 120_000);
afterAll(() => tmp?.cleanup());

describe('other providers through the CLI', () => {
  it('twilio: form-encoded Messages.json with Basic auth and whatsapp: addresses', async () => {
    const server = await startFakeServer((_req, i) => ({ status: 201, json: { sid: `SM${i}`, status: 'queued' } }));
    try {
      const env = { TWILIO_API_URL: server.url, TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 'tw-secret-1', TWILIO_WHATSAPP_FROM: '+14155550000' };
      const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'twilio', '--yes', '--journal', 'twilio.jsonl'], { cwd: tmp.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(server.requests).toHaveLength(3);
      const req = server.requests[0];
      expect(req.method).toBe('POST');
      expect(req.url).toBe('/2010-04-01/Accounts/AC123/Messages.json');
      expect(req.headers.authorization).toBe(`Basic ${Buffer.from('AC123:tw-secret-1').toString('base64')}`);
      const form = new URLSearchParams(req.body);
      expect(form.get('From')).toBe('whatsapp:+14155550000');
      expect(form.get('To')).toMatch(/^whatsapp:\+34612/);
      const sent = readJsonl(path.join(tmp.dir, 'twilio.jsonl')).lines.filter((e) => e.type === 'sent').map((e) => e.id);
      expect(sent.sort()).toEqual(['SM0', 'SM1', 'SM2']);
      expect(r.stderr + r.stdout).not.toContain('tw-secret-1');
    } finally {
      await server.close();
    }
  });

  it('vonage: Messages API v1 JSON, digits without +, a client_ref', async () => {
    const server = await startFakeServer((_req, i) => ({ status: 202, json: { message_uuid: `uuid-${i}` } }));
    try {
      const env = { VONAGE_API_URL: server.url, VONAGE_API_KEY: 'key1', VONAGE_API_SECRET: 'vo-secret-1', VONAGE_WHATSAPP_FROM: '+447700900001' };
      const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'vonage', '--yes', '--journal', 'vonage.jsonl'], { cwd: tmp.dir, env });
      expect(r.code, r.stderr).toBe(0);
      expect(server.requests).toHaveLength(3);
      const body = server.requests[0].json as Record<string, unknown>;
      expect(server.requests[0].url).toBe('/v1/messages');
      expect(body).toMatchObject({ channel: 'whatsapp', from: '447700900001' });
      expect(String(body.to)).toMatch(/^34612/);
      expect(typeof body.client_ref).toBe('string');
      expect(r.stderr + r.stdout).not.toContain('vo-secret-1');
    } finally {
      await server.close();
    }
  });
});

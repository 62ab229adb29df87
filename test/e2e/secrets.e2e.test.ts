/**
 * Secrets never leak: not into the journal, stdout, stderr, the sandbox outbox or any other file
 * the CLI writes, even when the provider echoes the credentials back in its error body.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { startFakeCloud } from '../helpers/fake-cloud.js';
import { startFakeServer } from '../helpers/fake-servers.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { runCli, tempDir, type CliResult } from '../helpers/run-cli.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
beforeAll(() => ensureBuilt(), 120_000);

const CLOUD_TOKEN = 'sekret-token-XYZ';
const TWILIO_TOKEN = 'sekret-twilio-XYZ';
const TWILIO_SID = 'AC00000000000000000000000000000e2e';

function setup(n: number) {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return { dir: t.dir, c: makeContacts(t.dir, n) };
}

/** Every file under `dir` (the CLI's journal, outbox, history, ...) except the ones named. */
function filesUnder(dir: string, except: string[] = []): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full, except));
    else if (!except.includes(full)) out.push(full);
  }
  return out;
}

function expectNowhere(secrets: string[], r: CliResult[], dir: string, except: string[] = []) {
  const files = filesUnder(dir, except);
  expect(files.some((f) => f.endsWith('.journal.jsonl'))).toBe(true);
  for (const secret of secrets) {
    for (const [i, res] of r.entries()) {
      expect(res.stdout, `stdout of run ${i}`).not.toContain(secret);
      expect(res.stderr, `stderr of run ${i}`).not.toContain(secret);
    }
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toContain(secret);
  }
}

/** Cloud errors that quote the credentials back, the way a misbehaving proxy might. */
function echoingCloud(token?: string) {
  return startFakeCloud(({ index, req }) => {
    if (index % 2 === 1) return undefined;
    const auth = String(req.headers.authorization);
    return {
      status: 400,
      json: {
        error: {
          message: `(#131026) Message undeliverable. Authorization: ${auth} token=${auth.replace(/^Bearer /, '')}`,
          type: 'OAuthException',
          code: 131026,
          error_data: { messaging_product: 'whatsapp', details: `you sent ${auth}` },
        },
      },
    };
  }, token ? { token } : {});
}

describe('secrets', () => {
  it('WHATSAPP_TOKEN from the environment, echoed back by the provider: never printed or written', async () => {
    const { dir } = setup(6);
    const fake = await echoingCloud(CLOUD_TOKEN);
    cleanups.push(() => fake.close());
    const args = ['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--yes'];
    const r1 = await runCli(args, { cwd: dir, env: fake.env });
    expect(r1.code, r1.stderr).toBe(1); // some failed
    expect(fake.server.requests[0].headers.authorization).toBe(`Bearer ${CLOUD_TOKEN}`);
    const r2 = await runCli(['resume', 'contacts.journal.jsonl', '--yes', '--json'], { cwd: dir, env: fake.env });
    const r3 = await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir, env: fake.env });
    const r4 = await runCli(['report', 'contacts.journal.jsonl', '--json'], { cwd: dir, env: fake.env });
    // The failure itself is journaled (with a redacted message), so the check is not vacuous.
    expect(readFileSync(path.join(dir, 'contacts.journal.jsonl'), 'utf8')).toContain('131026');
    expectNowhere([CLOUD_TOKEN], [r1, r2, r3, r4], dir);
  });

  it('the token from a .env file in the working directory instead of the environment', async () => {
    const { dir } = setup(6);
    const fake = await echoingCloud(CLOUD_TOKEN);
    cleanups.push(() => fake.close());
    const dotenv = path.join(dir, '.env');
    writeFileSync(dotenv, Object.entries(fake.env).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--yes', '--json'], { cwd: dir });
    expect([0, 1], r.stderr).toContain(r.code);
    expect(fake.server.requests.length).toBe(6);
    expect(fake.server.requests[0].headers.authorization).toBe(`Bearer ${CLOUD_TOKEN}`);
    expectNowhere([CLOUD_TOKEN], [r], dir, [dotenv]);
  });

  it('a Twilio server echoing the Authorization header (and the decoded password) in its error body', async () => {
    const { dir } = setup(6);
    const server = await startFakeServer((req, i) => {
      if (i % 2 === 1) return { status: 201, json: { sid: `SM${String(i).padStart(32, '0')}`, status: 'queued' } };
      const auth = String(req.headers.authorization);
      const decoded = Buffer.from(auth.replace(/^Basic /, ''), 'base64').toString('utf8');
      return {
        status: 400,
        json: { code: 21211, message: `Invalid 'To' Phone Number. You sent Authorization: ${auth} (${decoded})`, status: 400 },
      };
    });
    cleanups.push(() => server.close());
    const env = {
      TWILIO_API_URL: server.url,
      TWILIO_ACCOUNT_SID: TWILIO_SID,
      TWILIO_AUTH_TOKEN: TWILIO_TOKEN,
      TWILIO_WHATSAPP_FROM: '+14155238886',
    };
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'twilio', '--yes'], { cwd: dir, env });
    const rj = await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    const basic = Buffer.from(`${TWILIO_SID}:${TWILIO_TOKEN}`).toString('base64');
    expect(server.requests[0].headers.authorization).toBe(`Basic ${basic}`);
    expect(readFileSync(path.join(dir, 'contacts.journal.jsonl'), 'utf8')).toContain('21211');
    expectNowhere([TWILIO_TOKEN, basic], [r, rj], dir);
  });

  it('sandbox with provider credentials in the environment: none of them reaches the outbox or the journal', async () => {
    const { dir } = setup(3);
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes'], {
      cwd: dir,
      env: { WHATSAPP_TOKEN: CLOUD_TOKEN, TWILIO_AUTH_TOKEN: TWILIO_TOKEN },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(filesUnder(dir).some((f) => f.endsWith('sandbox-outbox.jsonl'))).toBe(true);
    expectNowhere([CLOUD_TOKEN, TWILIO_TOKEN], [r], dir);
  });
});

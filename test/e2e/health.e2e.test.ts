/**
 * The sender's health before the send (issue 12), through the built CLI against local servers
 * that answer the Graph API's phone-number fields (and Twilio's account) with each case.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { startFakeCloud, type FakeCloud } from '../helpers/fake-cloud.js';
import { startFakeServer, type FakeResponse, type FakeServer } from '../helpers/fake-servers.js';
import { makeContacts } from '../helpers/make-contacts.js';
import { readJsonl, runCli, tempDir, type CliResult } from '../helpers/run-cli.js';

const TOKEN = 'e2e-health-token-77aa88bb99cc';

let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-health-');
}, 120_000);
afterAll(() => tmp?.cleanup());

let cloud: FakeCloud | undefined;
let server: FakeServer | undefined;
afterEach(async () => {
  await cloud?.close();
  await server?.close();
  cloud = server = undefined;
});

let n = 0;
function folder(rows: number): string {
  const dir = path.join(tmp.dir, `case${++n}`);
  mkdirSync(dir);
  makeContacts(dir, rows, { extras: false });
  return dir;
}

function phone(fields: Record<string, unknown>): FakeResponse {
  return { json: { id: '1234567890', ...fields } };
}

async function cloudWith(health: FakeResponse | ((req: unknown) => FakeResponse)): Promise<Record<string, string>> {
  cloud = await startFakeCloud(undefined, { token: TOKEN, health: health as FakeResponse });
  return cloud.env;
}

function send(dir: string, env: Record<string, string>, extra: string[] = []): Promise<CliResult> {
  return runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--yes', ...extra], { cwd: dir, env });
}

function noSecret(...outputs: string[]): void {
  for (const o of outputs) expect(o).not.toContain(TOKEN);
}

describe('campaign send reads the sender number first', () => {
  it('RED quality: exit 1, not one message request, and it says why and what to do', async () => {
    const dir = folder(5);
    const env = await cloudWith(phone({ quality_rating: 'RED', status: 'CONNECTED', messaging_limit_tier: 'TIER_10K' }));
    const r = await send(dir, env);
    expect(r.code, r.stderr).toBe(1);
    expect(cloud!.server.healthReads).toHaveLength(1);
    expect(cloud!.server.requests).toHaveLength(0);
    expect(r.stderr).toMatch(/Halted for the account's safety.*quality rating is RED.*Nothing was sent/);
    expect(r.stderr).toMatch(/--ignore-health/);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(existsSync(path.join(dir, 'contacts.journal.jsonl'))).toBe(false);
    noSecret(r.stdout, r.stderr);
  }, 60_000);

  it('a slow RED read is still said before a damaged list (the list is prepared while the read waits)', async () => {
    const dir = folder(5);
    // Line 4 opens a quote it never closes: the list's own error, exit 2, when the number is fine.
    writeFileSync(path.join(dir, 'contacts.csv'), `${readFileSync(path.join(dir, 'contacts.csv'), 'utf8')}"+34600000999,yes\n`);
    const env = await cloudWith({ ...phone({ quality_rating: 'RED', status: 'CONNECTED' }), delayMs: 400 });
    const r = await send(dir, env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/quality rating is RED/);
    expect(r.stderr).not.toMatch(/never closed/);
    expect(cloud!.server.requests).toHaveLength(0);
    expect(existsSync(path.join(dir, 'contacts.journal.jsonl'))).toBe(false);
    await cloud!.close();
    const green = await cloudWith({ ...phone({ quality_rating: 'GREEN', status: 'CONNECTED' }), delayMs: 400 });
    const bad = await send(dir, green);
    expect(bad.code, bad.stderr).toBe(2);
    expect(bad.stderr).toMatch(/contacts\.csv:\d+: A quoted field that starts on line \d+ is never closed/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);

  it('FLAGGED status: the same refusal, naming the status', async () => {
    const dir = folder(5);
    const env = await cloudWith(phone({ quality_rating: 'YELLOW', status: 'FLAGGED' }));
    const r = await send(dir, env);
    expect(r.code, r.stderr).toBe(1);
    expect(cloud!.server.requests).toHaveLength(0);
    expect(r.stderr).toMatch(/status is FLAGGED, not CONNECTED/);
  }, 60_000);

  it('--ignore-health sends anyway, says so loudly, and the journal records it', async () => {
    const dir = folder(4);
    const env = await cloudWith(phone({ quality_rating: 'RED', status: 'RESTRICTED' }));
    const r = await send(dir, env, ['--ignore-health', '--rate', '50']);
    expect(r.code, r.stderr).toBe(0);
    expect(cloud!.server.requests).toHaveLength(4);
    expect(r.stderr).toMatch(/WARNING\s+--ignore-health: sending although the sender number's quality rating is RED/);
    const health = readJsonl(path.join(dir, 'contacts.journal.jsonl')).lines.find((e) => e.type === 'health');
    expect(health).toMatchObject({ quality: 'RED', status: 'RESTRICTED', ignored: true, refusal: expect.stringMatching(/RED/) });
    const status = await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir });
    expect(JSON.parse(status.stdout).health).toMatchObject({ read: 'ok', quality: 'RED', status: 'RESTRICTED', ignored: true });
    const human = await runCli(['status', 'contacts.journal.jsonl'], { cwd: dir });
    expect(human.stdout).toMatch(/sender\s+quality RED, status RESTRICTED, tier unknown, throughput unknown \(sent with --ignore-health\)/);
    noSecret(r.stdout, r.stderr, readFileSync(path.join(dir, 'contacts.journal.jsonl'), 'utf8'));
  }, 60_000);

  it('YELLOW: a warning, and the default 20/s halves to 10/s at the server', async () => {
    const dir = folder(30);
    const env = await cloudWith(phone({ quality_rating: 'YELLOW', status: 'CONNECTED', throughput: { level: 'STANDARD' } }));
    const r = await send(dir, env, ['--concurrency', '20']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Quality rating YELLOW.*the default rate is halved to 10\/s/);
    expect(r.stderr).toMatch(/provider\s+cloud, at most 10\/s/);
    const times = cloud!.server.requests.map((q) => q.startedAt).sort((a, b) => a - b);
    expect(times).toHaveLength(30);
    // A sliding 1 s ceiling lets the first N start at once: 30 at 10/s need at least 2 s from the
    // first to the last (10 at 0, 1 and 2 s), at 20/s about 1 s. A busy machine only stretches this.
    expect(times.at(-1)! - times[0]).toBeGreaterThanOrEqual(1500);
    // The header keeps the rate the user chose, so a resume on a recovered number is not slowed.
    expect(readJsonl(path.join(dir, 'contacts.journal.jsonl')).lines[0].options.rate).toBe(20);
  }, 60_000);

  it('TIER_250 with 400 to send: 250 go, a pause says when it can go on, and a second run the same day sends none', async () => {
    const dir = folder(400);
    const env = await cloudWith(phone({ quality_rating: 'GREEN', status: 'CONNECTED', whatsapp_business_manager_messaging_limit: { current_limit: 'TIER_250' }, throughput: { level: 'STANDARD' } }));
    const r = await send(dir, env, ['--rate', '80', '--concurrency', '20']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/400 to send is more than the messaging limit TIER_250 allows \(250 recipients per 24 h\)/);
    expect(r.stderr).toMatch(/Paused \(daily-limit\) until .*campaign resume/);
    expect(cloud!.server.requests).toHaveLength(250);
    const journal = path.join(dir, 'contacts.journal.jsonl');
    const lines = readJsonl(journal).lines;
    expect(lines.filter((e) => e.type === 'sent')).toHaveLength(250);
    const pause = lines.find((e) => e.type === 'pause');
    expect(pause).toMatchObject({ reason: 'daily-limit', until: expect.any(String) });
    expect(Date.parse(pause!.until)).toBeGreaterThan(Date.now());

    const again = await send(dir, env, ['--rate', '80']);
    expect(again.code, again.stderr).toBe(1);
    expect(again.stderr).toMatch(/Paused \(daily-limit\)/);
    expect(cloud!.server.requests).toHaveLength(250);
    const status = JSON.parse((await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir })).stdout);
    expect(status).toMatchObject({ sent: 250, remaining: 150, health: { tier: 'TIER_250', limit: 250, throughput: 'STANDARD', per_second: 80 } });
  }, 120_000);

  it('a 403 on the health read is a warning; the send goes on, and status --json says the read failed', async () => {
    const dir = folder(3);
    const env = await cloudWith({ status: 403, json: { error: { message: `(#10) Application does not have permission for this action ${TOKEN}`, type: 'OAuthException', code: 10 } } });
    const r = await send(dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(cloud!.server.requests).toHaveLength(3);
    expect(r.stderr).toMatch(/Could not read the sender's health \(.*HTTP 403/);
    expect(r.stderr).toMatch(/sender\s+unknown \(the read failed/);
    const status = JSON.parse((await runCli(['status', 'contacts.journal.jsonl', '--json'], { cwd: dir })).stdout);
    expect(status.health).toMatchObject({ read: 'failed', quality: 'UNKNOWN', status: 'UNKNOWN', error: expect.stringMatching(/403/) });
    noSecret(r.stdout, r.stderr, readFileSync(path.join(dir, 'contacts.journal.jsonl'), 'utf8'), JSON.stringify(status));
  }, 60_000);

  it('the summary shows a healthy reading; a dry run reads it too and a RED one only says a send would stop', async () => {
    const dir = folder(2);
    const env = await cloudWith(phone({ quality_rating: 'GREEN', status: 'CONNECTED', messaging_limit_tier: 'TIER_UNLIMITED', throughput: { level: 'HIGH' } }));
    const r = await send(dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/sender\s+quality GREEN, status CONNECTED, tier TIER_UNLIMITED \(unlimited\), throughput HIGH \(1000\/s\)/);
    await cloud!.close();
    const red = await cloudWith(phone({ quality_rating: 'RED', status: 'CONNECTED' }));
    const dry = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--dry-run', '--journal', 'dry.jsonl'], { cwd: dir, env: red });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/REFUSED\s+a real send would stop here: the sender number's quality rating is RED/);
    expect(cloud!.server.healthReads).toHaveLength(1);
    // --json carries the reading and the refusal a real send would meet, as send --json does.
    const dryJson = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'cloud', '--dry-run', '--json', '--journal', 'dry.jsonl'], { cwd: dir, env: red });
    expect(dryJson.code, dryJson.stderr).toBe(0);
    expect(JSON.parse(dryJson.stdout).health).toMatchObject({ read: 'ok', quality: 'RED', status: 'CONNECTED', refusal: expect.stringMatching(/quality rating is RED/), ignored: false });
    expect(cloud!.server.requests).toHaveLength(0);
  }, 60_000);

  it('Twilio: a suspended account is refused before any message', async () => {
    const dir = folder(3);
    server = await startFakeServer((_q, i) => ({ status: 201, json: { sid: `SM${i}` } }), { health: { json: { sid: 'AC123', status: 'suspended' } } });
    const env = { TWILIO_API_URL: server.url, TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: TOKEN, TWILIO_WHATSAPP_FROM: '+14155550000' };
    const r = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--provider', 'twilio', '--yes'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/the Twilio account is SUSPENDED, not active/);
    expect(server.healthReads).toHaveLength(1);
    expect(server.requests).toHaveLength(0);
    noSecret(r.stdout, r.stderr);
  }, 60_000);

  it('the sandbox answers the health read: healthy by default, refused with --sandbox-faults quality=red', async () => {
    const dir = folder(2);
    const ok = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes'], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/sender\s+quality GREEN, status CONNECTED/);
    const red = await runCli(['send', 'contacts.csv', '--template', 'message.md', '--yes', '--journal', 'red.jsonl', '--sandbox-faults', 'quality=red'], { cwd: dir });
    expect(red.code, red.stderr).toBe(1);
    expect(red.stderr).toMatch(/quality rating is RED/);
    expect(readJsonl(path.join(dir, '.campaign', 'sandbox-outbox.jsonl')).lines).toHaveLength(2);
  }, 60_000);
});

describe('campaign account', () => {
  it('--json against a local Cloud API: the number and its templates; exit 0 when healthy, 1 when refused', async () => {
    const templates = { json: { data: [{ name: 'e2e_invite', language: 'es', category: 'UTILITY', status: 'APPROVED', quality_score: { score: 'GREEN' } }, { name: 'promo', language: 'es', category: 'MARKETING', status: 'PAUSED', quality_score: { score: 'RED' } }] } };
    let answer = phone({ quality_rating: 'GREEN', status: 'CONNECTED', messaging_limit_tier: 'TIER_2K', throughput: { level: 'STANDARD' } });
    server = await startFakeServer(() => templates, { health: () => answer });
    const env = { WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: TOKEN, WHATSAPP_PHONE_NUMBER_ID: '1234567890', WHATSAPP_BUSINESS_ACCOUNT_ID: 'waba9' };
    const dir = folder(0);
    const r = await runCli(['account', '--provider', 'cloud', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      provider: 'cloud',
      health: { read: 'ok', quality: 'GREEN', status: 'CONNECTED', tier: 'TIER_2K', limit: 2000, throughput: 'STANDARD', per_second: 80 },
      refused: null,
      templates: { read: 'ok', items: [{ name: 'e2e_invite', status: 'APPROVED', quality: 'GREEN' }, { name: 'promo', status: 'PAUSED', quality: 'RED' }] },
    });
    expect(server.requests[0].url).toMatch(/^\/v23\.0\/waba9\/message_templates/);

    answer = phone({ quality_rating: 'GREEN', status: 'RESTRICTED' });
    const refused = await runCli(['account', '--provider', 'cloud'], { cwd: dir, env });
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(/REFUSED\s+a send would stop before the first message: the sender number's status is RESTRICTED/);
    expect(refused.stdout).toMatch(/promo\/es\s+PAUSED, quality RED, marketing/);
    noSecret(r.stdout, r.stderr, refused.stdout, refused.stderr);
  }, 60_000);

  it('against the sandbox, with faults; missing credentials are exit 2', async () => {
    const dir = folder(0);
    const healthy = await runCli(['account', '--json'], { cwd: dir });
    expect(healthy.code, healthy.stderr).toBe(0);
    expect(JSON.parse(healthy.stdout).health).toMatchObject({ quality: 'GREEN', status: 'CONNECTED', limit: 'unlimited' });
    const flagged = await runCli(['account', '--json', '--sandbox-faults', 'status=flagged,tier=250'], { cwd: dir });
    expect(flagged.code).toBe(1);
    expect(JSON.parse(flagged.stdout)).toMatchObject({ health: { status: 'FLAGGED', tier: 'TIER_250', limit: 250 }, refused: expect.stringMatching(/FLAGGED/) });
    const failed = await runCli(['account', '--json', '--sandbox-faults', 'health=fail'], { cwd: dir });
    expect(failed.code).toBe(1);
    expect(JSON.parse(failed.stdout).health).toMatchObject({ read: 'failed', quality: 'UNKNOWN' });
    // The health read writes nothing in the folder.
    expect(existsSync(path.join(dir, '.campaign', 'sandbox-outbox.jsonl'))).toBe(false);
    // The sandbox approves the folder's own template: its list names that one.
    writeFileSync(path.join(dir, 'tpl.md'), '---\ntemplate: aviso_reunion\nlanguage: es_ES\ncategory: utility\nparams: []\n---\nReunión el lunes.\n');
    writeFileSync(path.join(dir, 'campaign.yaml'), 'template: tpl.md\n');
    const own = await runCli(['account', '--json'], { cwd: dir });
    expect(JSON.parse(own.stdout).templates.items).toEqual([expect.objectContaining({ name: 'aviso_reunion', language: 'es_ES', category: 'utility', status: 'APPROVED' })]);
    const missing = await runCli(['account', '--provider', 'cloud'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/WHATSAPP_TOKEN/);
    const vonage = await runCli(['account', '--provider', 'vonage'], { cwd: dir, env: { VONAGE_API_KEY: 'key', VONAGE_API_SECRET: TOKEN, VONAGE_WHATSAPP_FROM: '+14155550000' } });
    expect(vonage.code, vonage.stderr).toBe(0);
    expect(vonage.stdout).toMatch(/health\s+unknown \(vonage gives no health signal\)/);
    expect(vonage.stdout).toMatch(/Templates: not available from vonage/);
    noSecret(vonage.stdout, vonage.stderr);
  }, 60_000);

  it('campaign account on Twilio: the account status and the Content templates with their WhatsApp approval', async () => {
    const dir = folder(7);
    server = await startFakeServer(() => ({ json: {
      contents: [
        { sid: 'HXa1', friendly_name: 'invitacion', language: 'es', types: { 'twilio/text': { body: 'Hola {{1}}' } }, approval_requests: { name: 'invitacion', category: 'MARKETING', status: 'approved', rejection_reason: '', type: 'whatsapp' } },
        { sid: 'HXa2', friendly_name: 'aviso', language: 'es', types: { 'twilio/text': { body: 'Aviso' } }, approval_requests: { name: 'aviso', category: 'UTILITY', status: 'pending', rejection_reason: '' } },
      ],
      meta: { page: 0, page_size: 100, next_page_url: null, key: 'contents' },
    } }), { health: { json: { sid: 'AC123', status: 'active' } } });
    const env = { TWILIO_API_URL: server.url, TWILIO_CONTENT_API_URL: server.url, TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: TOKEN, TWILIO_WHATSAPP_FROM: '+14155550000' };
    const r = await runCli(['account', '--provider', 'twilio', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.health).toMatchObject({ read: 'ok', status: 'ACTIVE' });
    expect(out.templates).toEqual({ read: 'ok', items: [
      { name: 'invitacion', language: 'es', category: 'marketing', status: 'APPROVED', quality: 'UNKNOWN' },
      { name: 'aviso', language: 'es', category: 'utility', status: 'PENDING', quality: 'UNKNOWN' },
    ] });
    const text = await runCli(['account', '--provider', 'twilio'], { cwd: dir, env });
    expect(text.stdout).toMatch(/Templates \(2\)\n  invitacion\/es  APPROVED, quality unknown, marketing\n  aviso\/es  PENDING, quality unknown, utility/);
    noSecret(r.stdout, r.stderr, text.stdout, text.stderr);
  }, 60_000);
});

/** `campaign lint --check-template` against a local Graph API: the approved template, compared. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { startFakeServer, type FakeServer } from '../helpers/fake-servers.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

let tmp: ReturnType<typeof tempDir>;
let server: FakeServer;
const approved = {
  name: 'rally_invite',
  language: 'es',
  category: 'MARKETING',
  status: 'APPROVED',
  components: [{ type: 'BODY', text: 'Hola {{1}}, te esperamos en {{2}}.' }],
};

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-parity-');
  server = await startFakeServer((req) => (req.url.includes('name=rally_invite') ? { json: { data: [approved] } } : { json: { data: [] } }));
  writeFileSync(path.join(tmp.dir, 'contacts.csv'), 'nombre,ciudad,telefono,consentimiento\nAna,Madrid,+34612345678,sí\n');
}, 120_000);
afterAll(async () => {
  await server?.close();
  await tmp?.cleanup();
});

function template(name: string, params: string[]): string {
  const file = path.join(tmp.dir, `${name}-${params.length}.md`);
  writeFileSync(file, `---\ntemplate: ${name}\nlanguage: es\ncategory: marketing\nparams: [${params.join(', ')}]\n---\nHola {{nombre}}, te esperamos en {{ciudad}}.\n`);
  return file;
}

const env = () => ({ WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: 'tok-parity-secret', WHATSAPP_BUSINESS_ACCOUNT_ID: 'WABA1', WHATSAPP_PHONE_NUMBER_ID: '1' });

describe('lint --check-template', () => {
  it('passes when the local template matches the approved one', async () => {
    const r = await runCli(['lint', 'contacts.csv', '--template', template('rally_invite', ['nombre', 'ciudad']), '--provider', 'cloud', '--check-template', '--json'], { cwd: tmp.dir, env: env() });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings.filter((f: { rule: string }) => f.rule.startsWith('template-'))).toEqual([]);
    const req = server.requests.at(-1)!;
    expect(req.url).toMatch(/^\/v23\.0\/WABA1\/message_templates\?/);
    expect(req.headers.authorization).toBe('Bearer tok-parity-secret');
  });

  it('reports a parameter count mismatch and a missing template as errors (exit 1), never the token', async () => {
    const one = await runCli(['lint', 'contacts.csv', '--template', template('rally_invite', ['nombre']), '--provider', 'cloud', '--check-template', '--json'], { cwd: tmp.dir, env: env() });
    expect(one.code).toBe(1);
    expect(JSON.parse(one.stdout).findings.map((f: { rule: string }) => f.rule)).toContain('template-param-count');
    const missing = await runCli(['lint', 'contacts.csv', '--template', template('no_such_template', ['nombre', 'ciudad']), '--provider', 'cloud', '--check-template', '--json'], { cwd: tmp.dir, env: env() });
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout).findings.map((f: { rule: string }) => f.rule)).toContain('template-not-found');
    expect(one.stdout + one.stderr + missing.stdout + missing.stderr).not.toContain('tok-parity-secret');
  });
});

import { cpSync, readFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../helpers/build-once.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

const SAMPLES = path.join(REPO_ROOT, 'samples');
const BUCKETS = ['sendable', 'no_consent', 'invalid_phone', 'duplicate', 'suppressed', 'filtered_out', 'missing_variable'];

let tmp: ReturnType<typeof tempDir>;
let samples: string;

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-lint-');
  samples = path.join(tmp.dir, 'samples');
  mkdirSync(samples);
  for (const f of readdirSync(SAMPLES)) if (!f.endsWith('.jsonl') && !f.startsWith('.')) cpSync(path.join(SAMPLES, f), path.join(samples, f), { recursive: true }); // samples/media too
}, 120_000);
afterAll(() => tmp?.cleanup());

function write(name: string, content: string | Buffer): string {
  const file = path.join(tmp.dir, name);
  writeFileSync(file, content);
  return file;
}

describe('campaign lint on the sample form export (lists from other tools)', () => {
  it('reads the messaging question as consent, the País column as each number\'s country, and says which columns it used', async () => {
    const r = await runCli(['lint', 'form-export.csv', '--json'], { cwd: samples });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.columns).toEqual({
      phone: 'Teléfono (WhatsApp)',
      consent: '¿Desea recibir información por WhatsApp?',
      do_not_contact: 'No molestar',
      country: 'País',
      consent_date: 'Marca temporal',
    });
    expect(report.contacts).toMatchObject({ rows: 10, sendable: 7, no_consent: 2, suppressed: 1, invalid_phone: 0 });
    const human = await runCli(['lint', 'form-export.csv'], { cwd: samples });
    expect(human.stderr.split('\n')[1]).toContain('columns: phone "Teléfono (WhatsApp)"; consent "¿Desea recibir información por WhatsApp?"');
    const plan = await runCli(['send', 'form-export.csv', '--dry-run', '--journal', 'form.jsonl'], { cwd: samples });
    expect(plan.code, plan.stderr).toBe(0);
    const to = readFileSync(path.join(samples, 'form.plan.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).to);
    // Chile, Peru, Mexico, Brazil: each in its own country, not in the default (ES).
    expect(to).toEqual(['+34612345678', '+56965432109', '+51987654321', '+525512345678', '+56987654321', '+541123456789', '+5511987654321']);
  });
});

describe('campaign lint on the sample campaign', () => {
  it('names every kind of row problem with its true line, and counts each row once', async () => {
    const r = await runCli(['lint', 'contacts.csv', '--json'], { cwd: samples });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    const k = report.contacts;
    expect(k.rows).toBe(61);
    expect(BUCKETS.reduce((s, b) => s + k[b], 0)).toBe(k.rows);
    const at = (rule: string) => report.findings.filter((f: { rule: string }) => f.rule === rule).map((f: { line: number }) => f.line);
    expect(at('no-consent')).toEqual([37, 38, 39, 60, 62, 63]); // line 60: after a quoted field spanning lines 58-59
    expect(at('consent-conflict')).toEqual([62]); // a "no" for the number line 7 said yes to
    expect(at('ragged-row')).toEqual([63]); // an unquoted ";" shifts the consent column
    expect(at('duplicate')).toEqual([42, 43]);
    expect(at('suppressed')).toEqual([44, 45]);
    expect(at('missing-variable')).toEqual([46, 47]);
    expect(at('landline')).toEqual([48]);
    expect(at('not-whatsapp-number')).toEqual([49]);
    expect(at('consent-stale')).toEqual([50]);
    expect(at('invalid-phone')).toEqual([40, 41]);
    for (const f of report.findings) expect(Object.keys(f).every((key) => ['rule', 'severity', 'message', 'line', 'column', 'value'].includes(key))).toBe(true);
  });

  it('prints a human report on stderr grouped by rule, errors last, nothing on stdout', async () => {
    const r = await runCli(['lint', 'contacts.csv', '--template', 'message-bad-link.md'], { cwd: samples });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\u001b\[/); // NO_COLOR and not a TTY: no colour
    const lines = r.stderr.split('\n');
    const firstError = lines.findIndex((l) => l.startsWith('error'));
    const lastWarning = lines.map((l) => l.startsWith('warning')).lastIndexOf(true);
    expect(firstError).toBeGreaterThan(lastWarning);
    expect(r.stderr).toContain('link-shortener');
    expect(r.stderr).toContain('link-text-mismatch');
    expect(r.stderr).toMatch(/line 37: Consent "no"/);
  });

  it('exits 1 on a "watch the video" link to a donation page, and the JSON says why', async () => {
    const tpl = write(
      'donate.md',
      '---\ntemplate: t\nlanguage: es\ncategory: marketing\nparams: [nombre]\nlinks:\n  - url: https://partido-ejemplo.es/donar\n    kind: page\n---\nHola {{nombre}}, mira el vídeo: https://partido-ejemplo.es/donar\n',
    );
    const r = await runCli(['lint', 'contacts.csv', '--template', tpl, '--json'], { cwd: samples });
    expect(r.code).toBe(1);
    const rules = JSON.parse(r.stdout).findings.filter((f: { severity: string }) => f.severity === 'error').map((f: { rule: string }) => f.rule);
    expect(rules).toContain('link-text-mismatch');
  });

  it('exits 0 on a clean list and template', async () => {
    const csv = write('clean.csv', 'nombre,telefono,consentimiento\nAna,+34612345678,sí\nLuis,+34623456789,x\n');
    const tpl = write('clean.md', '---\ntemplate: t\nlanguage: es\ncategory: utility\nparams: [nombre]\nlinks:\n  - url: https://www.youtube.com/watch?v=abc123\n    kind: video\n---\nHola {{nombre}}, mira el vídeo: https://www.youtube.com/watch?v=abc123\n');
    const r = await runCli(['lint', csv, '--template', tpl, '--json'], { cwd: tmp.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).contacts).toMatchObject({ rows: 2, sendable: 2 });
  });
});

describe('campaign lint on real exports', () => {
  it('reads a Windows-1252 semicolon export with --encoding', async () => {
    const csv = write('cp1252.csv', Buffer.from('Nombre;Tel\xe9fono;Consentimiento\r\nJos\xe9;612345678;s\xed\r\n', 'latin1'));
    const bad = await runCli(['lint', csv, '--default-country', 'ES'], { cwd: tmp.dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--encoding windows-1252');
    expect(bad.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const good = await runCli(['lint', csv, '--default-country', 'ES', '--encoding', 'windows-1252', '--json'], { cwd: tmp.dir });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout).contacts.sendable).toBe(1);
  });

  it('refuses to guess the country of a national number (error naming the flag)', async () => {
    const csv = write('national.csv', 'phone,consent\n612345678,yes\n');
    const r = await runCli(['lint', csv, '--json'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    const f = JSON.parse(r.stdout).findings.find((x: { rule: string }) => x.rule === 'phone-needs-country');
    expect(f).toMatchObject({ rule: 'phone-needs-country', severity: 'error', line: 2 });
    expect(f.message).toContain('--default-country');
  });

  it('applies --where segments and --suppress lists', async () => {
    const csv = write('seg.csv', 'phone,consent,city\n+34612345678,yes,Madrid\n+34623456789,yes,Sevilla\n+34634567890,yes,madrid\n');
    const sup = write('bajas.txt', '+34634567890\n');
    const r = await runCli(['lint', csv, '--where', 'city=MADRID', '--suppress', sup, '--json'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).contacts).toMatchObject({ rows: 3, sendable: 1, filtered_out: 1, suppressed: 1 });
  });
});

describe('campaign lint on bad input: one or two sentences, exit 2, no stack', () => {
  it.each([
    ['a missing file', () => path.join(tmp.dir, 'nope.csv'), /nope\.csv/],
    ['an empty file', () => write('empty.csv', ''), /empty\.csv/],
    ['a binary file', () => write('bin.csv', Buffer.from([0x50, 0x4b, 0x03, 0x04, 0, 0, 0, 1, 2, 3])), /bin\.csv/],
    ['a header with no phone column', () => write('nophone.csv', 'name,consent\nAna,yes\n'), /--phone-column/],
  ])('%s', async (_what, make, expected) => {
    const r = await runCli(['lint', make(), '--default-country', 'ES'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(expected);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.stdout).toBe('');
  });

  it('a malformed front matter names the template file and line', async () => {
    const csv = write('ok.csv', 'phone,consent\n+34612345678,yes\n');
    const tpl = write('broken.md', '---\ntemplate: t\nlanguage: es\ncategory: marketng\n---\nHola\n');
    const r = await runCli(['lint', csv, '--template', tpl], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/broken\.md:4: /);
    expect(r.stderr).toMatch(/category/);
  });

  it('an unknown flag is a usage error (exit 2)', async () => {
    const r = await runCli(['lint', 'x.csv', '--bogus'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
  });
});

describe('campaign lint --check-links', () => {
  it('follows the link on a local server and reports where it really leads', async () => {
    const { startFakeServer } = await import('../helpers/fake-servers.js');
    const server = await startFakeServer((req) =>
      req.url === '/video' ? { status: 302, headers: { location: '/donate' }, text: '' } : { status: 200, headers: { 'content-type': 'text/html' }, text: '<html><head><title>Dona</title></head></html>' },
    );
    try {
      const csv = write('links.csv', 'nombre,telefono,consentimiento\nAna,+34612345678,sí\n');
      const url = `${server.url}/video`;
      const tpl = write('links.md', `---\ntemplate: t\nlanguage: es\ncategory: marketing\nparams: [nombre]\nlinks:\n  - url: ${url}\n    kind: video\n---\nHola {{nombre}}, mira el vídeo: ${url}\n`);
      const r = await runCli(['lint', csv, '--template', tpl, '--check-links', '--json'], { cwd: tmp.dir });
      expect(r.code).toBe(1);
      const rules = JSON.parse(r.stdout).findings.map((f: { rule: string }) => f.rule);
      expect(rules).toContain('link-redirect');
      expect(rules).toContain('link-content-mismatch');
      expect(server.requests.map((q) => q.url)).toContain('/donate');
    } finally {
      await server.close();
    }
  });
});

/**
 * The lint's worker pool (issue 13 item 1) must not change any output: the same lists linted and
 * planned with the pool forced on (CAMPAIGN_LINT_WORKERS=2) and off (=0) give byte-identical
 * `lint --json` and the same `send --dry-run` plan. A worker that fails ends the same way.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../helpers/build-once.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

let tmp: ReturnType<typeof tempDir>;

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-workers-');
  writeFileSync(path.join(tmp.dir, 'message.md'), '---\ntemplate: promo\nlanguage: es\ncategory: marketing\nparams: [nombre]\n---\nHola {{nombre}}, responde BAJA para no recibir más. Equipo Verde.\n');
  writeFileSync(path.join(tmp.dir, 'optouts.txt'), '+34600000003\n+34600000007\n');
}, 120_000);
afterAll(() => tmp?.cleanup());

const on = { CAMPAIGN_LINT_WORKERS: '2' };
const off = { CAMPAIGN_LINT_WORKERS: '0' };

async function lintJson(file: string, env: Record<string, string>, extra: string[] = []) {
  return runCli(['lint', file, '--template', 'message.md', '--default-country', 'ES', '--suppress', 'optouts.txt', '--json', ...extra], { cwd: tmp.dir, env, timeoutMs: 120_000 });
}

/** The dry run's plan, without the path of the file it was written to. */
async function dryRunPlan(file: string, env: Record<string, string>, tag: string) {
  const journal = path.join(tmp.dir, `${tag}.journal.jsonl`);
  const r = await runCli(['send', file, '--template', 'message.md', '--default-country', 'ES', '--suppress', 'optouts.txt', '--dry-run', '--json', '--yes', '--journal', journal], { cwd: tmp.dir, env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  const plan = readFileSync(out.plan, 'utf8').replace(/"at":"[^"]*"/g, '"at":"T"');
  return { contacts: out.contacts, messages: out.messages, plan };
}

const NUMBERS = ['+34600000001', '600000002', '+34 600 000 003', '0034600000004', '600000005', '912345678', '+351912345678', '912345670', 'abc', '', '+34 6', '900123456'];
const cell = fc.oneof(fc.constantFrom('Ana', 'Luis', 'María José', ''), fc.constantFrom('con, coma', 'dos\nlíneas', 'comillas "dobles"'));
const row = fc.record({
  phone: fc.constantFrom(...NUMBERS),
  consent: fc.constantFrom('sí', 'yes', 'no', '', 'quizá'),
  name: cell,
  country: fc.constantFrom('ES', 'PT', '', 'Portugal', 'XX'),
});
const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

describe('lint with and without worker threads', () => {
  it('the worker module is built next to the pool, so the pool is really used below', () => {
    expect(existsSync(path.join(REPO_ROOT, 'dist', 'core', 'lint', 'worker.js'))).toBe(true);
  });

  it('random lists (duplicates, consent conflicts, invalid numbers, suppressed, CRLF, quoted newlines, a country column): byte-identical lint --json and the same dry-run plan', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 40 }), fc.boolean(), fc.boolean(), async (rows, crlf, withCountry) => {
        const eol = crlf ? '\r\n' : '\n';
        const header = withCountry ? 'nombre,telefono,consentimiento,pais' : 'nombre,telefono,consentimiento';
        const body = rows.map((r) => [quote(r.name), quote(r.phone), r.consent, ...(withCountry ? [r.country] : [])].join(',')).join(eol);
        const file = `list-${n++}.csv`;
        writeFileSync(path.join(tmp.dir, file), `${header}${eol}${body}${eol}`);
        const [a, b] = await Promise.all([lintJson(file, on), lintJson(file, off)]);
        expect(a.code).toBe(b.code);
        expect(a.stderr).toBe(b.stderr);
        expect(a.stdout).toBe(b.stdout);
        expect(a.stdout.length).toBeGreaterThan(0);
        const [pa, pb] = await Promise.all([dryRunPlan(file, on, `on-${n}`), dryRunPlan(file, off, `off-${n}`)]);
        expect(pa).toEqual(pb);
      }),
      { numRuns: 8 },
    );
  }, 300_000);

  it('a 200,000-row list: the same lint --json with the pool on as off, in file order across many batches', async () => {
    const lines = ['nombre,telefono,consentimiento,consent_at'];
    for (let i = 0; i < 200_000; i++) {
      // Every 97th row repeats an earlier number (a duplicate, or with a "no" a consent conflict).
      const n = i % 97 === 96 ? i - 50_000 : i;
      lines.push(`Persona ${i},6${String(10_000_000 + Math.abs(n)).padStart(8, '0')},${i % 13 === 0 ? 'no' : 'sí'},${i % 11 === 0 ? '' : '2026-01-02'}`);
    }
    writeFileSync(path.join(tmp.dir, 'big.csv'), `${lines.join('\n')}\n`);
    const a = await lintJson('big.csv', on);
    const b = await lintJson('big.csv', off);
    expect(a.code, a.stderr).toBe(b.code);
    expect(a.stdout).toBe(b.stdout);
    const report = JSON.parse(a.stdout);
    expect(report.contacts.rows).toBe(200_000);
    expect(report.contacts.duplicate).toBeGreaterThan(0);
    expect(report.findings.some((f: { rule: string }) => f.rule === 'consent-conflict')).toBe(true);
    // Findings come in file order (the merge keeps the batches' order).
    const found = report.findings.filter((f: { line?: number }) => f.line !== undefined).map((f: { line: number }) => f.line);
    expect(found).toEqual([...found].sort((x: number, y: number) => x - y));
  }, 300_000);

  it('a worker that dies or throws: the main thread does its rows, same output, no stack trace', async () => {
    const rows = ['nombre,telefono,consentimiento', 'Ana,600000001,sí', 'Luis,600000001,sí', 'Eva,abc,sí', 'Max,600000009,no', 'Sol,600000009,sí'];
    writeFileSync(path.join(tmp.dir, 'faults.csv'), `${rows.join('\n')}\n`);
    const ref = await lintJson('faults.csv', off);
    for (const fault of ['exit', 'throw']) {
      const r = await lintJson('faults.csv', { ...on, CAMPAIGN_LINT_WORKER_FAULT: fault });
      expect(r.code, r.stderr).toBe(ref.code);
      expect(r.stdout).toBe(ref.stdout);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

  it('CAMPAIGN_LINT_WORKERS that is not a whole number: exit 2, one plain sentence', async () => {
    const r = await lintJson('faults.csv', { CAMPAIGN_LINT_WORKERS: 'many' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CAMPAIGN_LINT_WORKERS is "many", not a whole number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

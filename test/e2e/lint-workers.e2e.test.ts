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
/** Chunks of a few records, so that records, quoted newlines and CRLFs straddle many chunk ends. */
const onSmall = { CAMPAIGN_LINT_WORKERS: '2', CAMPAIGN_LINT_CHUNK_BYTES: '40' };
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
/** What may stand above the header: nothing, Excel's sep= line, a BOM, a title. */
const HEADS = ['', 'sep=,', '\uFEFF', 'Lista de contactos', '\uFEFFsep=,', 'Lista de contactos,,'];
const quote = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

describe('lint with and without worker threads', () => {
  it('the worker module is built next to the pool, so the pool is really used below', () => {
    expect(existsSync(path.join(REPO_ROOT, 'dist', 'core', 'lint', 'worker.js'))).toBe(true);
  });

  it('random lists (duplicates, consent conflicts, invalid numbers, suppressed, CRLF, quoted newlines, a country column, a sep= line, a BOM, a title above the header, lenient quotes), cut into tiny chunks: byte-identical lint --json and the same dry-run plan', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(...HEADS),
        fc.constantFrom('', 'nota', 'nota-lenient'),
        async (rows, crlf, withCountry, head, note) => {
          const eol = crlf ? '\r\n' : '\n';
          // A quote inside an unquoted cell: csv-parse reads it as text, the cut gives up and the main thread parses the rest.
          const notes = note === 'nota-lenient' ? ['x', 'ab"c', ''] : ['x', '', 'y z'];
          const header = ['nombre', 'telefono', 'consentimiento', ...(withCountry ? ['pais'] : []), ...(note ? ['nota'] : [])].join(',');
          const body = rows.map((r, i) => [quote(r.name), quote(r.phone), r.consent, ...(withCountry ? [r.country] : []), ...(note ? [notes[i % 3]] : [])].join(',')).join(eol);
          const file = `list-${n++}.csv`;
          const top = head === '\uFEFF' ? head : head ? `${head}${eol}` : '';
          writeFileSync(path.join(tmp.dir, file), `${top}${header}${eol}${body}${eol}`);
          const [a, b, c] = await Promise.all([lintJson(file, onSmall), lintJson(file, off), lintJson(file, on)]);
          expect(a.code).toBe(b.code);
          expect(a.stderr).toBe(b.stderr);
          expect(a.stdout).toBe(b.stdout);
          expect(c.stdout).toBe(b.stdout);
          expect(a.stdout.length).toBeGreaterThan(0);
          const [pa, pb] = await Promise.all([dryRunPlan(file, onSmall, `on-${n}`), dryRunPlan(file, off, `off-${n}`)]);
          expect(pa).toEqual(pb);
        },
      ),
      { numRuns: 10 },
    );
  }, 300_000);

  it('a file that breaks past its head (an unclosed quote at the end, a byte that is not UTF-8): the same error, exit 2, with workers as without', async () => {
    const rows = ['nombre,telefono,consentimiento'];
    for (let i = 0; i < 300; i++) rows.push(`Persona ${i},6000${String(i).padStart(5, '0')},sí`);
    writeFileSync(path.join(tmp.dir, 'unclosed.csv'), `${rows.join('\n')}\n"Eva,600000999,sí\n`);
    writeFileSync(path.join(tmp.dir, 'latin.csv'), Buffer.concat([Buffer.from(`${rows.join('\n')}\n`), Buffer.from([0x4a, 0x6f, 0x73, 0xe9, 0x2c, 0x36, 0x0a])]));
    for (const file of ['unclosed.csv', 'latin.csv']) {
      const ref = await lintJson(file, off);
      expect(ref.code).toBe(2);
      const r = await lintJson(file, onSmall);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(ref.stderr);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 120_000);

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
      const r = await lintJson('faults.csv', { ...onSmall, CAMPAIGN_LINT_WORKER_FAULT: fault });
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

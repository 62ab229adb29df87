/**
 * The duplicate index spills to a file past its memory (issue 13 item 2): a list linted and
 * planned with a tiny memory (CAMPAIGN_INDEX_MEMORY=64, so that it spills dozens of times) gives
 * byte-identical `lint --json` and the same `send --dry-run` plan as with all of it in memory.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/build-once.js';
import { runCli, tempDir } from '../helpers/run-cli.js';

let tmp: ReturnType<typeof tempDir>;
beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-spill-');
  writeFileSync(path.join(tmp.dir, 'message.md'), '---\ntemplate: promo\nlanguage: es\ncategory: marketing\nparams: [nombre]\n---\nHola {{nombre}}, responde BAJA para no recibir más. Equipo Verde.\n');
  // 12,000 rows over 4,000 numbers: each number comes back far below (a duplicate of a row
  // thousands of lines up, long spilled), some with a "no" that revokes an earlier yes, some yes
  // after a no; Mexican and Spanish numbers, national and international spellings.
  const rows = ['nombre,telefono,consentimiento'];
  for (let i = 0; i < 12_000; i++) {
    const n = (i * 7919) % 4000;
    const phone = n % 3 === 0 ? `+52 1 55 ${String(10_000_000 + n).slice(0, 4)} ${String(10_000_000 + n).slice(4)}` : n % 3 === 1 ? `6${String(10_000_000 + n)}` : `+34 6${String(10_000_000 + n)}`;
    const consent = (i + n) % 11 === 0 ? 'no' : 'sí';
    rows.push(`Persona ${i},${phone},${consent}`);
  }
  writeFileSync(path.join(tmp.dir, 'big.csv'), `${rows.join('\n')}\n`);
}, 120_000);
afterAll(() => tmp?.cleanup());

const spill = { CAMPAIGN_INDEX_MEMORY: '64', CAMPAIGN_LINT_WORKERS: '0' };
const memory = { CAMPAIGN_LINT_WORKERS: '0' };

async function lintJson(env: Record<string, string>) {
  const r = await runCli(['lint', 'big.csv', '--template', 'message.md', '--default-country', 'ES', '--json'], { cwd: tmp.dir, env, timeoutMs: 120_000 });
  expect([0, 1], r.stderr).toContain(r.code);
  return r.stdout;
}

async function plan(env: Record<string, string>, tag: string) {
  const r = await runCli(['send', 'big.csv', '--template', 'message.md', '--default-country', 'ES', '--dry-run', '--json', '--yes', '--journal', path.join(tmp.dir, `${tag}.jsonl`)], { cwd: tmp.dir, env, timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  return { contacts: out.contacts, plan: readFileSync(out.plan, 'utf8').replace(/"at":"[^"]*"/g, '"at":"T"') };
}

describe('the duplicate index past its memory', () => {
  it('lint --json and the dry-run plan are the same with the index spilled and in memory', async () => {
    const [a, b] = [await lintJson(spill), await lintJson(memory)];
    expect(a).toBe(b);
    const out = JSON.parse(a);
    // The list really has what the spill must get right: duplicates of far-away lines and conflicts.
    expect(out.contacts.duplicate).toBeGreaterThan(1000);
    const rules = new Set(out.findings.map((f: { rule: string }) => f.rule));
    expect(rules).toContain('consent-conflict');
    const far = out.findings.find((f: { rule: string; line: number; message: string }) => f.rule === 'duplicate' && f.line - Number(/line (\d+)/.exec(f.message)?.[1]) > 5000);
    expect(far).toBeDefined();
    const [p, q] = [await plan(spill, 'spill'), await plan(memory, 'memory')];
    expect(p.contacts).toEqual(q.contacts);
    expect(p.plan).toBe(q.plan);
  }, 180_000);

  it('CAMPAIGN_INDEX_MEMORY that is not a whole number: exit 2, one plain sentence', async () => {
    const r = await runCli(['lint', 'big.csv', '--template', 'message.md', '--default-country', 'ES'], { cwd: tmp.dir, env: { CAMPAIGN_INDEX_MEMORY: 'lots' }, timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CAMPAIGN_INDEX_MEMORY is "lots", not a whole number/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});

/**
 * The chunked pool with the main thread as a chunk processor too (one worker per spare core):
 * the steps come back in file order whichever thread did a chunk, a chunk the worker fails is
 * done here the same way, the chunks held at once stay bounded, and a small file never starts a
 * worker. Runs the BUILT modules: the worker thread is dist/core/lint/worker.js.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../../helpers/build-once.js';
import { tempDir } from '../../helpers/run-cli.js';

const dist = (p: string) => import(path.join(REPO_ROOT, 'dist', p));
let tmp: ReturnType<typeof tempDir>;
let file: string;
const ROWS = 150_000;

beforeAll(async () => {
  await ensureBuilt();
  tmp = tempDir('campaign-pool-');
  file = path.join(tmp.dir, 'list.csv');
  const lines = ['nombre,telefono,consentimiento,consent_at'];
  for (let i = 0; i < ROWS; i++) {
    // Repeats, "no" rows, bad numbers and a quoted newline now and then: every kind of step.
    const n = i % 41 === 40 ? i - 300 : i;
    const name = i % 997 === 0 ? `"Per\nsona ${i}"` : `Persona ${i}`;
    lines.push(`${name},${i % 503 === 0 ? 'abc' : `6${String(10_000_000 + Math.abs(n)).padStart(8, '0')}`},${i % 7 === 0 ? 'no' : 'sí'},${i % 11 === 0 ? '' : '2026-01-02'}`);
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}, 120_000);
afterAll(() => tmp?.cleanup());
afterEach(() => {
  delete process.env.CAMPAIGN_LINT_WORKER_FAULT;
  delete process.env.CAMPAIGN_LINT_WORKERS;
});

async function setUp() {
  const { openCsv } = await dist('core/contacts/read.js');
  const { compileClassifier } = await dist('core/contacts/classify.js');
  const { compileRowWork, lintStep } = await dist('core/lint/row-work.js');
  const classify = { defaultCountry: 'ES', now: new Date('2026-02-01T00:00:00Z') };
  const open = () => openCsv(file, {});
  const csv = await open();
  const classifier = compileClassifier(csv.header, classify, file);
  const work = compileRowWork(null, csv.header, new Map());
  const local = (row: unknown) => lintStep(classifier, work, row);
  const { now, ...rest } = classify;
  const init = { header: csv.header, path: file, classify: rest, now: now.getTime(), template: null, failedLinks: new Map() };
  const cols = { header: csv.header, phoneColumn: classifier.phoneColumn, consentIndex: csv.header.indexOf(classifier.consentColumn), keep: 'all' as const, text: true };
  /** The steps of one thread, row by row, as without workers. */
  const reference = async () => {
    const again = await open();
    const out = [];
    for await (const row of again.rows) out.push(local(row));
    return out;
  };
  return { csv, init, cols, local, reference };
}

async function pooled(count: number) {
  const { pooledSteps } = await dist('core/lint/pool.js');
  const { csv, init, cols, local, reference } = await setUp();
  const stats = { sent: 0, here: 0, maxQueued: 0 };
  const steps = [];
  for await (const batch of pooledSteps(csv, init, cols, count, local, stats)) steps.push(...batch);
  return { steps, stats, expected: await reference() };
}

describe('the chunked lint pool', () => {
  it('one worker and the main thread share the chunks; the steps are those of one thread, in file order', async () => {
    const { steps, stats, expected } = await pooled(1);
    expect(stats.sent).toBeGreaterThan(0);
    expect(stats.here).toBeGreaterThan(0);
    expect(steps.length).toBe(expected.length);
    expect(steps).toEqual(expected);
    const lines = steps.map((s: { line: number }) => s.line);
    expect(lines).toEqual([...lines].sort((a, b) => a - b));
  }, 120_000);

  it('holds at most (workers + 1) x 3 chunks at once, whatever the file length', async () => {
    for (const count of [1, 2]) {
      const { stats } = await pooled(count);
      // More chunks than the bound, so that the bound is what held them.
      expect(stats.sent + stats.here).toBeGreaterThan(10);
      expect(stats.maxQueued).toBeLessThanOrEqual((count + 1) * 3);
    }
  }, 120_000);

  it('a chunk the worker fails is read again and done here: the same steps', async () => {
    process.env.CAMPAIGN_LINT_WORKER_FAULT = 'throw';
    const { steps, stats, expected } = await pooled(1);
    expect(stats.sent).toBeGreaterThan(0);
    expect(steps).toEqual(expected);
  }, 120_000);

  it('a small file starts no worker by default; CAMPAIGN_LINT_WORKERS sets the count whatever the size', async () => {
    const { lintWorkerCount } = await dist('core/lint/pool.js');
    expect(lintWorkerCount(1024 * 1024)).toBe(0);
    process.env.CAMPAIGN_LINT_WORKERS = '1';
    expect(lintWorkerCount(100)).toBe(1);
  });
});

/**
 * The e2e tests run the BUILT CLI (`node bin/campaign.js` → dist/). `ensureBuilt()` compiles
 * src/ with the project's own tsc when dist/ is older than any file under src/ (or missing), so
 * `npm test` after editing src never tests stale code, and a clean tree costs nothing.
 *
 * Once per test run, not once per file: vitest runs test files in parallel worker processes, so
 * a module-level promise alone would let two workers run tsc at the same time (and one worker's
 * CLI could load a half-written dist/ file). A lock directory in os.tmpdir(), keyed by this
 * checkout's path, serialises the check-and-build across workers; the staleness check inside
 * the lock makes every worker after the first a no-op.
 *
 * CAMPAIGN_E2E_SKIP_BUILD=1 skips all of this (dist/ is used as is).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(REPO_ROOT, 'bin', 'campaign.js');

let once: Promise<void> | undefined;

export function ensureBuilt(): Promise<void> {
  if (process.env.CAMPAIGN_E2E_SKIP_BUILD === '1') return Promise.resolve();
  return (once ??= buildIfStale());
}

function newestMtime(dir: string, ext: RegExp): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, ext));
    else if (ext.test(entry.name)) newest = Math.max(newest, statSync(full).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  let built: number;
  try {
    // tsc rewrites every output on each build, so one file's mtime dates the whole build.
    built = statSync(path.join(REPO_ROOT, 'dist', 'cli', 'main.js')).mtimeMs;
  } catch {
    return true;
  }
  const newestSource = Math.max(
    newestMtime(path.join(REPO_ROOT, 'src'), /\.(ts|json)$/),
    statSync(path.join(REPO_ROOT, 'tsconfig.json')).mtimeMs,
  );
  return newestSource > built;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const key = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 12);
  const lock = path.join(tmpdir(), `campaign-e2e-build-${key}.lock`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A lock older than two minutes was left by a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmdirSync(lock);
      } catch {
        // gone meanwhile
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  try {
    return await fn();
  } finally {
    try {
      rmdirSync(lock);
    } catch {
      // already removed
    }
  }
}

async function buildIfStale(): Promise<void> {
  await withLock(async () => {
    if (!isStale()) return;
    const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    await new Promise<void>((resolve, reject) => {
      execFile(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: REPO_ROOT, timeout: 120_000 }, (err, stdout, stderr) => {
        if (!err) return resolve();
        // tsc still emits JavaScript on type errors: run against it (every worker sees the same
        // dist/), but say so loudly. Fatal only when nothing runnable came out.
        if (!isStale()) {
          console.warn(`ensureBuilt: tsc reported errors; the e2e tests run the JavaScript it emitted anyway:\n${stdout}${stderr}`);
          return resolve();
        }
        reject(new Error(`tsc failed; the e2e tests need a build of src/:\n${stdout}${stderr}`));
      });
    });
  });
}

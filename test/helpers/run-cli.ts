/**
 * Runs the built CLI (`node bin/campaign.js`) as a real child process: stdin is /dev/null (never
 * a TTY), NO_COLOR=1, and an environment scrubbed of any provider credentials or campaign
 * settings of the machine running the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLI } from './build-once.js';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  /** Added to the scrubbed environment. */
  env?: Record<string, string | undefined>;
  /** Kill (SIGKILL) and fail after this long. Default 30 s. */
  timeoutMs?: number;
}

const SCRUB = /^(WHATSAPP_|TWILIO_|VONAGE_|CAMPAIGN_|DEBUG$|FORCE_COLOR$|NODE_OPTIONS$)/;

export function cliEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SCRUB.test(k)) env[k] = v;
  env.NO_COLOR = '1';
  // The sandbox's delivery callbacks (some undeliverable, some BAJA) would change the counts the
  // send tests assert; test/e2e/sandbox-callbacks.e2e.test.ts turns them on (a flag replaces this).
  env.CAMPAIGN_SANDBOX_FAULTS = 'callbacks=off';
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export interface RunningCli {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  done: Promise<CliResult>;
}

/** Starts the CLI and returns at once; `done` settles when it exits. */
export function startCli(args: string[], opts: CliOptions): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    // The user-level state (history, opt-outs) of this test alone, never the machine user's.
    env: cliEnv({ CAMPAIGN_HOME: path.join(opts.cwd, '.campaign-home'), ...opts.env }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const done = new Promise<CliResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`campaign ${args.join(' ')} did not exit within ${timeoutMs} ms\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

export function runCli(args: string[], opts: CliOptions): Promise<CliResult> {
  return startCli(args, opts).done;
}

/** A fresh directory under os.tmpdir(); `cleanup()` removes it. */
export function tempDir(prefix = 'campaign-e2e-'): { dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Lines of a JSONL file (an absent file has none); a torn last line is returned as `torn`. */
export function readJsonl(file: string): { lines: Record<string, any>[]; torn: string | null } {
  if (!existsSync(file)) return { lines: [], torn: null };
  const text = readFileSync(file, 'utf8');
  const raw = text.split('\n');
  const lines: Record<string, any>[] = [];
  let torn: string | null = null;
  raw.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      lines.push(JSON.parse(line));
    } catch (err) {
      // Only the last line may be torn, or one the writer fenced off with a `resume` line after it.
      const next = raw.slice(i + 1).find((l) => l.trim() !== '');
      if (next === undefined || JSON.parse(next).type === 'resume') torn = line;
      else throw new Error(`${file}: line ${i + 1} is not JSON: ${line}`, { cause: err });
    }
  });
  return { lines, torn };
}

/** Polls `check` every 20 ms until it returns true. */
export async function waitFor(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The most times in any 1 s window [t, t + 1000): what a provider counting per second would see. */
export function fullestSecond(times: number[]): number {
  const t = [...times].sort((a, b) => a - b);
  let worst = 0;
  for (let hi = 0, lo = 0; hi < t.length; hi++) {
    while (t[hi] - t[lo] >= 1000) lo++;
    worst = Math.max(worst, hi - lo + 1);
  }
  return worst;
}

/**
 * A real redis-server for one test file: a free port on 127.0.0.1, no persistence, a temp dir,
 * stopped after. `redisAvailable` is false (and the Redis tests skip with a warning) when the
 * Debian package is not installed; .ci/run installs it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

const BIN = process.env.REDIS_SERVER ?? 'redis-server';

export const redisAvailable = spawnSync(BIN, ['--version'], { stdio: 'ignore' }).status === 0;
/** The same, under the name the opt-out store tests use. */
export const hasRedis = redisAvailable;
if (!redisAvailable) console.warn(`redis-server not found (${BIN}): the Redis tests are skipped; install it (apt-get install redis-server).`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(500, () => done(false));
    sock.on('error', () => done(false));
    sock.on('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

export interface RunningRedis {
  url: string;
  port: number;
  /** Stops it (SIGTERM) and waits for the exit; removes its temp dir. */
  stop(): Promise<void>;
  /** SIGKILL at once: the store lost. */
  kill(): void;
}

/** Starts redis-server on `port` (a free one by default) and resolves once it answers PING. */
export async function startRedis(port?: number): Promise<RunningRedis> {
  const p = port ?? (await freePort());
  const dir = mkdtempSync(path.join(tmpdir(), 'campaign-redis-'));
  const child: ChildProcess = spawn(BIN, ['--port', String(p), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--dir', dir], {
    stdio: 'ignore',
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const deadline = Date.now() + 10_000;
  while (!(await ping(p))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on port ${p}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    stop: async () => {
      if (!exited) child.kill('SIGTERM');
      await exit;
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where Debian's redis-server lives (.ci/run installs it); tests skip with a warning without it. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';
export const hasRedis = existsSync(REDIS_SERVER);
if (!hasRedis) console.warn(`redis-server not found at ${REDIS_SERVER}: the Redis store tests are skipped (apt-get install redis-server).`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** True once the server answers PING with +PONG. */
async function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1');
    let data = '';
    sock.once('error', () => resolve(false));
    sock.on('data', (d) => {
      data += d.toString();
      if (data.includes('\r\n')) {
        sock.destroy();
        resolve(data.startsWith('+PONG'));
      }
    });
    sock.once('connect', () => sock.write('PING\r\n'));
  });
}

/** A real redis-server on a free port of 127.0.0.1, without persistence, in a temp dir. */
export async function startRedis(): Promise<{ url: string; port: number; stop(): Promise<void>; kill(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'campaign-redis-'));
  const child: ChildProcess = spawn(REDIS_SERVER, ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--dir', dir], { cwd: dir, stdio: 'ignore' });
  let exited = false;
  const gone = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  const deadline = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (exited || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`redis-server did not answer on port ${port}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await gone;
      cleanup();
    },
    kill() {
      if (!exited) child.kill('SIGKILL');
    },
  };
}

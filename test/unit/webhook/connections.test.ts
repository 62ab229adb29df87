/**
 * Silent, stalled and too many connections, with real sockets: the receiver must not hold a
 * file descriptor for a client that never finishes its request.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWebhookServer, type WebhookServer, type WebhookServerOptions } from '../../../src/core/webhook/server.js';

const VERIFY = 'verify-token';
let dir: string;
let server: WebhookServer | undefined;
let logs: string[] = [];
const sockets: Socket[] = [];

async function start(limits: Partial<WebhookServerOptions>): Promise<{ host: string; port: number }> {
  logs = [];
  dir = await mkdtemp(join(tmpdir(), 'webhook-conn-'));
  server = await startWebhookServer({ host: '127.0.0.1', port: 0, journals: [], cwd: dir, log: (l) => logs.push(l), env: { WHATSAPP_VERIFY_TOKEN: VERIFY, WHATSAPP_APP_SECRET: 's' }, ...limits });
  const u = new URL(server.url);
  return { host: u.hostname, port: Number(u.port) };
}

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A raw connection; `closed` resolves with the ms from connect to the server closing it. */
async function open(addr: { host: string; port: number }): Promise<{ socket: Socket; closed: Promise<number>; received: () => string }> {
  const socket = connect(addr.port, addr.host);
  sockets.push(socket);
  let data = '';
  socket.on('data', (d) => (data += d.toString()));
  socket.on('error', () => undefined); // a reset counts as closed
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const t0 = Date.now();
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - t0)));
  return { socket, closed, received: () => data };
}

/** Writes `text` one byte every `everyMs` until the socket closes: keeps it from ever being idle. */
function trickle(socket: Socket, text: string, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return clearInterval(timer);
    socket.write(text[i++]);
  }, everyMs);
  socket.once('close', () => clearInterval(timer));
}

const handshake = (addr: { host: string; port: number }) =>
  fetch(`http://${addr.host}:${addr.port}/webhooks/cloud?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=42`);

describe('connection limits', () => {
  it('closes a connection that sends nothing once the idle limit passes', async () => {
    const addr = await start({ headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, idleTimeoutMs: 600 });
    const { closed } = await open(addr);
    const ms = await closed;
    expect(ms).toBeGreaterThanOrEqual(500);
    expect(ms).toBeLessThan(3_000);
  });

  it('closes a connection that stops halfway through its headers', async () => {
    const addr = await start({ headersTimeoutMs: 5_000, requestTimeoutMs: 5_000, idleTimeoutMs: 600 });
    const { socket, closed } = await open(addr);
    socket.write('POST /webhooks/cloud HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty');
    expect(await closed).toBeLessThan(3_000);
  });

  it('closes a connection that trickles its headers (never idle) at the headers limit', async () => {
    const addr = await start({ headersTimeoutMs: 800, requestTimeoutMs: 5_000, idleTimeoutMs: 5_000 });
    const { socket, closed } = await open(addr);
    trickle(socket, 'POST /webhooks/cloud HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: ' + 'a'.repeat(500), 50);
    const ms = await closed;
    expect(ms).toBeGreaterThanOrEqual(700);
    expect(ms).toBeLessThan(3_500);
  });

  it('closes a connection that trickles half a body at the request limit, writing nothing', async () => {
    const addr = await start({ headersTimeoutMs: 800, requestTimeoutMs: 1_200, idleTimeoutMs: 5_000 });
    const { socket, closed } = await open(addr);
    socket.write('POST /webhooks/cloud HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"entry":');
    trickle(socket, 'x'.repeat(900), 50);
    const ms = await closed;
    expect(ms).toBeGreaterThanOrEqual(1_000);
    expect(ms).toBeLessThan(4_000);
    expect(await readdir(dir)).toEqual([]);
  });

  it('past the cap a new connection is closed at once; requests work again once the others go', async () => {
    const addr = await start({ maxConnections: 3, headersTimeoutMs: 10_000, requestTimeoutMs: 10_000, idleTimeoutMs: 10_000 });
    const held = [await open(addr), await open(addr), await open(addr)];
    // Give the server time to accept all three before the fourth arrives.
    await new Promise((r) => setTimeout(r, 200));
    const extra = await open(addr);
    expect(await extra.closed).toBeLessThan(2_000);
    expect(extra.received()).toBe('');
    // A whole request on a fourth connection gets no answer either.
    const asking = await open(addr);
    asking.socket.write(`GET /webhooks/cloud?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=42 HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(await asking.closed).toBeLessThan(2_000);
    expect(asking.received()).toBe('');
    expect(logs.some((l) => /connections? at once/.test(l))).toBe(true);
    // The held ones are still open: the cap closed only the newcomers.
    expect(held.every((h) => !h.socket.destroyed)).toBe(true);

    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    await new Promise((r) => setTimeout(r, 100));
    const res = await handshake(addr);
    expect([res.status, await res.text()]).toEqual([200, '42']);
  });
});

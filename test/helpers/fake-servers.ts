/**
 * A scriptable HTTP server on 127.0.0.1 for tests: records every request and answers each one
 * as scripted, including the transport failures a real provider produces.
 *
 *   const server = await startFakeServer([
 *     { status: 429, json: { error: { code: 130429 } }, headers: { 'retry-after': '2' } },
 *     { delayMs: 50, json: { messages: [{ id: 'wamid.1' }] } },
 *     { reset: true },                  // read the request, then drop the connection
 *   ]);
 *   // ... point a provider at `${server.url}/v23.0` ...
 *   server.requests[0].json;            // parsed body; .body is the raw text
 *   server.connections();               // TCP connections accepted so far (keep-alive checks)
 *   await server.close();
 *
 * A script is used in order; once exhausted, its last entry repeats (an empty script answers
 * 200 `{}`). Pass a function instead to decide per request, after its body is read: `startFakeServer((req, i) => ({ status: 201, json: { sid: `SM${i}` } }))`.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Lower-cased header names. */
  headers: http.IncomingHttpHeaders;
  /** Raw body text ('' when the request was not read, e.g. `closeBeforeRead`). */
  body: string;
  /** The body parsed as JSON, or undefined. */
  json: unknown;
  /** performance.now() when the request's headers arrived: use for rate measurements. */
  startedAt: number;
  /** Date.now() at the same moment. */
  receivedAt: number;
  /** 1-based number of the TCP connection it came on. */
  connection: number;
  /** 0-based position among all requests. */
  index: number;
}

export interface FakeResponse {
  /** Default 200. */
  status?: number;
  /** Answered as application/json. */
  json?: unknown;
  /** Answered as is (when `json` is absent). */
  text?: string;
  headers?: Record<string, string>;
  /** Wait this long before acting (answering, resetting). */
  delayMs?: number;
  /** Read the whole request, then destroy the socket without answering. */
  reset?: boolean;
  /** Read the request and never answer (until close()). */
  hang?: boolean;
  /**
   * Destroy the socket as soon as the headers arrive, without reading the body (from a handler
   * function, which runs after the body is read, this is the same as `reset`).
   */
  closeBeforeRead?: boolean;
}

export type FakeHandler = (req: RecordedRequest, index: number) => FakeResponse | Promise<FakeResponse>;

export interface FakeServer {
  /** `http://127.0.0.1:PORT` */
  url: string;
  port: number;
  /** Every request so far, in arrival order (health reads apart: see `healthReads`). */
  requests: RecordedRequest[];
  /** The sender-health reads a send makes first (Cloud phone-number fields, Twilio account), kept out of `requests`. */
  healthReads: RecordedRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Resolves once `n` requests have arrived. */
  waitForRequests(n: number, timeoutMs?: number): Promise<void>;
  /** Destroys open connections (hanging requests included) and stops listening. */
  close(): Promise<void>;
}

/** A Cloud phone-number read or a Twilio account read: what the send's health pre-flight asks (issue 12). */
export function isHealthRead(method: string, url: string): boolean {
  return method === 'GET' && (/^\/[^?]*\?fields=[^&]*quality_rating/.test(url) || /^\/2010-04-01\/Accounts\/[^/]+\.json$/.test(url));
}

/** A healthy answer to either read: GREEN, CONNECTED, unlimited tier; an active Twilio account. */
export const HEALTHY: FakeResponse = {
  json: { quality_rating: 'GREEN', status: 'CONNECTED', messaging_limit_tier: 'TIER_UNLIMITED', throughput: { level: 'STANDARD' } },
};
const HEALTHY_TWILIO: FakeResponse = { json: { sid: 'AC00000000000000000000000000000000', status: 'active' } };

export interface FakeServerOptions {
  /**
   * How health reads are answered (default: healthy), apart from the script and from `requests`,
   * so that a test of sends sees only its sends.
   */
  health?: FakeResponse | ((req: RecordedRequest) => FakeResponse);
}

export async function startFakeServer(script: FakeHandler | FakeResponse[] = [], opts: FakeServerOptions = {}): Promise<FakeServer> {
  const healthReads: RecordedRequest[] = [];
  const scripted = (i: number): FakeResponse => (Array.isArray(script) ? script[Math.min(i, script.length - 1)] : undefined) ?? { json: {} };
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const connectionIds = new WeakMap<Socket, number>();
  const waiters: { n: number; resolve: () => void }[] = [];
  let connectionCount = 0;

  const notify = () => {
    for (const w of [...waiters]) {
      if (requests.length >= w.n) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (isHealthRead(req.method ?? '', req.url ?? '')) {
      for await (const _ of req);
      const record: RecordedRequest = {
        method: 'GET', url: req.url ?? '', headers: req.headers, body: '', json: undefined,
        startedAt: performance.now(), receivedAt: Date.now(), connection: connectionIds.get(req.socket) ?? 0, index: healthReads.length,
      };
      healthReads.push(record);
      const twilio = (req.url ?? '').startsWith('/2010-04-01/');
      const action = typeof opts.health === 'function' ? opts.health(record) : (opts.health ?? (twilio ? HEALTHY_TWILIO : HEALTHY));
      return answerWith(req, res, action);
    }
    const index = requests.length;
    const record: RecordedRequest = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: '',
      json: undefined,
      startedAt: performance.now(),
      receivedAt: Date.now(),
      connection: connectionIds.get(req.socket) ?? 0,
      index,
    };
    requests.push(record);
    // A script entry is known before the body is read; a handler sees the body first.
    if (Array.isArray(script) && scripted(index).closeBeforeRead) {
      notify();
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    record.body = Buffer.concat(chunks).toString('utf8');
    try {
      record.json = record.body ? JSON.parse(record.body) : undefined;
    } catch {
      record.json = undefined;
    }
    notify();
    const action = typeof script === 'function' ? await script(record, index) : scripted(index);
    if (action.closeBeforeRead) {
      req.socket.destroy();
      return;
    }
    return answerWith(req, res, action);
  };
  const answerWith = async (req: http.IncomingMessage, res: http.ServerResponse, action: FakeResponse) => {
    if (action.delayMs) await new Promise((r) => setTimeout(r, action.delayMs));
    if (action.hang) return;
    if (action.reset) {
      req.socket.destroy();
      return;
    }
    const isJson = action.json !== undefined;
    const text = isJson ? JSON.stringify(action.json) : (action.text ?? '');
    res.writeHead(action.status ?? 200, {
      ...(isJson ? { 'content-type': 'application/json' } : {}),
      'content-length': String(Buffer.byteLength(text)),
      ...action.headers,
    });
    res.end(text);
  };
  // A client that gives up mid-request makes reading fail: nothing left to answer then.
  const server = http.createServer((req, res) => void serve(req, res).catch(() => req.socket.destroy()));
  server.on('connection', (socket) => {
    connectionIds.set(socket, ++connectionCount);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    healthReads,
    connections: () => connectionCount,
    waitForRequests(n, timeoutMs = 5000) {
      if (requests.length >= n) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`expected ${n} requests, got ${requests.length}`)), timeoutMs);
        waiters.push({ n, resolve: () => (clearTimeout(timer), resolve()) });
      });
    },
    close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      return closed;
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (for ECONNREFUSED). */
export async function findClosedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

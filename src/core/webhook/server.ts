import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { relative } from 'node:path';
import { CampaignError, UsageError } from '../errors.js';
import type { JournalEvent } from '../journal/format.js';
import { JournalIndex, type JournalHit } from './journals.js';
import { isOptOutButton, isOptOutCode, isOptOutText } from './optout.js';
import { WEBHOOK_ROUTES, type WebhookItem, type WebhookRequest } from '../providers/index.js';
import { openStateStore } from '../store/state.js';

export interface WebhookServerOptions {
  host: string;
  port: number;
  /** `--journal FILE` values; empty → every `*.jsonl` journal in `cwd` and `cwd/.campaign/`. */
  journals: string[];
  /** Working directory: `.campaign/optouts.txt` goes here. */
  cwd: string;
  env: Record<string, string | undefined>;
  /** `--store`: opt-outs go to the shared store instead of the folder's files (store/state.ts). */
  store?: string;
  /** One line per notable event (opt-outs, unknown ids, rejected requests). Never a secret. */
  log: (line: string) => void;
  /** Request body limit, default 1 MB (→ 413). */
  maxBodyBytes?: number;
  /**
   * Limits against silent or stalled clients (each defaults to 20 s): the headers must arrive
   * within `headersTimeoutMs` of the connection, the whole request within `requestTimeoutMs`, and
   * a connection with no bytes moving for `idleTimeoutMs` is closed.
   */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  idleTimeoutMs?: number;
  /** Open connections at most (default 256); past it a new connection is closed at once. */
  maxConnections?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_CONNECTIONS = 256;

export interface WebhookServer {
  url: string;
  close(): Promise<void>;
}

/** Methods a route answers: POST for callbacks, GET too when the provider has a handshake. */
function routeMethods(path: string): string[] | undefined {
  const entry = WEBHOOK_ROUTES[path];
  return entry && (entry.route.handshake ? ['GET', 'POST'] : ['POST']);
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/**
 * `campaign webhook`: receives provider callbacks (contract "Webhook receiver"). Every POST is
 * verified against the raw bytes before anything is parsed; a request that fails verification
 * gets 401 (no signature) or 403 (bad signature, or the route's secret is not configured) and
 * changes no file. A verified callback gets 200 only once what it says is on disk in its journal
 * (500 when that fails, so the provider retries), and even when its message id is unknown, so
 * the provider does not retry it for days.
 */
export async function startWebhookServer(opts: WebhookServerOptions): Promise<WebhookServer> {
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  const store = await openStateStore({ store: opts.store }, opts.cwd, opts.env);
  const index = new JournalIndex({ journals: opts.journals, cwd: opts.cwd });
  await index.refresh();
  const warned = new Set<string>();
  const log = opts.log;
  const show = (path: string): string => relative(opts.cwd, path) || path;

  const secret = (name: string): string | undefined => {
    const v = opts.env[name];
    if (v) return v;
    if (!warned.has(name)) {
      warned.add(name);
      log(`${name} is not set: requests to this route are refused (403) until it is.`);
    }
    return undefined;
  };

  async function recordOptOut(number: string, source: string, at: string, hit?: JournalHit, contextId?: string): Promise<void> {
    const added = (await store.addOptOuts([number])).length > 0;
    const target = hit ?? (await index.findRecipient(number, contextId));
    if (target) await index.record(target.journal, { type: 'optout', to: target.to, at, source });
    log(`opt-out ${number} (${source})${added ? ` added to ${store.where}` : ` already in ${store.where}`}${target ? `, noted in ${show(target.journal)}` : ''}`);
  }

  async function handleItems(items: WebhookItem[]): Promise<void> {
    for (const item of items) {
      if (item.kind === 'status') {
        const hit = await index.findForStatus(item);
        if (!hit) {
          log(`${item.provider}: status ${item.status} for message ${item.id} to ${item.to}: no journal holds it; ignored.`);
        } else {
          // `at` is when we learnt it (journal lines stay in order); the provider's time is kept too.
          const ev: Extract<JournalEvent, { type: 'status' }> = { type: 'status', to: hit.to, id: item.id, status: item.status, at: new Date().toISOString(), provider_at: item.at };
          if (item.code !== undefined) ev.code = item.code;
          // Once per message id and status, however many copies arrive at once; resolves when on disk.
          await index.record(hit.journal, ev);
        }
        if (isOptOutCode(item.code)) await recordOptOut(hit?.to ?? item.to, `error ${item.code}`, new Date().toISOString(), hit);
      } else if (item.kind === 'inbound') {
        const button = item.buttonPayload !== undefined;
        if (button ? isOptOutButton(item.buttonPayload, item.text) : isOptOutText(item.text)) {
          await recordOptOut(item.from, button ? 'button' : 'keyword', new Date().toISOString(), undefined, item.contextId);
        }
      } else {
        await recordOptOut(item.from, item.source, new Date().toISOString());
      }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
    const entry = WEBHOOK_ROUTES[path];
    const methods = routeMethods(path);
    if (!entry || !methods) throw new HttpError(404, '');
    if (!methods.includes(req.method ?? '')) {
      res.setHeader('Allow', methods.join(', '));
      throw new HttpError(405, '');
    }
    const { provider, route } = entry;
    const received = new Date().toISOString();

    if (req.method === 'GET' && route.handshake) {
      const token = secret(route.handshake.secretVar);
      const answer = token ? route.handshake.answer(url.searchParams, token) : undefined;
      if (!answer?.ok) throw new HttpError(403, answer?.reason ?? `${provider}: refused a subscription handshake (${route.handshake.secretVar} is not set).`);
      log(`${provider}: subscription handshake accepted.`);
      send(res, 200, answer.body, 'text/plain; charset=utf-8');
      return;
    }

    const raw = await readBody(req, maxBody);
    const key = secret(route.secretVar);
    if (!key) throw new HttpError(403, '');
    const request: WebhookRequest = { raw, header: (name) => header(req, name), url, env: opts.env };
    const verdict = route.verify(request, key);
    if (!verdict.ok) throw new HttpError(verdict.status, verdict.reason);
    const items = route.parse(request, received);
    if (!items) throw new HttpError(400, `${provider}: a signed request whose body is not valid JSON was refused (400).`);
    await handleItems(items);
    send(res, 200, route.reply?.body ?? '', route.reply?.contentType ?? 'text/plain; charset=utf-8');
  }

  const requestTimeout = opts.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Node refuses a headers timeout above the request timeout.
  const headersTimeout = Math.min(opts.headersTimeoutMs ?? DEFAULT_TIMEOUT_MS, requestTimeout);
  const idleTimeout = opts.idleTimeoutMs ?? DEFAULT_TIMEOUT_MS;
  const server = createServer({
    requestTimeout,
    headersTimeout,
    keepAliveTimeout: Math.min(5_000, idleTimeout),
    // Node enforces the two timeouts above only when it sweeps its connections (default every
    // 30 s, which would let a stalled client hold a descriptor for 50 s).
    connectionsCheckingInterval: Math.max(50, Math.min(1_000, Math.floor(headersTimeout / 4))),
  }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.message) log(err.message);
        if (!res.headersSent) send(res, err.status, err.status === 413 ? 'payload too large' : '', 'text/plain; charset=utf-8');
        // Past the limit: let Node discard what is left of the body, but not forever.
        if (err.status === 413) discard(req, maxBody * 16);
        return;
      }
      // A journal or opt-out file could not be written: 500 makes the provider retry later.
      log(`webhook: could not record a callback: ${(err as Error).message}`);
      if (!res.headersSent) send(res, 500, '', 'text/plain; charset=utf-8');
    });
  });
  // No bytes either way for this long (a client that connects and says nothing): closed. With
  // no 'timeout' listener on the server, Node destroys the socket.
  server.timeout = idleTimeout;
  server.maxConnections = opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  let lastDropLog = 0;
  server.on('drop', () => {
    // Once a minute at most: a flood must not flood the log too.
    if (Date.now() - lastDropLog < 60_000) return;
    lastDropLog = Date.now();
    log(`webhook: ${server.maxConnections} connections at once; closing new ones until some end.`);
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new UsageError(`Port ${opts.port} on ${opts.host} is already in use.`, { hint: 'Pick another with --port (0 picks a free one).' }));
      else if (err.code === 'EACCES') reject(new UsageError(`Not allowed to listen on ${opts.host}:${opts.port}.`, { hint: 'Use a port above 1024 with --port.' }));
      else reject(new CampaignError(`Cannot listen on ${opts.host}:${opts.port}: ${err.message}`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts.port, opts.host);
  });
  server.on('error', (err) => log(`webhook: server error: ${err.message}`));

  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' || addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${host}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    return Promise.reject(new HttpError(413, `webhook: refused a ${declared}-byte body (limit ${limit}).`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        done = true;
        req.off('data', onData);
        reject(new HttpError(413, `webhook: refused a body over ${limit} bytes.`));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      if (!done) resolve(Buffer.concat(chunks));
    });
    req.once('error', (err) => {
      if (!done) reject(err);
    });
  });
}

/** Reads and drops the rest of a refused body, then cuts the connection if it goes on too long. */
function discard(req: IncomingMessage, max: number): void {
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > max) req.socket.destroy();
  });
  req.resume();
}

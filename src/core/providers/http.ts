import http from 'node:http';
import https from 'node:https';

export interface HttpClientOptions {
  /** Whole-request budget: connect, write, and read the full response. Default 30 s. */
  timeoutMs?: number;
  /** Sockets per origin (keep-alive). Default 10. */
  concurrency?: number;
  userAgent?: string;
  /** Values that must never appear in a message: tokens, passwords, derived Basic credentials. */
  secrets?: string[];
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** Sent as application/json. */
  json?: unknown;
  /** Sent as application/x-www-form-urlencoded, in insertion order. */
  form?: Record<string, string>;
  /** Sent as is (a multipart upload), with its own content type. */
  raw?: { body: Buffer; contentType: string };
  signal?: AbortSignal;
  onWritten?: () => void;
  /**
   * The request may take its socket at once but its bytes go only when this resolves (an early
   * grant's hold: the rate gate's due time). Never rejects.
   */
  notBefore?: Promise<void>;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** Parsed body, or undefined when it is not JSON. */
  json: unknown;
}

/**
 * A response of any status, or a transport failure. `retry` means the request never fully
 * reached the socket; `unknown` means it did and no complete answer came back.
 */
export type PostOutcome =
  | { ok: true; response: HttpResponse }
  | { ok: false; class: 'retry' | 'unknown'; code: string; message: string; written: boolean; status?: number };

export interface HttpClient {
  post(url: string, opts: PostOptions): Promise<PostOutcome>;
  /** Redacts this client's secrets and any credential-looking text. */
  redact(text: string): string;
  close(): void;
}

const MAX_BODY_BYTES = 1024 * 1024;
export { redact } from '../redact.js';
import { redact } from '../redact.js';

/** The value of an `Authorization: Basic` header. */
export function formatBasicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

export function createHttpClient(opts: HttpClientOptions = {}): HttpClient {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const maxSockets = Math.max(1, opts.concurrency ?? 10);
  const secrets = (opts.secrets ?? []).filter(Boolean);
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets }),
  };
  const clean = (text: string) => redact(text, secrets).replace(/\s+/g, ' ').trim();

  // A sender posts to one URL thousands of times: parse it once.
  let lastUrl = '';
  let lastTarget: URL | undefined;
  function post(url: string, postOpts: PostOptions): Promise<PostOutcome> {
    if (url !== lastUrl || !lastTarget) {
      lastTarget = new URL(url);
      lastUrl = url;
    }
    const target = lastTarget;
    const agent = target.protocol === 'http:' ? agents['http:'] : target.protocol === 'https:' ? agents['https:'] : undefined;
    if (!agent) {
      return Promise.resolve({ ok: false, class: 'retry', code: 'EPROTO', message: `unsupported URL scheme ${target.protocol}`, written: false });
    }
    const { body, contentType } = encodeBody(postOpts);
    // Assigned rather than spread (once per request): the same keys in the same order.
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) };
    if (opts.userAgent) headers['user-agent'] = opts.userAgent;
    const extra = postOpts.headers;
    if (extra) for (const k of Object.keys(extra)) headers[k] = extra[k];
    const signal = postOpts.signal;
    if (signal?.aborted) {
      return Promise.resolve({ ok: false, class: 'retry', code: 'ABORTED', message: 'aborted before the request was sent', written: false });
    }

    return new Promise<PostOutcome>((resolve) => {
      let written = false;
      let settled = false;
      let status: number | undefined;
      const where = target.host;
      // The rate gate's stamp (see 'finish' below), given once.
      let signalled = false;
      const signalWritten = () => {
        if (signalled) return;
        signalled = true;
        postOpts.onWritten?.();
      };

      const settle = (outcome: PostOutcome) => {
        if (settled) return;
        settled = true;
        // An answer before 'finish' (a server that replies before reading the body) also means it has the request.
        if (written || status !== undefined) signalWritten();
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(outcome);
      };
      const fail = (code: string, detail: string) => {
        const message = written
          ? `${code}: no complete response from ${where} after the request was sent (${detail}); the provider may have accepted it`
          : `${code}: request to ${where} was not sent (${detail})`;
        settle({ ok: false, class: written ? 'unknown' : 'retry', code, message: clean(message), written, status });
      };

      const req = (target.protocol === 'https:' ? https : http).request(target, { method: 'POST', agent, headers });
      const timer = setTimeout(() => {
        fail('ETIMEDOUT', `no answer within ${timeoutMs} ms`);
        req.destroy();
      }, timeoutMs);
      const onAbort = () => {
        fail('ABORTED', 'aborted');
        req.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });

      // 'finish' fires once the last byte is handed to the socket: from then on the provider
      // may act on the request, so a failure can no longer be replayed safely.
      // For the rate gate's stamp: on a reused keep-alive socket the provider reads the request
      // at once, but a new connection's first request can sit in the provider's accept and
      // parse queue for tens of ms (seen at a local server: a first burst of 20 new connections
      // read 15 ms later than the same requests a second later on warm sockets, 59 in a window
      // at --rate 50). The provider has surely read it by the time it answers, so that request
      // is stamped then: exact at the provider, and it costs only the first window.
      req.on('finish', () => {
        written = true;
        if (req.reusedSocket) signalWritten();
      });
      req.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'EIO', err.message));
      req.on('response', (res) => {
        status = res.statusCode;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) {
            fail('EBODYTOOLARGE', `response body over ${MAX_BODY_BYTES} bytes`);
            req.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err: NodeJS.ErrnoException) => fail(err.code ?? 'EIO', err.message));
        res.on('aborted', () => fail('ECONNRESET', 'response cut short'));
        res.on('end', () => {
          if (!res.complete) return fail('ECONNRESET', 'response cut short');
          const text = Buffer.concat(chunks).toString('utf8');
          settle({ ok: true, response: { status: res.statusCode ?? 0, headers: res.headers, text, json: parseJson(text) } });
        });
      });
      // The request is written once it has its socket (the agent gives one a tick later, or when
      // one frees) and any hold is over (notBefore), so that the whole of it goes in one write.
      // When the kernel took all of it at once on a reused socket (nothing left in the socket's
      // buffer), the provider has it now: it is stamped here, since 'finish' comes a turn of the
      // event loop later (~1 ms on a busy loop) and that would add to every window's cycle.
      const write = () => {
        if (settled) return;
        req.end(body);
        const socket = req.socket;
        // A destroyed socket (reset by the peer, its 'error' not yet emitted) takes nothing: end() dropped it.
        if (!settled && req.reusedSocket && socket && !socket.destroyed && !socket.connecting && socket.writableLength === 0) {
          written = true;
          signalWritten();
        }
      };
      const whenSocket = () => (req.socket ? write() : req.once('socket', write));
      if (postOpts.notBefore) void postOpts.notBefore.then(whenSocket);
      else whenSocket();
    });
  }

  return {
    post,
    redact: clean,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

function encodeBody(opts: PostOptions): { body: string | Buffer; contentType: string } {
  if (opts.raw) return opts.raw;
  if (opts.form) return { body: new URLSearchParams(opts.form).toString(), contentType: 'application/x-www-form-urlencoded' };
  return { body: JSON.stringify(opts.json ?? {}), contentType: 'application/json' };
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

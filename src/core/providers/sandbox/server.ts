import { randomBytes } from 'node:crypto';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import http from 'node:http';
import type { Socket } from 'node:net';
import { dirname } from 'node:path';
import { UsageError } from '../../errors.js';
import { CLOUD_CODES, CLOUD_TITLE, cloudCodeKey } from '../cloud/codes.js';
import { describeCode } from '../codes.js';
import { isRecord } from '../common.js';
import type { SandboxFaults } from '../types.js';
import { parseCallbackFault } from './callbacks.js';

/**
 * A fault is `reset` (connection dropped after the request was read, nothing recorded),
 * `drop` (message recorded in the outbox, then the connection dropped: accepted but the answer
 * lost), `hang` (never answers), an HTTP status 400–599 (mapped to the matching Meta code), or
 * any other number, taken as a Meta error code.
 */
export type SandboxFault = string;
export type { SandboxFaults };

export interface SandboxServer {
  /** `http://127.0.0.1:PORT`; the API lives under `/v23.0` (any version works). */
  url: string;
  close(): Promise<void>;
  /** Requests received on the messages route, faulted or not. */
  received(): number;
  /** Files accepted on the media route (`POST /{Version}/{Phone-Number-ID}/media`). */
  uploads(): number;
}

const NAMED_FAULTS = new Set(['reset', 'drop', 'hang']);

/** Parses `429=0.05,500=0.02,reset=0.01,latency=20,131048@50,seed=7`. */
export function parseSandboxFaults(spec: string | undefined): SandboxFaults {
  const faults: SandboxFaults = { latencyMs: 0, rates: [], at: new Map() };
  for (const item of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const health = /^(quality|status|tier|health)=(.+)$/i.exec(item);
    if (health) {
      faults.health = { ...faults.health, ...parseHealthFault(health[1].toLowerCase(), health[2].trim().toLowerCase(), item) };
      continue;
    }
    if (parseCallbackFault(item, faults)) continue;
    const at = /^([a-z]+|\d+)@(\d+)$/i.exec(item);
    const rate = /^([a-z]+|\d+)=(\d+(?:\.\d+)?)$/i.exec(item);
    const bad = (why: string) => new UsageError(`Invalid sandbox fault "${item}": ${why}.`, {
      hint: 'Use e.g. 429=0.05,500=0.02,reset=0.01,latency=20,131048@50 (health: quality=red, status=flagged, tier=250, health=fail).',
    });
    if (at) {
      const fault = at[1].toLowerCase();
      if (!isFault(fault)) throw bad(`unknown fault "${at[1]}"`);
      const n = Number(at[2]);
      if (n < 1) throw bad('request numbers start at 1');
      faults.at.set(n, fault);
    } else if (rate) {
      const key = rate[1].toLowerCase();
      const value = Number(rate[2]);
      if (key === 'latency') faults.latencyMs = value;
      else if (key === 'seed') faults.seed = Math.trunc(value);
      else if (!isFault(key)) throw bad(`unknown fault "${rate[1]}"`);
      else if (value > 1) throw bad('a rate is a probability between 0 and 1');
      else faults.rates.push({ fault: key, probability: value });
    } else {
      throw bad('expected FAULT=probability, FAULT@request, latency=ms, seed=n or a callback key (undeliverable=, baja=, read=, callbacks=off, callback-delay=ms)');
    }
  }
  const total = faults.rates.reduce((sum, r) => sum + r.probability, 0);
  if (total > 1) throw new UsageError(`Sandbox fault rates add up to ${total}, more than 1.`);
  return faults;
}

const HEALTH_FAULTS: Record<string, readonly string[]> = {
  quality: ['green', 'yellow', 'red', 'unknown'],
  status: ['connected', 'flagged', 'restricted', 'banned', 'pending', 'unknown'],
  tier: ['50', '250', '1k', '2k', '10k', '100k', 'unlimited'],
  health: ['fail'],
};

/** `quality=red`, `status=flagged`, `tier=250`, `health=fail`: what the sandbox's health read answers. */
function parseHealthFault(key: string, value: string, item: string): NonNullable<SandboxFaults['health']> {
  if (!HEALTH_FAULTS[key].includes(value)) {
    throw new UsageError(`Invalid sandbox fault "${item}": ${key} is one of ${HEALTH_FAULTS[key].join(', ')}.`, {
      hint: 'Use e.g. quality=red, quality=yellow, status=flagged, tier=250 or health=fail.',
    });
  }
  if (key === 'health') return { fail: true };
  return { [key]: key === 'tier' ? `TIER_${value.toUpperCase()}` : value.toUpperCase() };
}

/** The phone-number object the health read gets: healthy unless a health fault says otherwise. */
export function sandboxHealthAnswer(faults: SandboxFaults): Record<string, unknown> {
  const h = faults.health ?? {};
  const tier = h.tier ?? 'TIER_UNLIMITED';
  return {
    id: 'SANDBOX',
    quality_rating: h.quality ?? 'GREEN',
    status: h.status ?? 'CONNECTED',
    name_status: 'APPROVED',
    messaging_limit_tier: tier,
    whatsapp_business_manager_messaging_limit: { current_limit: tier },
    throughput: { level: 'STANDARD' },
  };
}

function isFault(key: string): boolean {
  return NAMED_FAULTS.has(key) || /^\d+$/.test(key);
}

/** Meta error code and HTTP status for a fault given as a number. */
function toMetaError(fault: string): { code: number; status: number } {
  const n = Number(fault);
  if (n >= 400 && n <= 599) {
    const byStatus: Record<number, number> = { 400: 100, 401: 190, 403: 10, 429: 130429, 500: 131000, 502: 2, 503: 131016, 504: 2 };
    return { code: byStatus[n] ?? (n >= 500 ? 1 : 100), status: n };
  }
  // HTTP statuses per providers.md §1.4 ("401 for 0/190; 403 for 10/200-299/368/131031; ...").
  if (n === 0 || n === 190) return { code: n, status: 401 };
  if (n === 10 || (n >= 200 && n <= 299) || n === 368 || n === 131031) return { code: n, status: 403 };
  if (n === 1 || n === 2 || n === 131000) return { code: n, status: 500 };
  if (n === 131016) return { code: n, status: 503 };
  if (n === 130429) return { code: n, status: 429 };
  return { code: n, status: 400 };
}

function createRandom(seed: number | undefined): () => number {
  if (seed === undefined) return Math.random;
  let state = seed >>> 0;
  // mulberry32: small, fast, good enough for fault injection.
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Why the body is not a text or template message the Cloud API would take, or undefined. */
export function checkCloudMessage(body: unknown): string | undefined {
  if (!isRecord(body)) return 'body is not a JSON object';
  if (body.messaging_product !== 'whatsapp') return 'messaging_product must be "whatsapp"';
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual') return 'recipient_type must be "individual"';
  if (typeof body.to !== 'string' || !/^\+?\d{6,15}$/.test(body.to)) return 'to must be a phone number';
  if (body.biz_opaque_callback_data !== undefined && (typeof body.biz_opaque_callback_data !== 'string' || body.biz_opaque_callback_data.length > 512)) {
    return 'biz_opaque_callback_data must be a string of at most 512 characters';
  }
  if (body.type === 'text') {
    const text = body.text;
    if (!isRecord(text) || typeof text.body !== 'string' || text.body === '') return 'text.body is required';
    if (text.body.length > 4096) return 'text.body is longer than 4096 characters';
    return undefined;
  }
  if (body.type === 'template') {
    const t = body.template;
    if (!isRecord(t) || typeof t.name !== 'string' || !t.name) return 'template.name is required';
    if (!isRecord(t.language) || typeof t.language.code !== 'string' || !t.language.code) return 'template.language.code is required';
    if (t.components === undefined) return undefined;
    if (!Array.isArray(t.components)) return 'template.components must be an array';
    for (const c of t.components) {
      if (!isRecord(c) || !['header', 'body', 'button'].includes(String(c.type))) return 'component type must be header, body or button';
      if (!Array.isArray(c.parameters) || c.parameters.some((p) => !isRecord(p) || typeof p.type !== 'string')) {
        return `${String(c.type)} component needs a parameters array of typed objects`;
      }
      if (c.type === 'button' && (typeof c.sub_type !== 'string' || typeof c.index !== 'string' || !/^\d$/.test(c.index))) {
        return 'button component needs sub_type and a string index "0".."9"';
      }
    }
    return undefined;
  }
  return `type ${JSON.stringify(body.type)} is not a text or template message`;
}

/** Why a media upload is not what `POST /media` takes (multipart: messaging_product=whatsapp, type, file), or undefined. */
export function checkMediaUpload(contentType: string | undefined, body: Buffer): string | undefined {
  const boundary = /^multipart\/form-data;.*boundary=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2];
  if (!boundary) return 'the upload must be multipart/form-data';
  const fields = new Map<string, { filename?: string; value: Buffer }>();
  const sep = Buffer.from(`--${boundary}`);
  let at = body.indexOf(sep);
  while (at !== -1) {
    const start = at + sep.length;
    const next = body.indexOf(sep, start);
    if (next === -1) break;
    const part = body.subarray(start, next);
    const headEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headEnd).toString('utf8');
    const name = /name="([^"]*)"/.exec(head)?.[1];
    // The value ends before the CRLF that precedes the next boundary.
    if (name && headEnd !== -1) fields.set(name, { filename: /filename="([^"]*)"/.exec(head)?.[1], value: part.subarray(headEnd + 4, part.length - 2) });
    at = next;
  }
  if (fields.get('messaging_product')?.value.toString() !== 'whatsapp') return 'messaging_product must be "whatsapp"';
  if (!fields.get('type')?.value.length) return 'type (the MIME type) is required';
  const file = fields.get('file');
  if (!file || file.filename === undefined || file.value.length === 0) return 'file is required';
  return undefined;
}

/**
 * A Cloud-API-compatible server on 127.0.0.1 that writes every accepted message to `outbox`.
 * Without an outbox (the health read of `campaign account`) it writes nothing anywhere.
 */
export async function startSandbox(opts: {
  outbox?: string;
  faults?: SandboxFaults;
  port?: number;
  /** The template its template list answers (the folder's, for `campaign account`). */
  template?: { name: string; language: string; category?: string };
  /** Each message it accepts (dropped answers too: the provider has it): the callbacks start from here. */
  onAccepted?: (m: { id: string; to: string; correlation?: string }) => void;
}): Promise<SandboxServer> {
  const faults = opts.faults ?? parseSandboxFaults('');
  const random = createRandom(faults.seed);
  if (opts.outbox) await mkdir(dirname(opts.outbox), { recursive: true });
  const outbox: FileHandle | undefined = opts.outbox ? await open(opts.outbox, 'a') : undefined;
  const sockets = new Set<Socket>();
  let received = 0;
  let accepted = 0;
  let uploaded = 0;
  const runId = randomBytes(4).toString('hex');

  const pickFault = (n: number): string | undefined => {
    const fixed = faults.at.get(n);
    if (fixed) return fixed;
    const roll = random();
    let edge = 0;
    for (const { fault, probability } of faults.rates) {
      edge += probability;
      if (roll < edge) return fault;
    }
    return undefined;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void handle(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const answer = (res: http.ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
  const answerError = (res: http.ServerResponse, code: number, status: number, detail: string) =>
    answer(res, status, {
      error: {
        message: `(#${code}) ${detail}`,
        type: 'OAuthException',
        code,
        error_data: { messaging_product: 'whatsapp', details: detail },
        fbtrace_id: `SANDBOX${randomBytes(6).toString('hex')}`,
      },
    });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer): Promise<void> {
    if (req.method === 'POST' && /^\/[^/]+\/[^/]+\/media\/?(?:\?.*)?$/.test(req.url ?? '')) return handleUpload(req, res, bytes);
    if (req.method === 'GET') return handleRead(req, res);
    const raw = bytes.toString('utf8');
    const route = /^\/[^/]+\/[^/]+\/messages\/?(?:\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !route) return answerError(res, 100, 404, `Unknown path ${req.method} ${req.url}`);
    const n = ++received;
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) return answerError(res, 190, 401, 'Missing or malformed access token');
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return answerError(res, 100, 400, 'Invalid parameter: body is not JSON');
    }
    const problem = checkCloudMessage(body);
    if (problem) return answerError(res, 100, 400, `Invalid parameter: ${problem}`);
    const message = body as Record<string, unknown>;

    const fault = pickFault(n);
    if (fault === 'hang') return;
    if (fault === 'reset') return void req.socket.destroy();
    if (fault && fault !== 'drop') {
      const { code, status } = toMetaError(fault);
      return answerError(res, code, status, describeCode(CLOUD_CODES[cloudCodeKey(String(code))], CLOUD_TITLE, String(code)));
    }

    const id = `wamid.SANDBOX${runId}${String(++accepted).padStart(6, '0')}`;
    const to = String(message.to);
    const line = {
      at: new Date().toISOString(),
      id,
      to: `+${to.replace(/^\+/, '')}`,
      type: message.type,
      ...(isRecord(message.text) ? { text: message.text.body } : {}),
      ...(isRecord(message.template) ? { template: message.template.name } : {}),
      correlation: message.biz_opaque_callback_data,
      request: message,
    };
    await outbox?.appendFile(`${JSON.stringify(line)}\n`);
    opts.onAccepted?.({ id, to: line.to, ...(typeof message.biz_opaque_callback_data === 'string' ? { correlation: message.biz_opaque_callback_data } : {}) });
    if (fault === 'drop') return void req.socket.destroy();
    answer(res, 200, {
      messaging_product: 'whatsapp',
      contacts: [{ input: to, wa_id: to.replace(/^\+/, '') }],
      messages: [{ id, message_status: 'accepted' }],
    });
  }

  /** The health read (`GET /{Version}/{Phone-Number-ID}?fields=…`) and the template list (`GET /{Version}/{WABA}/message_templates`). */
  function handleRead(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) return answerError(res, 190, 401, 'Missing or malformed access token');
    if (/^\/[^/]+\/[^/]+\/message_templates\/?$/.test(url.pathname)) {
      const t = opts.template ?? { name: 'my_campaign', language: 'es', category: 'marketing' };
      return answer(res, 200, { data: [{ name: t.name, language: t.language, category: (t.category ?? 'marketing').toUpperCase(), status: 'APPROVED', quality_score: { score: faults.health?.quality ?? 'GREEN' } }] });
    }
    if (!/^\/[^/]+\/[^/]+\/?$/.test(url.pathname)) return answerError(res, 100, 404, `Unknown path GET ${url.pathname}`);
    if (faults.health?.fail) return answerError(res, 10, 403, 'Application does not have permission for this action');
    answer(res, 200, sandboxHealthAnswer(faults));
  }

  /** The media upload (providers.md §1.11): multipart with messaging_product, type and a file part. */
  function handleUpload(req: http.IncomingMessage, res: http.ServerResponse, bytes: Buffer): void {
    if (!/^Bearer\s+\S+/i.test(req.headers.authorization ?? '')) return answerError(res, 190, 401, 'Missing or malformed access token');
    const problem = checkMediaUpload(req.headers['content-type'], bytes);
    if (problem) return answerError(res, 100, 400, `Invalid parameter: ${problem}`);
    answer(res, 200, { id: `${Date.now()}${String(++uploaded).padStart(4, '0')}` });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    uploads: () => uploaded,
    close() {
      closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await stopped;
        await outbox?.close();
      })();
      return closing;
    },
  };
}

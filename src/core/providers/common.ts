import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { classifyStatus, parseRetryAfter } from './codes.js';
import { createHttpClient, type HttpResponse, type PostOutcome } from './http.js';
import type { Classification, OutboundMessage, Provider, ProviderEnv, ProviderName, ProviderOptions, SendContext, SendResult } from './types.js';

const MAX_MESSAGE_CHARS = 300;

/** Names, never values, of the missing variables. */
export function requireEnv<K extends string>(provider: string, env: ProviderEnv, names: readonly K[]): Record<K, string> {
  const missing = names.filter((n) => !env[n]?.trim());
  if (missing.length > 0) {
    throw new UsageError(
      `The ${provider} provider needs ${missing.length === 1 ? 'the environment variable' : 'the environment variables'} ${missing.join(', ')}.`,
      { hint: 'Set them in the environment or in a .env file in the working directory.' },
    );
  }
  return Object.fromEntries(names.map((n) => [n, env[n]!.trim()])) as Record<K, string>;
}

/** The values of those of `names` that are set: what redaction must scrub. */
export function secretValues(env: ProviderEnv, names: readonly string[]): string[] {
  return names.map((n) => env[n]?.trim()).filter((v): v is string => !!v);
}

/** The base URL from `name`, or the default; a bad value is a usage error naming the variable. */
export function readBaseUrl(env: ProviderEnv, name: string, fallback: string): string {
  const raw = env[name]?.trim() || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${name} is not a valid URL.`, { hint: 'Use a base such as https://host or http://127.0.0.1:PORT.' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`${name} must be an http or https URL.`);
  }
  return raw.replace(/\/+$/, '');
}

let cachedVersion: string | undefined;

/** `campaign/x.y.z`, the `name/x.y.z` form Meta's spec asks for. */
export function defaultUserAgent(): string {
  if (!cachedVersion) {
    try {
      // Same relative path from src/core/providers and dist/core/providers.
      const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
      cachedVersion = /^\d+\.\d+\.\d+/.exec(pkg.version ?? '')?.[0] ?? '0.0.0';
    } catch {
      cachedVersion = '0.0.0';
    }
  }
  return `campaign/${cachedVersion}`;
}

/** E.164 without the `+`, as Cloud and Vonage want it. */
export function toDigits(phone: string): string {
  return phone.replace(/\D/g, '');
}

/** A transport failure, already redacted by the HTTP client. */
export function fromTransportFailure(outcome: Extract<PostOutcome, { ok: false }>): SendResult {
  return { ok: false, class: outcome.class, code: outcome.code, message: outcome.message, ...(outcome.status ? { status: outcome.status } : {}) };
}

/** A 2xx without the id the provider promises: it may well have accepted the message. */
export function fromMissingId(response: HttpResponse, provider: string): SendResult {
  return {
    ok: false,
    class: 'unknown',
    code: 'BAD_RESPONSE',
    status: response.status,
    message: `${provider} answered HTTP ${response.status} without a message id; the message may have been accepted`,
  };
}

export function fromProviderError(args: {
  code: string | undefined;
  classification: Classification | undefined;
  response: HttpResponse;
  message: string;
  redact: (text: string) => string;
}): SendResult {
  const { response } = args;
  const classification = args.classification ?? classifyStatus(response.status);
  const retryAfterMs = parseRetryAfter(response.headers['retry-after']) ?? classification.retryAfterMs;
  const message = args.redact(args.message || `HTTP ${response.status}`);
  return {
    ok: false,
    class: classification.class,
    code: args.code ?? String(response.status),
    status: response.status,
    message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    ...(classification.throttle ? { throttle: true } : {}),
  };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A code as a string, from a number or a string; undefined otherwise. */
export function readCode(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  return undefined;
}

/** What differs between providers; the request/response cycle around it is the same for all. */
export interface ProviderSpec {
  name: ProviderName;
  /** For messages: "the Cloud API", "Twilio", "Vonage". */
  label: string;
  url: string;
  authorization: string;
  /** Values to scrub from every message (tokens, secrets, the encoded Basic credentials). */
  secrets: string[];
  opts: ProviderOptions;
  body(msg: OutboundMessage): { json: unknown } | { form: Record<string, string> };
  /** The message id from a 2xx body. */
  idOf(body: Record<string, unknown>): string | undefined;
  /** Code, classification and a one-line message from an error body. */
  errorOf(body: Record<string, unknown>, response: HttpResponse, msg: OutboundMessage): { code: string | undefined; classification?: Classification; message: string };
}

export function createProviderFrom(spec: ProviderSpec): Provider {
  const client = createHttpClient({
    timeoutMs: spec.opts.timeoutMs,
    concurrency: spec.opts.concurrency,
    userAgent: spec.opts.userAgent ?? defaultUserAgent(),
    secrets: spec.secrets,
  });

  async function send(msg: OutboundMessage, ctx: SendContext = {}): Promise<SendResult> {
    const outcome = await client.post(spec.url, {
      headers: { authorization: spec.authorization },
      ...spec.body(msg),
      signal: ctx.signal,
      onWritten: ctx.onRequestWritten,
      notBefore: ctx.notBefore,
    });
    if (!outcome.ok) return fromTransportFailure(outcome);
    const { response } = outcome;
    const body = isRecord(response.json) ? response.json : {};
    if (response.status >= 200 && response.status < 300) {
      const id = spec.idOf(body);
      return id ? { ok: true, id } : fromMissingId(response, spec.label);
    }
    const error = spec.errorOf(body, response, msg);
    return fromProviderError({ ...error, classification: error.classification, response, redact: client.redact });
  }

  return {
    name: spec.name,
    writesAtDue: true,
    send,
    async close() {
      client.close();
    },
  };
}

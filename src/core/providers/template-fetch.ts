import http from 'node:http';
import https from 'node:https';
import { CampaignError, UsageError } from '../errors.js';
import { redact } from './http.js';
import type { ApprovedTemplate, FetchOptions, ProviderEnv } from './types.js';

/**
 * The provider-neutral half of `lint --check-template`: one GET with a timeout, errors that name
 * what to fix and never a secret, and the readers of template text. The fetchers themselves live
 * in the providers' folders (cloud/templates.ts, twilio/templates.ts).
 */

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

export function need(env: ProviderEnv, name: string, what: string): string {
  const v = env[name];
  if (!v) throw new UsageError(`${name} is not set: it is ${what}.`, { hint: `Set ${name} in the environment or in .env.` });
  return v;
}

export interface Got {
  status: number;
  json: unknown;
  /** The provider's own one-line error text, secrets removed. */
  detail: string;
}

/** Redirects a read follows (Graph answers none; a proxy in front of it may). */
const MAX_REDIRECTS = 5;
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * One GET with node:http, as the sends go: global fetch would load and compile its own HTTP
 * client (~40 ms of CPU on the main thread) before every send's health read.
 */
export async function get(url: string, shown: string, headers: Record<string, string>, opts: FetchOptions, secrets: string[]): Promise<Got> {
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: { status: number; text: string };
  try {
    res = await getText(new URL(url), headers, signal, MAX_REDIRECTS);
  } catch (err) {
    const e = err as Error & { code?: string };
    const why = signal.aborted && timeout.aborted ? 'timed out' : (e.code ?? e.message);
    throw new CampaignError(`Could not reach ${shown}: ${redact(String(why), secrets)}.`, {
      exitCode: 2,
      hint: 'Check the network and the *_API_URL settings.',
    });
  }
  let json: unknown = null;
  try {
    json = res.text ? JSON.parse(res.text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, detail: redact(errorDetail(json), secrets) };
}

function getText(url: URL, headers: Record<string, string>, signal: AbortSignal, redirects: number): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!lib) return reject(Object.assign(new Error(`not an http(s) URL`), { code: 'unsupported protocol' }));
    const req = lib.get(url, { headers, signal }, (res) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location && redirects > 0) {
        res.resume();
        const next = new URL(location, url);
        // Credentials go to the origin they were given for, not to wherever it redirects (as fetch does).
        const kept = next.origin === url.origin ? headers : Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
        getText(next, kept, signal, redirects - 1).then(resolve, reject);
        return;
      }
      const parts: Buffer[] = [];
      let size = 0;
      res.on('data', (b: Buffer) => {
        // A body this large is no answer of a provider's: what was read is enough to name the error.
        if ((size += b.length) <= MAX_BODY_BYTES) parts.push(b);
      });
      res.on('end', () => resolve({ status, text: Buffer.concat(parts).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function errorDetail(json: unknown): string {
  if (!json || typeof json !== 'object') return '';
  const j = json as { error?: { message?: unknown; code?: unknown }; message?: unknown; code?: unknown };
  const msg = typeof j.error?.message === 'string' ? j.error.message : typeof j.message === 'string' ? j.message : '';
  const code = j.error?.code ?? j.code;
  return `${msg}${code !== undefined && !msg.includes(String(code)) ? ` (code ${String(code)})` : ''}`.replace(/\s+/g, ' ').trim().slice(0, 200);
}

export function httpError(who: string, res: Got, shown: string): CampaignError {
  return new CampaignError(`${who} answered HTTP ${res.status} for ${shown}${res.detail ? `: ${res.detail}` : ''}.`, {
    exitCode: 2,
    hint: 'Try again later; if it persists, check the provider settings.',
  });
}

export function placeholders(text: string): string[] {
  const seen: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!seen.includes(m[1])) seen.push(m[1]);
  return seen;
}

export function hasPlaceholder(text: string): boolean {
  return /\{\{\s*[^{}\s]+\s*\}\}/.test(text);
}

export function paramFormat(params: string[], declaredNamed: boolean): ApprovedTemplate['paramFormat'] {
  if (params.length === 0) return 'none';
  return declaredNamed || params.some((p) => !/^\d+$/.test(p)) ? 'named' : 'positional';
}

export function upper(v: unknown): string {
  return typeof v === 'string' ? v.toUpperCase() : '';
}

export function normLang(code: string | null | undefined): string {
  return String(code ?? '').trim().toLowerCase().replace(/-/g, '_');
}

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

export async function get(url: string, shown: string, headers: Record<string, string>, opts: FetchOptions, secrets: string[]): Promise<Got> {
  const doFetch = opts.fetch ?? fetch;
  const timeout = AbortSignal.timeout(opts.timeoutMs ?? 15_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  try {
    res = await doFetch(url, { method: 'GET', headers, signal, redirect: 'follow' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? 'timed out' : (e.cause?.code ?? e.message);
    throw new CampaignError(`Could not reach ${shown}: ${redact(String(why), secrets)}.`, {
      exitCode: 2,
      hint: 'Check the network and the *_API_URL settings.',
    });
  }
  const text = await res.text().catch(() => '');
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, json, detail: redact(errorDetail(json), secrets) };
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

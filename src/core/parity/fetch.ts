import { CampaignError, UsageError } from '../errors.js';
import type { TemplateMeta } from '../template/types.js';
import type { ApprovedTemplate, FetchOptions, ParityEnv } from './types.js';

const CLOUD_DEFAULT = 'https://graph.facebook.com/v23.0';
const TWILIO_CONTENT_DEFAULT = 'https://content.twilio.com';
const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;

/**
 * Fetches the provider's approved template that `meta` names. Resolves null when the provider
 * has no such template (404, or an empty list); throws a CampaignError (exit 2) for missing
 * settings, refused credentials or an unreachable provider. No secret is ever put in an error.
 */
export async function fetchApprovedTemplate(
  provider: 'cloud' | 'twilio',
  env: ParityEnv,
  meta: TemplateMeta,
  opts: FetchOptions = {},
): Promise<ApprovedTemplate | null> {
  return provider === 'cloud' ? fetchCloud(env, meta, opts) : fetchTwilio(env, meta, opts);
}

async function fetchCloud(env: ParityEnv, meta: TemplateMeta, opts: FetchOptions): Promise<ApprovedTemplate | null> {
  const token = need(env, 'WHATSAPP_TOKEN', 'the Cloud API access token');
  const waba = need(env, 'WHATSAPP_BUSINESS_ACCOUNT_ID', 'the WhatsApp Business Account id whose templates are checked');
  const base = (env.WHATSAPP_API_URL || CLOUD_DEFAULT).replace(/\/+$/, '');
  const path = `${base}/${encodeURIComponent(waba)}/message_templates`;
  const url = `${path}?name=${encodeURIComponent(meta.template)}&fields=name,language,category,status,components,parameter_format&limit=100`;
  const res = await get(url, path, { Authorization: `Bearer ${token}`, Accept: 'application/json' }, opts, [token]);

  if (res.status === 404) return null;
  if (res.status === 401 || res.status === 403) {
    throw new CampaignError(`The Cloud API refused the request for templates (HTTP ${res.status}${res.detail ? `: ${res.detail}` : ''}).`, {
      exitCode: 2,
      hint: 'Check WHATSAPP_TOKEN: it must be a valid, unexpired token with the whatsapp_business_management permission.',
    });
  }
  if (res.status === 400) {
    throw new CampaignError(`The Cloud API rejected the template lookup (HTTP 400${res.detail ? `: ${res.detail}` : ''}).`, {
      exitCode: 2,
      hint: 'Check WHATSAPP_BUSINESS_ACCOUNT_ID (the WhatsApp Business Account id, not the phone number id) and WHATSAPP_TOKEN.',
    });
  }
  if (res.status < 200 || res.status >= 300) throw httpError('Cloud API', res, path);

  const data = (res.json as { data?: unknown })?.data;
  if (!Array.isArray(data)) return null;
  const same = data.filter((t): t is Record<string, unknown> => !!t && typeof t === 'object' && (t as { name?: unknown }).name === meta.template);
  if (same.length === 0) return null;
  const wanted = normLang(meta.language);
  const chosen =
    same.find((t) => normLang(String(t.language ?? '')) === wanted && upper(t.status) === 'APPROVED') ??
    same.find((t) => normLang(String(t.language ?? '')) === wanted) ??
    same.find((t) => upper(t.status) === 'APPROVED') ??
    same[0];

  const components = Array.isArray(chosen.components) ? (chosen.components as Record<string, unknown>[]) : [];
  const bodyComp = components.find((c) => upper(c?.type) === 'BODY');
  const body = typeof bodyComp?.text === 'string' ? bodyComp.text : '';
  const urlButtons: ApprovedTemplate['urlButtons'] = [];
  for (const c of components) {
    if (upper(c?.type) !== 'BUTTONS' || !Array.isArray(c.buttons)) continue;
    for (const b of c.buttons as Record<string, unknown>[]) {
      if (upper(b?.type) === 'URL' && typeof b.url === 'string') urlButtons.push({ url: b.url, dynamic: hasPlaceholder(b.url) });
    }
  }
  const params = placeholders(body);
  return {
    provider: 'cloud',
    name: String(chosen.name),
    language: typeof chosen.language === 'string' ? chosen.language : null,
    category: typeof chosen.category === 'string' ? chosen.category.toLowerCase() : null,
    status: typeof chosen.status === 'string' ? chosen.status.toUpperCase() : null,
    body,
    params,
    paramFormat: paramFormat(params, upper(chosen.parameter_format) === 'NAMED'),
    urlButtons,
  };
}

async function fetchTwilio(env: ParityEnv, meta: TemplateMeta, opts: FetchOptions): Promise<ApprovedTemplate | null> {
  const sid = contentSid(env, meta);
  const account = need(env, 'TWILIO_ACCOUNT_SID', 'the Twilio account SID');
  const token = need(env, 'TWILIO_AUTH_TOKEN', 'the Twilio auth token');
  const base = (env.TWILIO_CONTENT_API_URL || TWILIO_CONTENT_DEFAULT).replace(/\/+$/, '');
  const path = `${base}/v1/Content/${encodeURIComponent(sid)}`;
  const headers = { Authorization: `Basic ${Buffer.from(`${account}:${token}`).toString('base64')}`, Accept: 'application/json' };
  const secrets = [token];
  const res = await get(path, path, headers, opts, secrets);

  if (res.status === 404) return null;
  if (res.status === 401 || res.status === 403) {
    throw new CampaignError(`Twilio refused the request for the content template (HTTP ${res.status}${res.detail ? `: ${res.detail}` : ''}).`, {
      exitCode: 2,
      hint: 'Check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.',
    });
  }
  if (res.status < 200 || res.status >= 300) throw httpError('Twilio Content API', res, path);
  const content = (res.json ?? {}) as Record<string, unknown>;

  // Approval status and category live on a sub-resource; an older or partial API just lacks them.
  let approval: Record<string, unknown> | null = null;
  try {
    const ar = await get(`${path}/ApprovalRequests`, `${path}/ApprovalRequests`, headers, opts, secrets);
    const wa = (ar.json as { whatsapp?: unknown } | null)?.whatsapp;
    if (ar.status >= 200 && ar.status < 300 && wa && typeof wa === 'object') approval = wa as Record<string, unknown>;
  } catch {
    approval = null;
  }

  const types = content.types && typeof content.types === 'object' ? (content.types as Record<string, Record<string, unknown>>) : {};
  const order = ['twilio/text', 'whatsapp/card', 'twilio/card', 'twilio/call-to-action', 'twilio/quick-reply', 'twilio/media', 'whatsapp/authentication'];
  const keys = [...order.filter((k) => k in types), ...Object.keys(types).filter((k) => !order.includes(k))];
  let body = '';
  const urlButtons: ApprovedTemplate['urlButtons'] = [];
  for (const k of keys) {
    const t = types[k];
    if (!t || typeof t !== 'object') continue;
    if (!body && typeof t.body === 'string') body = t.body;
    if (urlButtons.length === 0 && Array.isArray(t.actions)) {
      for (const a of t.actions as Record<string, unknown>[]) {
        if (upper(a?.type) === 'URL' && typeof a.url === 'string') urlButtons.push({ url: a.url, dynamic: hasPlaceholder(a.url) });
      }
    }
  }
  const params = placeholders(body);
  const status = typeof approval?.status === 'string' ? approval.status.toUpperCase() : null;
  return {
    provider: 'twilio',
    name: typeof approval?.name === 'string' && approval.name ? approval.name : String(content.friendly_name ?? ''),
    language: typeof content.language === 'string' ? content.language : null,
    category: typeof approval?.category === 'string' && approval.category ? approval.category.toLowerCase() : null,
    status,
    body,
    params,
    paramFormat: paramFormat(params, false),
    urlButtons,
  };
}

/** The Content SID: `content_sid` itself when it looks like one, else the env var it names. */
function contentSid(env: ParityEnv, meta: TemplateMeta): string {
  const raw = meta.content_sid?.trim();
  if (!raw) {
    if (env.TWILIO_CONTENT_SID) return env.TWILIO_CONTENT_SID;
    throw new UsageError('The template has no content_sid: Twilio sends approved templates by their Content SID (HX…).', {
      hint: 'Add `content_sid: HX…` (or the name of an environment variable holding it) to the front matter.',
    });
  }
  if (/^HX[0-9a-f]{32}$/i.test(raw)) return raw;
  const name = raw.replace(/^\$\{?|\}$/g, '');
  const value = env[name];
  if (value) return value.trim();
  if (/^HX/i.test(raw)) return raw;
  throw new UsageError(`content_sid names the environment variable ${name}, which is not set.`, {
    hint: `Set ${name} to the template's Content SID (HX…), or put the SID in the front matter.`,
  });
}

function need(env: ParityEnv, name: string, what: string): string {
  const v = env[name];
  if (!v) throw new UsageError(`${name} is not set: it is ${what}.`, { hint: `Set ${name} in the environment or in .env.` });
  return v;
}

interface Got {
  status: number;
  json: unknown;
  /** The provider's own one-line error text, secrets removed. */
  detail: string;
}

async function get(url: string, shown: string, headers: Record<string, string>, opts: FetchOptions, secrets: string[]): Promise<Got> {
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

function httpError(who: string, res: Got, shown: string): CampaignError {
  return new CampaignError(`${who} answered HTTP ${res.status} for ${shown}${res.detail ? `: ${res.detail}` : ''}.`, {
    exitCode: 2,
    hint: 'Try again later; if it persists, check the provider settings.',
  });
}

function redact(text: string, secrets: string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('***');
  return out;
}

export function placeholders(text: string): string[] {
  const seen: string[] = [];
  for (const m of text.matchAll(PLACEHOLDER)) if (!seen.includes(m[1])) seen.push(m[1]);
  return seen;
}

function hasPlaceholder(text: string): boolean {
  return /\{\{\s*[^{}\s]+\s*\}\}/.test(text);
}

function paramFormat(params: string[], declaredNamed: boolean): ApprovedTemplate['paramFormat'] {
  if (params.length === 0) return 'none';
  return declaredNamed || params.some((p) => !/^\d+$/.test(p)) ? 'named' : 'positional';
}

function upper(v: unknown): string {
  return typeof v === 'string' ? v.toUpperCase() : '';
}

export function normLang(code: string | null | undefined): string {
  return String(code ?? '').trim().toLowerCase().replace(/-/g, '_');
}

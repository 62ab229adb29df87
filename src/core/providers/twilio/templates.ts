import { CampaignError, UsageError } from '../../errors.js';
import type { TemplateMeta } from '../../template/types.js';
import { formatBasicAuth } from '../http.js';
import { isRecord, secretValues } from '../common.js';
import { get, hasPlaceholder, httpError, need, paramFormat, placeholders, upper } from '../template-fetch.js';
import { readPages } from '../health.js';
import type { AccountTemplate, ApprovedButton, ApprovedTemplate, FetchApprovedTemplate, HealthOptions, ProviderEnv, TemplateList } from '../types.js';
import { TWILIO_SECRET_VARS } from './send.js';

const TWILIO_CONTENT_DEFAULT = 'https://content.twilio.com';

/** The Content API's template by its SID, with its WhatsApp approval when the API has it. */
export const fetchTwilioTemplate: FetchApprovedTemplate = async (env, meta, opts) => {
  const sid = contentSid(env, meta);
  const account = need(env, 'TWILIO_ACCOUNT_SID', 'the Twilio account SID');
  const token = need(env, 'TWILIO_AUTH_TOKEN', 'the Twilio auth token');
  const base = (env.TWILIO_CONTENT_API_URL || TWILIO_CONTENT_DEFAULT).replace(/\/+$/, '');
  const path = `${base}/v1/Content/${encodeURIComponent(sid)}`;
  const headers = { Authorization: formatBasicAuth(account, token), Accept: 'application/json' };
  const secrets = secretValues(env, TWILIO_SECRET_VARS);
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
  let buttons: ApprovedButton[] | undefined;
  let footer: string | undefined;
  for (const k of keys) {
    const t = types[k];
    if (!t || typeof t !== 'object') continue;
    if (!body && typeof t.body === 'string') body = t.body;
    if (footer === undefined && typeof t.footer === 'string') footer = t.footer;
    if (buttons === undefined && Array.isArray(t.actions)) {
      buttons = (t.actions as Record<string, unknown>[]).map((a) => {
        const text = typeof a?.title === 'string' ? a.title : '';
        return upper(a?.type) === 'URL' && typeof a.url === 'string' ? { type: 'URL', text, url: a.url, dynamic: hasPlaceholder(a.url) } : { type: upper(a?.type), text };
      });
    }
  }
  const urlButtons: ApprovedTemplate['urlButtons'] = (buttons ?? []).flatMap((b) => (b.url !== undefined ? [{ url: b.url, dynamic: b.dynamic ?? false }] : []));
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
    // Twilio's header media is chosen per message, so only the buttons and the footer are compared.
    footer: footer ?? (keys.length ? null : undefined),
    buttons: buttons ?? (keys.length ? [] : undefined),
  };
};

/** The Content SID: `content_sid` itself when it looks like one, else the env var it names. */
function contentSid(env: ProviderEnv, meta: TemplateMeta): string {
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

/**
 * `campaign account`: the account's Content templates with their WhatsApp approval
 * (`GET /v1/ContentAndApprovals`, `approval_requests`); never throws. Twilio gives no template
 * quality, so it is UNKNOWN; a template never submitted to WhatsApp is UNSUBMITTED.
 */
export async function listTwilioTemplates(env: ProviderEnv, opts: HealthOptions = {}): Promise<TemplateList> {
  const account = env.TWILIO_ACCOUNT_SID?.trim();
  const token = env.TWILIO_AUTH_TOKEN?.trim();
  if (!account) return { read: 'failed', error: 'TWILIO_ACCOUNT_SID is not set', templates: [] };
  if (!token) return { read: 'failed', error: 'TWILIO_AUTH_TOKEN is not set', templates: [] };
  const base = (env.TWILIO_CONTENT_API_URL || TWILIO_CONTENT_DEFAULT).replace(/\/+$/, '');
  const headers = { Authorization: formatBasicAuth(account, token), Accept: 'application/json' };
  const secrets = secretValues(env, TWILIO_SECRET_VARS);
  const shown = `${base}/v1/ContentAndApprovals`;
  const got = await readPages(`${shown}?PageSize=100`, shown, headers, { timeoutMs: opts.timeoutMs }, secrets, 'The Twilio Content API', (json) => {
    const body = json as { contents?: unknown; meta?: { next_page_url?: unknown } } | null;
    return Array.isArray(body?.contents) ? { items: body.contents, next: isRecord(body.meta) ? body.meta.next_page_url : undefined } : null;
  });
  if ('failed' in got) return { read: 'failed', error: got.failed, templates: [] };
  const templates: AccountTemplate[] = got.items.filter(isRecord).map((content) => {
    const wa = isRecord(content.approval_requests) ? content.approval_requests : {};
    return {
      name: typeof wa.name === 'string' && wa.name ? wa.name : String(content.friendly_name ?? content.sid ?? ''),
      language: typeof content.language === 'string' ? content.language : null,
      category: typeof wa.category === 'string' && wa.category ? wa.category.toLowerCase() : null,
      status: typeof wa.status === 'string' && wa.status ? wa.status.toUpperCase() : 'UNSUBMITTED',
      quality: 'UNKNOWN' as const,
    };
  });
  return { read: 'ok', templates, ...(got.cut ? { cut: got.cut } : {}) };
}

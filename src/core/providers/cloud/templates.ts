import { CampaignError } from '../../errors.js';
import { isRecord, secretValues } from '../common.js';
import { qualityOf, readPages } from '../health.js';
import { get, hasPlaceholder, httpError, need, normLang, paramFormat, placeholders, upper } from '../template-fetch.js';
import type { AccountTemplate, ApprovedButton, ApprovedTemplate, FetchApprovedTemplate, HealthOptions, ProviderEnv, TemplateList } from '../types.js';
import { CLOUD_DEFAULT_API_URL, CLOUD_SECRET_VARS } from './send.js';

/** The WABA's `message_templates` with the front matter's name; the one in its language wins. */
export const fetchCloudTemplate: FetchApprovedTemplate = async (env, meta, opts) => {
  const token = need(env, 'WHATSAPP_TOKEN', 'the Cloud API access token');
  const waba = need(env, 'WHATSAPP_BUSINESS_ACCOUNT_ID', 'the WhatsApp Business Account id whose templates are checked');
  const base = (env.WHATSAPP_API_URL || CLOUD_DEFAULT_API_URL).replace(/\/+$/, '');
  const path = `${base}/${encodeURIComponent(waba)}/message_templates`;
  const url = `${path}?name=${encodeURIComponent(meta.template)}&fields=name,language,category,status,components,parameter_format&limit=100`;
  const res = await get(url, path, { Authorization: `Bearer ${token}`, Accept: 'application/json' }, opts, secretValues(env, CLOUD_SECRET_VARS));

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
  const buttons: ApprovedButton[] = [];
  for (const c of components) {
    if (upper(c?.type) !== 'BUTTONS' || !Array.isArray(c.buttons)) continue;
    for (const b of c.buttons as Record<string, unknown>[]) {
      const text = typeof b?.text === 'string' ? b.text : '';
      if (upper(b?.type) === 'URL' && typeof b.url === 'string') buttons.push({ type: 'URL', text, url: b.url, dynamic: hasPlaceholder(b.url) });
      else buttons.push({ type: upper(b?.type), text });
    }
  }
  const urlButtons: ApprovedTemplate['urlButtons'] = buttons.flatMap((b) => (b.url !== undefined ? [{ url: b.url, dynamic: b.dynamic ?? false }] : []));
  const headerComp = components.find((c) => upper(c?.type) === 'HEADER');
  const footerComp = components.find((c) => upper(c?.type) === 'FOOTER');
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
    header: headerComp ? { format: upper(headerComp.format), ...(typeof headerComp.text === 'string' ? { text: headerComp.text } : {}) } : null,
    footer: typeof footerComp?.text === 'string' ? footerComp.text : null,
    buttons,
  };
};

/** `campaign account`: the WABA's templates with their status and quality (`quality_score`); never throws. */
export async function listCloudTemplates(env: ProviderEnv, opts: HealthOptions = {}): Promise<TemplateList> {
  const token = env.WHATSAPP_TOKEN?.trim();
  const waba = env.WHATSAPP_BUSINESS_ACCOUNT_ID?.trim();
  if (!token) return { read: 'failed', error: 'WHATSAPP_TOKEN is not set', templates: [] };
  if (!waba) return { read: 'failed', error: 'WHATSAPP_BUSINESS_ACCOUNT_ID is not set: it is the WhatsApp Business Account whose templates are listed', templates: [] };
  const base = (env.WHATSAPP_API_URL?.trim() || CLOUD_DEFAULT_API_URL).replace(/\/+$/, '');
  const path = `${base}/${encodeURIComponent(waba)}/message_templates`;
  // Graph pages by cursor: `paging.next` is the whole next URL.
  const got = await readPages(`${path}?fields=name,language,category,status,quality_score&limit=100`, path, { Authorization: `Bearer ${token}`, Accept: 'application/json' }, { timeoutMs: opts.timeoutMs }, secretValues(env, CLOUD_SECRET_VARS), 'The Cloud API', (json) => {
    const body = json as { data?: unknown; paging?: unknown } | null;
    return Array.isArray(body?.data) ? { items: body.data, next: isRecord(body.paging) ? body.paging.next : undefined } : null;
  });
  if ('failed' in got) return { read: 'failed', error: got.failed, templates: [] };
  const data = got.items;
  const templates: AccountTemplate[] = data.filter(isRecord).map((t) => ({
    name: String(t.name ?? ''),
    language: typeof t.language === 'string' ? t.language : null,
    category: typeof t.category === 'string' ? t.category.toLowerCase() : null,
    status: typeof t.status === 'string' ? t.status.toUpperCase() : null,
    // `quality_score` is `{score, date}` in Graph answers; a bare string is taken too.
    quality: qualityOf(isRecord(t.quality_score) ? t.quality_score.score : t.quality_score),
  }));
  return { read: 'ok', templates, ...(got.cut ? { cut: got.cut } : {}) };
}

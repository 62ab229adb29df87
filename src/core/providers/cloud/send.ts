import { createHttpClient, type HttpClient } from '../http.js';
import { createProviderFrom, defaultUserAgent, isRecord, readBaseUrl, readCode, requireEnv, secretValues, toDigits } from '../common.js';
import type { OutboundMessage, Provider, ProviderEnv, ProviderOptions } from '../types.js';
import { classifyCloud } from './codes.js';
import { uploadCloudMedia } from './media.js';

export const CLOUD_DEFAULT_API_URL = 'https://graph.facebook.com/v23.0';
/** Every Cloud API variable holding a secret: the sender, the webhook and the template fetch. */
export const CLOUD_SECRET_VARS = ['WHATSAPP_TOKEN', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] as const;

type Template = NonNullable<OutboundMessage['template']>;

/**
 * Meta-native template components, in Meta's order: the header (media by link or uploaded id, or
 * text parameters), body parameters, then one component per button that takes a parameter.
 */
export function buildTemplateComponents(template: Template): Record<string, unknown>[] {
  const components: Record<string, unknown>[] = [];
  const header = template.header;
  if (header?.kind === 'text') {
    components.push({ type: 'header', parameters: header.params.map((text) => ({ type: 'text', text })) });
  } else if (header) {
    const media = { ...(header.id ? { id: header.id } : { link: header.link }), ...(header.kind === 'document' && header.filename ? { filename: header.filename } : {}) };
    components.push({ type: 'header', parameters: [{ type: header.kind, [header.kind]: media }] });
  }
  const params = template.params;
  if (params.length > 0) {
    // Built in a plain loop, once per message: the same objects (and key order) as a map with spreads, without their garbage.
    const named = template.parameterFormat === 'named';
    const parameters: Record<string, unknown>[] = new Array(params.length);
    for (let i = 0; i < params.length; i++) {
      parameters[i] = named ? { type: 'text', parameter_name: template.paramNames[i], text: params[i] } : { type: 'text', text: params[i] };
    }
    components.push({ type: 'body', parameters });
  }
  // Most templates have no button that takes a parameter: nothing to sort.
  if (!template.urlButtons?.length && !template.quickReplies?.length && !template.buttonSuffixes.some((suffix) => suffix !== '')) return components;
  const urlButtons = template.urlButtons ?? template.buttonSuffixes.map((suffix, index) => ({ index, suffix }));
  const buttons = [
    // An empty suffix is a static button: it takes its index but needs no parameter.
    ...urlButtons.filter((b) => b.suffix !== '').map((b) => ({ index: b.index, sub_type: 'url', parameters: [{ type: 'text', text: b.suffix }] })),
    ...(template.quickReplies ?? []).map((b) => ({ index: b.index, sub_type: 'quick_reply', parameters: [{ type: 'payload', payload: b.payload }] })),
  ].sort((a, b) => a.index - b.index);
  for (const b of buttons) components.push({ type: 'button', sub_type: b.sub_type, index: String(b.index), parameters: b.parameters });
  return components;
}

/** The `/messages` request body for one message (keys in this order: it is the request's bytes). */
export function buildCloudMessage(msg: OutboundMessage): Record<string, unknown> {
  const to = toDigits(msg.to);
  let body: Record<string, unknown>;
  if (!msg.template) {
    body = { messaging_product: 'whatsapp', recipient_type: 'individual', to, type: 'text', text: { preview_url: /https?:\/\//i.test(msg.text), body: msg.text } };
  } else {
    const components = buildTemplateComponents(msg.template);
    const language = { code: msg.template.language, policy: 'deterministic' };
    body = {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'template',
      template: components.length > 0 ? { name: msg.template.name, language, components } : { name: msg.template.name, language },
    };
  }
  if (msg.correlation) body.biz_opaque_callback_data = msg.correlation.slice(0, 512);
  return body;
}

export function createCloudProvider(env: ProviderEnv, opts: ProviderOptions = {}): Provider {
  const vars = requireEnv('cloud', env, ['WHATSAPP_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID']);
  const base = readBaseUrl(env, 'WHATSAPP_API_URL', CLOUD_DEFAULT_API_URL);
  return createCloudSender({
    name: 'cloud',
    url: `${base}/${encodeURIComponent(vars.WHATSAPP_PHONE_NUMBER_ID)}/messages`,
    mediaUrl: `${base}/${encodeURIComponent(vars.WHATSAPP_PHONE_NUMBER_ID)}/media`,
    token: vars.WHATSAPP_TOKEN,
    secrets: secretValues(env, CLOUD_SECRET_VARS),
    opts,
  });
}

/** The Cloud API code path, shared with the sandbox so that the sandbox exercises it end to end. */
export function createCloudSender(args: { name: 'cloud' | 'sandbox'; url: string; mediaUrl: string; token: string; secrets: string[]; opts: ProviderOptions }): Provider {
  const secrets = [args.token, ...args.secrets];
  // Uploads get their own client: a 16 MB video must not wait behind the message pool's budget.
  let uploads: HttpClient | undefined;
  const sender = createProviderFrom({
    name: args.name,
    label: 'the Cloud API',
    url: args.url,
    authorization: `Bearer ${args.token}`,
    secrets,
    opts: args.opts,
    body: (msg) => ({ json: buildCloudMessage(msg) }),
    idOf: (body) => {
      const first = Array.isArray(body.messages) ? body.messages[0] : undefined;
      return isRecord(first) && typeof first.id === 'string' && first.id ? first.id : undefined;
    },
    errorOf: (body, response, msg) => {
      const error = isRecord(body.error) ? body.error : {};
      const code = readCode(error.code);
      const errorData = isRecord(error.error_data) ? error.error_data : {};
      const details = typeof errorData.details === 'string' ? errorData.details : '';
      const text = typeof error.message === 'string' ? error.message : response.text.slice(0, 200);
      return {
        code,
        classification: code === undefined ? undefined : classifyCloud(code, response.status, { freeForm: !msg.template }),
        message: [text, details].filter(Boolean).join(': '),
      };
    },
  });
  return {
    ...sender,
    uploadMedia(media) {
      uploads ??= createHttpClient({ timeoutMs: Math.max(args.opts.timeoutMs ?? 0, UPLOAD_TIMEOUT_MS), concurrency: 1, userAgent: args.opts.userAgent ?? defaultUserAgent(), secrets });
      return uploadCloudMedia(uploads, args.mediaUrl, `Bearer ${args.token}`, media);
    },
    async close() {
      uploads?.close();
      await sender.close();
    },
  };
}

/** A 100 MB document on a slow uplink takes a while; the per-message timeout is for small JSON. */
const UPLOAD_TIMEOUT_MS = 300_000;

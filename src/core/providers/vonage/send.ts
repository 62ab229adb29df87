import { buildTemplateComponents } from '../cloud/send.js';
import { formatBasicAuth } from '../http.js';
import { createProviderFrom, isRecord, readBaseUrl, requireEnv, secretValues, toDigits } from '../common.js';
import type { OutboundMessage, Provider, ProviderEnv, ProviderOptions } from '../types.js';
import { classifyVonage } from './codes.js';

export const VONAGE_DEFAULT_API_URL = 'https://api.nexmo.com';
export const VONAGE_SECRET_VARS = ['VONAGE_API_SECRET', 'VONAGE_SIGNATURE_SECRET'] as const;

/** The spec's own error example rejects a client_ref over 40 characters. */
const CLIENT_REF_MAX = 40;

/** The Messages API v1 body for one message. */
export function buildVonageMessage(msg: OutboundMessage, from: string): Record<string, unknown> {
  const envelope = {
    channel: 'whatsapp',
    to: toDigits(msg.to),
    from: toDigits(from),
    ...(msg.correlation ? { client_ref: msg.correlation.slice(0, CLIENT_REF_MAX) } : {}),
  };
  const template = msg.template;
  if (!template) return { message_type: 'text', ...envelope, text: msg.text };
  // Vonage's own template type carries body parameters only; header media and parameters, button
  // parameters and named parameters need Meta's native object, which Vonage forwards verbatim as `custom`.
  const needsCustom =
    template.buttonSuffixes.some((s) => s !== '') || template.parameterFormat === 'named' || !!template.header || !!template.quickReplies?.length || !!template.urlButtons?.length;
  if (needsCustom) {
    const components = buildTemplateComponents(template);
    return {
      message_type: 'custom',
      ...envelope,
      custom: {
        type: 'template',
        template: {
          name: template.name,
          language: { policy: 'deterministic', code: template.language },
          ...(components.length > 0 ? { components } : {}),
        },
      },
    };
  }
  return {
    message_type: 'template',
    ...envelope,
    template: { name: template.name, parameters: template.params },
    whatsapp: { policy: 'deterministic', locale: template.language },
  };
}

/** The problem code: the `#1000` fragment of an RFC 7807 `type`, when numeric. */
export function readVonageCode(body: unknown): string | undefined {
  if (!isRecord(body) || typeof body.type !== 'string') return undefined;
  const fragment = /#([A-Za-z0-9_-]+)$/.exec(body.type)?.[1];
  return fragment && /^\d+$/.test(fragment) ? fragment : undefined;
}

export function createVonageProvider(env: ProviderEnv, opts: ProviderOptions = {}): Provider {
  const vars = requireEnv('vonage', env, ['VONAGE_API_KEY', 'VONAGE_API_SECRET', 'VONAGE_WHATSAPP_FROM']);
  const base = readBaseUrl(env, 'VONAGE_API_URL', VONAGE_DEFAULT_API_URL);
  const url = `${base}/v1/messages`;
  const authorization = formatBasicAuth(vars.VONAGE_API_KEY, vars.VONAGE_API_SECRET);
  return createProviderFrom({
    name: 'vonage',
    label: 'Vonage',
    url,
    authorization,
    secrets: [...secretValues(env, VONAGE_SECRET_VARS), authorization.slice('Basic '.length)],
    opts,
    body: (msg) => ({ json: buildVonageMessage(msg, vars.VONAGE_WHATSAPP_FROM) }),
    idOf: (body) => (typeof body.message_uuid === 'string' && body.message_uuid ? body.message_uuid : undefined),
    errorOf: (body, response) => {
      const code = readVonageCode(body);
      const title = typeof body.title === 'string' ? body.title : '';
      const detail = typeof body.detail === 'string' ? body.detail : '';
      const invalid = Array.isArray(body.invalid_parameters)
        ? body.invalid_parameters
            .filter(isRecord)
            .map((p) => `${String(p.name)}: ${String(p.reason)}`)
            .join('; ')
        : '';
      return {
        code: code ?? String(response.status),
        classification: classifyVonage(code, response.status),
        message: [title, detail, invalid].filter(Boolean).join(': ') || response.text.slice(0, 200),
      };
    },
  });
}

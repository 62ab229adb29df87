import { formatBasicAuth } from '../http.js';
import { createProviderFrom, readBaseUrl, readCode, requireEnv, secretValues } from '../common.js';
import type { OutboundMessage, Provider, ProviderEnv, ProviderOptions } from '../types.js';
import { classifyTwilio } from './codes.js';

export const TWILIO_DEFAULT_API_URL = 'https://api.twilio.com';
export const TWILIO_SECRET_VARS = ['TWILIO_AUTH_TOKEN'] as const;

function withChannel(address: string): string {
  return address.startsWith('whatsapp:') ? address : `whatsapp:${address}`;
}

/** CreateMessage form fields, in a stable order. */
export function buildTwilioForm(msg: OutboundMessage, from: string, statusCallback?: string): Record<string, string> {
  const form: Record<string, string> = { To: withChannel(msg.to), From: withChannel(from) };
  const contentSid = msg.template?.contentSid;
  if (msg.template && contentSid) {
    form.ContentSid = contentSid;
    // Content API placeholders are positional: {{1}} is the first of params.
    form.ContentVariables = JSON.stringify(Object.fromEntries(msg.template.params.map((v, i) => [String(i + 1), v])));
  } else {
    form.Body = msg.text;
  }
  // Twilio echoes nothing of ours in its callbacks: the correlation rides in the callback URL,
  // so that `campaign webhook` can settle a message whose response was lost.
  if (statusCallback) form.StatusCallback = `${statusCallback}?ref=${encodeURIComponent(msg.correlation)}`;
  return form;
}

export function createTwilioProvider(env: ProviderEnv, opts: ProviderOptions = {}): Provider {
  const vars = requireEnv('twilio', env, ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_WHATSAPP_FROM']);
  const base = readBaseUrl(env, 'TWILIO_API_URL', TWILIO_DEFAULT_API_URL);
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(vars.TWILIO_ACCOUNT_SID)}/Messages.json`;
  const publicUrl = env.CAMPAIGN_PUBLIC_URL?.trim().replace(/\/+$/, '');
  const statusCallback = publicUrl ? `${publicUrl}/webhooks/twilio` : undefined;
  const authorization = formatBasicAuth(vars.TWILIO_ACCOUNT_SID, vars.TWILIO_AUTH_TOKEN);
  return createProviderFrom({
    name: 'twilio',
    label: 'Twilio',
    url,
    authorization,
    secrets: [...secretValues(env, TWILIO_SECRET_VARS), authorization.slice('Basic '.length)],
    opts,
    body: (msg) => ({ form: buildTwilioForm(msg, vars.TWILIO_WHATSAPP_FROM, statusCallback) }),
    idOf: (body) => (typeof body.sid === 'string' && body.sid ? body.sid : undefined),
    errorOf: (body, response, msg) => {
      const code = readCode(body.code);
      return {
        code,
        classification: code === undefined ? undefined : classifyTwilio(code, response.status, { freeForm: !msg.template?.contentSid }),
        message: typeof body.message === 'string' ? body.message : response.text.slice(0, 200),
      };
    },
  });
}

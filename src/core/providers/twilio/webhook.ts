import { createHmac } from 'node:crypto';
import type { DeliveryStatus, InboundItem, WebhookItem, WebhookRequest, WebhookRoute } from '../types.js';
import { safeEqual, toE164 } from '../webhook.js';

// Twilio callbacks (providers.md §2): form posts signed over the URL and the fields.

/**
 * Twilio: `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + each POST param's name and
 * value concatenated, sorted by name)). A repeated param contributes each of its values, sorted
 * (as twilio-node does).
 */
export function twilioSignature(url: string, params: Record<string, string | string[]>, authToken: string): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const v = params[key];
    const values = Array.isArray(v) ? [...v].sort() : [v];
    for (const value of values) data += key + value;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf8')).digest('base64');
}

export function verifyTwilioSignature(
  url: string,
  params: Record<string, string | string[]>,
  header: string | undefined,
  authToken: string,
): boolean {
  if (!header || !authToken) return false;
  const expected = Buffer.from(twilioSignature(url, params, authToken), 'utf8');
  return safeEqual(Buffer.from(header.trim(), 'utf8'), expected);
}

const TWILIO_STATUS: Record<string, DeliveryStatus> = {
  accepted: 'sent', scheduled: 'sent', queued: 'sent', sending: 'sent', sent: 'sent',
  delivered: 'delivered', read: 'read',
  failed: 'failed', undelivered: 'failed', canceled: 'failed',
};

/**
 * Twilio posts form fields. A status callback has `MessageStatus` (queued…read); an inbound
 * message has `SmsStatus=received` (or no `MessageStatus`) and `Body` / `ButtonPayload`.
 * `correlation` comes from a `ref` query parameter on the callback URL, if the sender set one.
 */
export function parseTwilioForm(
  params: Record<string, string>,
  receivedAt: string = new Date().toISOString(),
  query?: URLSearchParams,
): WebhookItem[] {
  const sid = params.MessageSid || params.SmsSid;
  const rawStatus = (params.MessageStatus || '').toLowerCase();
  const status = TWILIO_STATUS[rawStatus];
  if (status && sid) {
    const to = toE164(params.To);
    if (!to) return [];
    const code = params.ErrorCode && params.ErrorCode !== '0' ? params.ErrorCode : undefined;
    const correlation = query?.get('ref') || undefined;
    return [{ kind: 'status', provider: 'twilio', id: sid, to, status, at: receivedAt, ...(code ? { code } : {}), ...(correlation ? { correlation } : {}) }];
  }
  if (!rawStatus || rawStatus === 'received' || rawStatus === 'receiving') {
    const from = toE164(params.From);
    if (!from) return [];
    const item: InboundItem = { kind: 'inbound', provider: 'twilio', from, at: receivedAt };
    if (params.Body !== undefined && params.Body !== '') item.text = params.Body;
    if (params.ButtonPayload) item.buttonPayload = params.ButtonPayload;
    if (params.ButtonText && item.text === undefined) item.text = params.ButtonText;
    if (params.OriginalRepliedMessageSid) item.contextId = params.OriginalRepliedMessageSid;
    return [item];
  }
  return [];
}

/** The form fields, a repeated one with all its values (the signature covers each). */
function formParams(raw: Buffer): Record<string, string | string[]> {
  const params: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(raw.toString('utf8'))) {
    const prev = params[k];
    params[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return params;
}

/**
 * The URLs Twilio may have signed: `CAMPAIGN_PUBLIC_URL` + route (+ query) when set, else
 * `http(s)://<Host><path>`; each also with the default port added or removed, as twilio-node
 * accepts both.
 */
function twilioUrls(req: WebhookRequest): string[] {
  const { url } = req;
  const publicUrl = req.env.CAMPAIGN_PUBLIC_URL;
  const bases: string[] = [];
  const pathAndQuery = `${url.pathname}${url.search}`;
  if (publicUrl) bases.push(publicUrl.replace(/\/+$/, '') + '/webhooks/twilio' + url.search);
  else {
    const host = req.header('host') ?? 'localhost';
    bases.push(`http://${host}${pathAndQuery}`, `https://${host}${pathAndQuery}`);
  }
  const out = new Set<string>();
  for (const b of bases) {
    out.add(b);
    const m = /^(https?):\/\/([^/?#]+?)(?::(\d+))?([/?#].*)?$/i.exec(b);
    if (!m) continue;
    const [, scheme, host, port, rest = ''] = m;
    const def = scheme.toLowerCase() === 'https' ? '443' : '80';
    if (port === undefined) out.add(`${scheme}://${host}:${def}${rest}`);
    else if (port === def) out.add(`${scheme}://${host}${rest}`);
  }
  return [...out];
}

/** Answers with empty TwiML, so Twilio sends no reply of its own. */
export const twilioWebhook: WebhookRoute = {
  secretVar: 'TWILIO_AUTH_TOKEN',
  verify(req, authToken) {
    const sig = req.header('x-twilio-signature');
    if (!sig) return { ok: false, status: 401, reason: 'twilio: refused a request without X-Twilio-Signature.' };
    const params = formParams(req.raw);
    const candidates = twilioUrls(req);
    if (!candidates.some((u) => verifyTwilioSignature(u, params, sig, authToken))) {
      return { ok: false, status: 403, reason: `twilio: refused a request with a bad X-Twilio-Signature (signed URL checked: ${candidates[0].replace(/\/\/[^/@]*@/, '//***@')}).` };
    }
    return { ok: true };
  },
  parse(req, receivedAt) {
    const flat: Record<string, string> = {};
    for (const [k, v] of Object.entries(formParams(req.raw))) flat[k] = Array.isArray(v) ? v[0] : v;
    return parseTwilioForm(flat, receivedAt, req.url.searchParams);
  },
  reply: { body: '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', contentType: 'text/xml; charset=utf-8' },
};

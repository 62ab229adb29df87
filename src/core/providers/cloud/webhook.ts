import { createHmac } from 'node:crypto';
import type { DeliveryStatus, InboundItem, WebhookItem, WebhookRoute } from '../types.js';
import { arr, isObj, isoTime, readJson, safeEqual, sameSecret, str, toE164 } from '../webhook.js';

// Meta Cloud API callbacks (providers.md §1.8).

/** Meta: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(app secret, raw body bytes). */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !appSecret) return false;
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return safeEqual(Buffer.from(m[1], 'hex'), expected);
}

const META_STATUS: Record<string, DeliveryStatus> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

export function parseMetaPayload(body: unknown, receivedAt: string = new Date().toISOString()): WebhookItem[] {
  const items: WebhookItem[] = [];
  if (!isObj(body)) return items;
  for (const entry of arr(body.entry)) {
    if (!isObj(entry)) continue;
    for (const change of arr(entry.changes)) {
      if (!isObj(change) || !isObj(change.value)) continue;
      const value = change.value;
      for (const s of arr(value.statuses)) {
        if (!isObj(s)) continue;
        const id = str(s.id);
        const to = toE164(s.recipient_id);
        const status = META_STATUS[String(s.status)];
        if (!id || !to || !status) continue;
        const err = arr(s.errors)[0];
        const code = isObj(err) ? str(err.code) : undefined;
        const correlation = str(s.biz_opaque_callback_data);
        items.push({
          kind: 'status', provider: 'cloud', id, to, status, at: isoTime(s.timestamp, receivedAt),
          ...(code ? { code } : {}), ...(correlation ? { correlation } : {}),
        });
      }
      for (const m of arr(value.messages)) {
        if (!isObj(m)) continue;
        const from = toE164(m.from);
        if (!from) continue;
        const item: InboundItem = { kind: 'inbound', provider: 'cloud', from, at: isoTime(m.timestamp, receivedAt) };
        if (isObj(m.context) && str(m.context.id)) item.contextId = str(m.context.id);
        if (isObj(m.text)) item.text = str(m.text.body);
        if (isObj(m.button)) {
          item.buttonPayload = str(m.button.payload);
          item.text = str(m.button.text);
        }
        if (isObj(m.interactive)) {
          const reply = m.interactive.button_reply ?? m.interactive.list_reply;
          if (isObj(reply)) {
            item.buttonPayload = str(reply.id);
            item.text = str(reply.title);
          }
        }
        items.push(item);
      }
      // user_preferences: {wa_id, detail, category: "marketing_messages", value: "stop"|"resume", timestamp}
      for (const p of arr(value.user_preferences)) {
        if (!isObj(p)) continue;
        const from = toE164(p.wa_id);
        if (!from || String(p.value).toLowerCase() !== 'stop') continue;
        items.push({ kind: 'optout', provider: 'cloud', from, source: 'user_preferences', at: isoTime(p.timestamp, receivedAt) });
      }
    }
  }
  return items;
}

/** `GET` handshake, then `POST`s signed with the app secret. */
export const cloudWebhook: WebhookRoute = {
  secretVar: 'WHATSAPP_APP_SECRET',
  verify(req, appSecret) {
    const sig = req.header('x-hub-signature-256');
    if (!sig) return { ok: false, status: 401, reason: 'cloud: refused a request without X-Hub-Signature-256.' };
    if (!verifyMetaSignature(req.raw, sig, appSecret)) return { ok: false, status: 403, reason: 'cloud: refused a request with a bad X-Hub-Signature-256.' };
    return { ok: true };
  },
  parse(req, receivedAt) {
    const body = readJson(req.raw);
    return body && parseMetaPayload(body.value, receivedAt);
  },
  handshake: {
    secretVar: 'WHATSAPP_VERIFY_TOKEN',
    answer(query, token) {
      const given = query.get('hub.verify_token');
      if (query.get('hub.mode') !== 'subscribe' || given === null || !sameSecret(given, token)) {
        return { ok: false, reason: 'cloud: refused a subscription handshake (wrong or missing hub.verify_token).' };
      }
      return { ok: true, body: query.get('hub.challenge') ?? '' };
    },
  },
};

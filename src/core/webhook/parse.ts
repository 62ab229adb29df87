/**
 * Provider callbacks → normalized items. Pure functions: no I/O, no clock except `receivedAt`
 * for providers whose callbacks carry no timestamp. Anything unrecognised is dropped, never
 * thrown: a provider that gets an error keeps retrying.
 */
export type ProviderName = 'cloud' | 'twilio' | 'vonage';
export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface StatusItem {
  kind: 'status';
  provider: ProviderName;
  /** Provider message id (wamid, Twilio SID, Vonage message_uuid). */
  id: string;
  /** Recipient, E.164 with `+`. */
  to: string;
  status: DeliveryStatus;
  code?: string;
  at: string;
  /** `biz_opaque_callback_data` (Meta), `client_ref` (Vonage), `?ref=` on Twilio's callback URL. */
  correlation?: string;
}

export interface InboundItem {
  kind: 'inbound';
  provider: ProviderName;
  from: string;
  text?: string;
  buttonPayload?: string;
  /** Id of our message this replies to (Meta `context.id`), when the provider says. */
  contextId?: string;
  at: string;
}

export interface OptOutItem {
  kind: 'optout';
  provider: ProviderName;
  from: string;
  /** Where it came from, e.g. `user_preferences`. */
  source: string;
  at: string;
}

export type WebhookItem = StatusItem | InboundItem | OptOutItem;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** "16505551234", "+1 650…", "whatsapp:+1650…" → "+16505551234"; undefined when no digits. */
export function toE164(raw: unknown): string | undefined {
  const s = str(raw);
  if (!s) return undefined;
  const digits = s.replace(/^whatsapp:/i, '').replace(/[^\d]/g, '');
  return digits.length >= 6 ? `+${digits}` : undefined;
}

/** Unix seconds (string or number) or an ISO string → ISO string; fallback when unusable. */
function isoTime(raw: unknown, fallback: string): string {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw))) {
    const n = Number(raw);
    const ms = n > 1e12 ? n : n * 1000;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? fallback : d.toISOString();
  }
  if (typeof raw === 'string') {
    const t = Date.parse(raw);
    if (!Number.isNaN(t)) return new Date(t).toISOString();
  }
  return fallback;
}

// ---------------------------------------------------------------- Meta Cloud API (§1.8)

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

// ---------------------------------------------------------------- Twilio (§2)

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

// ---------------------------------------------------------------- Vonage (§3)

const VONAGE_STATUS: Record<string, DeliveryStatus> = {
  submitted: 'sent', delivered: 'delivered', read: 'read', rejected: 'failed', undeliverable: 'failed',
};

/** `https://developer.nexmo.com/api-errors/messages-olympus#1340` → "1340". */
function vonageCode(error: unknown): string | undefined {
  if (!isObj(error)) return undefined;
  const type = str(error.type);
  const frag = type?.match(/#([^#\s]+)$/)?.[1];
  if (frag) return frag;
  const title = str(error.title);
  if (title && /^\d+$/.test(title)) return title;
  return type;
}

export function parseVonagePayload(body: unknown, receivedAt: string = new Date().toISOString()): WebhookItem[] {
  if (!isObj(body)) return [];
  const at = isoTime(body.timestamp, receivedAt);
  if (body.status !== undefined) {
    const id = str(body.message_uuid);
    const to = toE164(body.to);
    const status = VONAGE_STATUS[String(body.status).toLowerCase()];
    if (!id || !to || !status) return [];
    const code = vonageCode(body.error);
    const correlation = str(body.client_ref);
    return [{ kind: 'status', provider: 'vonage', id, to, status, at, ...(code ? { code } : {}), ...(correlation ? { correlation } : {}) }];
  }
  const from = toE164(body.from);
  if (!from) return [];
  const item: InboundItem = { kind: 'inbound', provider: 'vonage', from, at };
  if (typeof body.text === 'string') item.text = body.text;
  if (isObj(body.reply)) {
    item.buttonPayload = str(body.reply.id);
    item.text = str(body.reply.title) ?? item.text;
  }
  if (isObj(body.button)) {
    item.buttonPayload = str(body.button.payload);
    item.text = str(body.button.text) ?? item.text;
  }
  if (isObj(body.context) && str(body.context.message_uuid)) item.contextId = str(body.context.message_uuid);
  return [item];
}

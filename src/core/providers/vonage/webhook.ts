import { createHash, createHmac } from 'node:crypto';
import type { DeliveryStatus, InboundItem, WebhookItem, WebhookRoute } from '../types.js';
import { isObj, isoTime, readJson, safeEqual, str, toE164 } from '../webhook.js';

// Vonage Messages API callbacks (providers.md §3).

/**
 * Vonage signed webhooks: `Authorization: Bearer <JWT>`, HS256 with the signature secret; its
 * `payload_hash` claim is the SHA-256 (hex) of the raw body. Vonage's token carries `iat` (and
 * no `exp`), so `iat` is required and must lie within `skewSec` (5 min) of now either way:
 * without it a captured request would be replayable forever. `exp`, when present, must not
 * have passed; `nbf`, when present, must not be more than `skewSec` ahead.
 */
export function verifyVonageJwt(
  authorizationHeader: string | undefined,
  rawBody: Buffer,
  signatureSecret: string,
  opts: { nowMs?: number; skewSec?: number } = {},
): boolean {
  if (!authorizationHeader || !signatureSecret) return false;
  const m = /^Bearer\s+([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\s*$/i.exec(authorizationHeader.trim());
  if (!m) return false;
  const [, h, p, s] = m;
  let header: unknown;
  let claims: unknown;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  // Only HS256: never let the token pick its own algorithm ("none", RS256 with the secret as key...).
  if (!isObj(header) || header.alg !== 'HS256' || !isObj(claims)) return false;
  const expected = createHmac('sha256', signatureSecret).update(`${h}.${p}`).digest();
  if (!safeEqual(Buffer.from(s, 'base64url'), expected)) return false;

  const now = (opts.nowMs ?? Date.now()) / 1000;
  const skew = opts.skewSec ?? 300;
  if (!(typeof claims.iat === 'number' && Number.isFinite(claims.iat) && Math.abs(now - claims.iat) <= skew)) return false;
  if (claims.exp !== undefined && !(typeof claims.exp === 'number' && now < claims.exp)) return false;
  if (claims.nbf !== undefined && !(typeof claims.nbf === 'number' && claims.nbf <= now + skew)) return false;

  if (typeof claims.payload_hash !== 'string' || !/^[0-9a-f]{64}$/i.test(claims.payload_hash)) return false;
  const bodyHash = createHash('sha256').update(rawBody).digest();
  return safeEqual(Buffer.from(claims.payload_hash, 'hex'), bodyHash);
}

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

/** Signed webhooks: a JWT in `Authorization: Bearer`. */
export const vonageWebhook: WebhookRoute = {
  secretVar: 'VONAGE_SIGNATURE_SECRET',
  verify(req, signatureSecret) {
    const auth = req.header('authorization');
    if (!auth || !/^Bearer\s+\S/i.test(auth)) return { ok: false, status: 401, reason: 'vonage: refused a request without a Bearer token.' };
    if (!verifyVonageJwt(auth, req.raw, signatureSecret)) {
      return { ok: false, status: 403, reason: 'vonage: refused a request with a bad JWT (signature, an iat missing or more than 5 minutes from now, an exp passed), or a payload_hash that does not match the body.' };
    }
    return { ok: true };
  },
  parse(req, receivedAt) {
    const body = readJson(req.raw);
    return body && parseVonagePayload(body.value, receivedAt);
  },
};

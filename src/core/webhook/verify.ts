import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Webhook signature checks for the three providers (providers.md §1.8, §2, §3). Each returns
 * true only for a well-formed, correctly signed request; every comparison is constant-time.
 */

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Meta: `X-Hub-Signature-256: sha256=<hex>` = HMAC-SHA256(app secret, raw body bytes). */
export function verifyMetaSignature(rawBody: Buffer, header: string | undefined, appSecret: string): boolean {
  if (!header || !appSecret) return false;
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', appSecret).update(rawBody).digest();
  return safeEqual(Buffer.from(m[1], 'hex'), expected);
}

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

/**
 * Vonage signed webhooks: `Authorization: Bearer <JWT>`, HS256 with the signature secret; its
 * `payload_hash` claim is the SHA-256 (hex) of the raw body. `exp`, when present, must not have
 * passed and `iat`, when present, must not be in the future (both with `skewSec` of slack).
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
  if (!isObject(header) || header.alg !== 'HS256' || !isObject(claims)) return false;
  const expected = createHmac('sha256', signatureSecret).update(`${h}.${p}`).digest();
  if (!safeEqual(Buffer.from(s, 'base64url'), expected)) return false;

  const now = (opts.nowMs ?? Date.now()) / 1000;
  const skew = opts.skewSec ?? 300;
  if (claims.exp !== undefined && !(typeof claims.exp === 'number' && now <= claims.exp + skew)) return false;
  if (claims.iat !== undefined && !(typeof claims.iat === 'number' && claims.iat <= now + skew)) return false;
  if (claims.nbf !== undefined && !(typeof claims.nbf === 'number' && claims.nbf <= now + skew)) return false;

  if (typeof claims.payload_hash !== 'string' || !/^[0-9a-f]{64}$/i.test(claims.payload_hash)) return false;
  const bodyHash = createHash('sha256').update(rawBody).digest();
  return safeEqual(Buffer.from(claims.payload_hash, 'hex'), bodyHash);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The provider-neutral half of webhooks: constant-time comparison and the small readers every
 * callback parser uses. Each provider's signature check and payload parser live in its folder
 * (cloud/webhook.ts, ...). Parsers are pure: anything unrecognised is dropped, never thrown, as
 * a provider that gets an error keeps retrying.
 */

export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Constant-time equality of two strings of any length. */
export function sameSecret(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : typeof v === 'number' ? String(v) : undefined;
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** "16505551234", "+1 650…", "whatsapp:+1650…" → "+16505551234"; undefined when no digits. */
export function toE164(raw: unknown): string | undefined {
  const s = str(raw);
  if (!s) return undefined;
  const digits = s.replace(/^whatsapp:/i, '').replace(/[^\d]/g, '');
  return digits.length >= 6 ? `+${digits}` : undefined;
}

/** Unix seconds (string or number) or an ISO string → ISO string; fallback when unusable. */
export function isoTime(raw: unknown, fallback: string): string {
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

/** The body as JSON; undefined when it is not JSON (the route answers 400). */
export function readJson(raw: Buffer): { value: unknown } | undefined {
  try {
    return { value: JSON.parse(raw.toString('utf8')) };
  } catch {
    return undefined;
  }
}

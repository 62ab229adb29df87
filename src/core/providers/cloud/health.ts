import { isRecord, secretValues } from '../common.js';
import { httpFailure, qualityOf, tryGet, unknownHealth } from '../health.js';
import type { HealthOptions, ProviderEnv, SenderHealth } from '../types.js';
import { CLOUD_DEFAULT_API_URL, CLOUD_SECRET_VARS } from './send.js';

export const HEALTH_FIELDS = 'quality_rating,status,name_status,messaging_limit_tier,whatsapp_business_manager_messaging_limit,throughput';

/** Messages per second per throughput level (providers.md §1.6). */
const THROUGHPUT_PER_SECOND: Record<string, number> = { STANDARD: 80, HIGH: 1000 };

/** `TIER_250`, `TIER_2K`, `tier_10k`, `250`, `2000`, `TIER_UNLIMITED` → name and recipients per 24 h; anything else unknown. */
export function parseTier(value: unknown): { tier: string; limit: number | 'unlimited' } | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return { tier: `TIER_${value}`, limit: value };
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toUpperCase().replace(/[\s-]+/g, '_');
  if (/^(TIER_)?UNLIMITED$/.test(v)) return { tier: 'TIER_UNLIMITED', limit: 'unlimited' };
  const m = /^(?:TIER_)?(\d+(?:\.\d+)?)(K|M)?$/.exec(v);
  if (!m) return undefined;
  const limit = Math.round(Number(m[1]) * (m[2] === 'M' ? 1_000_000 : m[2] === 'K' ? 1000 : 1));
  return limit > 0 ? { tier: `TIER_${m[1]}${m[2] ?? ''}`, limit } : undefined;
}

/**
 * The newer per-portfolio `whatsapp_business_manager_messaging_limit` may come as the tier string
 * or as an object around it; which key Meta uses is not documented, so the likely ones are tried.
 */
function portfolioTier(value: unknown): ReturnType<typeof parseTier> {
  if (!isRecord(value)) return parseTier(value);
  for (const key of ['current_limit', 'messaging_limit', 'messaging_limit_tier', 'tier', 'limit', 'value', 'current_tier']) {
    const found = portfolioTier(value[key]);
    if (found) return found;
  }
  return undefined;
}

function word(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() ? value.trim().toUpperCase().replace(/[\s-]+/g, '_') : undefined;
}

/** A Graph API phone-number object → the health; any value missing or unknown stays unknown. */
export function parseCloudHealth(json: unknown): SenderHealth {
  const h = unknownHealth('cloud', 'ok');
  if (!isRecord(json)) return { ...h, read: 'failed', error: 'the Cloud API answered without a phone number object' };
  h.quality = qualityOf(json.quality_rating);
  h.status = word(json.status) ?? 'UNKNOWN';
  const tier = portfolioTier(json.whatsapp_business_manager_messaging_limit) ?? parseTier(json.messaging_limit_tier);
  if (tier) Object.assign(h, tier);
  const level = word(isRecord(json.throughput) ? json.throughput.level : json.throughput);
  if (level) {
    h.throughput = level;
    h.perSecond = THROUGHPUT_PER_SECOND[level] ?? 'unknown';
  }
  const nameStatus = word(json.name_status);
  if (nameStatus) h.nameStatus = nameStatus;
  return h;
}

/** `GET /{Version}/{Phone-Number-ID}?fields=…` (providers.md §1.11); never throws, never shows the token. */
export async function readCloudHealth(env: ProviderEnv, opts: HealthOptions = {}): Promise<SenderHealth> {
  const token = env.WHATSAPP_TOKEN?.trim();
  const phone = env.WHATSAPP_PHONE_NUMBER_ID?.trim();
  if (!token || !phone) return unknownHealth('cloud', 'failed', `${!token ? 'WHATSAPP_TOKEN' : 'WHATSAPP_PHONE_NUMBER_ID'} is not set`);
  const base = (env.WHATSAPP_API_URL?.trim() || CLOUD_DEFAULT_API_URL).replace(/\/+$/, '');
  const path = `${base}/${encodeURIComponent(phone)}`;
  const res = await tryGet(`${path}?fields=${HEALTH_FIELDS}`, path, { Authorization: `Bearer ${token}`, Accept: 'application/json' }, { timeoutMs: opts.timeoutMs }, secretValues(env, CLOUD_SECRET_VARS));
  if ('failed' in res) return unknownHealth('cloud', 'failed', res.failed);
  if (res.status < 200 || res.status >= 300) return unknownHealth('cloud', 'failed', httpFailure('The Cloud API', res));
  return parseCloudHealth(res.json);
}

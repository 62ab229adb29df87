import { get, type Got } from './template-fetch.js';
import type { FetchOptions, ProviderName, QualityRating, SenderHealth } from './types.js';

/**
 * The provider-neutral half of the health read (issue 12): a result with nothing known, and a GET
 * that never throws. The readers themselves live in the providers' folders (cloud/health.ts...).
 */

export function unknownHealth(provider: ProviderName, read: SenderHealth['read'], error?: string): SenderHealth {
  return { provider, read, ...(error ? { error } : {}), quality: 'UNKNOWN', status: 'UNKNOWN', tier: 'UNKNOWN', limit: 'unknown', throughput: 'UNKNOWN', perSecond: 'unknown' };
}

/** The answer, or why there is none (network, timeout), as one line without a secret. */
export async function tryGet(url: string, shown: string, headers: Record<string, string>, opts: FetchOptions, secrets: string[]): Promise<Got | { failed: string }> {
  try {
    return await get(url, shown, headers, opts, secrets);
  } catch (err) {
    // get() already redacted it.
    return { failed: (err as Error).message.replace(/\.$/, '') };
  }
}

/** Why a non-2xx answer is not a health reading, in one line. */
export function httpFailure(who: string, res: Got): string {
  const why = res.status === 401 || res.status === 403 ? 'the credentials lack the permission to read it' : 'the provider refused the read';
  return `${who} answered HTTP ${res.status}${res.detail ? ` (${res.detail})` : ''}: ${why}`;
}

/** GREEN / YELLOW / RED in any case; anything else (NA, missing, a spelling we do not know) is UNKNOWN. */
export function qualityOf(value: unknown): QualityRating {
  const v = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (v === 'GREEN' || v === 'HIGH') return 'GREEN';
  if (v === 'YELLOW' || v === 'MEDIUM') return 'YELLOW';
  if (v === 'RED' || v === 'LOW') return 'RED';
  return 'UNKNOWN';
}

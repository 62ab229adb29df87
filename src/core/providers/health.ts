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

/** Pages of a template list read at most (100 templates a page): 1,000 templates. */
export const MAX_LIST_PAGES = 10;

/**
 * Every page of a paged list, following the provider's `next` link only on the same origin (the
 * credentials go nowhere else) and at most MAX_LIST_PAGES; `cut` says why the list is not whole,
 * so that `campaign account` says so instead of showing part of it as all of it.
 */
export async function readPages(
  first: string,
  shown: string,
  headers: Record<string, string>,
  opts: FetchOptions,
  secrets: string[],
  who: string,
  page: (json: unknown) => { items: unknown[]; next: unknown } | null,
): Promise<{ items: unknown[]; cut?: string } | { failed: string }> {
  const items: unknown[] = [];
  let url: string | null = first;
  for (let n = 0; url; n++) {
    if (n === MAX_LIST_PAGES) return { items, cut: `only the first ${MAX_LIST_PAGES} pages (${items.length} templates) are shown` };
    const res = await tryGet(url, shown, headers, opts, secrets);
    if ('failed' in res) return res;
    if (res.status < 200 || res.status >= 300) return { failed: httpFailure(who, res) };
    const got = page(res.json);
    if (!got) return { failed: `${who.replace(/^The /, 'the ')} answered without a template list` };
    items.push(...got.items);
    const next = got.next;
    url = null;
    if (typeof next === 'string' && next) {
      if (!sameOrigin(next, first)) return { items, cut: `the next page is on another address (${originOf(next)}), which is not asked with these credentials` };
      url = next;
    }
  }
  return { items };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'an address that cannot be read';
  }
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}

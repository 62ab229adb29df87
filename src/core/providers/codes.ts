import type { ClassifyContext, Classification, CodeMeaning, CodeRow } from './types.js';

/**
 * The provider-neutral half of error codes: the classification of a tabled code, the fallback by
 * HTTP status for a code no table has, Retry-After, and the transport outcomes every provider
 * shares. Each provider's own codes live in its folder (cloud/codes.ts, ...). Classify by code,
 * never by message text.
 */

const RETRY_AFTER_CAP_MS = 60_000;

/** How a tabled code is handled; an untabled one by its HTTP status alone. */
export function classifyRow(row: CodeRow | undefined, httpStatus: number | undefined, ctx: ClassifyContext = {}): Classification {
  if (row) {
    const cls = ctx.freeForm && row.freeFormClass ? row.freeFormClass : row.class;
    return { class: cls, ...(row.throttle ? { throttle: true } : {}), ...(row.retryAfterMs ? { retryAfterMs: row.retryAfterMs } : {}) };
  }
  return classifyStatus(httpStatus);
}

/** An unknown code, by HTTP status alone. */
export function classifyStatus(httpStatus: number | undefined): Classification {
  if (httpStatus === 429) return { class: 'retry', throttle: true };
  // An unrecognised 401 can only mean the credentials: every other message would fail too.
  if (httpStatus === 401) return { class: 'stop' };
  if (httpStatus === 408) return { class: 'retry' };
  if (httpStatus !== undefined && httpStatus >= 400 && httpStatus < 500) return { class: 'fail-contact' };
  // 503 without a provider code: the service turned the request away, safe to send again.
  if (httpStatus === 503) return { class: 'retry' };
  // Any other 5xx without a code the provider documents (a gateway's 502/504, an HTML 500): the
  // request reached something that may have passed it on, so the outcome is unknown, not retried
  // (giget: only replay what is safe to replay). Known transient codes (131000, 131016, 1, 2...) retry.
  if (httpStatus !== undefined && httpStatus >= 500) return { class: 'unknown' };
  return { class: 'retry' };
}

/**
 * Retry-After in milliseconds, from delta-seconds or an HTTP-date, capped at 60 s
 * (giget's cap: a provider asking for longer is better handled by a resume).
 */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = at - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), RETRY_AFTER_CAP_MS);
}

const UNCERTAIN = 'Check with the provider before resending (--resend-uncertain).';

/**
 * Transport outcomes (no provider answer, or a bare HTTP status), whatever the provider. No class
 * here: the same code is `retry` or `unknown` depending on whether the request was written
 * (http.ts), and a bare status is classified by classifyStatus.
 */
export const TRANSPORT_CODES: Readonly<Record<string, CodeMeaning>> = {
  ETIMEDOUT: { meaning: 'The request timed out: the provider may or may not have sent it.', action: UNCERTAIN },
  ECONNRESET: { meaning: 'The connection was reset mid-request: outcome unknown.', action: UNCERTAIN },
  ECONNREFUSED: { meaning: 'The provider could not be reached.', action: 'Check the network and the *_API_URL setting, then resume.' },
  ENOTFOUND: { meaning: "The provider's host name could not be resolved.", action: 'Check the network and the *_API_URL setting, then resume.' },
  EAI_AGAIN: { meaning: 'A DNS lookup failed for a moment before the request was sent.', action: 'Retried; check the network if it repeats.' },
  ABORTED: { meaning: 'Interrupted by the user.', action: 'Resume when ready.' },
  BAD_RESPONSE: { meaning: 'The provider answered success without a message id: outcome unknown.', action: UNCERTAIN },
  '502': { meaning: 'A gateway error (HTTP 502) after the request was sent: outcome unknown.', action: UNCERTAIN },
  '504': { meaning: 'A gateway timeout (HTTP 504) after the request was sent: outcome unknown.', action: UNCERTAIN },
  '429': { meaning: 'Too many requests (HTTP 429).', action: 'Lower --rate and resume.' },
  '500': { meaning: 'Provider server error (HTTP 500) without a documented code: outcome unknown.', action: UNCERTAIN },
  '503': { meaning: 'Provider unavailable (HTTP 503).', action: 'Resume later.' },
};

/** One line: what the code means and what to do; `title` names the provider when it is not tabled. */
export function describeCode(known: CodeMeaning | undefined, title: string, code: string): string {
  return known ? `${known.meaning} ${known.action}` : `Unrecognised ${title} error ${code}: see the provider's error documentation.`;
}

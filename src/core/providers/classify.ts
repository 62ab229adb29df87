import { lookupCode } from './meanings.js';
import type { ErrorClass, Provider } from './types.js';

/**
 * Error code → handling class, one table per provider, transcribed from /work/shared/providers.md
 * (§1.5 Meta Cloud API, §2 Twilio, §3 Vonage). Classify by code, never by message text.
 */
export interface Classification {
  class: ErrorClass;
  /** Throttling: slow the whole sender down, not just this message. */
  throttle?: boolean;
  /** A wait the provider's documentation implies, when no Retry-After says otherwise. */
  retryAfterMs?: number;
}

export interface ClassifyContext {
  /** The message was free-form text (no approved template). */
  freeForm?: boolean;
}

type ProviderName = Provider['name'];

interface Row extends Classification {
  /** Class when the message was free-form text: the campaign itself is misconfigured. */
  freeFormClass?: ErrorClass;
}

const RETRY_AFTER_CAP_MS = 60_000;

const CLOUD: Record<string, Row> = {
  // §1.5 row "0"
  '0': { class: 'stop' },
  // §1.5 row "190"
  '190': { class: 'stop' },
  // §1.5 row "3"
  '3': { class: 'stop' },
  // §1.5 row "10"
  '10': { class: 'stop' },
  // §1.5 row "200–299" (looked up as a range in rowOfCloud)
  '200-299': { class: 'stop' },
  // §1.5 row "4"
  '4': { class: 'retry', throttle: true },
  // §1.5 row "80007"
  '80007': { class: 'retry', throttle: true },
  // §1.5 row "130429"
  '130429': { class: 'retry', throttle: true },
  // §1.5 row "131057"
  '131057': { class: 'retry', retryAfterMs: 60_000 },
  // §1.5 row "131056"
  '131056': { class: 'defer-contact' },
  // §1.5 row "131048"
  '131048': { class: 'stop' },
  // §1.5 row "131049"
  '131049': { class: 'defer-contact' },
  // §1.5 row "131050"
  '131050': { class: 'suppress' },
  // §1.5 row "130472"
  '130472': { class: 'fail-contact' },
  // §1.5 row "131026"
  '131026': { class: 'fail-contact' },
  // §1.5 row "131047"
  '131047': { class: 'fail-contact', freeFormClass: 'stop' },
  // §1.5 row "131051"
  '131051': { class: 'fail-contact' },
  // §1.5 row "131052"
  '131052': { class: 'fail-contact' },
  // §1.5 row "131053" (campaign messages carry no media of their own, so it is about this message)
  '131053': { class: 'fail-contact' },
  // §1.5 row "131000"
  '131000': { class: 'retry' },
  // §1.5 row "131016"
  '131016': { class: 'retry' },
  // §1.5 row "131031"
  '131031': { class: 'stop' },
  // §1.5 row "368"
  '368': { class: 'stop' },
  // §1.5 row "132000"
  '132000': { class: 'stop' },
  // §1.5 row "132001"
  '132001': { class: 'stop' },
  // §1.5 row "132005"
  '132005': { class: 'fail-contact' },
  // §1.5 row "132007"
  '132007': { class: 'fail-contact' },
  // §1.5 row "132012"
  '132012': { class: 'stop' },
  // §1.5 row "132015"
  '132015': { class: 'stop' },
  // §1.5 row "132016"
  '132016': { class: 'stop' },
  // §1.5 row "133010"
  '133010': { class: 'stop' },
  // §1.5 row "1"
  '1': { class: 'retry' },
  // §1.5 row "2"
  '2': { class: 'retry' },
  // §1.5 row "100": STOP when it is the payload; numbers are validated before sending, so it is.
  '100': { class: 'stop' },
  // §1.5 row "131008 / 131009": lint catches missing row data, so this is configuration.
  '131008': { class: 'stop' },
  // §1.5 row "131008 / 131009"
  '131009': { class: 'stop' },
  // §1.5 row "131021"
  '131021': { class: 'fail-contact' },
  // §1.5 row "131042"
  '131042': { class: 'stop' },
  // §1.5 row "33"
  '33': { class: 'stop' },
};

const TWILIO: Record<string, Row> = {
  // §2 row "20003"
  '20003': { class: 'stop' },
  // §2 row "20429"
  '20429': { class: 'retry', throttle: true },
  // §2 row "21211"
  '21211': { class: 'fail-contact' },
  // §2 row "21408"
  '21408': { class: 'stop' },
  // §2 row "21610"
  '21610': { class: 'suppress' },
  // §2 row "21614"
  '21614': { class: 'fail-contact' },
  // §2 row "63016"
  '63016': { class: 'fail-contact', freeFormClass: 'stop' },
  // §2 row "63018"
  '63018': { class: 'retry', throttle: true },
  // §2 row "63024"
  '63024': { class: 'fail-contact' },
  // §2 row "63032"
  '63032': { class: 'fail-contact' },
  // §2 row "63003"
  '63003': { class: 'fail-contact' },
  // §2 row "63014"
  '63014': { class: 'suppress' },
  // §2 row "63021"
  '63021': { class: 'fail-contact' },
  // §2 row "63007"
  '63007': { class: 'stop' },
  // §2 row "63049"
  '63049': { class: 'defer-contact' },
};

const VONAGE: Record<string, Row> = {
  // §3 "Classes: 429/1000 RETRY"
  '429': { class: 'retry', throttle: true },
  // §3 "Classes: 429/1000 RETRY"
  '1000': { class: 'retry', throttle: true },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '401': { class: 'stop' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '402': { class: 'stop' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '1060': { class: 'stop' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '1070': { class: 'stop' },
  // §3 "1022 STOP"
  '1022': { class: 'stop' },
  // §3 "1050/invalid recipient FAIL-CONTACT"
  '1050': { class: 'fail-contact' },
  // §3 list "1030 internal" (500): transient
  '1030': { class: 'retry' },
  // §3 list "1120 illegal sender": the sender is shared by every message, so it is configuration
  '1120': { class: 'stop' },
};


function rowOfCloud(code: string): Row | undefined {
  const n = Number(code);
  if (Number.isInteger(n) && n >= 200 && n <= 299) return CLOUD['200-299'];
  return CLOUD[code];
}

/** Meta Cloud API `error.code` (§1.5). */
export function classifyCloud(code: number | string | undefined, httpStatus?: number, ctx: ClassifyContext = {}): Classification {
  return fromRow(code === undefined ? undefined : rowOfCloud(String(code)), httpStatus, ctx);
}

/** Twilio `code` (§2). */
export function classifyTwilio(code: number | string | undefined, httpStatus?: number, ctx: ClassifyContext = {}): Classification {
  return fromRow(code === undefined ? undefined : TWILIO[String(code)], httpStatus, ctx);
}

/** Vonage problem code (`type` URL fragment) or, without one, the HTTP status (§3). */
export function classifyVonage(code: number | string | undefined, httpStatus?: number): Classification {
  const row = (code === undefined ? undefined : VONAGE[String(code)]) ?? (httpStatus === undefined ? undefined : VONAGE[String(httpStatus)]);
  return fromRow(row, httpStatus, {});
}

function fromRow(row: Row | undefined, httpStatus: number | undefined, ctx: ClassifyContext): Classification {
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

/** One line: what the code means and what to do. For the report and the send summary. */
export function meaningOf(provider: ProviderName, code: number | string): string {
  const key = String(code);
  const known = lookupCode(key, provider);
  if (known) return `${known.meaning} ${known.action}`;
  const label = provider === 'sandbox' ? 'sandbox' : provider === 'cloud' ? 'WhatsApp Cloud API' : provider === 'twilio' ? 'Twilio' : 'Vonage';
  return `Unrecognised ${label} error ${key}: see the provider's error documentation.`;
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

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
  meaning: string;
  /** Class when the message was free-form text: the campaign itself is misconfigured. */
  freeFormClass?: ErrorClass;
}

const RETRY_AFTER_CAP_MS = 60_000;

const CLOUD: Record<string, Row> = {
  // §1.5 row "0"
  '0': { class: 'stop', meaning: 'Could not authenticate (token expired, invalidated or revoked): renew WHATSAPP_TOKEN, then resume.' },
  // §1.5 row "190"
  '190': { class: 'stop', meaning: 'Access token expired: renew WHATSAPP_TOKEN, then resume.' },
  // §1.5 row "3"
  '3': { class: 'stop', meaning: 'The app lacks the capability or permission for this API method: fix the app setup in Meta, then resume.' },
  // §1.5 row "10"
  '10': { class: 'stop', meaning: 'Permission denied (not granted or removed): grant whatsapp_business_messaging to the token, then resume.' },
  // §1.5 row "200–299" (looked up as a range in rowOfCloud)
  '200-299': { class: 'stop', meaning: 'An API permission is missing: grant it to the token, then resume.' },
  // §1.5 row "4"
  '4': { class: 'retry', throttle: true, meaning: 'The app hit its Graph API call rate limit: sending slows down and retries.' },
  // §1.5 row "80007"
  '80007': { class: 'retry', throttle: true, meaning: 'The WhatsApp Business Account hit its rate limit: sending slows down and retries.' },
  // §1.5 row "130429"
  '130429': { class: 'retry', throttle: true, meaning: 'Throughput (messages per second for this number) reached: lower --rate.' },
  // §1.5 row "131057"
  '131057': { class: 'retry', retryAfterMs: 60_000, meaning: 'The account is in maintenance mode (e.g. a throughput upgrade): retried after about a minute.' },
  // §1.5 row "131056"
  '131056': { class: 'defer-contact', meaning: 'Too many messages to this recipient in a short time (pair rate limit): this recipient is retried later.' },
  // §1.5 row "131048"
  '131048': { class: 'stop', meaning: 'Spam rate limit: earlier messages were blocked or flagged. Check quality in WhatsApp Manager before resuming.' },
  // §1.5 row "131049"
  '131049': { class: 'defer-contact', meaning: 'Meta chose not to deliver (per-user marketing cap): retry this recipient much later, or leave them out of this campaign.' },
  // §1.5 row "131050"
  '131050': { class: 'suppress', meaning: 'The recipient stopped marketing messages from this business: recorded as an opt-out.' },
  // §1.5 row "130472"
  '130472': { class: 'fail-contact', meaning: "The recipient's number is part of a Meta marketing experiment: not sent." },
  // §1.5 row "131026"
  '131026': { class: 'fail-contact', meaning: 'Undeliverable: not a WhatsApp number, terms not accepted, or an outdated app.' },
  // §1.5 row "131047"
  '131047': { class: 'fail-contact', freeFormClass: 'stop', meaning: 'More than 24 h since the recipient last replied: free-form text is not allowed, use an approved template.' },
  // §1.5 row "131051"
  '131051': { class: 'fail-contact', meaning: 'Unsupported message type: if it repeats, the payload is wrong.' },
  // §1.5 row "131052"
  '131052': { class: 'fail-contact', meaning: 'Media download error.' },
  // §1.5 row "131053" (campaign messages carry no media of their own, so it is about this message)
  '131053': { class: 'fail-contact', meaning: 'Media upload error: the media is unsupported or could not be fetched.' },
  // §1.5 row "131000"
  '131000': { class: 'retry', meaning: 'Something went wrong at Meta: retried a few times, then failed.' },
  // §1.5 row "131016"
  '131016': { class: 'retry', meaning: 'Service unavailable at Meta: retried with backoff.' },
  // §1.5 row "131031"
  '131031': { class: 'stop', meaning: 'The business account is locked or restricted: check WhatsApp Manager before resuming.' },
  // §1.5 row "368"
  '368': { class: 'stop', meaning: 'Temporarily blocked for policy violations: check WhatsApp Manager before resuming.' },
  // §1.5 row "132000"
  '132000': { class: 'stop', meaning: "Template parameter count mismatch: make the front matter's params match the approved template." },
  // §1.5 row "132001"
  '132001': { class: 'stop', meaning: 'The template does not exist in that language or is not approved: check template name and language.' },
  // §1.5 row "132005"
  '132005': { class: 'fail-contact', meaning: "The template text is too long after substitution: shorten this contact's values." },
  // §1.5 row "132007"
  '132007': { class: 'fail-contact', meaning: "Template format or character policy violated by this contact's values." },
  // §1.5 row "132012"
  '132012': { class: 'stop', meaning: 'Parameter format does not match the approved template: fix the template configuration.' },
  // §1.5 row "132015"
  '132015': { class: 'stop', meaning: 'The template is paused for low quality: wait or use another template.' },
  // §1.5 row "132016"
  '132016': { class: 'stop', meaning: 'The template is permanently disabled: use another template.' },
  // §1.5 row "133010"
  '133010': { class: 'stop', meaning: 'The business phone number is not registered on the Cloud API: register it, then resume.' },
  // §1.5 row "1"
  '1': { class: 'retry', meaning: 'Unknown API error or invalid request: retried a little, then failed.' },
  // §1.5 row "2"
  '2': { class: 'retry', meaning: 'Temporary downtime or overload at Meta: retried.' },
  // §1.5 row "100": STOP when it is the payload; numbers are validated before sending, so it is.
  '100': { class: 'stop', meaning: 'Invalid parameter in the request: a payload or configuration problem.' },
  // §1.5 row "131008 / 131009": lint catches missing row data, so this is configuration.
  '131008': { class: 'stop', meaning: 'A required parameter is missing: check the template configuration.' },
  // §1.5 row "131008 / 131009"
  '131009': { class: 'stop', meaning: 'A parameter value is invalid: check the template configuration and the values.' },
  // §1.5 row "131021"
  '131021': { class: 'fail-contact', meaning: 'The recipient is the sender.' },
  // §1.5 row "131042"
  '131042': { class: 'stop', meaning: 'Business eligibility or payment issue: fix billing in Meta Business, then resume.' },
  // §1.5 row "33"
  '33': { class: 'stop', meaning: 'The business phone number was deleted: check WHATSAPP_PHONE_NUMBER_ID.' },
};

const TWILIO: Record<string, Row> = {
  // §2 row "20003"
  '20003': { class: 'stop', meaning: 'Authentication failed: check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN.' },
  // §2 row "20429"
  '20429': { class: 'retry', throttle: true, meaning: 'Too many concurrent requests (not processed): sending slows down and retries.' },
  // §2 row "21211"
  '21211': { class: 'fail-contact', meaning: "Invalid 'To' number." },
  // §2 row "21408"
  '21408': { class: 'stop', meaning: "Sending to this region is not enabled: enable it in the account's geo permissions." },
  // §2 row "21610"
  '21610': { class: 'suppress', meaning: 'The recipient unsubscribed (replied STOP): recorded as an opt-out.' },
  // §2 row "21614"
  '21614': { class: 'fail-contact', meaning: "'To' is not a valid mobile number." },
  // §2 row "63016"
  '63016': { class: 'fail-contact', freeFormClass: 'stop', meaning: 'Outside the 24 h window for free-form text: use an approved template (ContentSid).' },
  // §2 row "63018"
  '63018': { class: 'retry', throttle: true, meaning: 'Rate limit for the channel exceeded (MPS or messaging limit): sending slows down.' },
  // §2 row "63024"
  '63024': { class: 'fail-contact', meaning: 'Invalid message recipient.' },
  // §2 row "63032"
  '63032': { class: 'fail-contact', meaning: "The recipient's number is part of a Meta experiment: not sent." },
  // §2 row "63003"
  '63003': { class: 'fail-contact', meaning: "The channel could not find the 'To' address." },
  // §2 row "63014"
  '63014': { class: 'suppress', meaning: 'Blocked by the recipient (blocked or opted out): recorded as an opt-out.' },
  // §2 row "63021"
  '63021': { class: 'fail-contact', meaning: 'Invalid content (unsupported media or text too long after substitution).' },
  // §2 row "63007"
  '63007': { class: 'stop', meaning: "No channel for the 'From' address: check TWILIO_WHATSAPP_FROM." },
  // §2 row "63049"
  '63049': { class: 'defer-contact', meaning: 'Meta chose not to deliver this marketing message: retry this recipient much later.' },
};

const VONAGE: Record<string, Row> = {
  // §3 "Classes: 429/1000 RETRY"
  '429': { class: 'retry', throttle: true, meaning: 'Throttled: sending slows down and retries.' },
  // §3 "Classes: 429/1000 RETRY"
  '1000': { class: 'retry', throttle: true, meaning: 'Throttled: sending slows down and retries.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '401': { class: 'stop', meaning: 'Missing or invalid credentials: check VONAGE_API_KEY and VONAGE_API_SECRET.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '402': { class: 'stop', meaning: 'Balance too low: top up the Vonage account, then resume.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '1060': { class: 'stop', meaning: 'The Vonage account is barred.' },
  // §3 "Classes: 401/402/1060/1070 STOP"
  '1070': { class: 'stop', meaning: 'Quota or credit exhausted: top up the Vonage account, then resume.' },
  // §3 "1022 STOP"
  '1022': { class: 'stop', meaning: 'Invalid template: check the template name, language and parameters.' },
  // §3 "1050/invalid recipient FAIL-CONTACT"
  '1050': { class: 'fail-contact', meaning: 'The number is barred.' },
  // §3 list "1030 internal" (500): transient
  '1030': { class: 'retry', meaning: 'Internal error at Vonage: retried.' },
  // §3 list "1120 illegal sender": the sender is shared by every message, so it is configuration
  '1120': { class: 'stop', meaning: 'Illegal sender: check VONAGE_WHATSAPP_FROM.' },
};

const TRANSPORT: Record<string, string> = {
  ECONNREFUSED: 'Connection refused before the request was sent: retried.',
  ENOTFOUND: 'Host not found before the request was sent: check the *_API_URL setting.',
  EAI_AGAIN: 'DNS lookup failed temporarily before the request was sent: retried.',
  ECONNRESET: 'The connection dropped after the request was sent: the provider may have accepted it (outcome unknown).',
  ETIMEDOUT: 'No answer in time after the request was sent: the provider may have accepted it (outcome unknown).',
  ABORTED: 'Interrupted by the user.',
  BAD_RESPONSE: 'The provider answered success without a message id: outcome unknown.',
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
  const row = provider === 'twilio' ? TWILIO[key] : provider === 'vonage' ? VONAGE[key] : rowOfCloud(key);
  if (row) return row.meaning;
  if (TRANSPORT[key]) return TRANSPORT[key];
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

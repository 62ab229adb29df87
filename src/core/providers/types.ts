import type { SandboxCallbackSettings } from './sandbox/callbacks.js';
import type { HeaderKind, TemplateMeta } from '../template/types.js';

/** Environment a provider reads (process.env merged with .env by the caller). */
export type ProviderEnv = Record<string, string | undefined>;

export interface ProviderOptions {
  timeoutMs?: number;
  /** Requests in flight at most; also the keep-alive socket pool size. */
  concurrency?: number;
  userAgent?: string;
}

/**
 * What a provider is told to send and what it answers. One message per recipient; a provider
 * never retries on its own: the dispatcher decides, from the class of the error.
 */
export interface OutboundMessage {
  /** Recipient in E.164, with the `+`. */
  to: string;
  /** The rendered text (for `text` messages, and for the outbox/summary of template messages). */
  text: string;
  /** Present when the template has front matter: the approved template to use. */
  template?: {
    name: string;
    language: string;
    /** Body parameter values, in order. */
    params: string[];
    /** Names of the body parameters (the `params` columns), for named-parameter templates and Twilio ContentVariables. */
    paramNames: string[];
    /** URL-button suffixes, in button order. */
    buttonSuffixes: string[];
    /** Twilio Content SID when configured. */
    contentSid?: string;
    /**
     * How the approved template declares its body variables: `{{1}}` (positional, the default)
     * or `{{first_name}}` (named: Cloud sends `parameter_name`, Vonage needs a custom message).
     */
    parameterFormat?: 'positional' | 'named';
    /**
     * The header, per message: media by `link` (a URL, rendered for this recipient) or by an
     * uploaded media `id` (a local file, uploaded once per campaign), or text header parameters.
     */
    header?: { kind: 'image' | 'video' | 'document'; link?: string; id?: string; filename?: string } | { kind: 'text'; params: string[] };
    /** Quick-reply buttons' payloads, in button order (index = the button's position). */
    quickReplies?: { index: number; payload: string }[];
    /** URL buttons' suffixes with their button positions (supersedes buttonSuffixes' implicit order). */
    urlButtons?: { index: number; suffix: string }[];
  };
  /** Correlation value echoed by providers in callbacks (`biz_opaque_callback_data`, `client_ref`). */
  correlation: string;
}

/**
 * providers.md's five classes, plus `unknown` for a transport failure after the request was
 * written: the provider may have accepted it and none of the three offers an idempotency key.
 */
export type ErrorClass = 'retry' | 'defer-contact' | 'fail-contact' | 'suppress' | 'stop' | 'unknown';

export type SendResult =
  | { ok: true; id: string }
  | {
      ok: false;
      class: ErrorClass;
      /** Provider error code (Meta error.code, Twilio code, Vonage problem code or HTTP status), or a transport code. */
      code: string;
      /** HTTP status, when there was a response. */
      status?: number;
      /** One line, never containing a secret. */
      message: string;
      /** Milliseconds from Retry-After, when the provider gave one. */
      retryAfterMs?: number;
      /** Throttling: the dispatcher slows the whole sender down. */
      throttle?: boolean;
    };

export interface SendContext {
  signal?: AbortSignal;
  /** Called once the request's last byte is handed to the socket (the rate gate stamps the start then). */
  onRequestWritten?: () => void;
  /**
   * An early grant's hold (the rate gate's due time): the request may take its socket now but its
   * bytes must not go before this resolves. Only given to a provider with `writesAtDue`.
   */
  notBefore?: Promise<void>;
}

export type ProviderName = 'sandbox' | 'cloud' | 'twilio' | 'vonage';

/** A local header file to upload (issue 10): absolute path and the MIME type it is sent as. */
export interface MediaUpload {
  path: string;
  mime: string;
}

export type UploadResult = { ok: true; id: string } | { ok: false; message: string };

export interface Provider {
  readonly name: ProviderName;
  /** Never throws for provider or transport errors: they come back classified. */
  send(msg: OutboundMessage, ctx?: SendContext): Promise<SendResult>;
  /**
   * Honours `SendContext.notBefore` by writing the request as the hold ends: its socket and body
   * are ready by then, so the write is not late by the time it takes to get them.
   */
  readonly writesAtDue?: boolean;
  /** Uploads a header file once per campaign; the id goes in every message. Only providers that take uploads. */
  uploadMedia?(media: MediaUpload): Promise<UploadResult>;
  /** Closes keep-alive sockets (and the sandbox server). */
  close(): Promise<void>;
  /** The sandbox: waits for the delivery callbacks still due (bounded; `signal` skips the wait); how many were left. */
  settle?(opts: { signal?: AbortSignal; onWait?: (seconds: number) => void }): Promise<number>;
}

// ---------------------------------------------------------------- error codes

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

export interface CodeMeaning {
  meaning: string;
  action: string;
}

/** One documented error code: how it is handled and what to tell the user, side by side. */
export interface CodeRow extends Classification, CodeMeaning {
  /** Class when the message was free-form text: the campaign itself is misconfigured. */
  freeFormClass?: ErrorClass;
}

export type CodeTable = Readonly<Record<string, CodeRow>>;

// ---------------------------------------------------------------- webhooks

export type WebhookProvider = Exclude<ProviderName, 'sandbox'>;
export type DeliveryStatus = 'sent' | 'delivered' | 'read' | 'failed';

export interface StatusItem {
  kind: 'status';
  provider: WebhookProvider;
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
  provider: WebhookProvider;
  from: string;
  text?: string;
  buttonPayload?: string;
  /** Id of our message this replies to (Meta `context.id`), when the provider says. */
  contextId?: string;
  at: string;
}

export interface OptOutItem {
  kind: 'optout';
  provider: WebhookProvider;
  from: string;
  /** Where it came from, e.g. `user_preferences`. */
  source: string;
  at: string;
}

export type WebhookItem = StatusItem | InboundItem | OptOutItem;

/** One callback as the webhook server received it. */
export interface WebhookRequest {
  /** The body bytes exactly as received: signatures cover them. */
  raw: Buffer;
  header(name: string): string | undefined;
  /** Path and query as received. */
  url: URL;
  env: ProviderEnv;
}

export type WebhookVerdict = { ok: true } | { ok: false; status: 401 | 403; reason: string };

/** `POST /webhooks/<provider>`: verified against the raw bytes before anything is parsed. */
export interface WebhookRoute {
  /** Variable holding the secret that verifies callbacks; unset, every request is refused (403). */
  secretVar: string;
  /** 401 when the signature is missing, 403 when it is wrong; `reason` is logged and holds no secret. */
  verify(req: WebhookRequest, secret: string): WebhookVerdict;
  /** Normalized items; undefined when the body is not in the route's format (400). Never throws. */
  parse(req: WebhookRequest, receivedAt: string): WebhookItem[] | undefined;
  /** The answer to a handled callback; default an empty text/plain body. */
  reply?: { body: string; contentType: string };
  /** `GET` subscription handshake (Meta's `hub.challenge`). */
  handshake?: {
    secretVar: string;
    /** The body to answer with, or why the handshake is refused. */
    answer(query: URLSearchParams, secret: string): { ok: true; body: string } | { ok: false; reason: string };
  };
}

// ---------------------------------------------------------------- approved templates

/** The provider's approved template, reduced to what parity compares (provider-neutral). */
export interface ApprovedTemplate {
  provider: 'cloud' | 'twilio';
  /** Template name (Cloud `name`; Twilio `friendly_name`, or the WhatsApp approval name). */
  name: string;
  /** Language code as the provider has it (`es`, `es_ES`, `en_US`), or null when not given. */
  language: string | null;
  /** Lower case: marketing | utility | authentication; null when unknown. */
  category: string | null;
  /** Upper case: APPROVED, PENDING, REJECTED, PAUSED, DISABLED…; null when the provider did not say. */
  status: string | null;
  /** The approved body text with its `{{…}}` placeholders. */
  body: string;
  /** Body placeholders in order of first use, without braces: `1`, `2` or names. */
  params: string[];
  /** `positional` ({{1}}, {{2}}), `named` ({{first_name}}) or `none`. */
  paramFormat: 'positional' | 'named' | 'none';
  /** URL buttons in order; `dynamic` when the URL ends in a `{{…}}` suffix variable. */
  urlButtons: { url: string; dynamic: boolean }[];
  /**
   * The approved header (issue 10): its format and, for TEXT, its text; null when the template has
   * none; absent when the provider did not say.
   */
  header?: { format: string; text?: string } | null;
  /** The approved footer text; null when none; absent when the provider did not say. */
  footer?: string | null;
  /** Every approved button in order (QUICK_REPLY, URL, PHONE_NUMBER…); absent when the provider did not say. */
  buttons?: ApprovedButton[];
}

export interface ApprovedButton {
  /** Upper case, as Graph names them: QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE… */
  type: string;
  text: string;
  /** URL buttons: the approved URL; `dynamic` when it ends in a `{{…}}` suffix. */
  url?: string;
  dynamic?: boolean;
}

export interface FetchOptions {
  signal?: AbortSignal;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

export type FetchApprovedTemplate = (env: ProviderEnv, meta: TemplateMeta, opts: FetchOptions) => Promise<ApprovedTemplate | null>;

// ---------------------------------------------------------------- the registry's entries

export interface SandboxFaults {
  /** The health read's answer (issue 12): `quality=red`, `status=flagged`, `tier=250`, `health=fail`. */
  health?: { quality?: string; status?: string; tier?: string; fail?: boolean };
  /** Fixed delay before every answer. */
  latencyMs: number;
  /** Per request, at most one of these fires; probabilities add up. */
  rates: { fault: string; probability: number }[];
  /** 1-based request number → fault, checked before the rates. */
  at: Map<number, string>;
  /** Makes the rate-based faults reproducible. */
  seed?: number;
  /** The delivery callbacks the sandbox produces (sandbox/callbacks.ts); absent: the defaults. */
  callbacks?: SandboxCallbackSettings;
}

export interface CreateProviderOptions extends ProviderOptions {
  /** Sandbox only; env fallbacks CAMPAIGN_SANDBOX_OUTBOX and CAMPAIGN_SANDBOX_FAULTS. */
  sandbox?: {
    outbox?: string;
    faults?: SandboxFaults | string;
    /** A real send: the journal and folder its callbacks are written to (through the webhook server). */
    callbacks?: { journal: string; cwd: string; store?: string; env?: Record<string, string | undefined>; log?: (line: string) => void };
  };
}

/** Everything the rest of the program knows about one provider (src/core/providers/<name>/index.ts). */
export interface ProviderModule {
  readonly name: ProviderName;
  /** For messages about its codes: "WhatsApp Cloud API", "Twilio". */
  readonly title: string;
  /** Variables whose values are secrets: scrubbed from every message the provider's code writes. */
  readonly secretVars: readonly string[];
  /** The sender, configured from `env`; a usage error names the missing variables. */
  create(env: ProviderEnv, opts: CreateProviderOptions): Provider;
  /**
   * Who sends, as the provider counts it: the business number (Cloud phone number id, the
   * Twilio / Vonage from-number). The key of the repeat guard's history; never a secret.
   */
  senderId(env: ProviderEnv): string;
  /** Every documented error code with its class, meaning and action. */
  readonly codes: CodeTable;
  /** The key `code` is filed under in `codes` (Meta files 200–299 as one row). */
  codeKey?(code: string): string;
  readonly webhook?: WebhookRoute;
  /** `lint --check-template`; resolves null when the provider has no such template. */
  readonly fetchApprovedTemplate?: FetchApprovedTemplate;
  /**
   * The template headers it can send, per kind: from a `url`, from a local `file` (uploaded,
   * see Provider.uploadMedia), or `text`. A kind or source not listed is refused at planning.
   */
  readonly headers: Partial<Record<HeaderKind, readonly HeaderSource[]>>;
  /** The sender's health as the provider reports it (issue 12). Never throws: a failed read comes back `read: 'failed'`. */
  health?(env: ProviderEnv, opts: HealthOptions): Promise<SenderHealth>;
  /** The account's templates with their status and quality, for `campaign account`; never throws. */
  listTemplates?(env: ProviderEnv, opts: HealthOptions): Promise<TemplateList>;
}

// ---------------------------------------------------------------- the sender's health

export type QualityRating = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';

/**
 * What the provider says about the sending number before a send. Every value the provider did not
 * give, or gave in a spelling we do not know, is `UNKNOWN` / `unknown`: never read as healthy.
 */
export interface SenderHealth {
  provider: ProviderName;
  /** `ok`: the provider answered; `failed`: it could not be read (`error` says why); `none`: the provider gives no health signal. */
  read: 'ok' | 'failed' | 'none';
  /** One line without any secret. */
  error?: string;
  quality: QualityRating;
  /** Upper case as the provider spells it: CONNECTED, FLAGGED, RESTRICTED… (Twilio: the account's ACTIVE, SUSPENDED, CLOSED); UNKNOWN when not given. */
  status: string;
  /** TIER_250, TIER_2K… or UNKNOWN. */
  tier: string;
  /** Distinct recipients per rolling 24 h the tier allows. */
  limit: number | 'unlimited' | 'unknown';
  /** STANDARD, HIGH, NOT_APPLICABLE or UNKNOWN. */
  throughput: string;
  /** Messages per second the throughput level allows, when it is known. */
  perSecond: number | 'unknown';
  /** The display name's review status (Cloud), when given. */
  nameStatus?: string;
}

export interface HealthOptions {
  timeoutMs?: number;
  /** Sandbox only: its faults (`--sandbox-faults`). */
  sandboxFaults?: SandboxFaults | string;
  /** Sandbox only: the folder's approved template, which its template list answers as approved. */
  sandboxTemplate?: { name: string; language: string; category?: string };
}

export interface AccountTemplate {
  name: string;
  language: string | null;
  category: string | null;
  /** APPROVED, PENDING, REJECTED, PAUSED, DISABLED…; null when not given. */
  status: string | null;
  /** GREEN, YELLOW, RED or UNKNOWN. */
  quality: QualityRating;
}

export type TemplateList = { read: 'ok'; templates: AccountTemplate[]; /** Why the list is not whole (too many pages, a next page elsewhere). */ cut?: string } | { read: 'failed' | 'none'; error?: string; templates: [] };

export type HeaderSource = 'url' | 'file' | 'text';

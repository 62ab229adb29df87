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
}

export interface Provider {
  readonly name: 'sandbox' | 'cloud' | 'twilio' | 'vonage';
  /** Never throws for provider or transport errors: they come back classified. */
  send(msg: OutboundMessage, ctx?: SendContext): Promise<SendResult>;
  /** Closes keep-alive sockets (and the sandbox server). */
  close(): Promise<void>;
}

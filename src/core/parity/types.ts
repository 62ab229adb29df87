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
}

/** Environment the fetchers read (process.env merged with .env by the caller). */
export type ParityEnv = Record<string, string | undefined>;

export interface FetchOptions {
  /** Injected for tests; defaults to global fetch. */
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Per request; default 15 s. */
  timeoutMs?: number;
}

export type LinkKind = 'video' | 'pdf' | 'page' | 'form' | 'image' | 'audio';
export const LINK_KINDS: readonly LinkKind[] = ['video', 'pdf', 'page', 'form', 'image', 'audio'];

export interface DeclaredLink {
  url: string;
  kind: LinkKind;
}

export type HeaderKind = 'image' | 'video' | 'document' | 'text';
export const HEADER_KINDS: readonly HeaderKind[] = ['image', 'video', 'document', 'text'];

/**
 * The approved template's header, as the front matter declares it (issue 10):
 * media (`image` / `video` / `document`) from a public https `url` (placeholders allowed, then
 * checked per message) or a local `file` (relative to the template, resolved to an absolute
 * path; uploaded once per campaign); `text` headers with placeholders.
 */
export interface TemplateHeader {
  kind: HeaderKind;
  url?: string;
  /** Absolute path of a local media file. */
  file?: string;
  /** Documents: the name the recipient sees. */
  filename?: string;
  /** Text headers: the text, `{{column}}` placeholders allowed. */
  text?: string;
  /** 1-based line of `header:` in the template file, for findings. */
  line?: number;
}

export type TemplateButton =
  /** A quick-reply button as approved; `optout`: a tap means "stop" (the webhook suppresses the number). */
  | { type: 'quick_reply'; text: string; optout?: boolean }
  /** A URL button; `param`: the CSV column appended to the approved URL (its dynamic suffix). */
  | { type: 'url'; param?: string; text?: string };

/** The front matter, validated. Unknown keys are kept in `extra` for providers that need more. */
export interface TemplateMeta {
  template: string;
  language: string;
  category: 'marketing' | 'utility' | 'authentication';
  params: string[];
  links: DeclaredLink[];
  /** Twilio Content API template SID (HX...), or the env var holding it: see README. */
  content_sid?: string;
  /** CSV columns whose values are appended to the approved template's URL buttons, in button order. */
  button_params?: string[];
  header?: TemplateHeader;
  /** The approved footer text (no placeholders). */
  footer?: string;
  /** The approved buttons, in order. */
  buttons?: TemplateButton[];
  /** `electoral`: electoral propaganda (opt-out and sender findings become errors). */
  purpose?: 'electoral';
  /** The organisation or person the messages come from, as the text names it (the `sender-missing` rule looks for it). */
  sender?: string;
  extra: Record<string, unknown>;
}

export interface Template {
  path: string;
  /** Null for a plain text message (no front matter). */
  meta: TemplateMeta | null;
  body: string;
  /** Distinct `{{column}}` names used in the body, in order of first use. */
  placeholders: string[];
  /** 1-based line of the template file where the body starts. */
  bodyLine: number;
  /** Raw bytes' SHA-256 hex. */
  sha256: string;
}

export type LinkKind = 'video' | 'pdf' | 'page' | 'form' | 'image' | 'audio';
export const LINK_KINDS: readonly LinkKind[] = ['video', 'pdf', 'page', 'form', 'image', 'audio'];

export interface DeclaredLink {
  url: string;
  kind: LinkKind;
}

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

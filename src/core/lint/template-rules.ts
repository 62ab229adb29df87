import { bindColumns, columnUses } from '../template/render.js';
import { FRONT_MATTER_KEYS } from '../template/parse.js';
import type { Template } from '../template/types.js';
import type { Finding, RuleInfo } from '../findings.js';
import { lintLinks } from './link-rules.js';
import { scanText } from './scan-text.js';

/** Provider body limits (docs/providers.md §1.2, §1.9); counted in UTF-16 units, as whatsapp-api-js does. */
export const TEMPLATE_BODY_LIMIT = 1024;
export const TEXT_BODY_LIMIT = 4096;

export const TEMPLATE_RULES: RuleInfo[] = [
  { id: 'unknown-placeholder', severity: 'error', summary: 'A `{{placeholder}}`, `params` or `button_params` entry names no CSV column.', fix: 'Rename it to a column of the CSV header, or add that column.' },
  { id: 'body-too-long', severity: 'error', summary: 'The message is longer than the provider accepts (1,024 chars for a template body, 4,096 for text).', fix: 'Shorten the text or the values substituted into it.' },
  { id: 'banned-term', severity: 'error', summary: 'The text contains a child-abuse term; one such message can get the account banned.', fix: 'Remove or rephrase the term, even if it is a name or a joke.' },
  { id: 'high-risk-term', severity: 'warning', summary: 'The text has a gambling, crypto-doubling, easy-money, loan-scam or vote-buying phrase.', fix: 'Rephrase it; recipients report such messages as spam or abuse.' },
  { id: 'impersonation', severity: 'error', summary: 'The text speaks as WhatsApp or Meta support, or threatens account suspension.', fix: 'Speak only in your organisation\'s name.' },
  { id: 'identical-message', severity: 'warning', summary: 'No per-recipient placeholder or parameter: everyone gets the same text.', fix: 'Add a placeholder such as {{first_name}}.' },
  { id: 'plain-text-message', severity: 'warning', summary: 'No front matter: a free-form text message, accepted only inside a 24-hour customer-service window.', fix: 'Add front matter naming an approved template.' },
  { id: 'unknown-front-matter-key', severity: 'warning', summary: 'A front matter key is not one the tool reads (often a misspelt known key), so it is ignored.', fix: 'Spell it as the known key, or remove it.' },
];


function closeTo(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 2) return false;
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length] <= 2;
}

/** The limit for this template's message kind. */
export function bodyLimit(t: Template): number {
  return t.meta ? TEMPLATE_BODY_LIMIT : TEXT_BODY_LIMIT;
}

/** Per-row check after substitution; the caller adds `line` (and `column` if it wants). */
export function checkRenderedLength(t: Template, text: string): Finding | null {
  const limit = bodyLimit(t);
  if (text.length <= limit) return null;
  return {
    rule: 'body-too-long',
    severity: 'error',
    message: `The message for this row is ${text.length} characters; the provider accepts at most ${limit}. Shorten the text or this row's values.`,
  };
}

/**
 * Every template-level finding (content, placeholders, links), checked against the CSV header.
 * Findings carry no `line`: they are about the template, whose path and line are in the message.
 */
export function lintTemplate(t: Template, header: string[]): Finding[] {
  const out: Finding[] = [];
  const { missing } = bindColumns(t, header);
  for (const name of missing) {
    const source = columnUses(t).find((u) => u.name === name)?.source ?? name;
    out.push({
      rule: 'unknown-placeholder',
      severity: 'error',
      message: `${t.path}: ${source} is not a column of the contacts CSV (columns: ${header.join(', ') || 'none'}). Rename it or add the column.`,
      value: name,
    });
  }
  const limit = bodyLimit(t);
  if (t.body.length > limit) {
    out.push({
      rule: 'body-too-long',
      severity: 'error',
      message: `${t.path}: the ${t.meta ? 'template body' : 'text message'} is ${t.body.length} characters before substitution; the limit is ${limit}. Shorten it.`,
      value: t.path,
    });
  }
  out.push(...scanText(t.body, { where: t.path }));
  if (t.placeholders.length === 0 && (t.meta?.params.length ?? 0) === 0 && (t.meta?.button_params?.length ?? 0) === 0) {
    out.push({
      rule: 'identical-message',
      severity: 'warning',
      message: `${t.path}: the message has no {{placeholder}}, so every recipient gets the same text, which WhatsApp treats as spam. Personalise it, e.g. with {{first_name}}.`,
      value: t.path,
    });
  }
  if (!t.meta) {
    out.push({
      rule: 'plain-text-message',
      severity: 'warning',
      message: `${t.path}: no front matter, so this is a free-form text message, which the provider delivers only within 24 hours of the recipient's last message. Add front matter naming an approved template.`,
      value: t.path,
    });
  } else {
    for (const key of Object.keys(t.meta.extra)) {
      if (FRONT_MATTER_KEYS.includes(key)) continue;
      const known = FRONT_MATTER_KEYS.find((k) => closeTo(key.toLowerCase(), k));
      out.push({
        rule: 'unknown-front-matter-key',
        severity: 'warning',
        message: `${t.path}: front matter key \`${key}\` is not one this tool reads, so it is ignored${known ? `; did you mean \`${known}\`?` : '. Remove it, or check its spelling against the README.'}`,
        value: key,
      });
    }
  }
  out.push(...lintLinks(t));
  return out;
}

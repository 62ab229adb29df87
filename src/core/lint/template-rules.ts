import { bindColumns, columnUses } from '../template/render.js';
import { FRONT_MATTER_KEYS } from '../template/parse.js';
import type { Template } from '../template/types.js';
import type { Finding, RuleInfo } from '../findings.js';
import { lintLinks } from './link-rules.js';
import { lintHeader } from './media.js';
import { PhraseMatcher, scanText } from './scan-text.js';
import { tokenise } from './fold-text.js';

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
  { id: 'optout-missing', severity: 'warning', summary: 'A marketing or plain message gives no way to stop (no "responde BAJA" / STOP / SAIR, no opt-out button); an error with `purpose: electoral`.', fix: 'Add e.g. "Responde BAJA para no recibir más mensajes" to the footer or body, or a quick-reply button with `optout: true`.' },
  { id: 'sender-missing', severity: 'warning', summary: 'A marketing or plain message does not say who sends it; an error with `purpose: electoral`.', fix: 'Sign it (a last line "— Partido Ejemplo", "de parte de ...") and set `sender:` to that name.' },
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

// An opt-out is a stop word after a reply verb ("responde BAJA", "envía STOP", "reply STOP"), or a phrase that says it outright.
const REPLY_VERBS = new Set(['responde', 'responda', 'responder', 'contesta', 'conteste', 'escribe', 'escriba', 'envia', 'envie', 'manda', 'mande', 'reply', 'text', 'send', 'type', 'digite', 'escreva', 'responda', 'envie']);
const STOP_WORDS = new Set(['baja', 'stop', 'sair', 'parar', 'alto', 'cancelar', 'unsubscribe', 'descadastrar', 'no']);
const OPTOUT_PHRASES = new PhraseMatcher(['darte de baja', 'darse de baja', 'date de baja', 'dejar de recibir', 'no recibir mas', 'no quieres recibir', 'nao receber mais', 'deixar de receber', 'unsubscribe', 'opt out', 'stop receiving']);
// Naming a sender: an introduction, or a signature (a last line opened by a dash, or after a closing).
const SENDER_PHRASES = new PhraseMatcher(['de parte de', 'en nombre de', 'te escribe', 'te escribimos desde', 'te escribimos de', 'te saluda', 'desde el equipo', 'el equipo de', 'somos', 'on behalf of', 'em nome de', 'da parte de', 'aqui e', 'this is']);
const CLOSINGS = /^(un saludo|saludos|atentamente|un abrazo|abrazos|gracias|abracos|atenciosamente|regards|best|cheers|thanks)\b/;

function givesOptOut(text: string): boolean {
  if (OPTOUT_PHRASES.match(text).length > 0) return true;
  const tokens = tokenise(text);
  return tokens.some((tk, i) => REPLY_VERBS.has(tk.text) && tokens.slice(i + 1, i + 4).some((n) => STOP_WORDS.has(n.text)));
}

function namesSender(text: string, sender: string | undefined): boolean {
  const folded = (s: string) => tokenise(s).map((tk) => tk.text).join(' ');
  if (sender) return ` ${folded(text)} `.includes(` ${folded(sender)} `);
  if (SENDER_PHRASES.match(text).length > 0) return true;
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  if (/^[—–~-]\s*\p{L}/u.test(last)) return true;
  const before = lines[lines.length - 2];
  return before !== undefined && CLOSINGS.test(folded(before)) && /\p{Lu}/u.test(last) && last.split(/\s+/).length <= 6;
}

/**
 * Marketing and plain messages say who sends them and how to stop (Meta's marketing guidance;
 * LSSI art. 20-21, LOREG art. 58 bis in Spain): text of body, header and footer, and opt-out buttons.
 */
export function lintIdentity(t: Template): Finding[] {
  const m = t.meta;
  if (m && m.category !== 'marketing') return [];
  const text = [m?.header?.text, t.body, m?.footer].filter((x): x is string => Boolean(x)).join('\n');
  const severity = m?.purpose === 'electoral' ? 'error' : 'warning';
  const why = m?.purpose === 'electoral' ? 'electoral propaganda must identify itself and give a simple, free way to object' : 'recipients who cannot stop a marketing message report it as spam';
  const out: Finding[] = [];
  if (!m?.buttons?.some((b) => b.type === 'quick_reply' && b.optout) && !givesOptOut(text)) {
    out.push({ rule: 'optout-missing', severity, message: `${t.path}: the message gives no way to stop receiving them (${why}). Add "Responde BAJA para no recibir más mensajes" or a quick-reply button with \`optout: true\`.`, value: t.path });
  }
  if (!namesSender(text, m?.sender)) {
    const said = m?.sender ? `never names the sender \`${m.sender}\`` : 'does not say who sends it';
    out.push({ rule: 'sender-missing', severity, message: `${t.path}: the message ${said} (${why}). Sign it, e.g. a last line "— ${m?.sender ?? 'Partido Ejemplo'}", and set \`sender:\` to that name.`, value: t.path });
  }
  return out;
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
  out.push(...lintHeader(t));
  out.push(...lintIdentity(t));
  return out;
}

import type { Finding, RuleInfo } from '../findings.js';
import type { TemplateMeta } from '../template/types.js';
import { templateFetcher } from '../providers/index.js';
import { normLang } from './fetch.js';
import type { ApprovedTemplate, FetchOptions, ParityEnv } from './types.js';

/** Template parity rules: the local front matter against the provider's approved template. */
export const PARITY_RULES: RuleInfo[] = [
  { id: 'template-not-found', severity: 'error', summary: 'The provider has no template with the name (or Content SID) the front matter gives.', fix: 'Use the exact approved name from WhatsApp Manager (or the Twilio Content SID).' },
  { id: 'template-not-approved', severity: 'error', summary: 'The template exists but is not approved (pending, rejected, paused or disabled).', fix: 'Wait for approval, or fix it in WhatsApp Manager / the Twilio console.' },
  { id: 'template-language-mismatch', severity: 'error', summary: "The front matter's language is not the approved template's language code.", fix: 'Set `language:` to the approved code exactly (e.g. es vs es_ES).' },
  { id: 'template-category-mismatch', severity: 'warning', summary: "The front matter's category differs from the approved one (an error when Meta made it marketing).", fix: 'Set `category:` to the approved category; marketing means opt-outs and marketing caps apply.' },
  { id: 'template-param-count', severity: 'error', summary: "`params` has a different number of columns than the approved body's placeholders.", fix: 'List one CSV column in `params:` per placeholder of the approved body, in order.' },
  { id: 'template-param-names', severity: 'error', summary: 'The approved template uses named parameters and `params` does not name the same ones.', fix: "Name the CSV columns (and `params:`) exactly as the approved template's {{names}}." },
  { id: 'template-button-suffix', severity: 'error', summary: '`button_params` does not match the approved dynamic URL buttons.', fix: 'Give one `button_params` column per dynamic URL button ({{1}} at the end of its URL), or none.' },
];

/**
 * The shape rules of issue 10 (header, buttons, footer). Not yet in allRules(): the README's rule
 * table (checked by test/unit/docs/readme.test.ts) gets their rows when this branch is merged.
 */
export const PARITY_SHAPE_RULES: RuleInfo[] = [
  { id: 'template-header-mismatch', severity: 'error', summary: "The front matter's `header` kind is not the approved header's format (IMAGE, VIDEO, DOCUMENT, TEXT or none).", fix: 'Declare `header: kind:` as approved, with its url or file; or none when the template has no header.' },
  { id: 'template-buttons-mismatch', severity: 'error', summary: "The front matter's `buttons` differ from the approved ones: number, types, order, quick-reply texts or dynamic URL suffixes.", fix: 'List the buttons exactly as approved, in order; a `param` for each URL button whose URL ends in {{1}}.' },
  { id: 'template-footer-mismatch', severity: 'error', summary: "The front matter's `footer` is not the approved footer text.", fix: 'Copy the approved footer exactly, or remove `footer:` when the template has none.' },
];

const PROVIDER_NAME = { cloud: 'Meta (Cloud API)', twilio: 'Twilio' } as const;

/** Compares the front matter with the approved template (null: the provider has none). */
export function compareTemplate(meta: TemplateMeta, approved: ApprovedTemplate | null, provider: 'cloud' | 'twilio' = approved?.provider ?? 'cloud'): Finding[] {
  const at = PROVIDER_NAME[provider];
  if (!approved) {
    return [{
      rule: 'template-not-found',
      severity: 'error',
      message: provider === 'twilio'
        ? `Twilio has no content template for the template's content_sid (template "${meta.template}").`
        : `${at} has no template named "${meta.template}" in this WhatsApp Business Account.`,
      value: meta.template,
    }];
  }
  const findings: Finding[] = [];
  const label = `"${approved.name || meta.template}"`;

  if (approved.status !== null && approved.status !== 'APPROVED') {
    findings.push({ rule: 'template-not-approved', severity: 'error', message: `Template ${label} is ${approved.status} at ${at}, not APPROVED: sends would fail.`, value: approved.status });
  }

  if (approved.language !== null && normLang(approved.language) !== normLang(meta.language)) {
    findings.push({
      rule: 'template-language-mismatch',
      severity: 'error',
      message: `The front matter says language "${meta.language}" but ${at} approved ${label} in "${approved.language}".`,
      value: approved.language,
    });
  }

  if (approved.category !== null && approved.category !== meta.category) {
    const toMarketing = approved.category === 'marketing';
    findings.push({
      rule: 'template-category-mismatch',
      severity: toMarketing ? 'error' : 'warning',
      message: toMarketing
        ? `The front matter says ${meta.category} but ${at} categorised ${label} as marketing: it is billed and capped as marketing, and recipients who stopped promotions will not get it.`
        : `The front matter says ${meta.category} but ${at} has ${label} as ${approved.category}.`,
      value: approved.category,
    });
  }

  const local = meta.params ?? [];
  if (local.length !== approved.params.length) {
    findings.push({
      rule: 'template-param-count',
      severity: 'error',
      message: `The approved body of ${label} has ${approved.params.length} parameter${approved.params.length === 1 ? '' : 's'}${approved.params.length ? ` (${approved.params.map((p) => `{{${p}}}`).join(', ')})` : ''} but params lists ${local.length}.`,
      value: String(local.length),
    });
  }

  if (approved.paramFormat === 'named') {
    const missing = approved.params.filter((p) => !local.includes(p));
    const unknown = local.filter((p) => !approved.params.includes(p));
    if (missing.length || unknown.length) {
      const parts = [
        missing.length ? `missing ${missing.map((p) => `{{${p}}}`).join(', ')}` : '',
        unknown.length ? `not in the approved template: ${unknown.join(', ')}` : '',
      ].filter(Boolean);
      findings.push({
        rule: 'template-param-names',
        severity: 'error',
        message: `${label} uses named parameters; params must name the same ones: ${parts.join('; ')}.`,
        value: [...missing, ...unknown].join(', '),
      });
    }
  }

  const dynamic = approved.urlButtons.filter((b) => b.dynamic).length;
  // `buttons: - type: url, param: ref` is the newer spelling of button_params.
  const given = meta.button_params?.length || (meta.buttons ?? []).filter((b) => b.type === 'url' && b.param).length;
  if (given !== dynamic) {
    const message = dynamic === 0
      ? `button_params lists ${given} column${given === 1 ? '' : 's'} but ${label} has no URL button with a dynamic suffix at ${at}.`
      : given === 0
        ? `${label} has ${dynamic} URL button${dynamic === 1 ? '' : 's'} ending in a variable but button_params is empty: every send would be rejected.`
        : `${label} has ${dynamic} dynamic URL button${dynamic === 1 ? '' : 's'} but button_params lists ${given}.`;
    findings.push({ rule: 'template-button-suffix', severity: 'error', message, value: String(given) });
  }

  findings.push(...compareShape(meta, approved, label, at));
  return findings;
}

const HEADER_FORMAT = { image: 'IMAGE', video: 'VIDEO', document: 'DOCUMENT', text: 'TEXT' } as const;
const spaced = (s: string) => s.replace(/\s+/g, ' ').trim();
const hasVariable = (s: string | undefined) => /\{\{[^{}]*\}\}/.test(s ?? '');

function describeHeader(format: string | undefined): string {
  return format ? `a${/^[AEIOU]/.test(format) ? 'n' : ''} ${format} header` : 'no header';
}

/**
 * Header, buttons and footer. What the provider did not say is not compared. Without `header:` an
 * approved static TEXT header is fine (it needs no parameter); a media or variable header is not
 * (the provider refuses every send, 132012). Buttons and footer are compared when declared:
 * before issue 10 they were not, and `button_params` is checked against the dynamic URL buttons.
 */
function compareShape(meta: TemplateMeta, approved: ApprovedTemplate, label: string, at: string): Finding[] {
  const out: Finding[] = [];
  if (approved.header !== undefined) {
    const approvedFormat = approved.header?.format || undefined;
    const local = meta.header ? HEADER_FORMAT[meta.header.kind] : undefined;
    const staticText = approvedFormat === 'TEXT' && !hasVariable(approved.header?.text);
    if (local !== approvedFormat && !(local === undefined && staticText)) {
      out.push({
        rule: 'template-header-mismatch',
        severity: 'error',
        message: `${at} approved ${label} with ${describeHeader(approvedFormat)} but the front matter declares ${local ? describeHeader(local) : 'none'}${approvedFormat && approvedFormat !== 'TEXT' && !local ? ': every send would be refused (132012)' : ''}.`,
        value: approvedFormat ?? 'none',
      });
    }
  }
  if (approved.buttons !== undefined && meta.buttons !== undefined) {
    const problems: string[] = [];
    const local = meta.buttons;
    if (local.length !== approved.buttons.length) problems.push(`${approved.buttons.length} approved, ${local.length} declared`);
    approved.buttons.forEach((a, i) => {
      const l = local[i];
      if (!l) return;
      const n = `button ${i + 1}`;
      const want = a.type === 'QUICK_REPLY' ? 'quick_reply' : a.type === 'URL' ? 'url' : a.type.toLowerCase();
      if (l.type !== want) return void problems.push(`${n} is ${want} (${JSON.stringify(a.text)}) at ${at} but ${l.type} in the front matter`);
      if (l.type === 'quick_reply' && spaced(l.text) !== spaced(a.text)) problems.push(`${n} reads ${JSON.stringify(a.text)} at ${at} but ${JSON.stringify(l.text)} in the front matter`);
      if (l.type === 'url' && a.dynamic && !l.param) problems.push(`${n}'s approved URL ${a.url} ends in a variable but the front matter gives no \`param\` column for it`);
      if (l.type === 'url' && !a.dynamic && l.param) problems.push(`${n}'s approved URL ${a.url} is fixed, so its \`param\` ${l.param} cannot be sent`);
    });
    if (problems.length) {
      out.push({ rule: 'template-buttons-mismatch', severity: 'error', message: `The buttons of ${label} differ from the approved ones: ${problems.join('; ')}.`, value: approved.buttons.map((b) => b.type).join(',') });
    }
  }
  if (approved.footer !== undefined && meta.footer !== undefined && spaced(meta.footer) !== spaced(approved.footer ?? '')) {
    out.push({
      rule: 'template-footer-mismatch',
      severity: 'error',
      message: approved.footer === null
        ? `${label} has no footer at ${at} but the front matter gives ${JSON.stringify(meta.footer)}.`
        : `The approved footer of ${label} is ${JSON.stringify(approved.footer)} but the front matter gives ${JSON.stringify(meta.footer)}.`,
      value: approved.footer ?? '',
    });
  }
  return out;
}

/** Fetches the approved template and compares; providers without a template API give no findings. */
export async function checkParity(provider: string, env: ParityEnv, meta: TemplateMeta, opts: FetchOptions = {}): Promise<Finding[]> {
  const fetcher = templateFetcher(provider);
  if (!fetcher) return [];
  return compareTemplate(meta, await fetcher(env, meta, opts), provider as ApprovedTemplate['provider']);
}

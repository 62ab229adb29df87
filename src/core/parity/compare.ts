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
  const given = meta.button_params?.length ?? 0;
  if (given !== dynamic) {
    const message = dynamic === 0
      ? `button_params lists ${given} column${given === 1 ? '' : 's'} but ${label} has no URL button with a dynamic suffix at ${at}.`
      : given === 0
        ? `${label} has ${dynamic} URL button${dynamic === 1 ? '' : 's'} ending in a variable but button_params is empty: every send would be rejected.`
        : `${label} has ${dynamic} dynamic URL button${dynamic === 1 ? '' : 's'} but button_params lists ${given}.`;
    findings.push({ rule: 'template-button-suffix', severity: 'error', message, value: String(given) });
  }

  return findings;
}

/** Fetches the approved template and compares; providers without a template API give no findings. */
export async function checkParity(provider: string, env: ParityEnv, meta: TemplateMeta, opts: FetchOptions = {}): Promise<Finding[]> {
  const fetcher = templateFetcher(provider);
  if (!fetcher) return [];
  return compareTemplate(meta, await fetcher(env, meta, opts), provider as ApprovedTemplate['provider']);
}

import { UsageError } from '../errors.js';
import { TEMPLATE_PROVIDERS, templateFetcher } from '../providers/index.js';
import type { TemplateMeta } from '../template/types.js';
import type { ApprovedTemplate, FetchOptions, ParityEnv } from './types.js';

/**
 * Fetches the provider's approved template that `meta` names, through the provider's own fetcher.
 * Resolves null when the provider has no such template (404, or an empty list); throws a
 * CampaignError (exit 2) for missing settings, refused credentials or an unreachable provider.
 * No secret is ever put in an error.
 */
export async function fetchApprovedTemplate(provider: string, env: ParityEnv, meta: TemplateMeta, opts: FetchOptions = {}): Promise<ApprovedTemplate | null> {
  const fetcher = templateFetcher(provider);
  if (!fetcher) {
    throw new UsageError(`The ${provider} provider has no approved templates to check.`, { hint: `--check-template works with: ${TEMPLATE_PROVIDERS.join(', ')}.` });
  }
  return fetcher(env, meta, opts);
}

export { normLang, placeholders } from '../providers/template-fetch.js';

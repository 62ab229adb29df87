import { UsageError } from '../errors.js';
import { cloud } from './cloud/index.js';
import { describeCode, TRANSPORT_CODES } from './codes.js';
import { sandbox } from './sandbox/index.js';
import { twilio } from './twilio/index.js';
import type { TemplateHeader } from '../template/types.js';
import type { CodeMeaning, CreateProviderOptions, FetchApprovedTemplate, Provider, ProviderEnv, ProviderModule, ProviderName, WebhookProvider, WebhookRoute } from './types.js';
import { vonage } from './vonage/index.js';

/**
 * The registry: every provider, by name. The rest of the program reaches a provider only through
 * here (the boundary test holds it to that); adding one is a folder and a line below.
 */
export const PROVIDERS: Readonly<Record<ProviderName, ProviderModule>> = { sandbox, cloud, twilio, vonage };

/** In the registry's order; the first is the default. */
export const PROVIDER_NAMES = Object.keys(PROVIDERS) as readonly ProviderName[];

export function isProviderName(name: string): name is ProviderName {
  return Object.hasOwn(PROVIDERS, name);
}

/** The provider called `name`; an unknown name is a usage error listing the valid ones. */
export function providerModule(name: string): ProviderModule {
  if (!isProviderName(name)) {
    throw new UsageError(`Unknown provider "${name}".`, { hint: `Use one of: ${PROVIDER_NAMES.join(', ')}.` });
  }
  return PROVIDERS[name];
}

/** The provider called `name`, configured from `env`; a usage error names what is missing. */
export function createProvider(name: string, env: ProviderEnv, opts: CreateProviderOptions = {}): Provider {
  return providerModule(name).create(env, opts);
}

/** Looks a code up for the given provider first, then transport codes, then the other providers. */
export function lookupCode(code: string, provider?: string): CodeMeaning | undefined {
  const key = String(code).trim();
  const own = provider !== undefined && isProviderName(provider) ? PROVIDERS[provider] : undefined;
  const known = own?.codes[own.codeKey?.(key) ?? key];
  if (known) return known;
  if (TRANSPORT_CODES[key]) return TRANSPORT_CODES[key];
  for (const other of Object.values(PROVIDERS)) {
    if (other.codes !== own?.codes && other.codes[key]) return other.codes[key];
  }
  return undefined;
}

/** One line: what the code means and what to do. For the report and the send summary. */
export function meaningOf(provider: ProviderName, code: number | string): string {
  const key = String(code);
  return describeCode(lookupCode(key, provider), PROVIDERS[provider]?.title ?? String(provider), key);
}

export { CODE_TABLES, OPT_OUT_CODES } from './opt-out-codes.js';

/** `campaign webhook`'s routes: `/webhooks/<name>` for every provider that has callbacks. */
export const WEBHOOK_ROUTES: Readonly<Record<string, { provider: WebhookProvider; route: WebhookRoute }>> = Object.fromEntries(
  PROVIDER_NAMES.flatMap((name) => {
    const route = PROVIDERS[name].webhook;
    return route && name !== 'sandbox' ? [[`/webhooks/${name}`, { provider: name, route }]] : [];
  }),
);

/** The approved-template fetch of `provider`, when it has a template API. */
export function templateFetcher(provider: string): FetchApprovedTemplate | undefined {
  return isProviderName(provider) ? PROVIDERS[provider].fetchApprovedTemplate : undefined;
}

/** Names of the providers whose templates `lint --check-template` can check. */
export const TEMPLATE_PROVIDERS = PROVIDER_NAMES.filter((n) => PROVIDERS[n].fetchApprovedTemplate);

/**
 * Refuses, before anything is sent, a header the provider cannot send (a local file with Twilio,
 * which fetches media from a public URL). A usage error naming the provider, the kind and the source.
 */
export function checkHeaderSupport(provider: string, header: TemplateHeader | undefined): void {
  if (!header) return;
  const module = providerModule(provider);
  const source = header.kind === 'text' ? 'text' : header.file ? 'file' : 'url';
  if (module.headers[header.kind]?.includes(source)) return;
  const others = PROVIDER_NAMES.filter((n) => n !== 'sandbox' && PROVIDERS[n].headers[header.kind]?.includes(source));
  const what = source === 'file' ? `from a local file (${header.file})` : source === 'url' ? 'from a URL' : '';
  throw new UsageError(`The ${module.name} provider cannot send a ${header.kind} header ${what}`.trimEnd() + '.', {
    hint: source === 'file'
      ? `Put the file at a public https address and give it as the header's url:${others.length ? `, or send with --provider ${others.join(' / ')}` : ''}.`
      : others.length ? `Send with --provider ${others.join(' / ')}, or remove the header from the front matter.` : 'Remove the header from the front matter.',
  });
}

export { mediaMime } from './cloud/media.js';
export { DEFAULT_SANDBOX_OUTBOX } from './sandbox/index.js';
export { redact } from './http.js';
export type * from './types.js';

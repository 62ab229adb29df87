import { UsageError } from '../errors.js';
import { createCloudProvider } from './cloud.js';
import { createSandboxProvider, type SandboxFaults } from './sandbox.js';
import type { ProviderEnv, ProviderOptions } from './shared.js';
import { createTwilioProvider } from './twilio.js';
import type { Provider } from './types.js';
import { createVonageProvider } from './vonage.js';

export const PROVIDER_NAMES = ['sandbox', 'cloud', 'twilio', 'vonage'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export const DEFAULT_SANDBOX_OUTBOX = '.campaign/sandbox-outbox.jsonl';

export interface CreateProviderOptions extends ProviderOptions {
  /** Sandbox only; env fallbacks CAMPAIGN_SANDBOX_OUTBOX and CAMPAIGN_SANDBOX_FAULTS. */
  sandbox?: { outbox?: string; faults?: SandboxFaults | string };
}

const FACTORIES: Record<ProviderName, (env: ProviderEnv, opts: CreateProviderOptions) => Provider> = {
  sandbox: (env, opts) =>
    createSandboxProvider({
      ...opts,
      outbox: opts.sandbox?.outbox ?? (env.CAMPAIGN_SANDBOX_OUTBOX?.trim() || DEFAULT_SANDBOX_OUTBOX),
      faults: opts.sandbox?.faults ?? env.CAMPAIGN_SANDBOX_FAULTS,
    }),
  cloud: createCloudProvider,
  twilio: createTwilioProvider,
  vonage: createVonageProvider,
};

export function isProviderName(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

/** The provider called `name`, configured from `env`; a usage error names what is missing. */
export function createProvider(name: string, env: ProviderEnv, opts: CreateProviderOptions = {}): Provider {
  if (!isProviderName(name)) {
    throw new UsageError(`Unknown provider "${name}".`, { hint: `Use one of: ${PROVIDER_NAMES.join(', ')}.` });
  }
  return FACTORIES[name](env, opts);
}

export type { ProviderEnv, ProviderOptions } from './shared.js';

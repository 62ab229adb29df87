import { CLOUD_CODES, cloudCodeKey } from '../cloud/codes.js';
import { readCloudHealth } from '../cloud/health.js';
import { createCloudProvider } from '../cloud/send.js';
import { listCloudTemplates } from '../cloud/templates.js';
import type { HealthOptions, Provider, ProviderEnv, ProviderModule, ProviderOptions, SandboxFaults } from '../types.js';
import { parseSandboxFaults, startSandbox, type SandboxServer } from './server.js';
import { createSandboxCallbacks, DEFAULT_CALLBACKS, DEFAULT_CALLBACK_SEED, type SandboxCallbacks } from './callbacks.js';

export { DEFAULT_CALLBACKS, planCallbacks, seededRoll, type SandboxCallbackSettings } from './callbacks.js';
export { checkCloudMessage, parseSandboxFaults, startSandbox, type SandboxFault, type SandboxFaults, type SandboxServer } from './server.js';

export const DEFAULT_SANDBOX_OUTBOX = '.campaign/sandbox-outbox.jsonl';

export interface SandboxProviderOptions extends ProviderOptions {
  outbox: string;
  faults?: SandboxFaults | string;
  port?: number;
  /** A real send's journal and folder: the delivery callbacks go there (none without it: a dry run, planning). */
  callbacks?: { journal: string; cwd: string; store?: string; env?: Record<string, string | undefined>; log?: (line: string) => void };
}

export type SandboxProvider = Provider & { received(): number; uploads(): number };

/**
 * The default provider: starts the sandbox server on first use and sends to it through the real
 * Cloud API code, so a sandbox run exercises the same request building and error handling.
 */
export function createSandboxProvider(opts: SandboxProviderOptions): SandboxProvider {
  const faults = typeof opts.faults === 'string' || opts.faults === undefined ? parseSandboxFaults(opts.faults) : opts.faults;
  let started: Promise<{ server: SandboxServer; sender: Provider }> | undefined;
  let running: SandboxServer | undefined;
  const settings = faults.callbacks ?? DEFAULT_CALLBACKS;
  const callbacks: SandboxCallbacks | undefined =
    opts.callbacks && settings.enabled ? createSandboxCallbacks({ ...opts.callbacks, settings, seed: faults.seed ?? DEFAULT_CALLBACK_SEED }) : undefined;
  const start = () =>
    (started ??= startSandbox({ outbox: opts.outbox, faults, port: opts.port, onAccepted: callbacks?.accepted }).then((server) => {
      running = server;
      return {
        server,
        sender: createCloudProvider(
          { WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: 'sandbox', WHATSAPP_PHONE_NUMBER_ID: 'SANDBOX' },
          opts,
        ),
      };
    }));

  return {
    name: 'sandbox',
    writesAtDue: true,
    async send(msg, ctx) {
      const { sender } = await start();
      return sender.send(msg, ctx);
    },
    async uploadMedia(media) {
      const { sender } = await start();
      return sender.uploadMedia!(media);
    },
    received: () => running?.received() ?? 0,
    uploads: () => running?.uploads() ?? 0,
    async settle(o) {
      return (await callbacks?.settle(o)) ?? 0;
    },
    async close() {
      await callbacks?.close();
      if (!started) return;
      const { server, sender } = await started;
      await sender.close();
      await server.close();
    },
  } satisfies SandboxProvider;
}

/**
 * The health read and the template list go through the Cloud API's own readers, against a sandbox
 * started for the read alone (no outbox: it writes nothing), so `--sandbox-faults` reaches them.
 */
async function viaSandbox<T>(env: ProviderEnv, opts: HealthOptions, read: (env: ProviderEnv, opts: HealthOptions) => Promise<T>): Promise<T> {
  const spec = opts.sandboxFaults ?? env.CAMPAIGN_SANDBOX_FAULTS;
  const server = await startSandbox({ faults: typeof spec === 'string' || spec === undefined ? parseSandboxFaults(spec) : spec, template: opts.sandboxTemplate });
  try {
    return await read({ WHATSAPP_API_URL: `${server.url}/v23.0`, WHATSAPP_TOKEN: 'sandbox', WHATSAPP_PHONE_NUMBER_ID: 'SANDBOX', WHATSAPP_BUSINESS_ACCOUNT_ID: 'SANDBOX' }, opts);
  } finally {
    await server.close();
  }
}

/**
 * Speaks the Cloud API, so it answers with Cloud codes; it has no webhook route and no template
 * API of its own: its delivery callbacks go through the Cloud route (callbacks.ts).
 */
export const sandbox: ProviderModule = {
  name: 'sandbox',
  senderId: () => 'sandbox',
  title: 'sandbox',
  secretVars: [],
  create: (env, opts) =>
    createSandboxProvider({
      ...opts,
      outbox: opts.sandbox?.outbox ?? (env.CAMPAIGN_SANDBOX_OUTBOX?.trim() || DEFAULT_SANDBOX_OUTBOX),
      faults: opts.sandbox?.faults ?? env.CAMPAIGN_SANDBOX_FAULTS,
      callbacks: opts.sandbox?.callbacks,
    }),
  codes: CLOUD_CODES,
  codeKey: cloudCodeKey,
  health: async (env, opts) => ({ ...(await viaSandbox(env, opts, readCloudHealth)), provider: 'sandbox' }),
  listTemplates: (env, opts) => viaSandbox(env, opts, listCloudTemplates),
  headers: { image: ['url', 'file'], video: ['url', 'file'], document: ['url', 'file'], text: ['text'] },
};

import path from 'node:path';
import { loadEnv, mergeOptions, readConfigFile, type CampaignOptions } from '../../core/config/load.js';

/** Flag names (commander's camelCase) → CampaignOptions keys, where they differ. */
const RENAMES: Record<string, keyof CampaignOptions> = { timeout: 'timeoutMs' };

/**
 * Resolves what a command runs with: defaults < campaign.yaml in the working directory < flags.
 * Paths given as flags are resolved against the working directory.
 */
export function resolveOptions(
  flags: Record<string, unknown>,
  cwd = process.cwd(),
  opts: { configFile?: boolean } = {},
): { options: CampaignOptions; env: Record<string, string | undefined>; configFile?: string } {
  // resume runs with what its journal recorded: campaign.yaml may have changed since.
  const file = opts.configFile === false ? { values: {}, file: undefined } : readConfigFile(cwd);
  const picked: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(flags)) {
    if (['json', 'color', 'debug'].includes(k)) continue;
    picked[RENAMES[k] ?? k] = v;
  }
  for (const k of ['template', 'journal'] as const) if (typeof picked[k] === 'string') picked[k] = path.resolve(cwd, picked[k] as string);
  if (Array.isArray(picked.suppress)) picked.suppress = (picked.suppress as string[]).map((p) => path.resolve(cwd, p));
  const options = mergeOptions(file.values, picked as Partial<CampaignOptions>);
  return { options, env: loadEnv(cwd), configFile: file.file };
}

export function display(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}

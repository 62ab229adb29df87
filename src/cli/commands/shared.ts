import path from 'node:path';
import { resolveOptions as resolveLayers, type CampaignOptions } from '../../core/config/load.js';
import { CAMPAIGN_OPTIONS } from '../../core/config/options.js';

const CAMPAIGN_KEYS = new Set<string>(CAMPAIGN_OPTIONS.map((o) => o.key));

/**
 * What a command runs with: defaults < campaign.yaml in `cwd` (for resume: what the journal
 * recorded) < .env / environment < the flags given. Output flags (--json, --no-color, --debug)
 * are the command's own business and are left out.
 */
export function resolveOptions(flags: object, cwd = process.cwd(), recorded?: Partial<CampaignOptions>) {
  return resolveLayers({ cwd, flags: pickCampaignOptions(flags), recorded });
}

/** The campaign's options among other keys (output flags, a journal header's counts). */
export function pickCampaignOptions(values: object): Partial<CampaignOptions> {
  return Object.fromEntries(Object.entries(values).filter(([k]) => CAMPAIGN_KEYS.has(k))) as Partial<CampaignOptions>;
}

export function display(p: string, cwd = process.cwd()): string {
  const rel = path.relative(cwd, p);
  return rel && !rel.startsWith('..') ? rel : p;
}

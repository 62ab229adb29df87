import type { CampaignOptions } from '../config/load.js';
import { loadRecentlyMessaged, loadRepeatGuard, parseDuration, type HistorySource, type RepeatKey } from '../history/index.js';
import { openStateStore } from '../store/state.js';
import { providerModule } from '../providers/index.js';
import type { Template } from '../template/types.js';
import type { VerdictContext } from './verdict.js';

/** What the verdict needs from history, loaded once for lint or for a send (and its resume). */
export interface HistoryContext extends Pick<VerdictContext, 'lastMessaged' | 'alreadyMessaged' | 'repeatAfter'> {
  /** The history this campaign reads and appends to: its files, or the shared store's (store/state.ts). */
  files: HistorySource;
  /** The repeat guard's key for this campaign's sends (absent without a template). */
  repeatKey?: RepeatKey;
}

/** The repeat guard's key: who sends (the provider's number) and which approved template. */
export function repeatKeyFor(template: Template | null, options: Pick<CampaignOptions, 'provider'>, env: Record<string, string | undefined>): RepeatKey | undefined {
  if (!template) return undefined;
  const sender = providerModule(options.provider).senderId(env);
  return template.meta
    ? { sender, template: template.meta.template, language: template.meta.language }
    : { sender, template: `text:${template.sha256.slice(0, 16)}`, language: '-' };
}

export async function loadHistoryContext(
  cwd: string,
  env: Record<string, string | undefined>,
  options: Pick<CampaignOptions, 'provider' | 'minInterval' | 'repeatAfter' | 'allowRepeat' | 'store'>,
  template: Template | null,
): Promise<HistoryContext> {
  // The sandbox sends nothing anywhere: without a store its sends stay in the folder's own
  // history, so trying the sample in a second folder is not taken for the same campaign again.
  const stateEnv = options.provider === 'sandbox' && !options.store ? {} : env;
  const files = (await openStateStore(options, cwd, stateEnv)).history;
  const repeatKey = repeatKeyFor(template, options, env);
  const ctx: HistoryContext = { files, repeatKey, lastMessaged: await loadRecentlyMessaged(files, options.minInterval) };
  if (repeatKey && !options.allowRepeat) {
    ctx.repeatAfter = options.repeatAfter;
    ctx.alreadyMessaged = await loadRepeatGuard(files, repeatKey, parseDuration(options.repeatAfter, '--repeat-after'));
  }
  return ctx;
}

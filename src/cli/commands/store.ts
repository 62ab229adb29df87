import { UsageError } from '../../core/errors.js';
import { readHistory, recordSends, type HistoryEntry } from '../../core/history/index.js';
import { openFileState, openStateStore } from '../../core/store/state.js';
import { EXIT } from '../exit-codes.js';
import { resolveOptions } from './shared.js';

const key = (e: HistoryEntry) => `${e.to} ${e.at} ${e.sender ?? ''} ${e.template ?? ''} ${e.language ?? ''}`;

/**
 * `campaign store import|export`: moves the embedded state (`.campaign/` and the user-level
 * directory: opt-outs, history) into the --store, or writes the store's back out to the files.
 * Both are safe to run twice: opt-outs are a set, history keeps each record once.
 */
export async function runStore(action: string, flags: Record<string, unknown>): Promise<number> {
  const cwd = process.cwd();
  const { options, env } = await resolveOptions(flags, cwd);
  if (action !== 'import' && action !== 'export') throw new UsageError(`unknown store action "${action}".`, { hint: 'Use `campaign store import` or `campaign store export`.' });
  if (!options.store) throw new UsageError(`store ${action} needs a store.`, { hint: 'Pass --store redis://host:6379 (or set CAMPAIGN_STORE).' });
  const shared = await openStateStore(options, cwd, env);
  const files = await openFileState(cwd, env);
  const [from, to] = action === 'import' ? [files, shared] : [shared, files];

  const optouts = [...(await from.readOptOuts({ defaultCountry: options.defaultCountry })).numbers];
  const added = await to.addOptOuts(optouts);
  const already = new Set<string>();
  await readHistory(to.history, (e) => void already.add(key(e)));
  const entries: HistoryEntry[] = [];
  await readHistory(from.history, (e) => {
    if (!already.has(key(e))) {
      already.add(key(e));
      entries.push(e);
    }
  });
  await recordSends(to.history, entries);
  const where = (s: typeof to) => (s.kind === 'files' ? '.campaign/' : s.where);
  const summary = { optouts: optouts.length, optoutsAdded: added.length, history: entries.length, from: where(from), to: where(to) };
  if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else process.stderr.write(`${action === 'import' ? 'Imported' : 'Exported'} ${added.length} new opt-out${added.length === 1 ? '' : 's'} (of ${optouts.length}) and ${entries.length} history record${entries.length === 1 ? '' : 's'} into ${summary.to}.\n`);
  return EXIT.OK;
}

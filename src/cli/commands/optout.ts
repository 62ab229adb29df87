import { parseOptOutLine } from '../../core/contacts/optouts.js';
import { UsageError } from '../../core/errors.js';
import { openStateStore } from '../../core/store/state.js';
import { EXIT } from '../exit-codes.js';
import { resolveOptions } from './shared.js';

/**
 * `campaign optout add|list|remove <number...>`: the opt-out list by hand, in the store
 * (--store / CAMPAIGN_STORE / `store:`) or the folder's `.campaign/optouts.txt` without one.
 * Numbers are read by the one opt-out parser, so `+34 610 00 00 50` or `0034 610…` both work.
 */
export async function runOptout(action: string, rawNumbers: string[], flags: Record<string, unknown>): Promise<number> {
  const cwd = process.cwd();
  const { options, env } = await resolveOptions(flags, cwd);
  if (!['add', 'list', 'remove'].includes(action)) {
    throw new UsageError(`unknown optout action "${action}".`, { hint: 'Use `campaign optout add|list|remove <number...>`.' });
  }
  const numbers = rawNumbers.map((raw) => {
    const n = parseOptOutLine(raw, options.defaultCountry);
    if (!n) throw new UsageError(`"${raw}" is not a phone number.`, { hint: 'Write it with its country code (+34 610 000 050), or pass --default-country for national numbers.' });
    return n;
  });
  if (action !== 'list' && numbers.length === 0) throw new UsageError(`optout ${action} needs at least one number.`, { hint: `For example: campaign optout ${action} +34610000050` });
  const store = await openStateStore(options, cwd, env);
  if (action === 'list') {
    const all = [...(await store.readOptOuts({ defaultCountry: options.defaultCountry })).numbers].sort();
    const shown = numbers.length ? all.filter((n) => numbers.includes(n)) : all;
    process.stdout.write(flags.json ? `${JSON.stringify(shown)}\n` : shown.map((n) => `${n}\n`).join(''));
    return EXIT.OK;
  }
  const changed = action === 'add' ? await store.addOptOuts(numbers) : await store.removeOptOuts(numbers);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ [action === 'add' ? 'added' : 'removed']: changed, store: store.where })}\n`);
  } else {
    const verb = action === 'add' ? 'added to' : 'removed from';
    process.stderr.write(`${changed.length} of ${numbers.length} number${numbers.length === 1 ? '' : 's'} ${verb} ${store.where}${changed.length < numbers.length ? (action === 'add' ? ' (the others were there already)' : ' (the others were not there)') : ''}.\n`);
  }
  return EXIT.OK;
}

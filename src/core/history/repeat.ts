import { readHistory, type HistorySource } from './history.js';

/**
 * The guard against the same campaign twice: who already got this approved template (name and
 * language) from this sender, and when. Read from every history the campaign can see (its
 * folder's and the user-level one), so a second journal, or a copy of the list in another
 * folder, does not message everyone again.
 */
export interface RepeatKey {
  /** The sending identity: provider and number (ProviderModule.senderId). */
  sender: string;
  /** The approved template's name, or `text:<hash>` for a plain text message. */
  template: string;
  language: string;
}

export interface EarlierSend {
  at: number;
  campaign: string;
  journal?: string;
}

export type RepeatLookup = (to: string) => EarlierSend | undefined;

/**
 * Recipients of `key` within the last `withinMs`, latest send each. Strings of campaign and
 * journal are shared between records, so a million recipients of one campaign cost one copy.
 */
export async function loadRepeatGuard(files: HistorySource, key: RepeatKey, withinMs: number, now = Date.now()): Promise<RepeatLookup> {
  const since = now - withinMs;
  const last = new Map<string, EarlierSend>();
  const interned = new Map<string, string>();
  const intern = (s: string) => interned.get(s) ?? (interned.set(s, s), s);
  // Cheap test before parsing: most lines of a long history are other templates.
  await readHistory(files, (rec) => {
    if (rec.template !== key.template || rec.language !== key.language || rec.sender !== key.sender) return;
    const at = Date.parse(rec.at);
    if (!(at >= since)) return;
    const prev = last.get(rec.to);
    if (!prev || at > prev.at) last.set(rec.to, { at, campaign: intern(String(rec.campaign)), ...(rec.journal ? { journal: intern(rec.journal) } : {}) });
  }, (line) => line.includes(key.template));
  // No one to guard against (a first campaign): no Map lookup per row, whose first use of each
  // row's number string hashes it (~80 ms in a 1M lint).
  if (last.size === 0) return () => undefined;
  return (to) => last.get(to);
}

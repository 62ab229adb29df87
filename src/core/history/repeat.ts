import { join } from 'node:path';
import { LineTail } from '../journal/tail.js';
import { appendWholeLines } from './append.js';
import { stateDirs } from './state-dirs.js';

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

/** One line of a history file. The fields after `campaign` are absent in lines written before the guard. */
export interface SendRecord {
  to: string;
  at: string;
  campaign: string;
  template?: string;
  language?: string;
  sender?: string;
  journal?: string;
}

/** The history files of a campaign folder: `.campaign/history.jsonl`, then the user-level one. */
export function historyFiles(cwd: string, env: Record<string, string | undefined>): string[] {
  return stateDirs(cwd, env).map((dir) => join(dir, 'history.jsonl'));
}

/** Appends sends to every history file (creating their directories), whole lines only. */
export async function recordHistory(files: string[], entries: SendRecord[]): Promise<void> {
  if (entries.length === 0) return;
  const lines = entries.map((e) => JSON.stringify(e));
  for (const file of files) {
    // Several small writes rather than one huge one, so each stays a whole-lines unit.
    for (let i = 0; i < lines.length; i += 200) await appendWholeLines(file, lines.slice(i, i + 200), { mkdir: true });
  }
}

/**
 * Recipients of `key` within the last `withinMs`, latest send each. Strings of campaign and
 * journal are shared between records, so a million recipients of one campaign cost one copy.
 */
export async function loadRepeatGuard(files: string[], key: RepeatKey, withinMs: number, now = Date.now()): Promise<RepeatLookup> {
  const since = now - withinMs;
  const last = new Map<string, EarlierSend>();
  const interned = new Map<string, string>();
  const intern = (s: string) => interned.get(s) ?? (interned.set(s, s), s);
  for (const file of files) {
    await new LineTail(file).read((line) => {
      // Cheap test before parsing: most lines of a long history are other templates.
      if (!line.includes(key.template)) return;
      let rec: Partial<SendRecord>;
      try {
        rec = JSON.parse(line) as Partial<SendRecord>;
      } catch {
        return;
      }
      if (rec.template !== key.template || rec.language !== key.language || rec.sender !== key.sender || typeof rec.to !== 'string') return;
      const at = Date.parse(String(rec.at));
      if (!(at >= since)) return;
      const prev = last.get(rec.to);
      if (!prev || at > prev.at) {
        last.set(rec.to, { at, campaign: intern(String(rec.campaign)), ...(rec.journal ? { journal: intern(rec.journal) } : {}) });
      }
    });
  }
  return (to) => last.get(to);
}

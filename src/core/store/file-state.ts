import { existsSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { optOutFiles, OptOutFollower, readOptOutList, unreadableFinding } from '../contacts/optouts.js';
import type { Finding } from '../findings.js';
import { historyFiles } from '../history/history.js';
import { withFileQueue } from '../history/append.js';
import { appendOptOut } from '../webhook/optout.js';
import type { OptOutSource, StateStore } from './state.js';

/** The embedded default: `.campaign/` of the folder and the user-level state directory (state-dirs.ts). */
export class FileStateStore implements StateStore {
  readonly kind = 'files';
  readonly where = '.campaign/optouts.txt';
  readonly history: string[];
  private readonly files: string[];

  constructor(cwd: string, env: Record<string, string | undefined>) {
    this.history = historyFiles(cwd, env);
    this.files = optOutFiles(cwd, env);
  }

  async readOptOuts(opts: { defaultCountry?: string; skip?: readonly string[] } = {}): Promise<{ numbers: Set<string>; findings: Finding[] }> {
    const numbers = new Set<string>();
    const findings: Finding[] = [];
    for (const file of this.files) {
      if (!existsSync(file) || opts.skip?.includes(file)) continue;
      const list = await readOptOutList(file, { defaultCountry: opts.defaultCountry });
      for (const n of list.numbers) numbers.add(n);
      const unreadable = unreadableFinding(file, list);
      if (unreadable) findings.push(unreadable);
    }
    return { numbers, findings };
  }

  async addOptOuts(numbers: readonly string[]): Promise<string[]> {
    const added: string[] = [];
    for (const n of numbers) if (await appendOptOut(this.files, n)) added.push(n);
    return added;
  }

  /** Rewrites each list without the numbers' lines (same parser, so `+34 610…` lines go too); comments stay. */
  async removeOptOuts(numbers: readonly string[]): Promise<string[]> {
    const { parseOptOutLine } = await import('../contacts/optouts.js');
    const gone = new Set<string>();
    const drop = new Set(numbers);
    for (const file of this.files) {
      await withFileQueue(`optouts:${file}`, async () => {
        let text: string;
        try {
          text = await fsp.readFile(file, 'utf8');
        } catch {
          return;
        }
        const kept = text.split('\n').filter((line) => {
          const n = parseOptOutLine(line.replace(/\r$/, ''));
          if (n && drop.has(n)) {
            gone.add(n);
            return false;
          }
          return true;
        });
        if (kept.length !== text.split('\n').length) {
          const tmp = `${file}.${process.pid}.tmp`;
          await fsp.writeFile(tmp, kept.join('\n'));
          await fsp.rename(tmp, file);
        }
      });
    }
    return numbers.filter((n) => gone.has(n));
  }

  async optOutFromSend(): Promise<void> {
    // Kept in the journal (`optout` events), as before the shared store.
  }

  async followOptOuts(opts: { defaultCountry?: string } = {}): Promise<OptOutSource[]> {
    return Promise.all(
      this.files.map(async (path) => new OptOutFollower(path, { fromOffset: (await fsp.stat(path).catch(() => null))?.size ?? 0, defaultCountry: opts.defaultCountry })),
    );
  }

  async persistenceWarning(): Promise<string | undefined> {
    return undefined;
  }
}

import type { Finding } from '../findings.js';
import type { HistorySource } from '../history/history.js';

/** Something that reports the opt-outs added since its last poll (a file's new lines, the store's log). */
export interface OptOutSource {
  poll(): Promise<string[]>;
}

/**
 * Where the state shared between campaigns lives: opt-outs and per-number history. Two kinds,
 * the embedded default (`.campaign/` and the user-level state directory, file-state.ts) and a
 * Redis store (`--store`, redis-state.ts). Which one is decided here, in openStateStore, and
 * nowhere else: lint, send, webhook, report and the optout/store commands use this interface.
 */
export interface StateStore {
  readonly kind: 'files' | 'redis';
  /** Where opt-outs are written, as it may be shown (`.campaign/optouts.txt`, or the URL without its password). */
  readonly where: string;
  /** What --min-interval, --daily-limit and the repeat guard read, and where sends are recorded. */
  readonly history: HistorySource;
  /** Every opt-out; `skip` names files already read by the caller (`--suppress`), so they are not read twice. */
  readOptOuts(opts?: { defaultCountry?: string; skip?: readonly string[] }): Promise<{ numbers: Set<string>; findings: Finding[] }>;
  /** Adds E.164 numbers; returns those that were not there yet. */
  addOptOuts(numbers: readonly string[]): Promise<string[]>;
  /** Removes E.164 numbers; returns those that were there. */
  removeOptOuts(numbers: readonly string[]): Promise<string[]>;
  /**
   * A provider's opt-out code met during a send. The embedded store keeps those in the journal
   * only (status and report read them there); a shared store adds them to its set.
   */
  optOutFromSend(number: string): Promise<void>;
  /** Followers of opt-outs added from now on, polled by the running send's watcher. */
  followOptOuts(opts?: { defaultCountry?: string }): Promise<OptOutSource[]>;
  /** A sentence when opt-outs may be lost (a Redis without persistence), else undefined. */
  persistenceWarning(): Promise<string | undefined>;
}

const open = new Map<string, Promise<StateStore & { close(): Promise<void> }>>();

/**
 * THE choice between files and Redis: `store` (--store, CAMPAIGN_STORE, `store:`) set → Redis,
 * one connection per URL per process (closed by closeStateStores); else the folder's files.
 * An unreachable store is a UsageError naming the URL (client.ts), before anything is done.
 */
export async function openStateStore(options: { store?: string }, cwd: string, env: Record<string, string | undefined>): Promise<StateStore> {
  const url = options.store?.trim();
  if (!url) return openFileState(cwd, env);
  let store = open.get(url);
  if (!store) {
    // ioredis loads only when a store is named.
    store = import('./redis-state.js').then((m) => m.openRedisState(url));
    open.set(url, store);
    store.catch(() => open.delete(url));
  }
  return store;
}

/** The embedded files, whatever the options say: `campaign store import|export` reads or writes them. */
export async function openFileState(cwd: string, env: Record<string, string | undefined>): Promise<StateStore> {
  const { FileStateStore } = await import('./file-state.js');
  return new FileStateStore(cwd, env);
}

/** Closes every store connection this process opened (the CLI does this once, at the end). */
export async function closeStateStores(): Promise<void> {
  const stores = [...open.values()];
  open.clear();
  await Promise.all(stores.map((s) => s.then((x) => x.close(), () => undefined)));
}

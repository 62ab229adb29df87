import type { Redis } from 'ioredis';
import { UsageError } from '../errors.js';

/**
 * The shared store's connection (`--store redis://[user:pass@]host:port[/db]`, `rediss://` for
 * TLS): one client per process, opened before any work so that an unreachable store is a plain
 * usage error naming the URL (never its password) before anything is sent.
 */
export interface StoreClient {
  readonly url: string;
  /** The URL as it may be shown: without the password. */
  readonly shown: string;
  readonly redis: Redis;
  close(): Promise<void>;
}

/** `redis://user:secret@host:6379/0` → `redis://user:***@host:6379/0`. */
export function showStoreUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unreadable store URL)';
  }
}

export function parseStoreUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--store "${showStoreUrl(url)}" is not a URL.`, { hint: 'Write it as redis://host:6379 (or rediss:// for TLS), e.g. redis://127.0.0.1:6379/0.' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError(`--store "${showStoreUrl(url)}" is not a Redis URL.`, { hint: 'Only redis:// and rediss:// stores are supported.' });
  }
  return u;
}

/** Connects, or throws a UsageError naming the (password-less) URL within `timeoutMs`. */
export async function connectStore(url: string, opts: { timeoutMs?: number } = {}): Promise<StoreClient> {
  parseStoreUrl(url);
  const shown = showStoreUrl(url);
  // Loaded only with --store: ioredis costs ~50 ms of every send's start-up otherwise.
  const { Redis } = await import('ioredis');
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: opts.timeoutMs ?? 5000,
    // Commands fail at once while disconnected instead of queueing: a send must notice the loss.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => (times > 3 ? null : 200 * times),
  });
  // ioredis reports connection trouble as events too; the callers see it as failed commands.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
  } catch (cause) {
    redis.disconnect();
    throw new UsageError(`cannot reach the store ${shown}: ${(cause as Error).message.replace(url, shown).replace(/\.$/, '')}.`, {
      hint: 'Start it (e.g. redis-server), check the address, or run without --store to keep state in .campaign/.',
      cause,
    });
  }
  return {
    url,
    shown,
    redis,
    close: async () => {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}

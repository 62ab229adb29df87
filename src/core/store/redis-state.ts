import type { Redis } from 'ioredis';
import type { Finding } from '../findings.js';
import type { HistoryEntry, HistoryStore } from '../history/history.js';
import { connectStore, type StoreClient } from './client.js';
import type { OptOutSource, StateStore } from './state.js';

/**
 * Opt-outs and history on Redis. Keys:
 * - `campaign:optouts`: a set of E.164 numbers;
 * - `campaign:optouts:log`: a stream with one entry per number added, which running sends follow
 *   (a poll reads only what is new, however large the set);
 * - `campaign:history`: a hash, field `to sender template language`, value the latest
 *   HistoryEntry as JSON (the history file's record), so each number's last send for each
 *   template is kept and nothing grows per send.
 */
export const KEYS = { optouts: 'campaign:optouts', optoutLog: 'campaign:optouts:log', history: 'campaign:history' } as const;

// Adds the numbers not in the set yet, logging each once; returns them.
const ADD_OPTOUTS = `
local added = {}
for _, n in ipairs(ARGV) do
  if redis.call('SADD', KEYS[1], n) == 1 then
    redis.call('XADD', KEYS[2], 'MAXLEN', '~', '100000', '*', 'n', n)
    added[#added + 1] = n
  end
end
return added`;

// Keeps the later record per field (ISO times compare as strings): an import of old files, or two
// senders writing out of order, never replaces a newer send.
const RECORD = `
for i = 1, #ARGV, 3 do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if (not cur) or cjson.decode(cur).at < ARGV[i + 1] then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 2]) end
end
return 0`;

export async function openRedisState(url: string): Promise<RedisStateStore> {
  return new RedisStateStore(await connectStore(url));
}

export class RedisStateStore implements StateStore {
  readonly kind = 'redis';
  readonly where: string;
  readonly history: HistoryStore;
  private readonly redis: Redis;

  constructor(private readonly client: StoreClient) {
    this.redis = client.redis;
    this.where = client.shown;
    this.history = { read: (take, prefilter) => this.readHistory(take, prefilter), record: (entries) => this.recordHistory(entries) };
  }

  close(): Promise<void> {
    return this.client.close();
  }

  async readOptOuts(): Promise<{ numbers: Set<string>; findings: Finding[] }> {
    const numbers = new Set<string>();
    let cursor = '0';
    do {
      const [next, batch] = await this.redis.sscan(KEYS.optouts, cursor, 'COUNT', 1000);
      for (const n of batch) numbers.add(n);
      cursor = next;
    } while (cursor !== '0');
    return { numbers, findings: [] };
  }

  async addOptOuts(numbers: readonly string[]): Promise<string[]> {
    const added: string[] = [];
    for (let i = 0; i < numbers.length; i += 500) {
      added.push(...((await this.redis.eval(ADD_OPTOUTS, 2, KEYS.optouts, KEYS.optoutLog, ...numbers.slice(i, i + 500))) as string[]));
    }
    return added;
  }

  async removeOptOuts(numbers: readonly string[]): Promise<string[]> {
    if (numbers.length === 0) return [];
    const there = await this.redis.smismember(KEYS.optouts, ...numbers);
    await this.redis.srem(KEYS.optouts, ...numbers);
    return numbers.filter((_, i) => there[i] === 1);
  }

  async optOutFromSend(number: string): Promise<void> {
    await this.addOptOuts([number]);
  }

  async followOptOuts(): Promise<OptOutSource[]> {
    const last = await this.redis.xrevrange(KEYS.optoutLog, '+', '-', 'COUNT', 1);
    let from = last[0]?.[0] ?? '0-0';
    const redis = this.redis;
    return [
      {
        async poll() {
          const out: string[] = [];
          for (;;) {
            const entries = await redis.xrange(KEYS.optoutLog, `(${from}`, '+', 'COUNT', 1000);
            for (const [id, fields] of entries) {
              from = id;
              const n = fields[fields.indexOf('n') + 1];
              if (n) out.push(n);
            }
            if (entries.length < 1000) return out;
          }
        },
      },
    ];
  }

  /** Neither an append-only file nor RDB snapshots: a restart forgets every opt-out. Unknown (CONFIG refused) → no warning. */
  async persistenceWarning(): Promise<string | undefined> {
    try {
      const [, aof] = (await this.redis.config('GET', 'appendonly')) as string[];
      const [, save] = (await this.redis.config('GET', 'save')) as string[];
      if (aof === 'no' && !save?.trim()) {
        return `the store ${this.where} has no persistence (appendonly no, save ""): this Redis keeps opt-outs only in memory, and a restart forgets them.`;
      }
    } catch {
      // Managed Redis often refuses CONFIG; their persistence is the provider's to say.
    }
    return undefined;
  }

  private async readHistory(take: (rec: HistoryEntry) => void, prefilter?: (line: string) => boolean): Promise<void> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(KEYS.history, cursor, 'COUNT', 1000);
      for (let i = 1; i < flat.length; i += 2) {
        const line = flat[i];
        if (prefilter && !prefilter(line)) continue;
        try {
          const rec = JSON.parse(line) as HistoryEntry;
          if (typeof rec?.to === 'string' && typeof rec.at === 'string') take(rec);
        } catch {
          // A value another tool wrote: not ours to read.
        }
      }
      cursor = next;
    } while (cursor !== '0');
  }

  private async recordHistory(entries: HistoryEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 200) {
      const args = entries.slice(i, i + 200).flatMap((e) => [`${e.to} ${e.sender ?? ''} ${e.template ?? ''} ${e.language ?? ''}`, e.at, JSON.stringify(e)]);
      await this.redis.eval(RECORD, 1, KEYS.history, ...args);
    }
  }
}

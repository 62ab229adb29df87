import type { RecipientState } from './format.js';
import type { PlanState, RecipientRecord, RecipientStates } from './state.js';

/**
 * The reduction's per-recipient states, packed for planning: what a worker thread reduced from a
 * million-line journal comes back as a few typed arrays (moved, not copied) instead of a Map of a
 * million objects to clone, and the main thread's heap holds nothing for its collector to trace
 * while it reads the list. A projection of the one reduction (state.ts), never a second one.
 */
export interface PackedStates {
  /** Canonical E.164 numbers (`+` and up to 15 digits, no leading 0) as numbers, ascending. */
  keys: Float64Array;
  /** Per key: the state's index in STATES | 8 opted out | 16 has a last attempt time. */
  codes: Uint8Array;
  attempts: Uint32Array;
  /** `lastAttemptAt` (it may be NaN: an unreadable `at`); 0 when there is none. */
  times: Float64Array;
  /** Recipients keyed by anything else (a hand-edited journal): kept as strings, looked up exactly. */
  others: [string, PlanState][];
}

const STATES: readonly RecipientState[] = ['pending', 'uncertain', 'sent', 'failed', 'failed-retryable', 'skipped'];
const INDEX = new Map(STATES.map((s, i) => [s, i]));
const OPTED_OUT = 8;
const HAS_TIME = 16;

/**
 * The number an E.164 string stands for, or -1 when the string is not exactly `+` and 1 to 15
 * digits without a leading 0: those round-trip (`'+' + key` is the string again), so looking a
 * key up by number never confuses two different strings.
 */
export function e164Key(to: string): number {
  const n = to.length;
  if (n < 2 || n > 16 || to.charCodeAt(0) !== 0x2b) return -1;
  let key = 0;
  for (let i = 1; i < n; i++) {
    const d = to.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9 || (i === 1 && d === 0)) return -1;
    key = key * 10 + d;
  }
  return key;
}

function project(r: PlanState): PlanState {
  return { state: r.state, optedOut: r.optedOut, attempts: r.attempts, lastAttemptAt: r.lastAttemptAt };
}

/** Packs the reduction's recipients (see PackedStates). */
export function packStates(recipients: ReadonlyMap<string, RecipientRecord>): PackedStates {
  const found = new Float64Array(recipients.size);
  const records: RecipientRecord[] = [];
  const others: [string, PlanState][] = [];
  for (const [to, r] of recipients) {
    const key = e164Key(to);
    if (key < 0) {
      others.push([to, project(r)]);
    } else {
      found[records.length] = key;
      records.push(r);
    }
  }
  // Distinct strings in canonical form are distinct numbers: each key has one place in the sorted copy.
  const keys = found.slice(0, records.length).sort();
  const codes = new Uint8Array(keys.length);
  const attempts = new Uint32Array(keys.length);
  const times = new Float64Array(keys.length);
  for (let j = 0; j < records.length; j++) {
    const i = indexOf(keys, found[j]);
    const r = records[j];
    codes[i] = INDEX.get(r.state)! | (r.optedOut ? OPTED_OUT : 0) | (r.lastAttemptAt !== undefined ? HAS_TIME : 0);
    attempts[i] = r.attempts;
    if (r.lastAttemptAt !== undefined) times[i] = r.lastAttemptAt;
  }
  return { keys, codes, attempts, times, others };
}

/** Where `key` is in the ascending `keys`, or -1. */
function indexOf(keys: Float64Array, key: number): number {
  let lo = 0;
  let hi = keys.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const k = keys[mid];
    if (k < key) lo = mid + 1;
    else if (k > key) hi = mid - 1;
    else return mid;
  }
  return -1;
}

/** The buffers a postMessage of a PackedStates moves rather than copies. */
export function packedTransfer(p: PackedStates): ArrayBuffer[] {
  return [p.keys.buffer as ArrayBuffer, p.codes.buffer as ArrayBuffer, p.attempts.buffer as ArrayBuffer, p.times.buffer as ArrayBuffer];
}

/** Looks recipients up in a PackedStates: a binary search over the sorted keys. */
export class StateTable implements RecipientStates {
  private readonly others: Map<string, PlanState>;

  constructor(private readonly p: PackedStates) {
    this.others = new Map(p.others);
  }

  get size(): number {
    return this.p.keys.length + this.others.size;
  }

  get(to: string): PlanState | undefined {
    const key = e164Key(to);
    if (key < 0) return this.others.get(to);
    const i = indexOf(this.p.keys, key);
    return i < 0 ? undefined : this.at(i);
  }

  *entries(): IterableIterator<[string, PlanState]> {
    for (let i = 0; i < this.p.keys.length; i++) yield [`+${this.p.keys[i]}`, this.at(i)];
    yield* this.others;
  }

  private at(i: number): PlanState {
    const code = this.p.codes[i];
    return {
      state: STATES[code & 7],
      optedOut: code & OPTED_OUT ? true : undefined,
      attempts: this.p.attempts[i],
      lastAttemptAt: code & HAS_TIME ? this.p.times[i] : undefined,
    };
  }
}

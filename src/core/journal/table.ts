import type { RecipientState } from './format.js';
import type { PlanState, RecipientRecord, RecipientStates } from './state.js';
import { grown } from '../typed-arrays.js';

/**
 * Where the journal's one reduction (state.ts) keeps its recipients: packed by number. A record
 * is a few slots in typed arrays, found through an open-addressing index on the E.164 number, so
 * a million recipients are a dozen arrays rather than a Map of a million objects for the
 * collector to trace (that Map and its records were most of a resume's journal read). The few
 * strings a record can hold (failure codes, a skip's reason) are kept apart, for the recipients
 * that have them. A worker thread hands the whole table over without a copy (`pack`/`unpack`).
 */

const STATES: readonly RecipientState[] = ['pending', 'uncertain', 'sent', 'failed', 'failed-retryable', 'skipped'];
const STATE_INDEX = new Map(STATES.map((s, i) => [s, i]));
const OUTCOMES: readonly RecipientRecord['outcome'][] = [null, 'sent', 'failed', 'failed-retryable', 'skipped'];
const OUTCOME_INDEX = new Map(OUTCOMES.map((s, i) => [s, i]));

// A recipient's small fields in one 16-bit word (one cache line read per lookup, not one per field):
// bits 0-2 the state's index, 3-5 the outcome's, 6-7 the reach, then flags.
const OUTCOME_SHIFT = 3;
const REACH_SHIFT = 6;
const OPEN = 1 << 8;
const FILTERED = 1 << 9;
const CALLBACK_FAILED = 1 << 10;
const OPTED_OUT = 1 << 11;
const HAS_ATTEMPT_TIME = 1 << 12;
const HAS_LAST_AT = 1 << 13;
const HAS_EXTRA = 1 << 14;

/**
 * The skip reasons the send itself writes (verdict.ts SkipReason, checked there; the dispatcher's opted-out): a
 * recipient's is kept as its index + 1 in a byte, not as a string in `extras` (a resume's journal
 * holds a skip for every no-consent row: 50,000 objects to build and to post between threads).
 * Any other reason is kept as a string, as before, and read from the line as text.
 */
export const SKIP_REASONS = [
  'no-consent', 'invalid-phone', 'suppressed', 'filtered-out', 'missing-variable', 'consent-conflict', 'already-messaged', 'recently-messaged', 'opted-out',
] as const;
const REASON_INDEX = new Map<string, number>(SKIP_REASONS.map((s, i) => [s, i + 1]));

/** The strings of a record, for the recipients that have any (failures, skips for other reasons). */
interface Extra {
  lastCode?: string;
  callbackCode?: string;
  failCode?: string;
  skipReason?: string;
}

/** A table as a worker thread posts it: its buffers move, the few Maps are cloned. */
export interface PackedTable {
  n: number;
  keys: Float64Array;
  hashes: Int32Array;
  bits: Uint16Array;
  reasons: Uint8Array;
  attempts: Uint32Array;
  attemptTimes: Float64Array;
  lastAts: Float64Array;
  slots: Int32Array;
  others: Map<string, number>;
  extras: Map<number, Extra>;
}

/** The hash of the last key scanKey read (a module slot, not an allocation per call). */
let scannedHash = 0;

/**
 * The number text[start, end) stands for when it is exactly `+` and 1 to 15 digits without a
 * leading 0 (those round-trip: `'+' + key` is the text again, so two different strings are never
 * one key), else -1. Its hash is left in `scannedHash`: from the digits' value modulo 2^32,
 * computed in int32 arithmetic (a double's `%` made such an index slower than a binary search).
 */
function scanKey(text: string, start: number, end: number): number {
  const n = end - start;
  if (n < 2 || n > 16 || text.charCodeAt(start) !== 0x2b) return -1;
  let key = 0;
  let h = 0;
  for (let i = start + 1; i < end; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9 || (i === start + 1 && d === 0)) return -1;
    key = key * 10 + d;
    h = (Math.imul(h, 10) + d) | 0;
  }
  scannedHash = mix(h);
  return key;
}

/** scanKey on the bytes buf[start, end) (a journal line read as bytes): the same key and hash. */
export function scanKeyBytes(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n < 2 || n > 16 || buf[start] !== 0x2b) return -1;
  let key = 0;
  let h = 0;
  for (let i = start + 1; i < end; i++) {
    const d = buf[i] - 0x30;
    if (d < 0 || d > 9 || (i === start + 1 && d === 0)) return -1;
    key = key * 10 + d;
    h = (Math.imul(h, 10) + d) | 0;
  }
  scannedHash = mix(h);
  return key;
}

/** The hash of the last key scanKeyBytes read. */
export function lastScannedHash(): number {
  return scannedHash;
}

function mix(h: number): number {
  // Sixteen consecutive numbers keep their order in one run of slots, the runs are scattered: a
  // list and its journal in the same order (a resume) look up neighbouring slots, not random ones.
  let b = h >>> 4;
  b = Math.imul(b ^ (b >>> 16), 0x7feb352d);
  b = Math.imul(b ^ (b >>> 15), 0x846ca68b);
  b ^= b >>> 16;
  return (b << 4) | (h & 15);
}

/** The most recipients a table is sized for up front (~40 MB); past it, it grows as they come. */
const MAX_PRESIZE = 1 << 20;

export class RecipientTable implements RecipientStates {
  private n = 0;
  private keys: Float64Array;
  /** Per recipient: its key's hash (growing the index needs no rescan); 0 for the others. */
  private hashes: Int32Array;
  /** State, outcome, reach and flags (see OUTCOME_SHIFT). */
  private bits: Uint16Array;
  /** A skip reason of SKIP_REASONS: its index + 1 (0: none, or one kept in `extras`). */
  private reasons: Uint8Array;
  private attempts: Uint32Array;
  private attemptTimes: Float64Array;
  private lastAts: Float64Array;
  /** The index: per slot the recipient + 1 (0: empty), whose key is compared; at most half full. */
  private slots: Int32Array;
  /** Recipients keyed by anything else (a hand-edited journal): looked up exactly, as strings. */
  private readonly others: Map<string, number>;
  private readonly extras: Map<number, Extra>;
  /** The others by recipient, to name them (built when first asked). */
  private names?: Map<number, string>;

  /** `expected`: about how many recipients will be added (a journal's size says), so that the table need not grow. */
  constructor(packed?: PackedTable, expected = 0) {
    if (packed) {
      ({ n: this.n, keys: this.keys, hashes: this.hashes, bits: this.bits, reasons: this.reasons, attempts: this.attempts, attemptTimes: this.attemptTimes, lastAts: this.lastAts, slots: this.slots } = packed);
      this.others = packed.others;
      this.extras = packed.extras;
      return;
    }
    // A power of two (the index's mask), at least the expected count; growing copies and re-places every key.
    let cap = 1024;
    while (cap < expected && cap < MAX_PRESIZE) cap *= 2;
    this.keys = new Float64Array(cap);
    this.hashes = new Int32Array(cap);
    this.bits = new Uint16Array(cap);
    this.reasons = new Uint8Array(cap);
    this.attempts = new Uint32Array(cap);
    this.attemptTimes = new Float64Array(cap);
    this.lastAts = new Float64Array(cap);
    this.slots = new Int32Array(cap * 2);
    this.others = new Map();
    this.extras = new Map();
  }

  get size(): number {
    return this.n;
  }

  /** The table for postMessage, and the buffers to move with it (this table is then unusable). */
  pack(): { packed: PackedTable; transfer: ArrayBuffer[] } {
    const packed: PackedTable = {
      n: this.n, keys: this.keys, hashes: this.hashes, bits: this.bits, reasons: this.reasons, attempts: this.attempts, attemptTimes: this.attemptTimes, lastAts: this.lastAts,
      slots: this.slots, others: this.others, extras: this.extras,
    };
    const arrays = [this.keys, this.hashes, this.bits, this.reasons, this.attempts, this.attemptTimes, this.lastAts, this.slots];
    return { packed, transfer: arrays.map((a) => a.buffer as ArrayBuffer) };
  }

  /** The recipient `to` is, or -1. */
  find(to: string): number {
    const key = scanKey(to, 0, to.length);
    if (key < 0) return this.others.get(to) ?? -1;
    return this.probe(key, scannedHash, false);
  }

  /** The recipient `to` is, added (pending, nothing seen) when new. */
  slot(to: string): number {
    const key = scanKey(to, 0, to.length);
    if (key < 0) {
      const i = this.others.get(to);
      if (i !== undefined) return i;
      const j = this.append(0, 0);
      this.others.set(to, j);
      this.names?.set(j, to);
      return j;
    }
    return this.probe(key, scannedHash, true);
  }

  /** slot() for a number already scanned (scanKeyBytes): its key and hash. */
  slotOfKey(key: number, hash: number): number {
    return this.probe(key, hash, true);
  }

  has(to: string): boolean {
    return this.find(to) >= 0;
  }

  /** The record of `to` (a copy: changing it changes nothing here). */
  get(to: string): RecipientRecord | undefined {
    const i = this.find(to);
    return i < 0 ? undefined : this.load(i, blank());
  }

  /** What planning reads of `to`: fewer fields than `get`, for a lookup per row of the list. */
  plan(to: string): PlanState | undefined {
    const i = this.find(to);
    if (i < 0) return undefined;
    const b = this.bits[i];
    return { state: STATES[b & 7], optedOut: b & OPTED_OUT ? true : undefined, attempts: this.attempts[i], lastAttemptAt: b & HAS_ATTEMPT_TIME ? this.attemptTimes[i] : undefined };
  }

  /** The number of recipient i, as the journal wrote it. */
  nameOf(i: number): string {
    if (this.keys[i] !== 0) return `+${this.keys[i]}`;
    if (!this.names) this.names = new Map([...this.others].map(([k, v]) => [v, k]));
    return this.names.get(i)!;
  }

  /** Every recipient, in the order the journal first named them. */
  *entries(): IterableIterator<[string, RecipientRecord]> {
    for (let i = 0; i < this.n; i++) yield [this.nameOf(i), this.load(i, blank())];
  }

  *values(): IterableIterator<RecipientRecord> {
    for (let i = 0; i < this.n; i++) yield this.load(i, blank());
  }

  [Symbol.iterator](): IterableIterator<[string, RecipientRecord]> {
    return this.entries();
  }

  /** Fills `r` with recipient i's record. */
  load(i: number, r: RecipientRecord): RecipientRecord {
    const f = this.bits[i];
    r.state = STATES[f & 7];
    r.outcome = OUTCOMES[(f >> OUTCOME_SHIFT) & 7];
    r.reach = (f >> REACH_SHIFT) & 3;
    r.attempts = this.attempts[i];
    r.open = (f & OPEN) !== 0;
    r.filtered = (f & FILTERED) !== 0;
    r.callbackFailed = (f & CALLBACK_FAILED) !== 0;
    r.optedOut = f & OPTED_OUT ? true : undefined;
    r.lastAttemptAt = f & HAS_ATTEMPT_TIME ? this.attemptTimes[i] : undefined;
    r.lastAtMs = f & HAS_LAST_AT ? this.lastAts[i] : undefined;
    const x = f & HAS_EXTRA ? this.extras.get(i) : undefined;
    r.lastCode = x?.lastCode;
    r.callbackCode = x?.callbackCode;
    r.failCode = x?.failCode;
    const reason = this.reasons[i];
    r.skipReason = reason === 0 ? x?.skipReason : SKIP_REASONS[reason - 1];
    return r;
  }

  /** Writes `r` as recipient i's record. */
  store(i: number, r: RecipientRecord): void {
    this.attempts[i] = r.attempts;
    let f = STATE_INDEX.get(r.state)! | (OUTCOME_INDEX.get(r.outcome)! << OUTCOME_SHIFT) | (r.reach << REACH_SHIFT);
    f |= (r.open ? OPEN : 0) | (r.filtered ? FILTERED : 0) | (r.callbackFailed ? CALLBACK_FAILED : 0) | (r.optedOut ? OPTED_OUT : 0);
    if (r.lastAttemptAt !== undefined) {
      f |= HAS_ATTEMPT_TIME;
      this.attemptTimes[i] = r.lastAttemptAt;
    }
    if (r.lastAtMs !== undefined) {
      f |= HAS_LAST_AT;
      this.lastAts[i] = r.lastAtMs;
    }
    const reason = r.skipReason === undefined ? 0 : (REASON_INDEX.get(r.skipReason) ?? 0);
    this.reasons[i] = reason;
    const otherReason = reason === 0 ? r.skipReason : undefined;
    if (r.lastCode !== undefined || r.callbackCode !== undefined || r.failCode !== undefined || otherReason !== undefined) {
      f |= HAS_EXTRA;
      this.extras.set(i, { lastCode: r.lastCode, callbackCode: r.callbackCode, failCode: r.failCode, skipReason: otherReason });
    } else if (this.bits[i] & HAS_EXTRA) {
      this.extras.delete(i);
    }
    this.bits[i] = f;
  }

  private probe(key: number, hash: number, add: boolean): number {
    const { slots, keys } = this;
    const mask = slots.length - 1;
    let s = hash & mask;
    for (;;) {
      const j = slots[s];
      if (j === 0) break;
      if (keys[j - 1] === key) return j - 1;
      s = (s + 1) & mask;
    }
    if (!add) return -1;
    const i = this.append(key, hash);
    // append may have grown the index: then the key's place is in the new one.
    if (this.slots !== slots) this.place(hash, i);
    else slots[s] = i + 1;
    return i;
  }

  private place(hash: number, i: number): void {
    const { slots } = this;
    const mask = slots.length - 1;
    let s = hash & mask;
    while (slots[s] !== 0) s = (s + 1) & mask;
    slots[s] = i + 1;
  }

  /** A new pending recipient (key 0: one of the others). */
  private append(key: number, hash: number): number {
    if (this.n === this.keys.length) this.grow();
    const i = this.n++;
    this.keys[i] = key;
    this.hashes[i] = hash;
    return i;
  }

  private grow(): void {
    const cap = this.keys.length * 2;
    this.keys = grown(this.keys, cap);
    this.hashes = grown(this.hashes, cap);
    this.bits = grown(this.bits, cap);
    this.reasons = grown(this.reasons, cap);
    this.attempts = grown(this.attempts, cap);
    this.attemptTimes = grown(this.attemptTimes, cap);
    this.lastAts = grown(this.lastAts, cap);
    // At most half full: linear probing stays short.
    this.slots = new Int32Array(cap * 2);
    for (let i = 0; i < this.n; i++) if (this.keys[i] !== 0) this.place(this.hashes[i], i);
  }
}

/** A record of a recipient nothing has been seen of (every field present: one object shape). */
export function blank(): RecipientRecord {
  return {
    state: 'pending', attempts: 0, lastCode: undefined, optedOut: undefined, lastAttemptAt: undefined, lastAtMs: undefined, outcome: null, open: false,
    reach: 0, callbackFailed: false, callbackCode: undefined, failCode: undefined, skipReason: undefined, filtered: false,
  };
}


import { closeSync, mkdtempSync, openSync, readSync, rmSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * E.164 number → first line, for duplicate detection over millions of rows. An E.164 number has
 * at most 15 digits, so it is an exact integer below 2^50; open addressing over one typed array,
 * three 32-bit words a slot (the number's low and high halves, its line), costs 12 bytes a slot
 * with nothing for the garbage collector to trace (a Map of strings takes ~80 bytes an entry),
 * filled up to 3/4. A slot's words lie together: a new number costs one cache miss, not one for
 * its key and one for its line (the 1M lint's lookups were ~0.5 s of its main thread).
 *
 * Memory stays flat at any size: past `memoryEntries` numbers (a million, ~16 MB) the table is
 * written as it is to a spill file (unlinked at once, so nothing is left behind whatever happens
 * to the process) and starts again empty. Of the spilled numbers only a Bloom filter stays in
 * memory (12 bits a number): a number no spilled table may hold (every new number but ~1%) costs
 * one cache line, and the others one or two `pread`s into the file, whose pages the kernel caches
 * and can reclaim. If the file cannot be written (a full or read-only disk), the table
 * grows in memory as before: slower to fail than to lose a number.
 */
const MAX_LOAD = 0.75;
const MEMORY_ENTRIES = 1_000_000;

export interface PhoneIndexOptions {
  /** Numbers held in memory before the table is spilled (tests use a small one). */
  memoryEntries?: number;
  /** Where the spill file goes; default the system's temp folder, unless that is RAM (tmpfs). */
  spillDir?: string;
}

export class PhoneIndex {
  /** Per slot: low half of the key, high half + 1 (0: empty slot), line. */
  private table: Uint32Array;
  private slots: number;
  private count = 0;
  private spilledCount = 0;
  private readonly memoryEntries: number;
  private readonly spillDir: string | undefined;
  private spill: SpillFile | null = null;
  private spillFailed = false;
  /** Spilled tables, newest first. */
  private readonly runs: Run[] = [];
  /** Bloom filters over the spilled numbers, newest first; each covers some runs (sized from `reserve`). */
  private readonly filters: Filter[] = [];
  private expected = 0;

  constructor(capacity = 1 << 16, opts: PhoneIndexOptions = {}) {
    this.memoryEntries = Math.max(16, opts.memoryEntries ?? envEntries() ?? MEMORY_ENTRIES);
    this.spillDir = opts.spillDir;
    this.slots = slotsFor(Math.min(capacity, this.memoryEntries));
    this.table = new Uint32Array(this.slots * 3);
  }

  /** Numbers set (in memory and spilled). */
  get size(): number {
    return this.count + this.spilledCount;
  }

  /** Spilled tables (for tests and the benchmark). */
  get spills(): number {
    return this.runs.length;
  }

  /** The line stored for this number, or undefined. */
  get(e164: string): number | undefined {
    const key = toKey(e164);
    const at = this.probe(key);
    if (at >= 0) return this.table[at + 2];
    return this.spilled(key);
  }

  /**
   * The line stored for this number if it has one; if not, stores `line` for it and answers
   * undefined. One probe instead of get's and set's.
   */
  claim(e164: string, line: number): number | undefined {
    const key = toKey(e164);
    const at = this.probe(key);
    if (at >= 0) return this.table[at + 2];
    const before = this.spilled(key);
    if (before !== undefined) return before;
    if (this.count + 1 > this.slots * MAX_LOAD) {
      this.makeRoom();
      this.insert(key, line);
      return undefined;
    }
    // probe() left the empty slot where the number belongs.
    this.fill(~at, key, line);
    return undefined;
  }

  /** The word index of the number's slot, or, when it is not in memory, ~ that of the empty slot where it would go. */
  private probe(key: number): number {
    const t = this.table;
    const size = this.slots;
    const lo = key >>> 0;
    const hi = high(key) + 1;
    for (let i = slot(key, size); ; i = i + 1 === size ? 0 : i + 1) {
      const j = i * 3;
      const h = t[j + 1];
      if (h === 0) return ~j;
      if (h === hi && t[j] === lo) return j;
    }
  }

  /** The line a spilled table holds for the number, if any. */
  private spilled(key: number): number | undefined {
    if (this.filters.length === 0) return undefined;
    const h = bloomHash(key);
    for (const f of this.filters) {
      if (!f.bloom.has(h)) continue;
      for (const run of f.runs) {
        const line = this.spill!.lookup(run, key);
        if (line !== undefined) return line;
      }
    }
    return undefined;
  }

  /** Stores a number's line (callers set a number once, after `get` said it is new). */
  set(e164: string, line: number): void {
    if (this.count + 1 > this.slots * MAX_LOAD) this.makeRoom();
    this.insert(toKey(e164), line);
  }

  /** Room for one more number: the table spilled (once memory holds enough), or grown. */
  private makeRoom(): void {
    if (this.count >= this.memoryEntries && this.trySpill()) return; // written out and emptied
    this.resize(Math.ceil(this.slots * 1.5));
  }

  /** Makes room for `capacity` numbers at once (up to what memory holds): one allocation instead of growing step by step. */
  reserve(capacity: number): void {
    this.expected = Math.max(this.expected, capacity);
    const want = Math.min(capacity, this.memoryEntries);
    if (want > this.slots * MAX_LOAD) this.resize(slotsFor(want));
  }

  /** Closes the spill file (the process's exit does it too). */
  close(): void {
    if (this.spill) closeWithIndex.unregister(this);
    this.spill?.close();
    this.spill = null;
    this.runs.length = 0;
    this.filters.length = 0;
  }

  private insert(key: number, line: number): void {
    const at = this.probe(key);
    const t = this.table;
    if (at >= 0) {
      t[at + 2] = line;
      return;
    }
    this.fill(~at, key, line);
  }

  /** Writes a number into the empty slot at word j. */
  private fill(j: number, key: number, line: number): void {
    const t = this.table;
    t[j] = key >>> 0;
    t[j + 1] = high(key) + 1;
    t[j + 2] = line;
    this.count++;
  }

  private resize(size: number): void {
    const old = this.table;
    this.slots = size;
    this.table = new Uint32Array(size * 3);
    this.count = 0;
    for (let j = 0; j < old.length; j += 3) if (old[j + 1] !== 0) this.insert(keyAt(old, j), old[j + 2]);
  }

  /** Writes the table out and empties it; false (and never again) when the file cannot be written. */
  private trySpill(): boolean {
    if (this.spillFailed) return false;
    try {
      if (!this.spill) {
        this.spill = SpillFile.open(this.spillDir);
        // Whoever forgets close(): the descriptor (and the unlinked file's disk) goes with the index.
        closeWithIndex.register(this, this.spill, this);
      }
      let f = this.filters[0];
      if (!f || f.left < this.count) {
        // One filter for every number still to come (as `reserve` estimated), so that a lookup
        // costs one cache line however many tables were spilled; a new one when it is full.
        const room = Math.max(this.count, this.expected - this.spilledCount, 4 * this.memoryEntries);
        f = { bloom: new Bloom(room), left: room, runs: [] };
        this.filters.unshift(f);
      }
      const t = this.table;
      for (let j = 0; j < t.length; j += 3) if (t[j + 1] !== 0) f.bloom.add(bloomHash(keyAt(t, j)));
      f.left -= this.count;
      const run = this.spill.write(t, this.slots);
      f.runs.unshift(run);
      this.runs.unshift(run);
    } catch {
      this.spillFailed = true;
      return false;
    }
    this.spilledCount += this.count;
    this.table.fill(0);
    this.count = 0;
    return true;
  }
}

const closeWithIndex = new FinalizationRegistry<SpillFile>((file) => file.close());

interface Run {
  /** Byte offset of the run's table in the spill file (its slots as in memory). */
  offset: number;
  slots: number;
}

interface Filter {
  bloom: Bloom;
  /** Numbers it can still take at its designed false-positive rate. */
  left: number;
  /** The spilled tables whose numbers it holds, newest first. */
  runs: Run[];
}

/** Keys read per `pread` while probing a spilled table: a probe run at 3/4 load is a few slots. */
const WINDOW = 32;

class SpillFile {
  private end = 0;
  private readonly window = new Uint32Array(WINDOW * 3);
  private readonly windowBytes = new Uint8Array(this.window.buffer);

  private constructor(private fd: number | null) {}

  static open(dir = spillFolder()): SpillFile {
    // A folder of our own (mode 0700), the file unlinked as soon as it is open.
    const own = mkdtempSync(path.join(dir, 'campaign-index-'));
    const file = path.join(own, 'numbers');
    let fd: number;
    try {
      fd = openSync(file, 'w+', 0o600);
    } catch (err) {
      rmSync(own, { recursive: true, force: true });
      throw err;
    }
    try {
      unlinkSync(file);
    } catch (err) {
      // An open file that cannot be unlinked (Windows, some shares) would outlive a crash with the
      // numbers in it: no spill there, the index stays in memory.
      closeSync(fd);
      rmSync(own, { recursive: true, force: true });
      throw err;
    }
    rmSync(own, { recursive: true, force: true });
    return new SpillFile(fd);
  }

  write(table: Uint32Array, slots: number): Run {
    const offset = this.end;
    this.end = writeAll(this.fd!, new Uint8Array(table.buffer, table.byteOffset, table.byteLength), offset);
    return { offset, slots };
  }

  lookup(run: Run, key: number): number | undefined {
    let i = slot(key, run.slots);
    const lo = key >>> 0;
    const hi = high(key) + 1;
    const w = this.window;
    // Linear probing over the file, a window of slots at a time, wrapping at the end of the run.
    for (let seen = 0; seen < run.slots; ) {
      const n = Math.min(WINDOW, run.slots - i);
      readAll(this.fd!, this.windowBytes, n * 12, run.offset + i * 12);
      for (let j = 0; j < n * 3; j += 3) {
        const h = w[j + 1];
        if (h === 0) return undefined;
        if (h === hi && w[j] === lo) return w[j + 2];
      }
      seen += n;
      i = i + n === run.slots ? 0 : i + n;
    }
    return undefined;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function writeAll(fd: number, bytes: Uint8Array, position: number): number {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done, position + done);
  return position + done;
}

function readAll(fd: number, into: Uint8Array, length: number, position: number): void {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, into, done, length - done, position + done);
    if (n === 0) throw new Error('the spill file is shorter than what was written to it');
    done += n;
  }
}

/** The system's temp folder, unless it lives in RAM (tmpfs): then the current folder, which is on disk. */
function spillFolder(): string {
  const dir = tmpdir();
  try {
    if (statfsSync(dir).type === 0x01021994) return process.cwd();
  } catch {
    // Not knowing is no reason to refuse: the temp folder it is.
  }
  return dir;
}

/** CAMPAIGN_INDEX_MEMORY: numbers held in memory before spilling (tests and the benchmark set it). */
function envEntries(): number | undefined {
  const env = process.env.CAMPAIGN_INDEX_MEMORY;
  if (env === undefined || env.trim() === '') return undefined;
  const v = Number(env);
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`CAMPAIGN_INDEX_MEMORY is "${env}", not a whole number of at least 1.`, { hint: 'Set it to how many phone numbers the duplicate index keeps in memory, or unset it.' });
  return v;
}

/**
 * A blocked Bloom filter: the bits of one number all lie in one 512-bit block (one cache line),
 * 12 bits a number, 8 probes: about 1% false positives.
 */
class Bloom {
  private readonly words: Uint32Array;
  private readonly blocks: number;

  constructor(count: number) {
    this.blocks = Math.max(1, Math.ceil((count * 12) / 512));
    this.words = new Uint32Array(this.blocks * 16);
  }

  add(h: number): void {
    const base = blockOf(h, this.blocks) * 16;
    let g = Math.imul(h, 0x27d4eb2f) | 1;
    for (let p = 0; p < 8; p++) {
      const bit = (g >>> 23) & 511;
      this.words[base + (bit >>> 5)] |= 1 << (bit & 31);
      g = Math.imul(g, 0x9e3779b1) + 0x7f4a7c15;
    }
  }

  has(h: number): boolean {
    const base = blockOf(h, this.blocks) * 16;
    let g = Math.imul(h, 0x27d4eb2f) | 1;
    for (let p = 0; p < 8; p++) {
      const bit = (g >>> 23) & 511;
      if ((this.words[base + (bit >>> 5)] & (1 << (bit & 31))) === 0) return false;
      g = Math.imul(g, 0x9e3779b1) + 0x7f4a7c15;
    }
    return true;
  }
}

function blockOf(h: number, blocks: number): number {
  return Math.floor(((h >>> 0) * blocks) / 4294967296);
}

function slotsFor(capacity: number): number {
  // Odd sizes past 2^32 slots are not needed: 12 bytes a slot would be 48 GB.
  return Math.min(0xffffffff, Math.max(16, Math.ceil(capacity / MAX_LOAD) + 1));
}

/** The number's digits as one integer (E.164 has at most 15: exact in a double); read in place, no substring. */
function toKey(e164: string): number {
  const n = e164.length;
  let i = n > 0 && e164.charCodeAt(0) === 43 ? 1 : 0;
  let key = 0;
  if (i === n || n - i > 16) throw new RangeError(`not an E.164 number: ${e164}`);
  for (; i < n; i++) {
    const d = e164.charCodeAt(i) - 48;
    if (d < 0 || d > 9) throw new RangeError(`not an E.164 number: ${e164}`);
    key = key * 10 + d;
  }
  if (key <= 0 || !Number.isSafeInteger(key)) throw new RangeError(`not an E.164 number: ${e164}`);
  return key;
}

/** A 32-bit mix of the key's two halves (consecutive numbers must not cluster). */
function mix(key: number, seed: number): number {
  const lo = key % 4294967296;
  const hi = Math.floor(key / 4294967296);
  let h = Math.imul(lo ^ Math.imul(hi ^ seed, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h;
}

/** The key's bits above the low 32 (below 2^18: a key is under 10^15). */
function high(key: number): number {
  return Math.floor(key / 4294967296);
}

/** The key stored in the slot at word j. */
function keyAt(t: Uint32Array, j: number): number {
  return (t[j + 1] - 1) * 4294967296 + t[j];
}

function slot(key: number, size: number): number {
  // Multiplication maps the hash onto [0, size): sizes need not be powers of two.
  return Math.floor(((mix(key, 0) >>> 0) * size) / 4294967296);
}

/** Independent of the slot hash: the Bloom filter must not see the table's clustering. */
function bloomHash(key: number): number {
  return mix(key, 0x5bd1e995);
}

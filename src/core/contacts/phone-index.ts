import { closeSync, mkdtempSync, openSync, readSync, rmSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UsageError } from '../errors.js';

/**
 * E.164 number → first line, for duplicate detection over millions of rows. An E.164 number has
 * at most 15 digits, so it fits a double exactly; open addressing over typed arrays costs 12 bytes
 * a slot with nothing for the garbage collector to trace (a Map of strings takes ~80 bytes an
 * entry), filled up to 3/4.
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
  private keys: Float64Array;
  private lines: Uint32Array;
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
    const size = slotsFor(Math.min(capacity, this.memoryEntries));
    this.keys = new Float64Array(size);
    this.lines = new Uint32Array(size);
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
    const { keys } = this;
    const size = keys.length;
    for (let i = slot(key, size); ; i = i + 1 === size ? 0 : i + 1) {
      const k = keys[i];
      if (k === 0) break;
      if (k === key) return this.lines[i];
    }
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
    if (this.count + 1 > this.keys.length * MAX_LOAD) {
      if (this.count >= this.memoryEntries && this.trySpill()) {
        // The table was written out and emptied.
      } else {
        this.resize(Math.ceil(this.keys.length * 1.5));
      }
    }
    this.insert(toKey(e164), line);
  }

  /** Makes room for `capacity` numbers at once (up to what memory holds): one allocation instead of growing step by step. */
  reserve(capacity: number): void {
    this.expected = Math.max(this.expected, capacity);
    const want = Math.min(capacity, this.memoryEntries);
    if (want > this.keys.length * MAX_LOAD) this.resize(slotsFor(want));
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
    const { keys } = this;
    const size = keys.length;
    for (let i = slot(key, size); ; i = i + 1 === size ? 0 : i + 1) {
      const k = keys[i];
      if (k === 0) {
        keys[i] = key;
        this.lines[i] = line;
        this.count++;
        return;
      }
      if (k === key) {
        this.lines[i] = line;
        return;
      }
    }
  }

  private resize(size: number): void {
    const { keys, lines } = this;
    this.keys = new Float64Array(size);
    this.lines = new Uint32Array(size);
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) this.insert(keys[i], lines[i]);
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
      const { keys } = this;
      for (let i = 0; i < keys.length; i++) if (keys[i] !== 0) f.bloom.add(bloomHash(keys[i]));
      f.left -= this.count;
      const run = this.spill.write(keys, this.lines);
      f.runs.unshift(run);
      this.runs.unshift(run);
    } catch {
      this.spillFailed = true;
      return false;
    }
    this.spilledCount += this.count;
    this.keys.fill(0);
    this.count = 0;
    return true;
  }
}

const closeWithIndex = new FinalizationRegistry<SpillFile>((file) => file.close());

interface Run {
  /** Byte offset of the run's keys in the spill file; its lines follow them. */
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
  private readonly window = new Float64Array(WINDOW);
  private readonly windowBytes = new Uint8Array(this.window.buffer);
  private readonly line = new Uint32Array(1);
  private readonly lineBytes = new Uint8Array(this.line.buffer);

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

  write(keys: Float64Array, lines: Uint32Array): Run {
    const offset = this.end;
    const at = writeAll(this.fd!, new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength), offset);
    writeAll(this.fd!, new Uint8Array(lines.buffer, lines.byteOffset, lines.byteLength), at);
    this.end = offset + keys.byteLength + lines.byteLength;
    return { offset, slots: keys.length };
  }

  lookup(run: Run, key: number): number | undefined {
    let i = slot(key, run.slots);
    // Linear probing over the file, a window at a time, wrapping at the end of the run.
    for (let seen = 0; seen < run.slots; ) {
      const n = Math.min(WINDOW, run.slots - i);
      readAll(this.fd!, this.windowBytes, n * 8, run.offset + i * 8);
      for (let j = 0; j < n; j++) {
        const k = this.window[j];
        if (k === 0) return undefined;
        if (k === key) {
          readAll(this.fd!, this.lineBytes, 4, run.offset + run.slots * 8 + (i + j) * 4);
          return this.line[0];
        }
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

function slot(key: number, size: number): number {
  // Multiplication maps the hash onto [0, size): sizes need not be powers of two.
  return Math.floor(((mix(key, 0) >>> 0) * size) / 4294967296);
}

/** Independent of the slot hash: the Bloom filter must not see the table's clustering. */
function bloomHash(key: number): number {
  return mix(key, 0x5bd1e995);
}

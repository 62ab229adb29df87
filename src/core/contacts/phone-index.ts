/**
 * E.164 number → first line, for duplicate detection over millions of rows. An E.164 number has
 * at most 15 digits, so it fits a double exactly; open addressing over typed arrays costs 12 bytes
 * a slot with nothing for the garbage collector to trace (a Map of strings takes ~80 bytes an
 * entry). Filled up to 3/4 and grown by half, or sized once with `reserve` when the caller can
 * estimate the count: ten million numbers take ~160 MB, not the ~400 MB of a power-of-two table
 * kept half empty.
 */
const MAX_LOAD = 0.75;

export class PhoneIndex {
  private keys: Float64Array;
  private lines: Uint32Array;
  private count = 0;

  constructor(capacity = 1 << 16) {
    const size = slotsFor(capacity);
    this.keys = new Float64Array(size);
    this.lines = new Uint32Array(size);
  }

  get size(): number {
    return this.count;
  }

  /** The line stored for this number, or undefined. */
  get(e164: string): number | undefined {
    const key = toKey(e164);
    const { keys } = this;
    const size = keys.length;
    for (let i = slot(key, size); ; i = i + 1 === size ? 0 : i + 1) {
      const k = keys[i];
      if (k === 0) return undefined;
      if (k === key) return this.lines[i];
    }
  }

  set(e164: string, line: number): void {
    if (this.count + 1 > this.keys.length * MAX_LOAD) this.resize(Math.ceil(this.keys.length * 1.5));
    this.insert(toKey(e164), line);
  }

  /** Makes room for `capacity` numbers at once: one allocation instead of growing step by step. */
  reserve(capacity: number): void {
    if (capacity > this.keys.length * MAX_LOAD) this.resize(slotsFor(capacity));
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
}

function slotsFor(capacity: number): number {
  // Odd sizes past 2^32 slots are not needed: 12 bytes a slot would be 48 GB.
  return Math.min(0xffffffff, Math.max(16, Math.ceil(capacity / MAX_LOAD) + 1));
}

function toKey(e164: string): number {
  const key = Number(e164.charCodeAt(0) === 43 ? e164.slice(1) : e164);
  if (!Number.isSafeInteger(key) || key <= 0) throw new RangeError(`not an E.164 number: ${e164}`);
  return key;
}

function slot(key: number, size: number): number {
  // Mix the low and high halves (consecutive numbers must not cluster into consecutive slots),
  // then map the 32-bit hash onto [0, size) by multiplication: sizes need not be powers of two.
  const lo = key % 4294967296;
  const hi = Math.floor(key / 4294967296);
  let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return Math.floor(((h >>> 0) * size) / 4294967296);
}

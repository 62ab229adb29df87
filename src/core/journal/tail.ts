import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;
/** Bytes just before the offset remembered to notice a file rewritten in place. */
const SIGNATURE = 64;

/**
 * Reads the whole lines appended to a file since the last read, in 1 MiB chunks, by byte offset:
 * a line still being written (or a UTF-8 character cut by a chunk) waits for the next read. The
 * one line splitter behind every reader of the journal (a whole read, the webhook's index, a
 * running send's watcher) and of the lists other processes append to (history, opt-outs).
 */
export class LineTail {
  /** Byte offset just after the last whole line delivered. */
  offset: number;
  private ino?: number;
  /** The bytes just before `offset` when they were read: changed bytes mean a rewrite. */
  private signature?: Buffer;

  constructor(readonly path: string, offset = 0) {
    this.offset = offset;
  }

  /**
   * Calls `onLine` for each new whole line. A missing file has none yet. A file that was
   * replaced (another inode, a size below the offset, or other bytes before the offset: an
   * editor that saved the whole file rather than appending) is read again from the start, after
   * telling `onRestart`. `onLine` returning false stops reading: for a file the caller gives up
   * on. With `final`, a last line without "\n" is delivered too (a file read once, at rest).
   */
  read(onLine: (line: string) => boolean | void, onRestart?: () => void, opts: { final?: boolean } = {}): Promise<void> {
    const lines = (data: Buffer, end: number): boolean => {
      for (const line of data.subarray(0, end).toString('utf8').split('\n')) if (onLine(line) === false) return false;
      return true;
    };
    return this.queue(lines, (carry) => void onLine(carry.toString('utf8')), onRestart, opts);
  }

  /**
   * read(), each line as bytes: `buf[start, end)`, without its "\n" (valid only during the call),
   * for a reader that parses most lines from their bytes and decodes only the others.
   */
  readBytes(onLine: (buf: Buffer, start: number, end: number) => boolean | void, onRestart?: () => void, opts: { final?: boolean } = {}): Promise<void> {
    const lines = (data: Buffer, end: number): boolean => {
      for (let start = 0; start <= end; ) {
        const nl = data.indexOf(0x0a, start);
        const stop = nl < 0 || nl > end ? end : nl;
        if (onLine(data, start, stop) === false) return false;
        start = stop + 1;
      }
      return true;
    };
    return this.queue(lines, (carry) => void onLine(carry, 0, carry.length), onRestart, opts);
  }

  private queue(lines: (data: Buffer, end: number) => boolean, last: (carry: Buffer) => void, onRestart: (() => void) | undefined, opts: { final?: boolean }): Promise<void> {
    // One read at a time: two overlapping reads would each advance the shared offset by what
    // they read, pass the end of the file, and take that for a truncation (lines lost).
    const run = this.pending.then(() => this.readOnce(lines, last, onRestart, opts));
    this.pending = run.catch(() => undefined);
    return run;
  }

  private pending: Promise<void> = Promise.resolve();

  /** `lines(data, end)`: the whole lines data[0, end) ("\n" at end), false to stop; `last`: a final line without "\n". */
  private async readOnce(lines: (data: Buffer, end: number) => boolean, last: (carry: Buffer) => void, onRestart: (() => void) | undefined, opts: { final?: boolean }): Promise<void> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const { size, ino } = await fh.stat();
      if (this.offset > 0 && (size < this.offset || (this.ino !== undefined && ino !== this.ino) || !(await this.sameSignature(fh)))) {
        this.offset = 0;
        this.signature = undefined;
        onRestart?.();
      }
      this.ino = ino;
      let carry = Buffer.alloc(0);
      let pos = this.offset;
      while (pos < size) {
        const buf = Buffer.alloc(Math.min(CHUNK, size - pos));
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        const data = carry.length ? Buffer.concat([carry, buf.subarray(0, bytesRead)]) : buf.subarray(0, bytesRead);
        const lastNl = data.lastIndexOf(0x0a);
        if (lastNl === -1) {
          carry = Buffer.from(data);
          continue;
        }
        // `data` starts at this.offset (carry is what followed the last consumed "\n").
        this.offset += lastNl + 1;
        this.remember(data.subarray(0, lastNl + 1));
        carry = Buffer.from(data.subarray(lastNl + 1));
        if (!lines(data, lastNl)) return;
      }
      if (opts.final && carry.length > 0) {
        this.offset += carry.length;
        this.remember(carry);
        last(carry);
      }
    } finally {
      await fh.close();
    }
  }

  private remember(consumed: Buffer): void {
    const tail = consumed.subarray(Math.max(0, consumed.length - SIGNATURE));
    this.signature = tail.length === SIGNATURE || !this.signature ? Buffer.from(tail) : Buffer.concat([this.signature, tail]).subarray(-SIGNATURE);
  }

  /** True unless the bytes before the offset differ from those read there (first call: reads them). */
  private async sameSignature(fh: import('node:fs/promises').FileHandle): Promise<boolean> {
    const len = Math.min(SIGNATURE, this.offset);
    const now = Buffer.alloc(len);
    await fh.read(now, 0, len, this.offset - len);
    if (!this.signature) {
      this.signature = now;
      return true;
    }
    return this.signature.subarray(-len).equals(now);
  }
}

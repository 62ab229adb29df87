import { open } from 'node:fs/promises';

const CHUNK = 1 << 20;

/**
 * Reads the whole lines appended to a file since the last read, in 1 MiB chunks, by byte offset:
 * a line still being written (or a UTF-8 character cut by a chunk) waits for the next read. Used
 * by everything that follows a journal or list another process appends to: the webhook's index
 * of journals, and a running send watching for callbacks and opt-outs.
 */
export class LineTail {
  /** Byte offset just after the last whole line delivered. */
  offset: number;

  constructor(readonly path: string, offset = 0) {
    this.offset = offset;
  }

  /**
   * Calls `onLine` for each new whole line. A missing file has none yet. A file shorter than the
   * offset was replaced (these files are append-only): `onRestart` is told before reading it from
   * the start. `onLine` returning false stops reading: for a file the caller gives up on.
   */
  async read(onLine: (line: string) => boolean | void, onRestart?: () => void): Promise<void> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    try {
      const { size } = await fh.stat();
      if (size < this.offset) {
        this.offset = 0;
        onRestart?.();
      }
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
        carry = Buffer.from(data.subarray(lastNl + 1));
        for (const line of data.subarray(0, lastNl).toString('utf8').split('\n')) {
          if (onLine(line) === false) return;
        }
      }
    } finally {
      await fh.close();
    }
  }
}

import { open, readFile, unlink, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InputError } from '../errors.js';
import type { JournalEvent, JournalHeader } from './format.js';
import { diskError } from '../disk.js';

export interface JournalWriterOptions {
  /** How often buffered outcome lines are written out (ms). Default 200. */
  flushIntervalMs?: number;
  /** Buffered bytes that trigger an immediate write of outcome lines. Default 64 KiB. */
  flushBytes?: number;
  /** Told when a stale lock is taken over (the CLI prints it). */
  onNotice?: (message: string) => void;
}

export interface JournalWriterStats {
  /** write(2) calls on the journal. */
  writes: number;
  /** fdatasync/fsync calls on the journal. */
  syncs: number;
  /** Lines written (header and repair newline excluded). */
  lines: number;
}

export interface JournalWriter {
  readonly path: string;
  readonly stats: JournalWriterStats;
  /** Outcome lines: buffered, written at least every flushIntervalMs and at close. */
  append(event: JournalEvent): void;
  /** Resolves once every line is on disk (group-committed with concurrent callers). */
  appendDurable(events: JournalEvent[]): Promise<void>;
  /** One attempt line, on disk when the promise resolves. */
  attempt(event: JournalEvent): Promise<void>;
  /** Writes everything buffered and fdatasyncs. */
  flush(): Promise<void>;
  /** Flushes, fsyncs, closes the file and removes the lock. Idempotent. */
  close(): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function takeLock(lockPath: string, journalPath: string, onNotice?: (m: string) => void): Promise<void> {
  for (let tries = 0; tries < 5; tries++) {
    try {
      const fh = await open(lockPath, 'wx');
      try {
        await fh.writeFile(`${process.pid}\n`);
        await fh.sync();
      } catch (err) {
        // Created but not written (a full disk): an empty lock must not stay behind.
        await fh.close().catch(() => undefined);
        await unlink(lockPath).catch(() => undefined);
        throw err;
      }
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw diskError(err, lockPath, { sending: false }) ?? new InputError(`cannot create the journal lock ${lockPath}: ${(err as Error).message}`, { file: journalPath, cause: err });
      }
    }
    let content = '';
    let age = 0;
    try {
      content = await readFile(lockPath, 'utf8');
      age = Date.now() - (await stat(lockPath)).mtimeMs;
    } catch {
      continue; // removed meanwhile: try again
    }
    const pid = Number.parseInt(content.trim(), 10);
    if (Number.isInteger(pid) && pid > 0) {
      if (pidAlive(pid)) {
        throw new InputError(`another campaign process (pid ${pid}) is using the journal ${journalPath}.`, {
          file: journalPath,
          hint: `Wait for it to finish, or stop it; if no such process is running, delete ${lockPath}.`,
        });
      }
      onNotice?.(`taking over a stale lock on ${journalPath} left by process ${pid}, which is no longer running`);
    } else if (age < 10_000) {
      // Just created by another process that has not written its pid yet.
      throw new InputError(`another campaign process is using the journal ${journalPath}.`, {
        file: journalPath,
        hint: `If none is running, delete ${lockPath}.`,
      });
    } else {
      onNotice?.(`taking over an unreadable stale lock on ${journalPath}`);
    }
    try {
      await unlink(lockPath);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new InputError(`could not take the lock ${lockPath} on the journal.`, { file: journalPath });
}

async function fsyncDir(dir: string): Promise<void> {
  let dh: FileHandle | undefined;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch {
    // Not supported everywhere (Windows): the file's own fsync is what matters most.
  } finally {
    await dh?.close().catch(() => undefined);
  }
}

/** Writes all of `buf`; on failure the error carries `written`, the bytes that did reach the file. */
async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let off = 0;
  try {
    while (off < buf.length) {
      const { bytesWritten } = await fh.write(buf, off, buf.length - off);
      off += bytesWritten;
    }
  } catch (err) {
    throw Object.assign(err as Error, { written: off });
  }
}

/**
 * Opens (or creates, when `header` is given and the file is missing or empty) a journal for
 * appending, holding `<path>.lock` until close(). Every write goes through one fd opened with
 * 'a' and one serial write loop, so lines never interleave and each is written whole.
 */
export async function openJournal(path: string, header: JournalHeader | null, options: JournalWriterOptions = {}): Promise<JournalWriter> {
  const lockPath = `${path}.lock`;
  await takeLock(lockPath, path, options.onNotice);
  let fh: FileHandle;
  try {
    let size = -1;
    try {
      size = (await stat(path)).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (size <= 0 && !header) {
      throw new InputError(size < 0 ? `journal ${path} does not exist.` : `journal ${path} is empty (no header line).`, { file: path });
    }
    fh = await open(path, 'a');
    try {
      if (size <= 0) {
        await writeAll(fh, Buffer.from(`${JSON.stringify(header)}\n`));
        await fh.sync();
        if (size < 0) await fsyncDir(dirname(path));
      } else {
        // A crash can leave a torn last line: start ours on a fresh line (the reader skips the fragment).
        const rh = await open(path, 'r');
        const last = Buffer.alloc(1);
        try {
          await rh.read(last, 0, 1, size - 1);
        } finally {
          await rh.close();
        }
        if (last[0] !== 0x0a) {
          // The `resume` line tells the reader the fragment before it is a torn write, not corruption.
          const marker = { type: 'resume', at: new Date().toISOString(), pid: process.pid } satisfies JournalEvent;
          await writeAll(fh, Buffer.from(`\n${JSON.stringify(marker)}\n`));
          await fh.datasync();
        }
      }
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  } catch (err) {
    await unlink(lockPath).catch(() => undefined);
    if (err instanceof InputError) throw err;
    throw diskError(err, path, { sending: false }) ?? new InputError(`cannot open the journal ${path}: ${(err as Error).message}`, { file: path, cause: err });
  }
  return new Writer(path, lockPath, fh, options);
}

class Writer implements JournalWriter {
  readonly stats: JournalWriterStats = { writes: 0, syncs: 0, lines: 0 };
  private buf: string[] = [];
  private bufBytes = 0;
  /** Waiters whose lines are in `buf`: resolved after the write and fdatasync that carries them. */
  private waiters: Waiter[] = [];
  private running: Promise<void> | null = null;
  private scheduled = false;
  private timer: NodeJS.Timeout | null = null;
  private failed: unknown = null;
  private closed = false;
  private closing: Promise<void> | null = null;
  private readonly intervalMs: number;
  private readonly flushBytes: number;

  constructor(
    readonly path: string,
    private readonly lockPath: string,
    private readonly fh: FileHandle,
    opts: JournalWriterOptions,
  ) {
    this.intervalMs = opts.flushIntervalMs ?? 200;
    this.flushBytes = opts.flushBytes ?? 64 * 1024;
  }

  private push(event: JournalEvent): void {
    if (this.closed) throw new Error(`journal ${this.path} is closed`);
    if (this.failed) throw this.failed;
    const line = `${JSON.stringify(event)}\n`;
    this.buf.push(line);
    this.bufBytes += line.length;
  }

  append(event: JournalEvent): void {
    this.push(event);
    if (this.bufBytes >= this.flushBytes) this.kick(false);
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.kick(false);
      }, this.intervalMs);
      this.timer.unref?.();
    }
  }

  appendDurable(events: JournalEvent[]): Promise<void> {
    try {
      for (const e of events) this.push(e);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      // Group commit: everything pushed in this tick (and while a sync is running) shares one write + one fdatasync.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.kick(true);
        });
      }
    });
  }

  attempt(event: JournalEvent): Promise<void> {
    return this.appendDurable([event]);
  }

  /** Starts the write loop unless it is running; a running loop picks up whatever is buffered when it comes round. */
  private kick(_durable: boolean): void {
    if (this.running) return;
    this.running = this.loop().finally(() => {
      this.running = null;
      if (this.waiters.length > 0 && !this.failed) this.kick(true);
    });
  }

  private async loop(): Promise<void> {
    while (this.buf.length > 0 || this.waiters.length > 0) {
      const lines = this.buf;
      const waiters = this.waiters;
      this.buf = [];
      this.bufBytes = 0;
      this.waiters = [];
      try {
        if (lines.length > 0) {
          const bytes = Buffer.from(lines.join(''));
          try {
            await writeAll(this.fh, bytes);
          } catch (err) {
            // A write cut short (a full disk) would leave attempt lines for requests that never
            // went out (uncertain, never resent) and a torn line: take the partial write back.
            // From the size now, not one remembered: the webhook (or the sandbox's callbacks)
            // appends to this file too, and its lines before ours must stay.
            const written = (err as { written?: number }).written ?? 0;
            await this.fh.stat().then((st) => this.fh.truncate(Math.max(0, st.size - written))).catch(() => undefined);
            throw err;
          }
          this.stats.writes++;
          this.stats.lines += lines.length;
        }
        if (waiters.length > 0) {
          await this.fh.datasync();
          this.stats.syncs++;
          for (const w of waiters) w.resolve();
        }
      } catch (err) {
        this.failed = err;
        for (const w of [...waiters, ...this.waiters]) w.reject(err);
        this.waiters = [];
        return;
      }
    }
  }

  async flush(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.kick(true);
    });
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closing = (async () => {
        try {
          if (!this.failed) await this.flush();
          await this.fh.sync();
          this.stats.syncs++;
        } finally {
          this.closed = true;
          await this.fh.close().catch(() => undefined);
          await unlink(this.lockPath).catch(() => undefined);
        }
      })();
    }
    return this.closing;
  }
}

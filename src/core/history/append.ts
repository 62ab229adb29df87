import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Appends whole lines to a file that another process may be appending to at the same time
 * (the send holds the journal's lock and appends with its own O_APPEND fd).
 *
 * Why this is safe without the lock: with O_APPEND every write() lands at the end of the file
 * as one unit, so a line written by one write() call is never interleaved with another writer's
 * line (Linux takes the inode lock per write on regular files; lines stay well under 4 KiB).
 * If the file ends in a torn line (a crash mid-write), the new text starts on a fresh line so
 * the torn one stays the only casualty: readers skip it.
 */
export async function appendWholeLines(path: string, lines: string[], opts: { mkdir?: boolean } = {}): Promise<void> {
  if (lines.length === 0) return;
  if (opts.mkdir) await mkdir(dirname(path), { recursive: true });
  return serialise(path, async () => {
    // 'a+' = O_RDWR|O_APPEND|O_CREAT: reads are positional, every write goes to the end.
    const fh = await open(path, 'a+');
    try {
      const prefix = (await endsTorn(fh)) ? '\n' : '';
      const buf = Buffer.from(prefix + lines.join('\n') + '\n', 'utf8');
      const { bytesWritten } = await fh.write(buf, 0, buf.length);
      if (bytesWritten !== buf.length) throw new Error(`short write to ${path}: ${bytesWritten} of ${buf.length} bytes`);
    } finally {
      await fh.close();
    }
  });
}

/**
 * True when the file's last byte is not "\n" and stays so. A reader can see another process's
 * write half done (the size grows page by page while it copies), which is not a torn line:
 * only a last byte that is still not "\n" once the size has stopped moving counts as torn.
 */
async function endsTorn(fh: FileHandle): Promise<boolean> {
  const last = Buffer.alloc(1);
  let prevSize = -1;
  for (let tries = 0; tries < 20; tries++) {
    const { size } = await fh.stat();
    if (size === 0) return false;
    await fh.read(last, 0, 1, size - 1);
    if (last[0] === 0x0a) return false;
    if (size === prevSize) return true;
    prevSize = size;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

// One append at a time per file inside this process, so that the torn-line check above and
// the write that follows it are not raced by our own concurrent requests.
const queues = new Map<string, Promise<unknown>>();

function serialise<T>(key: string, task: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(task, task);
  const tail = next.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return next;
}

/** Runs `task` after every earlier task with the same key has settled. */
export const withFileQueue = serialise;

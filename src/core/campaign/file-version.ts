import { open } from 'node:fs/promises';

/**
 * A file's version as its metadata tells it: taken before planning reads the contacts list and
 * again before the send, so that an unchanged list need not be hashed a second time (~50 ms for a
 * million rows, just before the first message). Any write moves the change time, which nothing
 * can set back; the one blind spot, a write in the same clock tick as the first look, is closed
 * the way git closes it: a file changed within a few seconds of that look is always hashed.
 */
export interface FileVersion {
  dev: bigint;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** When the metadata was read (ms since the epoch). */
  readAtMs: number;
}

/** Coarser than any filesystem's time stamps (FAT keeps 2 s) and a little clock skew. */
export const RACY_MS = 3000;

/**
 * The metadata of the open file, not stat() of its name: an NFS client answers stat() from its
 * attribute cache (for up to a minute), while an open asks the server again (close-to-open), so a
 * list edited on another host shows here as it would to a hash.
 */
export async function fileVersion(file: string): Promise<FileVersion | null> {
  const readAtMs = Date.now();
  let fh;
  try {
    fh = await open(file, 'r');
    const st = await fh.stat({ bigint: true });
    return { dev: st.dev, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, readAtMs };
  } catch {
    return null;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * True only when `now` is the very file `before` was and it cannot have changed since: the same
 * metadata, and no change within RACY_MS of the first look (a write in that tick could keep it).
 */
export function unchangedSince(before: FileVersion | null | undefined, now: FileVersion | null): boolean {
  if (!before || !now) return false;
  if (before.dev !== now.dev || before.ino !== now.ino || before.size !== now.size || before.mtimeNs !== now.mtimeNs || before.ctimeNs !== now.ctimeNs) return false;
  const latest = Number((before.ctimeNs > before.mtimeNs ? before.ctimeNs : before.mtimeNs) / 1_000_000n);
  return latest < before.readAtMs - RACY_MS;
}

import { CampaignError } from './errors.js';

/** The file-system faults a user meets (a full disk, a quota, a read-only mount, permissions). */
const DISK_FAULTS: Record<string, (file: string) => string> = {
  ENOSPC: (f) => `the disk holding ${f} is full`,
  EDQUOT: (f) => `the disk quota for ${f} is used up`,
  EROFS: (f) => `${f} is on a read-only file system`,
  EACCES: (f) => `campaign is not allowed to write ${f} (permission denied)`,
  EPERM: (f) => `campaign is not allowed to write ${f} (operation not permitted)`,
};

/** The errno code of `err` or of an error it wraps, when it is one of the faults above. */
export function diskFaultCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && e.code in DISK_FAULTS) return e.code;
  }
  return undefined;
}

/**
 * A disk fault as the user should read it: what happened to which file, and the one thing to
 * do. Before anything was sent it is bad input (exit 2, run the command again); during a send
 * the journal is complete up to the fault, so it is a stop (exit 1) and `campaign resume`.
 */
export function diskError(err: unknown, file: string, opts: { journal?: string; sending: boolean }): CampaignError | undefined {
  const code = diskFaultCode(err);
  if (!code) return undefined;
  const what = DISK_FAULTS[code](file);
  const fix = code === 'ENOSPC' || code === 'EDQUOT' ? 'free some space' : code === 'EROFS' ? 'make it writable' : 'fix its permissions';
  return opts.sending
    ? new CampaignError(`${what}; the send stopped safely, and the journal is complete up to here.`, {
        exitCode: 1,
        file,
        hint: `${fix[0].toUpperCase()}${fix.slice(1)}, then run: campaign resume ${opts.journal ?? file}`,
        cause: err,
      })
    : new CampaignError(`${what}; nothing was sent.`, { exitCode: 2, file, hint: `${fix[0].toUpperCase()}${fix.slice(1)} and run the same command again.`, cause: err });
}

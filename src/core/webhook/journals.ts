import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { JournalEvent, JournalLine } from '../journal/format.js';
import { JournalFollower } from '../journal/reader.js';
import { JournalReducer, type RecipientRecord } from '../journal/state.js';
import { appendWholeLines } from '../history/append.js';
import { STATE_DIR } from '../history/history.js';

/**
 * Appends one event to a journal that a send may be writing at the same time: O_APPEND, the
 * whole line in one write(), never the send's lock, a leading "\n" after a torn last line.
 */
export async function appendEvent(journalPath: string, event: JournalEvent): Promise<void> {
  await appendWholeLines(journalPath, [JSON.stringify(event)]);
}

/** The `*.jsonl` journals in `cwd` and `cwd/.campaign/` (not the cross-campaign history). */
export async function discoverJournals(cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const dir of [cwd, join(cwd, STATE_DIR)]) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (!name.endsWith('.jsonl') || name === 'history.jsonl') continue;
      const path = join(dir, name);
      try {
        if ((await stat(path)).isFile()) out.push(resolve(path));
      } catch {
        // vanished meanwhile
      }
    }
  }
  return out;
}

export interface JournalHit {
  journal: string;
  to: string;
  /** Which rule matched (see JournalIndex.findForStatus). */
  via: 'id' | 'ref' | 'correlation' | 'uncertain' | 'recipient';
}

interface JournalState {
  path: string;
  /** Follows the appended lines (bytes consumed always end just after a "\n"). */
  tail: JournalFollower;
  campaign?: string;
  /** Discovered (not named by --journal) and its first line is not a journal header. */
  ignored: boolean;
  /** The first line has been looked at. */
  checked: boolean;
  /** The journal's one reduction: who is uncertain, and when each recipient last had an event. */
  reduction: JournalReducer;
}

/**
 * In-memory index of the journals the webhook serves: provider message id → journal, built from
 * `sent` events (and our own `status` events) and refreshed incrementally — only the bytes
 * appended since the last scan are read — whenever a lookup misses.
 *
 * The files are the only source of truth: every line, ours included, enters the index through
 * one scan, and scans never overlap (two at once would read the same bytes twice or skip some).
 * What the webhook itself records goes through `record`, which is also what keeps a callback
 * from being written twice.
 */
export class JournalIndex {
  private readonly explicit: string[];
  private readonly cwd: string;
  private readonly states = new Map<string, JournalState>();
  private readonly byId = new Map<string, { journal: string; to: string }>();
  private readonly byRef = new Map<string, { journal: string; to: string }>();
  /** Keys (recordKey) of the status and opt-out events the journals hold. */
  private readonly recorded = new Set<string>();
  /** Keys being written right now: a second copy waits for the first instead of writing again. */
  private readonly recording = new Map<string, Promise<void>>();
  /** One fdatasync per journal at a time, shared by the appends that finished before it began. */
  private readonly syncs = new Map<string, () => Promise<void>>();
  /** Lines taken in from every journal so far: each line once, unless a journal was rewritten. */
  linesRead = 0;
  /** Scans everything appended since the last scan; concurrent callers share runs (coalesced). */
  readonly refresh: () => Promise<void>;

  constructor(opts: { journals: string[]; cwd: string }) {
    this.cwd = opts.cwd;
    this.explicit = opts.journals.map((j) => resolve(opts.cwd, j));
    this.refresh = coalesced(() => this.scanAll());
  }

  /** The journal paths currently indexed. */
  get journals(): string[] {
    return [...this.states.values()].filter((s) => !s.ignored).map((s) => s.path);
  }

  /** Picks up new journals (when none were named) and the bytes appended to each since last time. */
  private async scanAll(): Promise<void> {
    const paths = this.explicit.length > 0 ? this.explicit : await discoverJournals(this.cwd);
    for (const path of paths) {
      let st = this.states.get(path);
      if (!st) {
        st = { path, tail: new JournalFollower(path), ignored: false, checked: false, reduction: new JournalReducer() };
        this.states.set(path, st);
      }
      if (!st.ignored) await this.scan(st, this.explicit.length === 0);
    }
  }

  private async scan(st: JournalState, requireHeader: boolean): Promise<void> {
    await st.tail.read(
      (line) => {
        if (!st.checked) {
          st.checked = true;
          if (requireHeader && line.type !== 'header') {
            st.ignored = true;
            return false;
          }
        }
        this.take(st, line);
      },
      () => {
        // Replaced or truncated (journals are append-only, so someone rewrote it): start over.
        this.forget(st.path);
        st.campaign = undefined;
        st.checked = false;
        st.reduction = new JournalReducer();
      },
    );
  }

  private take(st: JournalState, line: JournalLine): void {
    this.linesRead++;
    if (line.type === 'header') {
      if (typeof line.campaign === 'string') st.campaign = line.campaign;
      return;
    }
    const to = (line as { to?: unknown }).to;
    if (typeof to === 'string' && to) this.note(st, line, to);
  }

  private note(st: JournalState, event: JournalEvent, to: string): void {
    st.reduction.add(event);
    const ev = event as JournalEvent & { ref?: unknown; id?: unknown; status?: unknown };
    const hit = { journal: st.path, to };
    if (typeof ev.ref === 'string' && ev.ref) this.byRef.set(ev.ref, hit);
    switch (ev.type) {
      case 'sent':
        if (typeof ev.id === 'string') this.byId.set(ev.id, hit);
        break;
      case 'status':
        if (typeof ev.id === 'string' && !this.byId.has(ev.id)) this.byId.set(ev.id, hit);
        break;
    }
    const key = recordKey(st.path, event);
    if (key) this.recorded.add(key);
  }

  private forget(path: string): void {
    for (const map of [this.byId, this.byRef]) {
      for (const [k, v] of map) if (v.journal === path) map.delete(k);
    }
    for (const k of this.recorded) if (k.startsWith(`${path}\0`)) this.recorded.delete(k);
  }

  /**
   * Which journal a status callback belongs to. Matching order:
   *  1. `id`: the provider message id recorded on a `sent` (or an earlier `status`) event.
   *  2. `correlation` (Meta `biz_opaque_callback_data`, Vonage `client_ref`, Twilio `?ref=`):
   *     a) exactly a `ref` carried by an `attempt`/`sent` line;
   *     b) otherwise parsed as `<campaign id>:<E.164>` (split at the last ":"): the journal whose
   *        header has that campaign id and which has an event for that number.
   *     A value cut short (Vonage's client_ref is sent at most 40 characters long) still matches
   *     when it is a prefix of `<campaign id>:<the status's to>`.
   *     This is what resolves an `uncertain` recipient: its `attempt` has no id yet.
   *  3. `to` alone: a journal whose last `attempt` for that number has no outcome (uncertain),
   *     and only when the provider's own time for the status falls between a minute before and
   *     an hour after that attempt: a status for some other message to the same person (another
   *     tool on the same number, days later) must not settle it. Meta statuses always carry
   *     `recipient_id`.
   * A miss re-scans the appended bytes (and newly created journals) and tries once more.
   */
  async findForStatus(item: { id: string; to: string; correlation?: string; at?: string }): Promise<JournalHit | undefined> {
    return (await this.matchStatus(item)) ?? (await this.refresh(), await this.matchStatus(item));
  }

  private async matchStatus(item: { id: string; to: string; correlation?: string; at?: string }): Promise<JournalHit | undefined> {
    const byId = this.byId.get(item.id);
    if (byId) return { ...byId, via: 'id' };
    if (item.correlation) {
      const byRef = this.byRef.get(item.correlation);
      if (byRef) return { ...byRef, via: 'ref' };
      const corr = item.correlation;
      const cut = corr.lastIndexOf(':');
      if (cut > 0) {
        const campaign = corr.slice(0, cut);
        const to = corr.slice(cut + 1);
        const hit = this.pick((st) => (st.campaign === campaign ? st.reduction.recipients.get(to) : undefined), true);
        if (hit) return { journal: hit, to, via: 'correlation' };
      }
      // Vonage's client_ref is cut to 40 characters by the sender: accept a truncated
      // `<campaign>:<E.164>` when it is a prefix of this journal's value for this recipient.
      if (corr.length >= 40) {
        const hit = this.pick(
          (st) => (st.campaign !== undefined && `${st.campaign}:${item.to}`.startsWith(corr) ? st.reduction.recipients.get(item.to) : undefined),
          true,
        );
        if (hit) return { journal: hit, to: item.to, via: 'correlation' };
      }
    }
    const statusAt = item.at ? Date.parse(item.at) : NaN;
    if (Number.isNaN(statusAt)) return undefined;
    const uncertain = this.pick((st) => {
      const r = st.reduction.recipients.get(item.to);
      const last = lastAtMs(r);
      return r?.state === 'uncertain' && statusAt >= last - 60_000 && statusAt <= last + 3_600_000 ? r : undefined;
    }, false);
    if (uncertain) return { journal: uncertain, to: item.to, via: 'uncertain' };
    return undefined;
  }

  /** Best journal among those `sel` accepts: open attempts first (if `preferOpen`), then latest. */
  private pick(sel: (st: JournalState) => RecipientRecord | undefined, preferOpen: boolean): string | undefined {
    let best: { path: string; r: RecipientRecord } | undefined;
    for (const st of this.states.values()) {
      if (st.ignored) continue;
      const r = sel(st);
      if (!r) continue;
      if (!best) best = { path: st.path, r };
      else if (preferOpen && (r.state === 'uncertain') !== (best.r.state === 'uncertain')) {
        if (r.state === 'uncertain') best = { path: st.path, r };
      } else if (lastAtMs(r) > lastAtMs(best.r)) best = { path: st.path, r };
    }
    return best?.path;
  }

  /**
   * The journal an opt-out by `to` belongs to: the one holding `contextId` (the message the
   * person replied to) when known, else the journal with the latest event for that number.
   */
  async findRecipient(to: string, contextId?: string): Promise<JournalHit | undefined> {
    const match = (): JournalHit | undefined => {
      const byId = contextId ? this.byId.get(contextId) : undefined;
      if (byId && byId.to === to) return { ...byId, via: 'id' };
      const j = this.pick((st) => st.reduction.recipients.get(to), false);
      return j ? { journal: j, to, via: 'recipient' } : undefined;
    };
    return match() ?? (await this.refresh(), match());
  }

  /**
   * Appends a `status` or `optout` event to `journal` unless the journal already holds the same
   * one (a status: same message id and status; an opt-out: same number), however many copies
   * arrive and however concurrently. Resolves once the event is on disk (fdatasync) and in the
   * index, or once the copy already being written is; rejects when it could not be written, so
   * that the caller answers 5xx and the provider retries. True when this call wrote it.
   */
  async record(journal: string, event: JournalEvent): Promise<boolean> {
    const key = recordKey(journal, event);
    if (!key) throw new Error(`JournalIndex.record: not a status or opt-out event (${event.type})`);
    if (this.recorded.has(key)) return false;
    const pending = this.recording.get(key);
    if (pending) return pending.then(() => false);
    // No await between the checks above and this: a concurrent copy finds the entry.
    const write = this.appendDurably(journal, event).finally(() => this.recording.delete(key));
    this.recording.set(key, write);
    await write;
    return true;
  }

  private async appendDurably(journal: string, event: JournalEvent): Promise<void> {
    await appendEvent(journal, event);
    let sync = this.syncs.get(journal);
    if (!sync) this.syncs.set(journal, (sync = coalesced(() => syncFile(journal))));
    await sync();
    // The scan reads our line back (with whatever the send appended before it), so the index
    // knows it before the key leaves `recording`.
    await this.refresh();
    if (!this.recorded.has(recordKey(journal, event)!)) {
      throw new Error(`${journal} changed while the webhook was writing to it; the callback was not recorded.`);
    }
  }
}

/** What makes a status or opt-out event the same as another in one journal. */
function recordKey(journal: string, event: JournalEvent): string | undefined {
  const ev = event as { type: string; id?: unknown; status?: unknown; to?: unknown };
  if (ev.type === 'status' && typeof ev.id === 'string') return `${journal}\0status\0${ev.id}\0${String(ev.status)}`;
  if (ev.type === 'optout' && typeof ev.to === 'string') return `${journal}\0optout\0${ev.to}`;
  return undefined;
}

/** fdatasync: what was written to `path` (by anyone) survives a crash of the machine too. */
export async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

/**
 * Wraps `run` so that runs never overlap and every call is answered by a run that started after
 * the call (it sees everything done before it); calls that arrive while a run is going share the
 * next one.
 */
export function coalesced(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  const begin = (): Promise<void> => {
    running = run().finally(() => {
      running = undefined;
    });
    return running;
  };
  return () => {
    if (queued) return queued;
    if (!running) return begin();
    queued = running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return begin();
      });
    return queued;
  };
}

function lastAtMs(r: RecipientRecord | undefined): number {
  return r?.lastAtMs ?? 0;
}

import { existsSync } from 'node:fs';
import { access, open, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InputError, UsageError } from '../errors.js';
import type { HaltEvent, HealthEvent, JournalEvent, JournalHeader, JournalLine, MediaEvent, PauseEvent } from './format.js';
import { countJournal, expectedRecipients, JournalReducer, type JournalCounts } from './state.js';
import { lastScannedHash, RecipientTable, scanKeyBytes, SKIP_REASONS, type PackedTable } from './table.js';
import { LineTail } from './tail.js';

export { JournalReducer, reduceJournal, settle, countJournal, type RecipientRecord, type JournalCounts, type PlanState, type RecipientStates } from './state.js';
export { RecipientTable } from './table.js';
export type { HaltEvent, PauseEvent } from './format.js';

export interface ReadJournalResult {
  header: JournalHeader;
  events: JournalEvent[];
  /** The last line was incomplete (a crash mid-write) and was ignored. */
  torn: boolean;
}

type LineHandler = (event: JournalEvent, line: number) => void;

/**
 * Takes the send's own `attempt`, `sent` and `skipped` lines from their bytes, without making their
 * text or an event (summariseJournal: most of a journal's lines): `true` when it took the line.
 */
type OwnLineSink = (buf: Uint8Array, start: number, end: number) => boolean;

export interface ReadOptions {
  /**
   * false (status, resume, send): a damaged line in the middle is refused with its line number;
   * only a torn last line (or one the writer started afresh after, with a `resume`) is ignored,
   * and line 1 must be the header. true (report): every unreadable line is skipped and counted,
   * and a missing header is allowed.
   */
  lenient?: boolean;
}

export interface StreamResult {
  header: JournalHeader;
  torn: boolean;
  /** Lines skipped as unreadable (lenient reads only; a torn last line counts). */
  unreadable: number;
}

/**
 * One line of a journal: the event or header, null for a blank line, undefined for a line that
 * is not a JSON object with a type. NUL bytes (what some filesystems leave after a crash, or a
 * damaged disk block) make a line unreadable, never blank: only at the end are they harmless.
 */
export function parseJournalLine(text: string): JournalLine | null | undefined {
  if (text.charCodeAt(0) !== 0x7b && /^\s*$/.test(text)) return null;
  const own = parseOwnLine(text);
  if (own) return own;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') return undefined;
  return value as JournalLine;
}

/**
 * THE journal reader: streams a journal, calling `onEvent` for each event line (1-based line
 * numbers), with the line rules of `ReadOptions`. A lenient read returns `header: null` when
 * line 1 is no header.
 */
export async function streamJournal(path: string, onEvent: LineHandler, opts?: { own?: OwnLineSink }): Promise<StreamResult>;
export async function streamJournal(path: string, onEvent: LineHandler, opts: { lenient: true }): Promise<Omit<StreamResult, 'header'> & { header: JournalHeader | null }>;
export async function streamJournal(path: string, onEvent: LineHandler, opts: ReadOptions & { own?: OwnLineSink } = {}): Promise<Omit<StreamResult, 'header'> & { header: JournalHeader | null }> {
  const lenient = opts.lenient === true;
  const own = opts.own;
  let header: JournalHeader | null = null;
  let seenFirst = false;
  let lineNo = 0;
  let unreadable = 0;
  // A bad line is only fatal once we know it is not the last one.
  let pendingBad: number | null = null;
  let tornSeen = false;
  let pendingNul = false;
  const badLine = (line: number): InputError =>
    new InputError(`journal line ${line} is ${pendingNul ? 'damaged (overwritten with NUL bytes)' : 'not valid JSON'}, and lines after it are not: the journal is damaged in the middle, so who was messaged cannot be trusted from it.`, {
      file: path,
      line,
      hint: 'Restore the journal from a copy. Do not delete it and send again: everyone it records would be messaged twice.',
    });

  const handle = (text: string): void => {
    lineNo++;
    const value = parseJournalLine(text);
    if (value === null) return;
    if (value === undefined) {
      if (lenient) {
        unreadable++;
        return;
      }
      const nul = text.includes('\0') && /^[\s\0]*$/.test(text);
      // NUL filler after a torn line (or more of it) is one crash's leftovers: fine at the end.
      if (pendingBad !== null && !nul) throw badLine(pendingBad);
      if (pendingBad === null) {
        pendingBad = lineNo;
        pendingNul = nul;
      }
      return;
    }
    if (pendingBad !== null) {
      // A torn line is only legitimate at the end, or where the writer reopened the journal
      // after a crash (it starts a fresh line and writes a `resume` event).
      if (value.type !== 'resume') throw badLine(pendingBad);
      pendingBad = null;
      tornSeen = true;
    }
    if (!seenFirst) {
      seenFirst = true;
      if (value.type === 'header') {
        header = value;
        return;
      }
      if (!lenient) {
        throw new InputError(`journal line ${lineNo} should be the header, but has type ${JSON.stringify(value.type)}.`, {
          file: path,
          line: lineNo,
          hint: 'Is this a campaign journal?',
        });
      }
    }
    if (value.type === 'header') return;
    onEvent(value, lineNo);
  };

  try {
    // LineTail takes a missing file for one not written yet: here it is an error.
    await access(path);
    const tail = new LineTail(path);
    if (own) {
      // Past the header and with no bad line pending, a line the sink takes is an event like any
      // other: it only counts. Every other line is decoded and read as text, with every rule.
      await tail.readBytes(
        (buf, start, end) => {
          if (seenFirst && pendingBad === null && own(buf, start, end)) lineNo++;
          else handle(buf.toString('utf8', start, end));
        },
        undefined,
        { final: true },
      );
    } else await tail.read((line) => void handle(line), undefined, { final: true });
  } catch (err) {
    if (err instanceof InputError) throw err;
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new InputError(`cannot read the journal: ${missing ? 'no such file' : (err as Error).message}.`, {
      file: path,
      hint: 'Pass the journal written by `campaign send` (a .jsonl file).',
      cause: err,
    });
  }
  if (pendingBad !== null) unreadable++;
  const torn = pendingBad !== null || tornSeen;
  if (!header && !lenient) {
    throw new InputError(lineNo === 0 ? `journal ${path} is empty.` : `journal ${path} has no valid header line.`, { file: path, line: 1 });
  }
  return { header, torn, unreadable };
}

export async function readJournal(path: string): Promise<ReadJournalResult> {
  const events: JournalEvent[] = [];
  const { header, torn } = await streamJournal(path, (e) => {
    events.push(e);
  });
  return { header, events, torn };
}

/**
 * Follows a journal another process appends to (the webhook's index, a running send's watcher),
 * from a byte offset, with the lenient line rules: a torn line is skipped, never fatal. Header
 * lines are delivered too.
 */
export class JournalFollower {
  private readonly tail: LineTail;
  /** `only`'s types as they appear in a line's text (`"status"`), or undefined: every line. */
  private readonly needles?: string[];

  /**
   * With `only`, lines whose text holds none of those types in quotes (so cannot be one of them)
   * are passed over unparsed: a running send's watcher wants the webhook's few callbacks, not the
   * thousand attempt and sent lines a second that the send itself writes.
   */
  constructor(path: string, fromOffset = 0, private readonly only?: readonly JournalLine['type'][]) {
    this.tail = new LineTail(path, fromOffset);
    this.needles = only?.map((t) => `"${t}"`);
  }

  get path(): string {
    return this.tail.path;
  }

  /** `onLine` returning false stops reading; `onRestart`: the file was replaced, read again from the start. */
  async read(onLine: (line: JournalLine) => boolean | void, onRestart?: () => void): Promise<void> {
    const { needles, only } = this;
    await this.tail.read((text) => {
      if (needles && !needles.some((n) => text.includes(n))) return undefined;
      const value = parseJournalLine(text);
      return value && (!only || only.includes(value.type)) ? onLine(value) : undefined;
    }, onRestart);
  }
}

/**
 * The funnel as the report counts it (state.ts countJournal), except that `failed` here is the
 * permanent failures only.
 */
export interface JournalSummary extends Omit<JournalCounts, 'failed' | 'skipReasons'> {
  header: JournalHeader;
  torn: boolean;
  /** Distinct recipients with at least one event. */
  recipients: number;
  /** Failed permanently (`failedRetryable` are the others). */
  failed: number;
  /** attempt lines. */
  attempts: number;
  halts: HaltEvent[];
  pauses: PauseEvent[];
  /** `at` of the last `resume` event, if any. */
  lastResumeAt?: string;
  firstAt?: string;
  lastAt?: string;
  /** The reduced state, for resume planning (read in a worker thread, the same table moved here). */
  states: RecipientTable;
  /** The halt that stands (not resumed from), if any. */
  halt?: HaltEvent;
  /** The pause that stands (daily limit, window), if any: resumable after its `until`. */
  pause?: PauseEvent;
  /** Header files uploaded for this campaign, in journal order (a resume reuses their ids). */
  media: MediaEvent[];
  /** The latest health read (issue 12), if any run recorded one. */
  health?: HealthEvent;
}

/** The strict read and the one reduction, summarised: what `status`, `send` and `resume` show and plan from. */
export async function summariseJournal(path: string, opts: { optOutList?: ReadonlySet<string> } = {}): Promise<JournalSummary> {
  // Sized from the file so that a million-line journal's table does not grow ten times (~55 ms).
  const bytes = await stat(path).then((st) => st.size, () => 0);
  const red = new JournalReducer(expectedRecipients(bytes));
  const media: MediaEvent[] = [];
  let health: HealthEvent | undefined;
  const times = new OwnTimes();
  const own: OwnLineSink = (buf, start, end) => {
    const kind = parseOwnBytes(buf, start, end, times);
    if (kind === 0) return false;
    red.addOwn(kind, red.recipients.slotOfKey(ownKey, ownHash), ownMs, ownReason);
    return true;
  };
  const { header, torn } = await streamJournal(
    path,
    (e) => {
      if (e.type === 'media') media.push(e);
      if (e.type === 'health') health = e;
      red.add(e);
    },
    { own },
  );
  const c = countJournal(red, header, opts.optOutList);
  return {
    header,
    torn,
    media,
    ...(health ? { health } : {}),
    recipients: red.recipients.size,
    selected: c.selected,
    sent: c.sent,
    delivered: c.delivered,
    read: c.read,
    failed: c.failed - c.failedRetryable,
    failedRetryable: c.failedRetryable,
    uncertain: c.uncertain,
    skipped: c.skipped,
    optedOut: c.optedOut,
    pending: c.pending,
    attempts: red.attempts,
    halts: red.halts,
    pauses: red.pauses,
    lastResumeAt: red.lastResumeAt,
    failuresByCode: c.failuresByCode,
    firstAt: red.firstAt,
    lastAt: red.lastAt,
    states: red.recipients,
    halt: red.standingHalt(),
    pause: red.standingPause(),
  };
}

/** The journal's summary while it is being read beside other work (summariseAside). */
export interface JournalAside {
  promise: Promise<JournalSummary>;
  /** The promise has settled: awaiting it does not wait. */
  readonly settled: boolean;
  /** Read in a worker thread (else on this one, interleaved with what this thread awaits). */
  readonly threaded: boolean;
  /** Who read it, once settled: the worker thread, or this one (no thread, or the thread failed). */
  readonly answeredBy?: 'thread' | 'here';
  /** Planning failed before it needed the journal: stop reading it. */
  cancel(): void;
}

/** Compiled next to this file (dist/core/journal/worker.js); absent when the sources run unbuilt. */
const WORKER = new URL('./worker.js', import.meta.url);
/** A smaller journal is read on the main thread: a thread costs ~50 ms to start, more than it takes. */
const WORKER_MIN_BYTES = 4 * 1024 * 1024;

/** Whether a journal of this size is read in a worker thread. CAMPAIGN_JOURNAL_WORKER: 1 always, 0 never. */
export function journalWorkerWanted(bytes: number): boolean {
  const env = process.env.CAMPAIGN_JOURNAL_WORKER?.trim();
  if (env !== undefined && env !== '' && env !== '0' && env !== '1') {
    throw new UsageError(`CAMPAIGN_JOURNAL_WORKER is "${env}", not 0 or 1.`, { hint: 'Set it to 1 to read the journal in a worker thread, 0 to read it on the main one, or leave it unset.' });
  }
  const wanted = env === '1' || (env !== '0' && bytes >= WORKER_MIN_BYTES);
  return wanted && existsSync(fileURLToPath(WORKER));
}

/**
 * summariseJournal, started now and awaited later: a large journal is read and reduced in a
 * worker thread while the main thread does other work (planning reads the contacts list), a
 * small one on the main thread. The result is the same either way; if the thread fails for any
 * reason (a damaged journal too), the main thread reads the journal itself, so the summary, or
 * the error with its line number, is exactly what summariseJournal gives.
 */
export function summariseAside(path: string, bytes: number): JournalAside {
  let settled = false;
  let answeredBy: JournalAside['answeredBy'];
  let worker: Worker | undefined;
  let cancelled = false;
  const here = (): Promise<JournalSummary> => {
    answeredBy = 'here';
    return cancelled ? new Promise<never>(() => {}) : summariseJournal(path);
  };
  const threaded = journalWorkerWanted(bytes);
  const run = (): Promise<JournalSummary> => {
    if (!threaded) return here();
    return new Promise<JournalSummary>((resolve) => {
      const w = (worker = new Worker(WORKER, { workerData: { path } }));
      let answered = false;
      const fallBack = () => {
        if (answered) return;
        answered = true;
        resolve(here());
      };
      w.once('message', (m: { ok: true; summary: Omit<JournalSummary, 'states'>; packed: PackedTable } | { ok: false }) => {
        if (!m.ok) return fallBack();
        answered = true;
        answeredBy = 'thread';
        resolve({ ...m.summary, states: new RecipientTable(m.packed) });
      });
      w.once('error', fallBack);
      w.once('exit', fallBack);
    });
  };
  const promise = run().finally(() => {
    settled = true;
    void worker?.terminate();
  });
  // Awaited later, or never when planning fails first: not an unhandled rejection meanwhile.
  promise.catch(() => undefined);
  return {
    promise,
    get settled() {
      return settled;
    },
    threaded,
    get answeredBy() {
      return answeredBy;
    },
    cancel() {
      cancelled = true;
      void worker?.terminate();
    },
  };
}

/** Only the header (line 1): what `resume` needs before the one full read that planning does. */
export async function readJournalHeader(path: string): Promise<JournalHeader> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf.subarray(0, bytesRead).toString('utf8');
    const end = text.indexOf('\n');
    let header: unknown;
    try {
      header = JSON.parse(end < 0 ? text : text.slice(0, end));
    } catch {
      header = undefined;
    }
    const h = header as Partial<JournalHeader> | undefined;
    if (!h || typeof h !== 'object' || h.type !== 'header' || typeof h.contacts?.path !== 'string' || typeof h.campaign !== 'string') {
      throw new InputError('this is not a campaign journal: its first line is not a journal header.', {
        file: path,
        line: 1,
        hint: 'Pass the .jsonl journal written by `campaign send`.',
      });
    }
    return header as JournalHeader;
  } finally {
    await fh.close();
  }
}

const ATTEMPT = '{"type":"attempt","to":"';
const SENT = '{"type":"sent","to":"';
const SKIPPED = '{"type":"skipped","to":"';

/**
 * The send's own `attempt`, `sent` and `skipped` lines have a fixed shape; reading them by hand
 * (one pass over each field, one slice per field) is several times faster than JSON.parse on a
 * million-line journal. Anything that deviates in the slightest (another key order, an escape, a
 * control character, a number JSON would refuse) returns undefined and goes through JSON.parse.
 */
export function parseOwnLine(text: string): JournalEvent | undefined {
  // "attempt", "sent" and "skipped" differ at their first or second letter: the prefix to check.
  const isAttempt = text.charCodeAt(9) === 0x61;
  const isSkipped = !isAttempt && text.charCodeAt(10) === 0x6b;
  const prefix = isAttempt ? ATTEMPT : isSkipped ? SKIPPED : SENT;
  if (!has(text, prefix, 0)) return undefined;
  const toStart = prefix.length;
  const toEnd = plainEnd(text, toStart);
  if (toEnd < 0 || !has(text, '","at":"', toEnd)) return undefined;
  const atStart = toEnd + 8;
  const atEnd = plainEnd(text, atStart);
  if (atEnd < 0) return undefined;
  const last = text.length - 1;
  if (text.charCodeAt(last) !== 0x7d) return undefined;
  if (isAttempt) {
    const line = optionalNatural(text, ',"line":', atEnd + 1);
    if (fieldEnd < 0) return undefined;
    const n = optionalNatural(text, ',"n":', fieldEnd);
    if (fieldEnd !== last) return undefined;
    const e: JournalEvent = { type: 'attempt', to: text.slice(toStart, toEnd), at: text.slice(atStart, atEnd) };
    if (line !== undefined) e.line = line;
    if (n !== undefined) e.n = n;
    return e;
  }
  if (isSkipped) {
    if (!has(text, '","reason":"', atEnd)) return undefined;
    const reasonStart = atEnd + 12;
    const reasonEnd = plainEnd(text, reasonStart);
    if (reasonEnd < 0) return undefined;
    const line = optionalNatural(text, ',"line":', reasonEnd + 1);
    if (fieldEnd !== last) return undefined;
    const e: JournalEvent = { type: 'skipped', to: text.slice(toStart, toEnd), at: text.slice(atStart, atEnd), reason: text.slice(reasonStart, reasonEnd) };
    if (line !== undefined) e.line = line;
    return e;
  }
  if (!has(text, ',"id":"', atEnd + 1)) return undefined;
  const idStart = atEnd + 8;
  // The id's closing quote is the line's last but one character.
  if (plainEnd(text, idStart) !== last - 1) return undefined;
  return { type: 'sent', to: text.slice(toStart, toEnd), at: text.slice(atStart, atEnd), id: text.slice(idStart, last - 1) };
}

const ATTEMPT_BYTES = Buffer.from(ATTEMPT);
const SENT_BYTES = Buffer.from(SENT);
const SKIPPED_BYTES = Buffer.from(SKIPPED);
const REASON_BYTES = Buffer.from('","reason":"');
/** SKIP_REASONS as bytes, each followed by its closing quote. */
const REASONS_BYTES = SKIP_REASONS.map((r) => Buffer.from(`${r}"`));
const AT_BYTES = Buffer.from('","at":"');
const LINE_BYTES = Buffer.from(',"line":');
const N_BYTES = Buffer.from(',"n":');
const ID_BYTES = Buffer.from('","id":"');

/** What parseOwnBytes read: the number's key and hash (table.ts scanKey) and the time, in ms. */
let ownKey = 0;
let ownHash = 0;
let ownMs = 0;
/** The reason of a `skipped` line parseOwnBytes read (one of SKIP_REASONS). */
let ownReason = '';

/**
 * The seconds of the `at`s parseOwnBytes read (a burst of lines shares one): the last one's 19
 * bytes and their ms, checked once to be a time whose toISOString() gives the same text.
 */
class OwnTimes {
  readonly second = new Uint8Array(19);
  secondMs = NaN;
}

/**
 * parseOwnLine on the line's bytes, for an `attempt`, `sent` or `skipped` line whose number is a
 * table key (`+` and digits), whose `at` is a canonical UTC time (toISOString()) and, for a skip,
 * whose reason is one the send writes (SKIP_REASONS): 1 attempt, 2 sent, 3 skipped, the number
 * and time left in ownKey, ownHash and ownMs (the reason in ownReason); 0 for any other line, or
 * any byte out of that shape, which then goes to the text path (parseJournalLine) to be read with
 * every rule. What a line takes here is exactly what the text path makes of it (the property
 * tests hold them to one another); the `line`, `n` and `id` are checked, not kept: the reduction
 * reads none.
 */
export function parseOwnBytes(buf: Uint8Array, start: number, end: number, times: OwnTimes): 0 | 1 | 2 | 3 {
  const attempt = buf[start + 9] === 0x61;
  const skip = !attempt && buf[start + 10] === 0x6b;
  const prefix = attempt ? ATTEMPT_BYTES : skip ? SKIPPED_BYTES : SENT_BYTES;
  if (end - start < prefix.length + 36 || !bytesAt(buf, start, prefix)) return 0;
  const toStart = start + prefix.length;
  let toEnd = toStart;
  while (toEnd < end && buf[toEnd] !== 0x22) toEnd++;
  const key = scanKeyBytes(buf, toStart, toEnd);
  if (key < 0 || !bytesAt(buf, toEnd, AT_BYTES)) return 0;
  const at = toEnd + AT_BYTES.length;
  // YYYY-MM-DDTHH:MM:SS.mmmZ and its closing quote.
  if (at + 25 > end || buf[at + 24] !== 0x22 || buf[at + 19] !== 0x2e || buf[at + 23] !== 0x5a) return 0;
  const d0 = buf[at + 20] - 0x30;
  const d1 = buf[at + 21] - 0x30;
  const d2 = buf[at + 22] - 0x30;
  if (!(d0 >= 0 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9)) return 0;
  if (!sameSecond(buf, at, times)) return 0;
  const last = end - 1;
  if (buf[last] !== 0x7d) return 0;
  let p = at + 25;
  if (skip) {
    if (!bytesAt(buf, p - 1, REASON_BYTES)) return 0;
    p += REASON_BYTES.length - 1;
    const reason = knownReason(buf, p);
    if (reason < 0) return 0;
    p += REASONS_BYTES[reason].length;
    if (bytesAt(buf, p, LINE_BYTES)) {
      p = naturalEndBytes(buf, p + LINE_BYTES.length, last);
      if (p < 0) return 0;
    }
    ownReason = SKIP_REASONS[reason];
  } else if (attempt) {
    if (bytesAt(buf, p, LINE_BYTES)) {
      p = naturalEndBytes(buf, p + LINE_BYTES.length, last);
      if (p < 0) return 0;
    }
    if (bytesAt(buf, p, N_BYTES)) {
      p = naturalEndBytes(buf, p + N_BYTES.length, last);
      if (p < 0) return 0;
    }
  } else {
    if (!bytesAt(buf, p - 1, ID_BYTES)) return 0;
    p += ID_BYTES.length - 1;
    // A JSON string with nothing to unescape or refuse: no quote, backslash or control byte before
    // its closing quote, the line's last byte but one (bytes of other characters are any text).
    while (p < last && buf[p] !== 0x22 && buf[p] !== 0x5c && buf[p] >= 0x20) p++;
    if (p !== last - 1 || buf[p] !== 0x22) return 0;
    p++;
  }
  if (p !== last) return 0;
  ownKey = key;
  ownHash = lastScannedHash();
  ownMs = times.secondMs + d0 * 100 + d1 * 10 + d2;
  return attempt ? 1 : skip ? 3 : 2;
}

/** Which of SKIP_REASONS (with its closing quote) the bytes at i are, or -1. */
function knownReason(buf: Uint8Array, i: number): number {
  for (let k = 0; k < REASONS_BYTES.length; k++) if (bytesAt(buf, i, REASONS_BYTES[k])) return k;
  return -1;
}

function bytesAt(buf: Uint8Array, i: number, literal: Uint8Array): boolean {
  if (i + literal.length > buf.length) return false;
  for (let k = 0; k < literal.length; k++) if (buf[i + k] !== literal[k]) return false;
  return true;
}

/** Whether the 19 bytes at `at` are a second whose ms `times` holds (checked and kept when new). */
function sameSecond(buf: Uint8Array, at: number, times: OwnTimes): boolean {
  const second = times.second;
  let same = !Number.isNaN(times.secondMs);
  for (let k = 0; same && k < 19; k++) same = buf[at + k] === second[k];
  if (same) return true;
  let text = '';
  for (let k = 0; k < 19; k++) text += String.fromCharCode(buf[at + k]);
  const ms = Date.parse(`${text}.000Z`);
  // Only a time that prints back as the same text: the reduction's lastAt is made from its ms.
  if (!ISO_SECOND_TEXT.test(text) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 19) !== text) return false;
  second.set(buf.subarray(at, at + 19));
  times.secondMs = ms;
  return true;
}

const ISO_SECOND_TEXT = /^\d{4}-\d\d-\d\dT(?:[01]\d|2[0-3]):\d\d:\d\d$/;

/** naturalEnd on bytes: where the digits of a JSON natural number at `i` end (before `limit`), or -1. */
function naturalEndBytes(buf: Uint8Array, i: number, limit: number): number {
  if (i >= limit) return -1;
  const first = buf[i];
  if (first < 0x30 || first > 0x39) return -1;
  let j = i + 1;
  if (first !== 0x30) while (j < limit && buf[j] >= 0x30 && buf[j] <= 0x39) j++;
  return j;
}

/** Where the field optionalNatural read ends (-1: the key is there but its value is no natural number). */
let fieldEnd = 0;

/** The natural number after `key` (',"line":') at i, or undefined when the key is not there. */
function optionalNatural(text: string, key: string, i: number): number | undefined {
  fieldEnd = i;
  if (!has(text, key, i)) return undefined;
  const end = naturalEnd(text, i + key.length);
  fieldEnd = end;
  return end < 0 ? undefined : Number(text.slice(i + key.length, end));
}

/** text.startsWith(literal, i), by indexOf: V8's startsWith on the slices of a split chunk is several times slower. */
function has(text: string, literal: string, i: number): boolean {
  return text.indexOf(literal, i) === i;
}

/** A JSON string's text with nothing to unescape or refuse, and its closing quote: matched from lastIndex. */
const PLAIN_STRING = /[^"\\\x00-\x1f]*"/y;

/**
 * The closing quote of a JSON string whose text starts at `i`, or -1 when the string holds what
 * JSON.parse would unescape or refuse (a backslash, a control character) or never closes.
 */
function plainEnd(text: string, i: number): number {
  PLAIN_STRING.lastIndex = i;
  return PLAIN_STRING.test(text) ? PLAIN_STRING.lastIndex - 1 : -1;
}

/** Where the digits of a JSON natural number starting at `i` end (no sign, no leading zero), or -1. */
function naturalEnd(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first < 0x30 || first > 0x39) return -1;
  let j = i + 1;
  if (first !== 0x30) while (j < text.length && text.charCodeAt(j) >= 0x30 && text.charCodeAt(j) <= 0x39) j++;
  return j;
}

/** The last halt, unless a later run resumed from it (then it is history, not the campaign's state). */
export function standingHalt(s: Pick<JournalSummary, 'halt'>): HaltEvent | undefined {
  return s.halt;
}

import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { InputError } from '../errors.js';
import type { JournalEvent, JournalHeader, RecipientState } from './format.js';

export interface ReadJournalResult {
  header: JournalHeader;
  events: JournalEvent[];
  /** The last line was incomplete (a crash mid-write) and was ignored. */
  torn: boolean;
}

type LineHandler = (event: JournalEvent, line: number) => void;

/**
 * Streams a journal, calling `onEvent` for each event line (1-based line numbers). Splits chunks
 * by hand (faster than readline on million-line files). A blank line is skipped; an unparsable
 * LAST line is a torn write and ignored; an unparsable line anywhere else is an InputError.
 */
export async function streamJournal(path: string, onEvent: LineHandler): Promise<{ header: JournalHeader; torn: boolean }> {
  let header: JournalHeader | undefined;
  let lineNo = 0;
  let rest = '';
  // A bad line is only fatal once we know it is not the last one.
  let pendingBad: { line: number; text: string } | null = null;

  let tornSeen = false;
  const badLine = (line: number): InputError =>
    new InputError(`journal line ${line} is not valid JSON.`, {
      file: path,
      line,
      hint: 'The journal is append-only: restore it from a copy, or remove that line by hand.',
    });

  const handle = (text: string): void => {
    lineNo++;
    // Trailing NULs can appear after a crash on some filesystems.
    if (text.charCodeAt(0) !== 0x7b && /^[\s\0]*$/.test(text)) return;
    let value: unknown = header ? parseOwnLine(text) : undefined;
    if (value === undefined) try {
      value = JSON.parse(text);
    } catch {
      if (pendingBad) throw badLine(pendingBad.line);
      pendingBad = { line: lineNo, text };
      return;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      if (pendingBad) throw badLine(pendingBad.line);
      pendingBad = { line: lineNo, text };
      return;
    }
    if (pendingBad) {
      // A torn line is only legitimate at the end, or where the writer reopened the journal
      // after a crash (it starts a fresh line and writes a `resume` event).
      if ((value as { type?: unknown }).type !== 'resume') throw badLine(pendingBad.line);
      pendingBad = null;
      tornSeen = true;
    }
    if (!header) {
      if ((value as { type?: unknown }).type !== 'header') {
        throw new InputError(`journal line ${lineNo} should be the header, but has type ${JSON.stringify((value as { type?: unknown }).type)}.`, {
          file: path,
          line: lineNo,
          hint: 'Is this a campaign journal?',
        });
      }
      header = value as JournalHeader;
      return;
    }
    onEvent(value as JournalEvent, lineNo);
  };

  try {
    const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 });
    for await (const chunk of stream as AsyncIterable<string>) {
      let start = 0;
      let nl = chunk.indexOf('\n');
      if (nl >= 0 && rest.length > 0) {
        handle(rest + chunk.slice(0, nl));
        rest = '';
        start = nl + 1;
        nl = chunk.indexOf('\n', start);
      }
      while (nl >= 0) {
        handle(chunk.slice(start, nl));
        start = nl + 1;
        nl = chunk.indexOf('\n', start);
      }
      rest += chunk.slice(start);
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`cannot read the journal ${path}: ${(err as Error).message}`, { file: path, cause: err });
  }
  if (rest.length > 0) handle(rest);
  const torn = pendingBad !== null || tornSeen;
  if (!header) {
    throw new InputError(lineNo === 0 ? `journal ${path} is empty.` : `journal ${path} has no valid header line.`, { file: path, line: 1 });
  }
  return { header, torn };
}

export async function readJournal(path: string): Promise<ReadJournalResult> {
  const events: JournalEvent[] = [];
  const { header, torn } = await streamJournal(path, (e) => {
    events.push(e);
  });
  return { header, events, torn };
}

export interface RecipientRecord {
  state: RecipientState;
  /** attempt lines for this recipient (each retry writes one). */
  attempts: number;
  lastCode?: string;
  /** Provider message id, from `sent` (or a `status` event). */
  id?: string;
  /** Source line in the contacts file, when the attempt/skip carried it. */
  line?: number;
  /** Latest provider status seen (delivered, read, failed, ...). */
  status?: string;
  optedOut?: boolean;
  /** ms since epoch of the last attempt (or `sent` when there was no attempt line). */
  lastAttemptAt?: number;
}

export type HaltEvent = Extract<JournalEvent, { type: 'halt' }>;

/** Folds events one at a time, so a million-line journal never needs its events held in memory. */
export class JournalReducer {
  readonly recipients = new Map<string, RecipientRecord>();
  readonly halts: HaltEvent[] = [];
  /** `at` of the last `resume` event: a halt before it no longer stands. */
  lastResumeAt?: string;
  attempts = 0;
  firstAt?: string;
  lastAt?: string;

  private get(to: string): RecipientRecord {
    let r = this.recipients.get(to);
    if (!r) {
      // All fields present from the start: one object shape for a million records.
      r = { state: 'pending', attempts: 0, lastCode: undefined, id: undefined, line: undefined, status: undefined, optedOut: undefined, lastAttemptAt: undefined };
      this.recipients.set(to, r);
    }
    return r;
  }

  add(e: JournalEvent): void {
    if (typeof e.at === 'string') {
      if (this.firstAt === undefined) this.firstAt = e.at;
      this.lastAt = e.at;
    }
    switch (e.type) {
      case 'attempt': {
        const r = this.get(e.to);
        r.state = 'uncertain';
        r.attempts++;
        this.attempts++;
        if (e.line !== undefined) r.line = e.line;
        r.lastAttemptAt = Date.parse(e.at);
        break;
      }
      case 'sent': {
        const r = this.get(e.to);
        r.state = 'sent';
        r.id = e.id;
        if (r.lastAttemptAt === undefined) r.lastAttemptAt = Date.parse(e.at);
        break;
      }
      case 'failed': {
        const r = this.get(e.to);
        r.state = e.permanent ? 'failed' : 'failed-retryable';
        r.lastCode = String(e.code);
        break;
      }
      case 'skipped': {
        const r = this.get(e.to);
        r.state = 'skipped';
        if (e.line !== undefined) r.line = e.line;
        break;
      }
      case 'status': {
        const r = this.get(e.to);
        r.status = e.status;
        if (!r.id && e.id) r.id = e.id;
        // A callback settles an attempt whose response we never saw.
        if (r.state === 'uncertain' || r.state === 'pending') {
          if (e.status === 'failed') {
            r.state = 'failed';
            if (e.code !== undefined) r.lastCode = String(e.code);
          } else {
            r.state = 'sent';
          }
        }
        break;
      }
      case 'optout':
        this.get(e.to).optedOut = true;
        break;
      case 'halt':
        this.halts.push(e);
        break;
      case 'resume':
        this.lastResumeAt = e.at;
        break;
      default:
        break;
    }
  }
}

/** Per-recipient state (see the contract's resume rules): attempt without outcome → uncertain. */
export function reduceJournal(events: Iterable<JournalEvent>): Map<string, RecipientRecord> {
  const r = new JournalReducer();
  for (const e of events) r.add(e);
  return r.recipients;
}

export interface JournalSummary {
  header: JournalHeader;
  torn: boolean;
  /** Distinct recipients with at least one event. */
  recipients: number;
  sent: number;
  /** Failed permanently. */
  failed: number;
  /** Failed for now (deferred, retries exhausted): resume sends again. */
  failedRetryable: number;
  uncertain: number;
  skipped: number;
  optedOut: number;
  /** Recipients with no outcome and no attempt (only a status/optout line). */
  pending: number;
  /** attempt lines. */
  attempts: number;
  halts: HaltEvent[];
  /** `at` of the last `resume` event, if any. */
  lastResumeAt?: string;
  /** Final failure codes of failed / failed-retryable recipients. */
  failuresByCode: Map<string, number>;
  firstAt?: string;
  lastAt?: string;
  /**
   * For --daily-limit: one timestamp (ms) per recipient who may have been messaged (sent or
   * uncertain), the time of their last attempt; sorted ascending.
   */
  sentTimes: number[];
  /** The reduced state, for resume planning. */
  states: Map<string, RecipientRecord>;
}

export async function summariseJournal(path: string): Promise<JournalSummary> {
  const red = new JournalReducer();
  const { header, torn } = await streamJournal(path, (e) => red.add(e));
  const s: JournalSummary = {
    header,
    torn,
    recipients: red.recipients.size,
    sent: 0,
    failed: 0,
    failedRetryable: 0,
    uncertain: 0,
    skipped: 0,
    optedOut: 0,
    pending: 0,
    attempts: red.attempts,
    halts: red.halts,
    lastResumeAt: red.lastResumeAt,
    failuresByCode: new Map(),
    firstAt: red.firstAt,
    lastAt: red.lastAt,
    sentTimes: [],
    states: red.recipients,
  };
  for (const r of red.recipients.values()) {
    if (r.optedOut) s.optedOut++;
    switch (r.state) {
      case 'sent':
        s.sent++;
        break;
      case 'failed':
        s.failed++;
        break;
      case 'failed-retryable':
        s.failedRetryable++;
        break;
      case 'uncertain':
        s.uncertain++;
        break;
      case 'skipped':
        s.skipped++;
        break;
      default:
        s.pending++;
    }
    if ((r.state === 'failed' || r.state === 'failed-retryable') && r.lastCode !== undefined) {
      s.failuresByCode.set(r.lastCode, (s.failuresByCode.get(r.lastCode) ?? 0) + 1);
    }
    if ((r.state === 'sent' || r.state === 'uncertain') && r.lastAttemptAt !== undefined && !Number.isNaN(r.lastAttemptAt)) {
      s.sentTimes.push(r.lastAttemptAt);
    }
  }
  s.sentTimes.sort((a, b) => a - b);
  return s;
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

/**
 * The dispatcher's own `attempt` and `sent` lines have a fixed shape; reading them by hand is
 * about twice as fast as JSON.parse on a million-line journal. Anything that deviates in the
 * slightest (another key order, an escape) returns undefined and goes through JSON.parse.
 */
export function parseOwnLine(text: string): JournalEvent | undefined {
  if (text.includes('\\')) return undefined;
  const isAttempt = text.startsWith(ATTEMPT);
  if (!isAttempt && !text.startsWith(SENT)) return undefined;
  let i = isAttempt ? ATTEMPT.length : SENT.length;
  const toEnd = text.indexOf('"', i);
  if (toEnd < 0) return undefined;
  const to = text.slice(i, toEnd);
  if (!text.startsWith('","at":"', toEnd)) return undefined;
  i = toEnd + 8;
  const atEnd = text.indexOf('"', i);
  if (atEnd < 0) return undefined;
  const at = text.slice(i, atEnd);
  const rest = text.slice(atEnd + 1);
  if (isAttempt) {
    const m = /^(?:,"line":(\d+))?(?:,"n":(\d+))?\}$/.exec(rest);
    if (!m) return undefined;
    const e: JournalEvent = { type: 'attempt', to, at };
    if (m[1] !== undefined) e.line = Number(m[1]);
    if (m[2] !== undefined) e.n = Number(m[2]);
    return e;
  }
  const m = /^,"id":"([^"]*)"\}$/.exec(rest);
  return m ? { type: 'sent', to, at, id: m[1] } : undefined;
}

/** The last halt, unless a later run resumed from it (then it is history, not the campaign's state). */
export function standingHalt(s: Pick<JournalSummary, 'halts' | 'lastResumeAt'>): HaltEvent | undefined {
  const last = s.halts.at(-1);
  return last && !(s.lastResumeAt && s.lastResumeAt > last.at) ? last : undefined;
}

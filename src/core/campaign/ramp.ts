import type { DispatchResult, WorkItem } from '../dispatch/dispatcher.js';
import { UsageError } from '../errors.js';
import { parseDuration } from '../history/index.js';
import type { JournalLine, WaveEvent, WaveVerdict } from '../journal/format.js';
import { JournalFollower } from '../journal/reader.js';
import type { JournalWriter } from '../journal/writer.js';
import type { FeedbackWatcher, WaveFigures } from './watch.js';

/**
 * Canary waves (`--ramp`, issue 12). A number is banned by what recipients do after the first
 * messages arrive, so the list goes out in waves: each wave is sent, then its callbacks are
 * watched for `--ramp-wait`, then it is judged; a bad wave halts the campaign before the next.
 *
 * The steps are CUMULATIVE: `500,5000,all` is 500 recipients, then up to 5,000 in all (4,500
 * more), then the rest; `1%,10%,all` the same in shares of the campaign's sendable recipients.
 * Cumulative steps make a resume simple (where the plan stands is how many were messaged), and
 * read like canary rollouts do (1%, 10%, 100%).
 */
export type RampStep = { count: number } | { percent: number } | { all: true };

const RAMP_HINT = 'Write cumulative sizes, each larger than the one before, ending in all: e.g. --ramp 500,5000,all or --ramp 1%,10%,all.';

/** Parses `--ramp`; strict, naming the value. A list not ending in `all` gets it: the rest is the last wave. */
export function parseRamp(value: string): RampStep[] {
  const bad = (why: string) => new UsageError(`--ramp "${value}": ${why}.`, { hint: RAMP_HINT });
  const parts = value.split(',').map((p) => p.trim());
  const steps: RampStep[] = [];
  let count = 0;
  let percent = 0;
  parts.forEach((p, i) => {
    const last = i === parts.length - 1;
    if (p === '') throw bad(`step ${i + 1} is empty`);
    if (/^all$/i.test(p)) {
      if (!last) throw bad('"all" can only be the last step');
      steps.push({ all: true });
      return;
    }
    const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(p);
    if (pct) {
      const n = Number(pct[1]);
      if (!(n > 0 && n <= 100)) throw bad(`"${p}" is not a share above 0% and up to 100%`);
      if (n <= percent) throw bad(`"${p}" is not larger than the step before it (the steps are cumulative)`);
      if (n === 100 && !last) throw bad('"100%" can only be the last step');
      percent = n;
      steps.push(n === 100 ? { all: true } : { percent: n });
      return;
    }
    if (/^\d+$/.test(p)) {
      const n = Number(p);
      if (n < 1) throw bad(`"${p}" is not a number of recipients (1 or more)`);
      if (n <= count) throw bad(`"${p}" is not larger than the step before it (the steps are cumulative)`);
      count = n;
      steps.push({ count: n });
      return;
    }
    throw bad(`"${p}" is neither a number of recipients, a percentage nor all`);
  });
  if (!('all' in steps[steps.length - 1])) steps.push({ all: true });
  return steps;
}

/**
 * Cumulative targets over `base` sendable recipients, ascending, the last Infinity (the rest).
 * Steps at or beyond the list's size merge into the last wave; steps that round to the same
 * number of recipients are one wave.
 */
export function rampTargets(steps: RampStep[], base: number): number[] {
  const out: number[] = [];
  let prev = 0;
  for (const s of steps) {
    const t = 'all' in s ? Infinity : 'count' in s ? s.count : Math.ceil((s.percent * base) / 100);
    if (t >= base) break;
    if (t <= prev) continue;
    out.push(t);
    prev = t;
  }
  out.push(Infinity);
  return out;
}

/** Thresholds, in percent of a wave's recipients. */
export interface RampLimits {
  maxOptOuts: number;
  maxFailed: number;
  minDelivered: number;
}

export interface WaveJudgement {
  verdict: Exclude<WaveVerdict, 'dry-run'>;
  /** The figures in a sentence; for a halt, what crossed which threshold. */
  detail: string;
}

const pct = (n: number, of: number) => (of ? (100 * n) / of : 0);
const shown = (p: number) => `${Math.round(p * 10) / 10}%`;

export function figuresText(f: WaveFigures): string {
  return `${f.delivered}/${f.size} delivered, ${f.failed} failed, ${f.optedOut} opted out`;
}

/**
 * The verdict of one wave. Opt-outs and failed deliveries are judged whatever else arrived (an
 * opt-out burst needs no delivery callbacks to be one); the delivered share only when callbacks
 * are flowing at all. With none, the wave cannot be judged: `--ramp-blind` goes on, else stop.
 */
export function judgeWave(n: number, f: WaveFigures, limits: RampLimits, blind: boolean): WaveJudgement {
  const figures = `wave ${n}: ${figuresText(f)}`;
  if (f.size === 0) return { verdict: 'ok', detail: `${figures} (nobody to judge)` };
  const optOuts = pct(f.optedOut, f.size);
  if (optOuts > limits.maxOptOuts) {
    return { verdict: 'halt', detail: `${figures}: ${shown(optOuts)} opted out, more than --ramp-max-optouts ${limits.maxOptOuts}%` };
  }
  const failed = pct(f.failed, f.size);
  if (failed > limits.maxFailed) {
    return { verdict: 'halt', detail: `${figures}: ${shown(failed)} failed at delivery, more than --ramp-max-failed ${limits.maxFailed}%` };
  }
  if (f.callbacks === 0) {
    return { verdict: blind ? 'blind' : 'unjudged', detail: `${figures}: no delivery callback arrived for its ${f.size} recipients, so it cannot be judged` };
  }
  const delivered = pct(f.delivered, f.size);
  if (delivered < limits.minDelivered) {
    return { verdict: 'halt', detail: `${figures}: only ${shown(delivered)} delivered, fewer than --ramp-min-delivered ${limits.minDelivered}%` };
  }
  return { verdict: 'ok', detail: figures };
}

/** One wave as the journal tells it. */
export interface WaveRecord {
  n: number;
  of: number;
  /** Planned size (start event). */
  planned?: number;
  base?: number;
  started?: string;
  waitUntil?: string;
  judged?: string;
  verdict?: WaveVerdict;
  detail?: string;
  early?: boolean;
}

/**
 * The waves of a journal, from its `wave` events, and who each wave messaged (a recipient's
 * first attempt after the wave's start). `members: 'current'` keeps only the last started
 * wave's recipients (what a resume needs); 'all' keeps everyone's wave (the report).
 */
export class WaveLog {
  readonly waves: WaveRecord[] = [];
  last?: WaveEvent;
  /** Recipient → wave number ('all'), or the last started wave's recipients ('current'). */
  readonly waveOf = new Map<string, number>();
  private current?: number;

  constructor(private readonly members: 'current' | 'all' = 'all') {}

  get base(): number | undefined {
    return this.waves.find((w) => w.base !== undefined)?.base;
  }

  /** The last started wave's recipients. */
  get currentMembers(): string[] {
    return [...this.waveOf].filter(([, n]) => n === this.current).map(([to]) => to);
  }

  add(line: JournalLine): void {
    if (line.type === 'wave') {
      this.last = line;
      let w = this.waves.find((x) => x.n === line.n);
      if (!w) {
        w = { n: line.n, of: line.of };
        this.waves.push(w);
      }
      w.of = line.of;
      if (line.phase === 'start') {
        if (this.members === 'current' && this.current !== line.n) this.waveOf.clear();
        this.current = line.n;
        w.started ??= line.at;
        if (line.size !== undefined) w.planned = line.size;
        if (line.base !== undefined) w.base = line.base;
      } else if (line.phase === 'wait') {
        w.waitUntil = line.until;
      } else {
        w.judged = line.at;
        w.verdict = line.verdict;
        w.detail = line.detail;
        w.early = line.early;
      }
      return;
    }
    if (line.type === 'attempt' && this.current !== undefined && !this.waveOf.has(line.to)) this.waveOf.set(line.to, this.current);
  }
}

/** Reads a journal's waves ('current' members), handing every other line to `onLine` too (the watcher's seed). */
export async function readWaveLog(path: string, onLine?: (line: JournalLine) => void): Promise<WaveLog> {
  const log = new WaveLog('current');
  await new JournalFollower(path, 0).read((line) => {
    log.add(line);
    onLine?.(line);
  });
  return log;
}

export interface WaveProgress {
  n: number;
  of: number;
  phase: 'sending' | 'waiting' | 'judged';
  figures: WaveFigures;
  /** waiting: ms left. */
  leftMs?: number;
  verdict?: WaveVerdict;
  detail?: string;
  early?: boolean;
}

export interface RampRun {
  steps: RampStep[];
  waitMs: number;
  blind: boolean;
  limits: RampLimits;
  dry: boolean;
  /** Sendable recipients the percentages are of (the first wave's record wins on resume). */
  base: number;
  /** Recipients the campaign already messaged before this run. */
  reached: number;
  /** Recipients this run has to send to. */
  toSend: number;
  log: WaveLog | null;
  journal: JournalWriter;
  watcher: FeedbackWatcher;
  items: AsyncIterable<WorkItem>;
  dispatch: (items: AsyncIterable<WorkItem>) => Promise<DispatchResult>;
  now: () => Date;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Aborted by Ctrl-C or by the run's feedback halt. */
  signal: AbortSignal;
  onWave?: (p: WaveProgress) => void;
}

export interface RampOutcome {
  result: DispatchResult;
  /** A wave's verdict stopped the campaign (a `halt` was written). */
  halt?: { reason: 'ramp-health' | 'ramp-blind'; n: number; detail: string };
}

export function rampWaitMs(value: string): number {
  return parseDuration(value, '--ramp-wait');
}

function merge(total: DispatchResult, r: DispatchResult): void {
  total.sent += r.sent;
  total.failed += r.failed;
  total.uncertain += r.uncertain;
  total.retried += r.retried;
  total.optedOut += r.optedOut;
  for (const [code, n] of Object.entries(r.failuresByCode)) total.failuresByCode[code] = (total.failuresByCode[code] ?? 0) + n;
  total.interrupted ||= r.interrupted;
  if (r.halted) total.halted = r.halted;
  if (r.paused) total.paused = r.paused;
}

/** The work source shared by the waves, with one item of look-ahead (is anyone left?). */
class Source {
  private held?: IteratorResult<WorkItem>;
  constructor(private readonly it: AsyncIterator<WorkItem>) {}

  async next(): Promise<IteratorResult<WorkItem>> {
    const h = this.held;
    if (h && !h.done) this.held = undefined;
    return h ?? this.it.next();
  }

  async exhausted(): Promise<boolean> {
    this.held ??= await this.it.next();
    return Boolean(this.held.done);
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

/** Up to `n` items of the source: the dispatcher's early return() ends only this wave, never the source. */
async function* take(src: Source, n: number, onItem: () => void): AsyncGenerator<WorkItem> {
  for (let k = 0; k < n; k++) {
    const r = await src.next();
    if (r.done) return;
    onItem();
    yield r.value;
  }
}

/**
 * Sends the waves: dispatch() once per wave, then the wait and the verdict. Where a resume
 * starts comes from the journal's last `wave` event: a wave interrupted while sending goes on as
 * that wave; one interrupted while waiting waits out what is left of its wait; a halted or
 * unjudged wave is judged again at once, with what the journal holds now and this run's
 * thresholds (and --ramp-blind), before the next wave may start.
 */
export async function runWaves(run: RampRun): Promise<RampOutcome> {
  const total: DispatchResult = { sent: 0, failed: 0, uncertain: 0, retried: 0, optedOut: 0, interrupted: false, failuresByCode: {} };
  const src = new Source(run.items[Symbol.asyncIterator]());
  const targets = rampTargets(run.steps, run.log?.base ?? run.base);
  const iso = () => run.now().toISOString();
  let reached = run.reached;
  let yielded = 0;
  const stopped = () => total.halted || total.paused || total.interrupted || run.signal.aborted;

  type Step = { n: number; of: number; phase: 'send' | 'wait' | 'judge'; size: number; last: boolean; waitUntil?: number };
  const newWave = (n: number): Step => {
    const ahead = targets.filter((t) => t > reached);
    const target = ahead[0];
    const last = target === Infinity;
    const size = last ? Math.max(0, run.toSend - yielded) : target - reached;
    const step: Step = { n, of: n - 1 + ahead.length, phase: 'send', size: last ? Infinity : size, last };
    run.journal.append({ type: 'wave', at: iso(), phase: 'start', n, of: step.of, size, base: run.log?.base ?? run.base });
    run.watcher.beginWave();
    return step;
  };

  let step: Step;
  const prev = run.log?.last;
  const members = run.log?.currentMembers ?? [];
  if (!prev) step = newWave(1);
  else if (prev.phase === 'verdict' && (prev.verdict === 'ok' || prev.verdict === 'blind' || prev.verdict === 'dry-run')) step = newWave(prev.n + 1);
  else {
    run.watcher.beginWave(members);
    const last = prev.n >= prev.of;
    if (prev.phase === 'start') {
      const size = last ? Infinity : Math.max(0, (prev.size ?? 0) - members.length);
      step = { n: prev.n, of: prev.of, phase: 'send', size, last };
    } else if (prev.phase === 'wait') {
      step = { n: prev.n, of: prev.of, phase: 'wait', size: 0, last, waitUntil: prev.until ? Date.parse(prev.until) : undefined };
    } else {
      step = { n: prev.n, of: prev.of, phase: 'judge', size: 0, last };
    }
  }

  try {
    for (;;) {
      if (step.phase === 'send') {
        run.onWave?.({ n: step.n, of: step.of, phase: 'sending', figures: run.watcher.waveFigures() });
        const r = await run.dispatch(take(src, step.size, () => yielded++));
        merge(total, r);
        reached = run.reached + yielded;
        if (stopped()) return { result: total };
        // The last wave needs no wait; nor does a wave after which nobody is left.
        if (step.last || (await src.exhausted())) return { result: total };
        step.phase = 'wait';
      }
      if (step.phase === 'wait') {
        if (step.waitUntil === undefined || Number.isNaN(step.waitUntil)) {
          step.waitUntil = run.now().getTime() + run.waitMs;
          run.journal.append({ type: 'wave', at: iso(), phase: 'wait', n: step.n, of: step.of, size: run.watcher.waveFigures().size, until: new Date(step.waitUntil).toISOString() });
          await run.journal.flush();
        }
        let early = false;
        if (run.dry) {
          // Simulated time: the plan's later `at` include the wait; no callback ever comes.
          try {
            await run.sleep(Math.max(0, step.waitUntil - run.now().getTime()), run.signal);
          } catch {
            total.interrupted = true;
            return { result: total };
          }
          step = newWave(step.n + 1);
          continue;
        }
        for (;;) {
          const figures = run.watcher.waveFigures();
          if (figures.size > 0 && figures.final >= figures.size) {
            early = true;
            break;
          }
          const leftMs = step.waitUntil - run.now().getTime();
          if (leftMs <= 0) break;
          run.onWave?.({ n: step.n, of: step.of, phase: 'waiting', figures, leftMs });
          try {
            await run.sleep(Math.min(250, leftMs), run.signal);
          } catch {
            total.interrupted = true;
            return { result: total };
          }
        }
        if (run.signal.aborted) {
          total.interrupted = true;
          return { result: total };
        }
        step.phase = 'judge';
        (step as Step & { early?: boolean }).early = early;
      }
      // judge
      await run.watcher.poll().catch(() => null);
      if (run.signal.aborted) {
        total.interrupted = true;
        return { result: total };
      }
      const figures = run.watcher.waveFigures();
      const j = judgeWave(step.n, figures, run.limits, run.blind);
      const early = (step as Step & { early?: boolean }).early === true;
      run.journal.append({
        type: 'wave', at: iso(), phase: 'verdict', n: step.n, of: step.of, verdict: j.verdict, size: figures.size,
        delivered: figures.delivered, failed: figures.failed, opted_out: figures.optedOut, callbacks: figures.callbacks,
        ...(early ? { early: true } : {}), detail: j.detail,
      });
      run.onWave?.({ n: step.n, of: step.of, phase: 'judged', figures, verdict: j.verdict, detail: j.detail, early });
      if (j.verdict === 'halt' || j.verdict === 'unjudged') {
        const reason = j.verdict === 'halt' ? 'ramp-health' : 'ramp-blind';
        run.journal.append({ type: 'halt', at: iso(), reason, detail: j.detail });
        await run.journal.flush();
        total.halted = { reason: `${reason}: ${j.detail}` };
        return { result: total, halt: { reason, n: step.n, detail: j.detail } };
      }
      if (step.last || (await src.exhausted())) return { result: total };
      step = newWave(step.n + 1);
    }
  } finally {
    await src.close().catch(() => undefined);
  }
}

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RowStep } from '../contacts/classify.js';
import { toRawRow } from '../contacts/read.js';
import type { ClassifyOptions, OpenedCsv, RawBatch, RawRow } from '../contacts/types.js';
import { UsageError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { Template } from '../template/types.js';
import { decodeSteps, encodeBatch, type StepColumns, type WireSteps } from './wire.js';

/** What a worker needs to do a row's half of the lint: plain data, copied once when it starts. */
export interface WorkerInit {
  header: string[];
  path: string;
  classify: Omit<ClassifyOptions, 'now'>;
  now: number;
  template: Template | null;
  failedLinks: ReadonlyMap<string, Finding[]>;
}

/**
 * Below this size a list is linted on the main thread: starting a worker and copying rows to it
 * costs more than it saves (about 100,000 rows of a typical export).
 */
const POOL_MIN_BYTES = 8 * 1024 * 1024;
const MAX_WORKERS = 4;
/** Batches in flight per worker: enough that no worker waits for the next, few enough to keep memory flat. */
const IN_FLIGHT = 3;

/**
 * A worker keeps little (its caches of checked values, the phone metadata): a capped old
 * generation is collected before it grows, ~50 MB less peak RSS at 1M rows. A worker that still
 * ran out would die, and the main thread would do its rows.
 */
const WORKER_OLD_MB = 64;

/** Compiled next to this file (dist/core/lint/worker.js); absent when the sources run unbuilt. */
const WORKER = new URL('./worker.js', import.meta.url);

/**
 * How many worker threads lint a file of this size: one per spare core for a large list, none for
 * a small one. CAMPAIGN_LINT_WORKERS sets it (0: none, whatever the size).
 */
export function lintWorkerCount(bytes: number): number {
  const env = process.env.CAMPAIGN_LINT_WORKERS;
  let n: number;
  if (env !== undefined && env.trim() !== '') {
    n = Number(env);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`CAMPAIGN_LINT_WORKERS is "${env}", not a whole number.`, { hint: 'Set it to the number of lint worker threads, or 0 for none.' });
    n = Math.min(n, 16);
  } else {
    n = bytes < POOL_MIN_BYTES ? 0 : Math.min(MAX_WORKERS, availableParallelism() - 1);
  }
  return n > 0 && existsSync(fileURLToPath(WORKER)) ? n : 0;
}

interface Thread {
  worker: Worker;
  alive: boolean;
  pending: Map<number, (steps: WireSteps | undefined) => void>;
}

/**
 * The rows' steps in file order, computed by `count` worker threads from the batches the main
 * thread parses. A batch a worker could not do (it threw, or the worker died) is done here with
 * `local`, the same function: the result, or the error, is what it would be without workers.
 */
export async function* pooledSteps(csv: OpenedCsv, init: WorkerInit, cols: StepColumns, count: number, local: (row: RawRow) => RowStep): AsyncGenerator<RowStep> {
  const threads: Thread[] = [];
  for (let i = 0; i < count; i++) {
    const t: Thread = { worker: new Worker(WORKER, { workerData: init, resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_MB } }), alive: true, pending: new Map() };
    const lost = () => {
      t.alive = false;
      for (const resolve of t.pending.values()) resolve(undefined);
      t.pending.clear();
    };
    t.worker.on('message', (m: WireSteps | { seq: number; failed: true }) => {
      const resolve = t.pending.get(m.seq);
      t.pending.delete(m.seq);
      resolve?.('failed' in m ? undefined : m);
    });
    t.worker.on('error', lost);
    t.worker.on('exit', lost);
    threads.push(t);
  }
  let seq = 0;
  /** A batch in order: sent to a worker, or done here (`steps`, or the error to throw in its turn). */
  interface Slot { batch: RawBatch; wire?: Promise<WireSteps | undefined>; ready: boolean; steps?: RowStep[]; error?: { cause: unknown } }
  const submit = (batch: RawBatch): Slot | undefined => {
    let best: Thread | undefined;
    for (const t of threads) if (t.alive && (!best || t.pending.size < best.pending.size)) best = t;
    if (!best) return undefined;
    const id = seq++;
    const t = best;
    const slot: Slot = { batch, ready: false };
    slot.wire = new Promise<WireSteps | undefined>((resolve) => t.pending.set(id, resolve)).then((w) => ((slot.ready = true), w));
    try {
      const wire = encodeBatch(id, batch);
      t.worker.postMessage(wire, [wire.counts.buffer as ArrayBuffer, wire.lines.buffer as ArrayBuffer]);
    } catch {
      t.pending.get(id)?.(undefined);
      t.pending.delete(id);
    }
    return slot;
  };
  const here = (batch: RawBatch): Slot => {
    try {
      return { batch, ready: true, steps: batch.map((r) => local(toRawRow(init.header, r.fields, r.line))) };
    } catch (cause) {
      return { batch, ready: true, error: { cause } };
    }
  };
  const queue: Slot[] = [];
  async function* drain(slot: Slot): AsyncGenerator<RowStep> {
    if (slot.error) throw slot.error.cause;
    if (slot.steps) return yield* slot.steps;
    const wire = await slot.wire;
    if (wire) yield* decodeSteps(wire, slot.batch, cols);
    else for (const r of slot.batch) yield local(toRawRow(init.header, r.fields, r.line));
  }
  const full = count * IN_FLIGHT;
  try {
    for await (const batch of csv.batches()) {
      // The main thread takes a batch itself when the workers are behind (a busy machine, or fewer
      // cores than threads) rather than wait: every thread stays busy, the order is kept by the queue.
      const behind = queue.length >= full && !queue[0].ready;
      queue.push((!behind && submit(batch)) || here(batch));
      while (queue.length > 0 && (queue[0].ready ? queue.length >= full : queue.length >= 2 * full)) yield* drain(queue.shift()!);
    }
    while (queue.length) yield* drain(queue.shift()!);
  } finally {
    for (const t of threads) {
      t.alive = false;
      void t.worker.terminate();
    }
  }
}

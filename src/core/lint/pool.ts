import { existsSync, promises as fsp } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RowStep } from '../contacts/classify.js';
import { ChunkError, parseChunk, type ByteChunk, type ChunkDialect } from '../contacts/chunks.js';
import { chunkInputError, toRawRow } from '../contacts/read.js';
import type { ClassifyOptions, OpenedCsv, RawBatch, RawRow } from '../contacts/types.js';
import { UsageError } from '../errors.js';
import type { Finding } from '../findings.js';
import type { Template } from '../template/types.js';
import { decodeRows, decodeSteps, encodeBatch, rowCells, type RowCells, type StepColumns, type WireRows, type WireSteps } from './wire.js';

/** What a worker needs to do a row's half of the lint: plain data, copied once when it starts. */
export interface WorkerInit {
  header: string[];
  path: string;
  classify: Omit<ClassifyOptions, 'now'>;
  now: number;
  template: Template | null;
  failedLinks: ReadonlyMap<string, Finding[]>;
  /** Set when the worker parses chunks of the file itself: how, and which cells it sends back. */
  chunk?: { dialect: ChunkDialect; cells: RowCells };
}

/** A chunk of the file for a worker: its bytes (transferred, not copied) and its lines. */
export interface ChunkJob {
  seq: number;
  bytes: Uint8Array;
  line: number;
  endLine: number;
}

/**
 * Below this size a list is linted on the main thread: starting a worker and copying rows to it
 * costs more than it saves (about 100,000 rows of a typical export).
 */
const POOL_MIN_BYTES = 8 * 1024 * 1024;
const MAX_WORKERS = 4;
/** Below this many cores the pool costs more than it saves (see lintWorkerCount). */
const MIN_CORES = 2;
/** Batches in flight per worker: enough that no worker waits for the next, few enough to keep memory flat. */
const IN_FLIGHT = 3;
/**
 * Chunks queued per worker before the main thread keeps one for itself: enough that a worker does
 * not run dry while the main thread does a chunk of its own and merges the workers' answers.
 */
const WORKER_AHEAD = 3;

/** What a chunked pass did, for tests: chunks sent to workers, done here, and the most held at once. */
export interface PoolStats {
  sent: number;
  here: number;
  maxQueued: number;
}
/**
 * The bytes of a chunk of the file: cut at the first record end past them (~2,000 rows of a
 * typical list). A chunk's rows are all alive while a thread parses and checks it, so a scavenge
 * in the middle of a chunk copies them all: the smaller the chunk, the less survives. The 1M
 * benchmark with one worker: ~400 KB chunks (256 KiB asked, before read.ts cut a stream read in
 * several chunks) took 14.1-14.8 s of CPU and 8.3-8.9 s; 128 KiB took 10.7-11.2 s and 6.2-6.6 s
 * (the worker's GC fell from 1.9 s to 0.3 s); 64 KiB and 96 KiB were no better (per-chunk costs).
 */
const CHUNK_BYTES = 128 * 1024;

/** CAMPAIGN_LINT_CHUNK_BYTES: tests cut tiny chunks, so that records straddle many chunk ends. */
function chunkBytes(): number {
  const n = Number(process.env.CAMPAIGN_LINT_CHUNK_BYTES);
  return Number.isInteger(n) && n > 0 ? n : CHUNK_BYTES;
}

/**
 * A worker keeps little (its caches of checked values, the phone metadata): a capped old
 * generation is collected before it grows, ~50 MB less peak RSS at 1M rows. A worker that still
 * ran out would die, and the main thread would do its rows.
 */
const WORKER_OLD_MB = 64;

/** Compiled next to this file (dist/core/lint/worker.js); absent when the sources run unbuilt. */
const WORKER = new URL('./worker.js', import.meta.url);

/**
 * How many worker threads lint a file of this size: none for a small one; for a large one, one
 * per spare core from two cores up (the main thread cuts the file, merges, and does chunks
 * itself whenever the workers have enough queued). On two cores one worker lost while the chunks
 * came out at ~400 KB (its scavenges copied a whole chunk's rows): the 1M benchmark took 8.3-8.9 s
 * against one thread's 7-8.5 s; at 128 KiB chunks it takes 4.2-5.5 s against 6.3-8.1 s (6 runs
 * alternating, for ~15% more CPU and ~45 MB more memory: a second heap).
 * CAMPAIGN_LINT_WORKERS sets it (0: none, whatever the size or the cores).
 */
export function lintWorkerCount(bytes: number): number {
  const env = process.env.CAMPAIGN_LINT_WORKERS;
  let n: number;
  if (env !== undefined && env.trim() !== '') {
    n = Number(env);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`CAMPAIGN_LINT_WORKERS is "${env}", not a whole number.`, { hint: 'Set it to the number of lint worker threads, or 0 for none.' });
    n = Math.min(n, 16);
  } else {
    // One worker per spare core: the main thread cuts the file, merges, and does chunks too.
    const cores = availableParallelism();
    n = bytes < POOL_MIN_BYTES || cores < MIN_CORES ? 0 : Math.min(MAX_WORKERS, cores - 1);
  }
  return n > 0 && existsSync(fileURLToPath(WORKER)) ? n : 0;
}

/** A worker and the answers it owes; a dead one resolves them all with undefined (done here instead). */
interface Thread<M> {
  worker: Worker;
  alive: boolean;
  pending: Map<number, (answer: M | undefined) => void>;
}

function startThreads<M extends { seq: number }>(count: number, workerData: WorkerInit): Thread<M>[] {
  const threads: Thread<M>[] = [];
  for (let i = 0; i < count; i++) {
    const t: Thread<M> = { worker: new Worker(WORKER, { workerData, resourceLimits: { maxOldGenerationSizeMb: WORKER_OLD_MB } }), alive: true, pending: new Map() };
    const lost = () => {
      t.alive = false;
      for (const resolve of t.pending.values()) resolve(undefined);
      t.pending.clear();
    };
    t.worker.on('message', (m: M | { seq: number; failed: true }) => {
      const resolve = t.pending.get(m.seq);
      t.pending.delete(m.seq);
      resolve?.('failed' in m ? undefined : (m as M));
    });
    t.worker.on('error', lost);
    t.worker.on('exit', lost);
    threads.push(t);
  }
  return threads;
}

/**
 * The rows' steps in file order, a batch at a time (one await per batch, not per row), computed by `count` worker threads from the batches the main
 * thread parses. A batch a worker could not do (it threw, or the worker died) is done here with
 * `local`, the same function: the result, or the error, is what it would be without workers.
 */
export async function* pooledSteps(csv: OpenedCsv, init: WorkerInit, cols: StepColumns, count: number, local: (row: RawRow) => RowStep, stats: PoolStats = { sent: 0, here: 0, maxQueued: 0 }): AsyncGenerator<RowStep[]> {
  const source = csv.chunks?.(chunkBytes());
  if (source) return yield* chunkedSteps(source, csv.path, init, cols, count, local, stats);
  const threads = startThreads<WireSteps>(count, init);
  let seq = 0;
  /** A batch in order: sent to a worker, or done here (`steps`, or the error to throw in its turn). */
  interface Slot { batch: RawBatch; wire?: Promise<WireSteps | undefined>; ready: boolean; steps?: RowStep[]; error?: { cause: unknown } }
  const submit = (batch: RawBatch): Slot | undefined => {
    let best: Thread<WireSteps> | undefined;
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
  async function drain(slot: Slot): Promise<RowStep[]> {
    if (slot.error) throw slot.error.cause;
    if (slot.steps) return slot.steps;
    const wire = await slot.wire;
    if (wire) return decodeSteps(wire, slot.batch, cols);
    return slot.batch.map((r) => local(toRawRow(init.header, r.fields, r.line)));
  }
  const full = count * IN_FLIGHT;
  try {
    for await (const batch of csv.batches()) {
      // The main thread takes a batch itself when the workers are behind (a busy machine, or fewer
      // cores than threads) rather than wait: every thread stays busy, the order is kept by the queue.
      const behind = queue.length >= full && !queue[0].ready;
      queue.push((!behind && submit(batch)) || here(batch));
      while (queue.length > 0 && (queue[0].ready ? queue.length >= full : queue.length >= 2 * full)) yield await drain(queue.shift()!);
    }
    while (queue.length) yield await drain(queue.shift()!);
  } finally {
    for (const t of threads) {
      t.alive = false;
      void t.worker.terminate();
    }
  }
}

/**
 * The chunked pool: the main thread cuts the file at record ends and hands each chunk's bytes to
 * the least busy worker, which parses and checks its rows; answers are taken in file order. A
 * chunk a worker could not do (it threw, died, or its parse disagreed with the cut) is read again
 * from the file and done here, so an error is said in its turn, as without workers.
 */
async function* chunkedSteps(
  source: NonNullable<ReturnType<NonNullable<OpenedCsv['chunks']>>>,
  path: string,
  init: WorkerInit,
  cols: StepColumns,
  count: number,
  local: (row: RawRow) => RowStep,
  stats: PoolStats,
): AsyncGenerator<RowStep[]> {
  const cells = rowCells(cols.header, cols.keep, cols.phoneColumn, cols.header[cols.consentIndex] ?? '', cols.text ?? true);
  const data: WorkerInit = { ...init, chunk: { dialect: source.dialect, cells } };
  const threads = startThreads<WireRows>(count, data);
  let file: fsp.FileHandle | undefined;
  type Where = Omit<ByteChunk, 'bytes'> & { length: number };
  /** A chunk's rows done here: from its bytes, or read again from the file once they went to a worker. */
  const here = async (chunk: Where, bytes?: Uint8Array): Promise<RowStep[]> => {
    if (!bytes) {
      file ??= await fsp.open(path, 'r');
      bytes = new Uint8Array(chunk.length);
      await file.read(bytes, 0, bytes.length, chunk.offset);
    }
    let rows;
    try {
      rows = parseChunk(bytes, { line: chunk.line }, source.dialect);
    } catch (e) {
      throw e instanceof ChunkError ? await chunkInputError(path, e) : e;
    }
    return rows.map((r) => local(toRawRow(init.header, r.fields, r.line)));
  };
  /** A chunk in order: sent to a worker (`wire`), or to do here (`bytes`); or rows the main thread parsed. */
  interface Slot { chunk?: Where; bytes?: Uint8Array; wire?: Promise<WireRows | undefined>; rows?: RawRow[] }
  let seq = 0;
  const submit = (chunk: ByteChunk): Slot => {
    const where: Where = { line: chunk.line, endLine: chunk.endLine, offset: chunk.offset, length: chunk.bytes.byteLength };
    let best: Thread<WireRows> | undefined;
    for (const t of threads) if (t.alive && (!best || t.pending.size < best.pending.size)) best = t;
    // The main thread is a chunk processor too: it keeps a chunk when every worker already has
    // enough queued to stay busy while the main thread does it (and merges), so both stay busy.
    if (!best || best.pending.size >= WORKER_AHEAD) {
      stats.here++;
      return { chunk: where, bytes: chunk.bytes };
    }
    stats.sent++;
    const id = seq++;
    const t = best;
    const wire = new Promise<WireRows | undefined>((resolve) => t.pending.set(id, resolve));
    try {
      const job: ChunkJob = { seq: id, bytes: chunk.bytes, line: chunk.line, endLine: chunk.endLine };
      t.worker.postMessage(job, [chunk.bytes.buffer as ArrayBuffer]);
    } catch {
      t.pending.get(id)?.(undefined);
      t.pending.delete(id);
    }
    return { chunk: where, wire };
  };
  async function drain(slot: Slot): Promise<RowStep[]> {
    if (slot.rows) return slot.rows.map(local);
    const wire = await slot.wire;
    if (wire) return decodeRows(wire, cells, cols.phoneColumn);
    return here(slot.chunk!, slot.bytes);
  }
  const queue: Slot[] = [];
  // The chunks held at once (the memory bound): each worker's queue, and as many for the main thread.
  const full = (count + 1) * WORKER_AHEAD;
  try {
    for await (const item of source.items) {
      if (item.rows) queue.push({ rows: item.rows.map((r) => toRawRow(init.header, r.fields, r.line)) });
      else queue.push(submit(item.chunk));
      stats.maxQueued = Math.max(stats.maxQueued, queue.length);
      while (queue.length >= full) yield await drain(queue.shift()!);
    }
    while (queue.length) yield await drain(queue.shift()!);
  } finally {
    for (const t of threads) {
      t.alive = false;
      void t.worker.terminate();
    }
    await file?.close();
  }
}

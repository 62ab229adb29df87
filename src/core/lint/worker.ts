import { parentPort, workerData } from 'node:worker_threads';
import { compileClassifier, type RowStep } from '../contacts/classify.js';
import { parseChunk } from '../contacts/chunks.js';
import { toRawRow, unforceText } from '../contacts/read.js';
import { decodeBatch, encodeRows, encodeSteps, type WireBatch } from './wire.js';
import { compileRowWork, lintStep } from './row-work.js';
import type { ChunkJob, WorkerInit } from './pool.js';

/**
 * A lint worker thread: the per-row half of the lint (records, phone numbers, consent, the rules on
 * each row's values), answered in the order asked. With `init.chunk` it parses chunks of the file
 * itself (the main thread only cut them); otherwise it gets rows the main thread parsed. What
 * depends on the rows above (duplicates, consent conflicts) stays in the main thread.
 */
const init = workerData as WorkerInit;
const classifier = compileClassifier(init.header, { ...init.classify, now: new Date(init.now) }, init.path);
const work = compileRowWork(init.template, init.header, init.failedLinks);
// Tests make a worker fail to prove the main thread finishes the work the same way (CAMPAIGN_LINT_WORKER_FAULT).
const fault = process.env.CAMPAIGN_LINT_WORKER_FAULT;

function chunkRows(m: ChunkJob) {
  const c = init.chunk!;
  const rows = parseChunk(m.bytes, m, c.dialect);
  const steps: RowStep[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) steps[i] = lintStep(classifier, work, toRawRow(init.header, rows[i].fields, rows[i].line));
  const out = encodeRows(m.seq, steps, (i, col) => unforceText(rows[i].fields[col] ?? ''), c.cells, classifier.phoneColumn);
  parentPort!.postMessage(out, [out.lines.buffer, out.codes.buffer, out.phones.buffer, out.cellEnds.buffer, out.textEnds.buffer] as ArrayBuffer[]);
}

parentPort!.on('message', (m: WireBatch | ChunkJob) => {
  // An exception outside the handler's try ends the worker, as a crash would.
  if (fault === 'exit') setImmediate(() => { throw new Error('injected crash'); });
  if (fault === 'exit') return;
  try {
    if (fault === 'throw') throw new Error('injected fault');
    if ('bytes' in m) return chunkRows(m);
    const batch = decodeBatch(m);
    if (!batch) throw new Error('a field holds the separator');
    const steps: RowStep[] = new Array(batch.length);
    for (let i = 0; i < batch.length; i++) steps[i] = lintStep(classifier, work, toRawRow(init.header, batch[i].fields, batch[i].line));
    const out = encodeSteps(m.seq, steps, classifier.phoneColumn);
    parentPort!.postMessage(out, [out.codes.buffer as ArrayBuffer]);
  } catch {
    // The main thread does this batch itself: an error there is said as it would be without workers.
    parentPort!.postMessage({ seq: m.seq, failed: true });
  }
});

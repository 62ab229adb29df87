import { parentPort, workerData } from 'node:worker_threads';
import { compileClassifier, type RowStep } from '../contacts/classify.js';
import { toRawRow } from '../contacts/read.js';
import type { RawBatch } from '../contacts/types.js';
import { compileRowWork, lintStep } from './row-work.js';
import type { WorkerInit } from './pool.js';

/**
 * A lint worker thread: the per-row half of the lint (records, phone numbers, consent, the rules on
 * each row's values) for batches the main thread parsed, answered in the order asked. What depends
 * on the rows above (duplicates, consent conflicts) stays in the main thread.
 */
const init = workerData as WorkerInit;
const classifier = compileClassifier(init.header, { ...init.classify, now: new Date(init.now) }, init.path);
const work = compileRowWork(init.template, init.header, init.failedLinks);
const keep = init.keep;
// Tests make a worker fail to prove the main thread finishes the work the same way (CAMPAIGN_LINT_WORKER_FAULT).
const fault = process.env.CAMPAIGN_LINT_WORKER_FAULT;

function trimmed(s: RowStep): RowStep {
  if (keep === 'all') return s;
  // Only what the caller reads travels back: copying every record would cost what the worker saves.
  const record: Record<string, string> = {};
  for (const k of keep) if (s.record[k] !== undefined) record[k] = s.record[k];
  s.record = record;
  return s;
}

parentPort!.on('message', (m: { seq: number; batch: RawBatch }) => {
  if (fault === 'exit') process.exit(3);
  try {
    if (fault === 'throw') throw new Error('injected fault');
    const steps: RowStep[] = new Array(m.batch.length);
    for (let i = 0; i < m.batch.length; i++) steps[i] = trimmed(lintStep(classifier, work, toRawRow(init.header, m.batch[i].fields, m.batch[i].line)));
    parentPort!.postMessage({ seq: m.seq, steps });
  } catch {
    // The main thread does this batch itself: an error there is said as it would be without workers.
    parentPort!.postMessage({ seq: m.seq, steps: undefined });
  }
});

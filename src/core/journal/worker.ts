import { parentPort, workerData } from 'node:worker_threads';
import { summariseJournal } from './reader.js';

/**
 * A journal worker thread (reader.ts summariseAside): the strict read and the one reduction of a
 * journal while the main thread reads the contacts list, answered with the summary and the
 * reduction's table, whose typed arrays move to the main thread without a copy. Anything that goes wrong
 * here (a damaged journal included) answers `ok: false`: the main thread then reads the journal
 * itself, so its error is exactly the one it would be without the thread.
 */
const { path } = workerData as { path: string };
// Tests make the thread fail to prove the main thread then gives the same answer (CAMPAIGN_JOURNAL_WORKER_FAULT).
const fault = process.env.CAMPAIGN_JOURNAL_WORKER_FAULT;

if (fault === 'crash') {
  // An exception outside any try ends the thread, as a crash would.
  setImmediate(() => {
    throw new Error('injected crash');
  });
} else {
  // 'slow': the answer comes after the list is read, so planning's rows wait for it.
  if (fault === 'slow') await new Promise((r) => setTimeout(r, 1500));
  await answer();
}

async function answer(): Promise<void> {
  try {
    if (fault === 'throw') throw new Error('injected fault');
    const { states, ...summary } = await summariseJournal(path);
    const { packed, transfer } = states.pack();
    parentPort!.postMessage({ ok: true, summary, packed }, transfer);
  } catch {
    parentPort!.postMessage({ ok: false });
  }
}

import { appendFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FeedbackWatcher } from '../../../src/core/campaign/watch.js';

function journal(): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'watch-')), 'j.jsonl');
  writeFileSync(file, '{"type":"header","version":1}\n{"type":"optout","to":"+34600000000","at":"x","source":"old"}\n');
  return file;
}
const line = (e: object) => `${JSON.stringify(e)}\n`;

describe('FeedbackWatcher', () => {
  it('ignores what was in the journal before the run started', async () => {
    const file = journal();
    const w = new FeedbackWatcher(file, statSync(file).size, { optOutRate: 0, minOptOuts: 0, failureRate: 1, minFailures: 100 });
    expect(await w.poll()).toBeNull();
    expect(w.optOuts).toBe(0);
  });

  it('halts when opt-outs outgrow the allowance, not before', async () => {
    const file = journal();
    const w = new FeedbackWatcher(file, statSync(file).size, { optOutRate: 0.02, minOptOuts: 2, failureRate: 1, minFailures: 100 });
    for (let i = 0; i < 100; i++) w.noteSent(`+346${i}`);
    appendFileSync(file, line({ type: 'optout', to: '+3461', at: 'x', source: 'BAJA' }) + line({ type: 'optout', to: '+3462', at: 'x', source: 'BAJA' }));
    expect(await w.poll()).toBeNull(); // 2 opt-outs for 100 sent: at the allowance
    appendFileSync(file, line({ type: 'optout', to: '+3463', at: 'x', source: 'BAJA' }));
    expect(await w.poll()).toMatchObject({ reason: 'opt-out-rate' });
  });

  it('halts on failed delivery callbacks, and reads a line split across two polls', async () => {
    const file = journal();
    const w = new FeedbackWatcher(file, statSync(file).size, { optOutRate: 1, minOptOuts: 100, failureRate: 0.1, minFailures: 1 });
    w.noteSent('+3461');
    w.noteSent('+3462');
    const failed = line({ type: 'status', to: '+3462', at: 'x', id: 'b', status: 'failed', code: 131026 });
    appendFileSync(file, line({ type: 'status', to: '+3461', at: 'x', id: 'a', status: 'failed' }) + failed.slice(0, 20));
    expect(await w.poll()).toBeNull();
    appendFileSync(file, failed.slice(20));
    expect(await w.poll()).toMatchObject({ reason: 'delivery-failure-rate' });
    expect(w.failures).toBe(2);
  });

  it('takes callbacks however their JSON is spaced, among the send\'s own lines it passes over unparsed', async () => {
    const file = journal();
    const w = new FeedbackWatcher(file, statSync(file).size, { optOutRate: 0, minOptOuts: 1, failureRate: 1, minFailures: 100 });
    w.noteSent('+3461');
    w.noteSent('+3462');
    appendFileSync(
      file,
      line({ type: 'attempt', to: '+3461', at: 'x', line: 2, n: 1 }) +
        line({ type: 'sent', to: '+3461', at: 'x', id: 'wamid.a' }) +
        // A sent line whose id mentions "optout" is still no opt-out.
        line({ type: 'sent', to: '+3462', at: 'x', id: '"optout"' }) +
        '{ "type" : "optout", "to": "+3461", "at": "x", "source": "BAJA" }\n',
    );
    expect(await w.poll()).toBeNull(); // one opt-out: at the allowance of 1
    expect(w.optOuts).toBe(1);
    expect(w.optedOut.has('+3461')).toBe(true);
    expect(w.optedOut.has('+3462')).toBe(false);
    appendFileSync(file, '{"to":"+3462","type":"optout","at":"x","source":"STOP"}\n');
    expect(await w.poll()).toMatchObject({ reason: 'opt-out-rate' });
  });

  it('counts failures as status and report do: once per recipient, and not after delivered', async () => {
    const file = journal();
    const w = new FeedbackWatcher(file, statSync(file).size, { optOutRate: 1, minOptOuts: 100, failureRate: 0, minFailures: 1 });
    w.noteSent('+3461');
    w.noteSent('+3462');
    const st = (to: string, status: string) => line({ type: 'status', to, at: 'x', id: to, status });
    appendFileSync(file, st('+3461', 'failed') + st('+3461', 'failed') + st('+3462', 'delivered') + st('+3462', 'failed'));
    expect(await w.poll()).toBeNull();
    expect(w.failures).toBe(1);
    // Out of order: the delivered callback for +3461 arrives last and outweighs the failure.
    appendFileSync(file, st('+3461', 'delivered'));
    await w.poll();
    expect(w.failures).toBe(0);
  });

  it('reads numbers written into the opt-out list by hand, in any format, also after an editor rewrote the file', async () => {
    const file = journal();
    const list = path.join(path.dirname(file), 'optouts.txt');
    writeFileSync(list, '+34600000001\n');
    const w = new FeedbackWatcher(file, statSync(file).size, undefined, { path: list, fromOffset: statSync(list).size, defaultCountry: 'ES' });
    appendFileSync(list, '# added by hand\r\n+34 610 00 00 50\r\n0034 610-000-051\n(+34) 610-000-052\n610 000 053\n+34 610 00');
    await w.poll();
    expect([...w.optedOut].sort()).toEqual(['+34610000050', '+34610000051', '+34610000052', '+34610000053']);
    appendFileSync(list, ' 00 54\n'); // the partial line waited for its newline
    await w.poll();
    expect(w.optedOut.has('+34610000054')).toBe(true);
    // An editor saves the whole file (same size or shorter, other content): read again from the start.
    writeFileSync(list, '+34 699 00 00 01\n');
    await w.poll();
    expect(w.optedOut.has('+34699000001')).toBe(true);
    const tmp = `${list}.tmp`;
    writeFileSync(tmp, '+34699000001\n+34 699 00 00 02\n+34 699 00 00 03\n+34 699 00 00 04\n+34 699 00 00 05\n+34 699 00 00 06\n');
    (await import('node:fs')).renameSync(tmp, list); // another inode, longer than before
    await w.poll();
    expect(w.optedOut.has('+34699000006')).toBe(true);
  });

  it('does not judge this run by late callbacks about an earlier run', async () => {
    const file = journal();
    const w = new FeedbackWatcher(file, statSync(file).size, { optOutRate: 0, minOptOuts: 0, failureRate: 0, minFailures: 0 });
    w.noteSent('+34600000001');
    appendFileSync(file, line({ type: 'status', to: '+34699999999', at: 'x', id: 'old', status: 'failed' }) + line({ type: 'optout', to: '+34699999998', at: 'x', source: 'BAJA' }));
    expect(await w.poll()).toBeNull();
    expect(w.optedOut.has('+34699999998')).toBe(true); // still never messaged in this run
    appendFileSync(file, line({ type: 'status', to: '+34600000001', at: 'x', id: 'new', status: 'failed' }));
    expect(await w.poll()).toMatchObject({ reason: 'delivery-failure-rate' });
  });
});

import { appendFileSync, mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { judgeWave, parseRamp, rampTargets, WaveLog, type RampLimits } from '../../../src/core/campaign/ramp.js';
import { FeedbackWatcher, type WaveFigures } from '../../../src/core/campaign/watch.js';
import { UsageError } from '../../../src/core/errors.js';
import type { JournalLine } from '../../../src/core/journal/format.js';

describe('parseRamp', () => {
  it.each([
    ['500,5000,all', [{ count: 500 }, { count: 5000 }, { all: true }]],
    ['1%,10%,all', [{ percent: 1 }, { percent: 10 }, { all: true }]],
    [' 0.5% , 20% ', [{ percent: 0.5 }, { percent: 20 }, { all: true }]],
    ['100', [{ count: 100 }, { all: true }]],
    ['10%,100%', [{ percent: 10 }, { all: true }]],
    ['ALL', [{ all: true }]],
  ])('%s', (value, steps) => {
    expect(parseRamp(value)).toEqual(steps);
  });

  it.each([
    ['all,500', '"all" can only be the last step'],
    ['500,100', '"100" is not larger than the step before it'],
    ['10%,5%', '"5%" is not larger than the step before it'],
    ['500,,all', 'step 2 is empty'],
    ['0', '"0" is not a number of recipients'],
    ['150%', '"150%" is not a share above 0% and up to 100%'],
    ['100%,all', '"100%" can only be the last step'],
    ['half', '"half" is neither a number of recipients, a percentage nor all'],
    ['-5,all', '"-5" is neither'],
  ])('refuses %s, naming the value', (value, message) => {
    let err: unknown;
    try {
      parseRamp(value);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    expect((err as Error).message).toContain(`--ramp "${value}"`);
    expect((err as Error).message).toContain(message);
  });
});

describe('rampTargets (cumulative)', () => {
  it.each([
    ['500,5000,all', 30_000, [500, 5000, Infinity]],
    ['1%,10%,all', 30_000, [300, 3000, Infinity]],
    // Steps at or past the list's size merge into the last wave.
    ['500,5000,all', 2000, [500, Infinity]],
    ['500,5000,all', 400, [Infinity]],
    // 1% and 2% of 50 both round up to one recipient: one wave.
    ['1%,2%,50%', 50, [1, 25, Infinity]],
    ['all', 10, [Infinity]],
  ])('%s over %i', (value, base, targets) => {
    expect(rampTargets(parseRamp(value), base)).toEqual(targets);
  });
});

describe('judgeWave', () => {
  const limits: RampLimits = { maxOptOuts: 1, maxFailed: 5, minDelivered: 80 };
  const f = (x: Partial<WaveFigures>): WaveFigures => ({ size: 200, delivered: 0, failed: 0, optedOut: 0, callbacks: 0, final: 0, ...x });
  it.each([
    ['healthy', f({ delivered: 190, callbacks: 195 }), false, 'ok', /190\/200 delivered/],
    ['opt-outs at 1% exactly are allowed', f({ delivered: 190, callbacks: 190, optedOut: 2 }), false, 'ok', /2 opted out/],
    ['opt-outs above 1%', f({ delivered: 190, callbacks: 190, optedOut: 3 }), false, 'halt', /1\.5% opted out, more than --ramp-max-optouts 1%/],
    ['opt-outs halt even without status callbacks', f({ optedOut: 3 }), true, 'halt', /opted out/],
    ['failed above 5%', f({ delivered: 180, failed: 11, callbacks: 191 }), false, 'halt', /5\.5% failed at delivery, more than --ramp-max-failed 5%/],
    ['failed at 5% exactly are allowed', f({ delivered: 180, failed: 10, callbacks: 190 }), false, 'ok', /10 failed/],
    ['delivered below 80% when callbacks flow', f({ delivered: 150, callbacks: 150 }), false, 'halt', /only 75% delivered, fewer than --ramp-min-delivered 80%/],
    ['no callbacks: cannot be judged', f({}), false, 'unjudged', /no delivery callback arrived for its 200 recipients/],
    ['no callbacks with --ramp-blind', f({}), true, 'blind', /cannot be judged/],
    ['an empty wave', f({ size: 0 }), false, 'ok', /nobody to judge/],
  ])('%s', (_name, figures, blind, verdict, detail) => {
    const j = judgeWave(1, figures, limits, blind);
    expect(j.verdict).toBe(verdict);
    expect(j.detail).toMatch(detail);
  });

  it('uses the thresholds it is given', () => {
    const figures = f({ delivered: 190, callbacks: 190, optedOut: 3 });
    expect(judgeWave(2, figures, { ...limits, maxOptOuts: 2 }, false).verdict).toBe('ok');
  });
});

describe('wave figures through the journal reduction', () => {
  const line = (e: object) => `${JSON.stringify(e)}\n`;
  it('counts only the wave\'s recipients; a delivered callback outweighs a later failed one; a seeded line counts', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'ramp-')), 'j.jsonl');
    writeFileSync(file, '{"type":"header","version":1}\n');
    const w = new FeedbackWatcher(file, statSync(file).size);
    w.beginWave(['+341']);
    w.seed({ type: 'status', to: '+341', at: 'x', id: 'a', status: 'delivered' });
    w.addToWave('+342');
    w.addToWave('+343');
    appendFileSync(
      file,
      line({ type: 'status', to: '+341', at: 'x', id: 'a', status: 'failed' }) +
        line({ type: 'status', to: '+342', at: 'x', id: 'b', status: 'failed', code: 131026 }) +
        line({ type: 'optout', to: '+343', at: 'x', source: 'BAJA' }) +
        line({ type: 'status', to: '+349', at: 'x', id: 'z', status: 'delivered' }),
    );
    await w.poll();
    expect(w.waveFigures()).toEqual({ size: 3, delivered: 1, failed: 1, optedOut: 1, callbacks: 2, final: 2 });
    w.beginWave();
    expect(w.waveFigures().size).toBe(0);
  });

  it('WaveLog: waves from their events, members from attempts after each start', () => {
    const lines: JournalLine[] = [
      { type: 'wave', at: 't1', phase: 'start', n: 1, of: 2, size: 2, base: 4 },
      { type: 'attempt', to: '+341', at: 't1' },
      { type: 'attempt', to: '+342', at: 't1' },
      { type: 'wave', at: 't2', phase: 'wait', n: 1, of: 2, until: 't3' },
      { type: 'wave', at: 't3', phase: 'verdict', n: 1, of: 2, verdict: 'ok' },
      { type: 'wave', at: 't3', phase: 'start', n: 2, of: 2, size: 2, base: 4 },
      { type: 'attempt', to: '+343', at: 't4' },
      { type: 'attempt', to: '+341', at: 't4' },
    ];
    const all = new WaveLog('all');
    const current = new WaveLog('current');
    for (const l of lines) {
      all.add(l);
      current.add(l);
    }
    expect([...all.waveOf]).toEqual([['+341', 1], ['+342', 1], ['+343', 2]]);
    expect(all.waves.map((w) => [w.n, w.verdict, w.started])).toEqual([[1, 'ok', 't1'], [2, undefined, 't3']]);
    // Resume judges who this wave messaged: a retry of an earlier wave's recipient is in it too.
    expect(current.currentMembers).toEqual(['+343', '+341']);
    expect(current.base).toBe(4);
    expect(current.last).toMatchObject({ phase: 'start', n: 2 });
  });
});

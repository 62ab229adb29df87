import { describe, expect, it } from 'vitest';
import { classifyCloud } from '../../../src/core/providers/cloud/index.js';
import { parseRetryAfter } from '../../../src/core/providers/codes.js';
import { meaningOf } from '../../../src/core/providers/index.js';
import { classifyTwilio } from '../../../src/core/providers/twilio/index.js';
import { classifyVonage } from '../../../src/core/providers/vonage/index.js';

// [code, http status, class, throttle?] — one row per code in providers.md §1.5.
const cloud = [
  [0, 401, 'stop'],
  [190, 401, 'stop'],
  [3, 400, 'stop'],
  [10, 403, 'stop'],
  [200, 403, 'stop'],
  [250, 403, 'stop'],
  [299, 403, 'stop'],
  [4, 400, 'retry', true],
  [80007, 400, 'retry', true],
  [130429, 400, 'retry', true],
  [130429, 429, 'retry', true],
  [131057, 400, 'retry'],
  [131056, 400, 'defer-contact'],
  [131048, 400, 'stop'],
  [131049, 400, 'defer-contact'],
  [131050, 400, 'suppress'],
  [130472, 400, 'fail-contact'],
  [131026, 400, 'fail-contact'],
  [131047, 400, 'fail-contact'],
  [131051, 400, 'fail-contact'],
  [131052, 400, 'fail-contact'],
  [131053, 400, 'fail-contact'],
  [131000, 500, 'retry'],
  [131016, 503, 'retry'],
  [131031, 403, 'stop'],
  [368, 403, 'stop'],
  [132000, 400, 'stop'],
  [132001, 400, 'stop'],
  [132005, 400, 'fail-contact'],
  [132007, 400, 'fail-contact'],
  [132012, 400, 'stop'],
  [132015, 400, 'stop'],
  [132016, 400, 'stop'],
  [133010, 400, 'stop'],
  [1, 500, 'retry'],
  [2, 500, 'retry'],
  [100, 400, 'stop'],
  [131008, 400, 'stop'],
  [131009, 400, 'stop'],
  [131021, 400, 'fail-contact'],
  [131042, 400, 'stop'],
  [33, 400, 'stop'],
  [424242, 500, 'unknown'],
  [424242, 503, 'retry'],
  [424242, 400, 'fail-contact'],
  [424242, 404, 'fail-contact'],
  [424242, 429, 'retry', true],
  [424242, 401, 'stop'],
] as const;

// providers.md §2.
const twilio = [
  [20003, 401, 'stop'],
  [20429, 429, 'retry', true],
  [21211, 400, 'fail-contact'],
  [21408, 400, 'stop'],
  [21610, 400, 'suppress'],
  [21614, 400, 'fail-contact'],
  [63016, 400, 'fail-contact'],
  [63018, 429, 'retry', true],
  [63024, 400, 'fail-contact'],
  [63032, 400, 'fail-contact'],
  [63003, 400, 'fail-contact'],
  [63014, 400, 'suppress'],
  [63021, 400, 'fail-contact'],
  [63007, 400, 'stop'],
  [63049, 400, 'defer-contact'],
  [99999, 500, 'unknown'],
  [99999, 400, 'fail-contact'],
] as const;

// providers.md §3: problem code from the type fragment, else the HTTP status.
const vonage = [
  [undefined, 429, 'retry', true],
  ['1000', 429, 'retry', true],
  [undefined, 401, 'stop'],
  [undefined, 402, 'stop'],
  ['1022', 422, 'stop'],
  ['1060', 403, 'stop'],
  ['1070', 402, 'stop'],
  ['1050', 422, 'fail-contact'],
  ['1030', 500, 'retry'],
  ['1120', 422, 'stop'],
  [undefined, 500, 'unknown'],
  [undefined, 422, 'fail-contact'],
  ['9999', 422, 'fail-contact'],
] as const;

describe('classifyCloud', () => {
  it.each(cloud)('%s (HTTP %s) → %s', (code, status, cls, throttle?: boolean) => {
    expect(classifyCloud(code, status)).toMatchObject({ class: cls });
    expect(classifyCloud(code, status).throttle).toBe(throttle);
  });
  it('131057 waits about a minute', () => expect(classifyCloud(131057, 400).retryAfterMs).toBe(60_000));
  it('131047 on free-form text stops the campaign', () => expect(classifyCloud(131047, 400, { freeForm: true }).class).toBe('stop'));
  it('accepts codes as strings', () => expect(classifyCloud('131050', 400).class).toBe('suppress'));
});

describe('classifyTwilio', () => {
  it.each(twilio)('%s (HTTP %s) → %s', (code, status, cls, throttle?: boolean) => {
    expect(classifyTwilio(code, status)).toMatchObject({ class: cls });
    expect(classifyTwilio(code, status).throttle).toBe(throttle);
  });
  it('63016 on free-form text stops the campaign', () => expect(classifyTwilio(63016, 400, { freeForm: true }).class).toBe('stop'));
});

describe('classifyVonage', () => {
  it.each(vonage)('%s (HTTP %s) → %s', (code, status, cls, throttle?: boolean) => {
    expect(classifyVonage(code, status)).toMatchObject({ class: cls });
    expect(classifyVonage(code, status).throttle).toBe(throttle);
  });
});

describe('meaningOf', () => {
  it.each([
    ['cloud', 131050, /stopped marketing/],
    ['cloud', 250, /permission/],
    ['sandbox', 130429, /throughput/],
    ['twilio', 21610, /unsubscribed/],
    ['vonage', 1000, /Throttled/],
    ['cloud', 'ECONNRESET', /outcome unknown/],
    ['twilio', 12345, /Unrecognised Twilio error 12345/],
  ] as const)('%s %s', (provider, code, pattern) => {
    const meaning = meaningOf(provider, code);
    expect(meaning).toMatch(pattern);
    expect(meaning).not.toContain('\n');
  });
  it('has a meaning for every tabled code', () => {
    for (const [code] of cloud.filter(([c]) => c !== 424242)) expect(meaningOf('cloud', code)).not.toMatch(/Unrecognised/);
    for (const [code] of twilio.filter(([c]) => c !== 99999)) expect(meaningOf('twilio', code)).not.toMatch(/Unrecognised/);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  it.each([
    ['0', 0],
    ['2', 2000],
    ['1.5', 1500],
    ['120', 60_000],
    ['Wed, 01 Jan 2025 00:00:10 GMT', 10_000],
    ['Wed, 01 Jan 2025 01:00:00 GMT', 60_000],
    ['Tue, 31 Dec 2024 23:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [undefined, undefined],
  ] as const)('%s → %s ms', (value, ms) => expect(parseRetryAfter(value, now)).toBe(ms));
});

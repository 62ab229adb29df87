import { afterEach, describe, expect, it } from 'vitest';
import { createHttpClient, formatBasicAuth, redact, type HttpClient } from '../../../src/core/providers/http.js';
import { findClosedPort, startFakeServer, type FakeServer } from '../../helpers/fake-servers.js';

describe('redact', () => {
  const secret = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
  it.each([
    [`token ${secret} expired`, 'token [redacted] expired'],
    [`encoded ${encodeURIComponent('a/b+c=d?secret')}`, 'encoded [redacted]'],
    ['Authorization: Bearer abc.def-ghi', 'Authorization: [redacted]'],
    ['{"authorization":"Basic QUM6dG9rZW4="}', '{"authorization":"[redacted]"}'],
    ['sent with Bearer EAAGm0PX4ZCpsBA', 'sent with Bearer [redacted]'],
    ['got basic dXNlcjpwYXNz== back', 'got basic [redacted] back'],
    ['https://AC123:tok3n@api.twilio.com/x', 'https://[redacted]@api.twilio.com/x'],
    ['nothing secret here', 'nothing secret here'],
    ['basic information about bearer authentication', 'basic information about bearer authentication'],
  ])('%s', (text, expected) => {
    expect(redact(text, [secret, 'a/b+c=d?secret'])).toBe(expected);
  });

  it('removes every occurrence, and the base64 form', () => {
    const text = `${secret} and ${secret} and ${Buffer.from(secret).toString('base64')}`;
    expect(redact(text, [secret])).not.toContain(secret);
    expect(redact(text, [secret])).not.toContain(Buffer.from(secret).toString('base64'));
  });

  it('ignores empty and very short secrets', () => expect(redact('a b c', ['', 'a'])).toBe('a b c'));

  it('formats Basic credentials', () => expect(formatBasicAuth('AC1', 'tok')).toBe(`Basic ${Buffer.from('AC1:tok').toString('base64')}`));
});

describe('createHttpClient', () => {
  let server: FakeServer | undefined;
  let client: HttpClient | undefined;
  afterEach(async () => {
    client?.close();
    await server?.close();
    server = client = undefined;
  });

  it('posts JSON with the user agent and returns any status with its body', async () => {
    server = await startFakeServer([{ status: 418, json: { a: 1 }, headers: { 'retry-after': '5' } }]);
    client = createHttpClient({ userAgent: 'campaign/1.2.3' });
    const outcome = await client.post(`${server.url}/x`, { json: { hello: 'wörld' }, headers: { 'x-test': '1' } });
    expect(outcome).toMatchObject({ ok: true, response: { status: 418, json: { a: 1 } } });
    const [req] = server.requests;
    expect(req.json).toEqual({ hello: 'wörld' });
    expect(req.headers).toMatchObject({ 'user-agent': 'campaign/1.2.3', 'content-type': 'application/json', 'x-test': '1' });
    expect(Number(req.headers['content-length'])).toBe(Buffer.byteLength(req.body));
  });

  it('posts a form', async () => {
    server = await startFakeServer([{ status: 201, json: {} }]);
    client = createHttpClient();
    await client.post(server.url, { form: { To: 'whatsapp:+1', Body: 'a b&c' } });
    expect(server.requests[0].headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(server.requests[0].body).toBe('To=whatsapp%3A%2B1&Body=a+b%26c');
  });

  it('ECONNREFUSED: not written, retry', async () => {
    client = createHttpClient();
    const outcome = await client.post(`http://127.0.0.1:${await findClosedPort()}/`, { json: {} });
    expect(outcome).toMatchObject({ ok: false, class: 'retry', code: 'ECONNREFUSED', written: false });
  });

  it('reset after the request was read: written, unknown', async () => {
    server = await startFakeServer([{ reset: true }]);
    client = createHttpClient();
    expect(await client.post(server.url, { json: {} })).toMatchObject({ ok: false, class: 'unknown', code: 'ECONNRESET', written: true });
  });

  it('closed before the body was read: still unknown, the bytes had left', async () => {
    server = await startFakeServer([{ closeBeforeRead: true }]);
    client = createHttpClient();
    expect(await client.post(server.url, { json: {} })).toMatchObject({ ok: false, class: 'unknown', written: true });
  });

  it('timeout waiting for the response: unknown ETIMEDOUT', async () => {
    server = await startFakeServer([{ hang: true }]);
    client = createHttpClient({ timeoutMs: 100 });
    const outcome = await client.post(server.url, { json: {} });
    expect(outcome).toMatchObject({ ok: false, class: 'unknown', code: 'ETIMEDOUT', written: true });
    if (!outcome.ok) expect(outcome.message).toMatch(/may have accepted/);
  });

  it('a response slower than the timeout counts as a timeout even when headers come late', async () => {
    server = await startFakeServer([{ delayMs: 300, json: {} }]);
    client = createHttpClient({ timeoutMs: 80 });
    expect(await client.post(server.url, { json: {} })).toMatchObject({ ok: false, class: 'unknown', code: 'ETIMEDOUT' });
  });

  it('abort before sending: retry, nothing reaches the server', async () => {
    server = await startFakeServer([{ json: {} }]);
    client = createHttpClient();
    expect(await client.post(server.url, { json: {}, signal: AbortSignal.abort() })).toMatchObject({ ok: false, class: 'retry', code: 'ABORTED', written: false });
    expect(server.requests).toHaveLength(0);
  });

  it('abort after sending: unknown', async () => {
    server = await startFakeServer([{ hang: true }]);
    client = createHttpClient();
    const controller = new AbortController();
    const pending = client.post(server.url, { json: {}, signal: controller.signal });
    await server.waitForRequests(1);
    controller.abort();
    expect(await pending).toMatchObject({ ok: false, class: 'unknown', code: 'ABORTED', written: true });
  });

  it('redacts configured secrets from transport messages', async () => {
    client = createHttpClient({ secrets: ['127.0.0.1'] });
    const outcome = await client.post(`http://127.0.0.1:${await findClosedPort()}/`, { json: {} });
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.message).not.toContain('127.0.0.1');
  });

  it('keeps one socket alive across sequential requests, and caps sockets at concurrency', async () => {
    server = await startFakeServer([{ delayMs: 20, json: {} }]);
    client = createHttpClient({ concurrency: 3 });
    for (let i = 0; i < 4; i++) await client.post(server.url, { json: { i } });
    expect(server.connections()).toBe(1);
    await Promise.all(Array.from({ length: 9 }, (_, i) => client!.post(server!.url, { json: { i } })));
    expect(server.connections()).toBe(3);
    expect(server.requests).toHaveLength(13);
  });
  it('tells the rate gate when the provider surely has the request: at the answer on a new connection, at the write on a reused one', async () => {
    server = await startFakeServer([{ delayMs: 150, json: {} }]);
    client = createHttpClient({ concurrency: 1 });
    const stamp = async () => {
      const t0 = performance.now();
      let at = -1;
      const out = await client!.post(server!.url, { json: {}, onWritten: () => (at = performance.now() - t0) });
      expect(out.ok).toBe(true);
      return at;
    };
    // A new socket's first request may wait in the provider's accept queue: stamped at its answer.
    expect(await stamp()).toBeGreaterThanOrEqual(140);
    // The same socket again: the provider reads it at once, stamped at the write.
    expect(await stamp()).toBeLessThan(140);
    expect(server.connections()).toBe(1);
  });

  it('holds the write until notBefore resolves, stamps it at that write on a reused socket, and writes nothing when aborted during the hold', async () => {
    server = await startFakeServer([{ json: {} }]);
    client = createHttpClient({ concurrency: 1 });
    expect((await client.post(server.url, { json: {} })).ok).toBe(true); // opens the socket
    let release!: () => void;
    const notBefore = new Promise<void>((r) => (release = r));
    let stamped = false;
    const t0 = performance.now();
    const pending = client.post(server.url, { json: { held: true }, notBefore, onWritten: () => (stamped = true) });
    await new Promise((r) => setTimeout(r, 60));
    expect(server.requests).toHaveLength(1);
    release();
    await notBefore;
    // The kernel took the whole request in end(): stamped then, not a turn of the loop later at 'finish'.
    expect(stamped).toBe(true);
    expect((await pending).ok).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1].json).toEqual({ held: true });
    expect(server.requests[1].startedAt - t0).toBeGreaterThanOrEqual(55);
    expect(server.connections()).toBe(1);

    const ac = new AbortController();
    let releaseAborted!: () => void;
    const aborted = client.post(server.url, { json: {}, signal: ac.signal, notBefore: new Promise<void>((r) => (releaseAborted = r)) });
    await new Promise((r) => setTimeout(r, 20));
    ac.abort();
    expect(await aborted).toMatchObject({ ok: false, class: 'retry', code: 'ABORTED', written: false });
    releaseAborted();
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests).toHaveLength(2);
  });

  it('signals a written request once even when it fails after the write, and never an unwritten one', async () => {
    client = createHttpClient();
    let calls = 0;
    await client.post(`http://127.0.0.1:${await findClosedPort()}/`, { json: {}, onWritten: () => calls++ });
    expect(calls).toBe(0);
    server = await startFakeServer([{ reset: true }]);
    await client.post(server.url, { json: {}, onWritten: () => calls++ });
    expect(calls).toBe(1);
  });
});

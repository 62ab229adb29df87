import http from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHttpClient, type HttpClient } from '../../../src/core/providers/http.js';
import { startFakeServer, type FakeServer } from '../../helpers/fake-servers.js';

describe('createHttpClient: a socket lost during the hold', () => {
  let server: FakeServer | undefined;
  let client: HttpClient | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    client?.close();
    await server?.close();
    server = client = undefined;
  });

  it('a reused socket destroyed between assignment and write: nothing sent, so retry (not unknown) and no stamp', async () => {
    server = await startFakeServer([{ json: {} }]);
    client = createHttpClient({ concurrency: 1 });
    expect((await client.post(server.url, { json: {} })).ok).toBe(true); // a keep-alive socket
    let socket: Socket | undefined;
    const real = http.request;
    vi.spyOn(http, 'request').mockImplementation(((...args: Parameters<typeof http.request>) => {
      const req = real(...args);
      req.once('socket', (s) => (socket = s as Socket));
      return req;
    }) as typeof http.request);
    let release!: () => void;
    const notBefore = new Promise<void>((r) => (release = r));
    let stamped = false;
    const pending = client.post(server.url, { json: { n: 2 }, notBefore, onWritten: () => (stamped = true) });
    await new Promise((r) => setTimeout(r, 20));
    expect(socket).toBeDefined();
    // The peer reset it (ECONNRESET read): Node destroys the socket at once, 'error'/'close' follow
    // when the handle has closed (later in the loop). The hold ends in between.
    socket!.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    release();
    const out = await pending;
    expect(out).toMatchObject({ ok: false, class: 'retry', written: false });
    expect(stamped).toBe(false);
    expect(server.requests).toHaveLength(1);
  });

  it('no byte of a held request reaches the server before notBefore, on a new or a reused socket', async () => {
    server = await startFakeServer([{ json: {} }]);
    client = createHttpClient({ concurrency: 2 });
    for (const warm of [false, true]) {
      if (warm) expect((await client.post(server.url, { json: {} })).ok).toBe(true);
      const before = server.requests.length;
      let releasedAt = Infinity;
      const notBefore = new Promise<void>((r) => setTimeout(() => ((releasedAt = performance.now()), r()), 80));
      const out = await client.post(server.url, { json: { warm }, notBefore });
      expect(out.ok).toBe(true);
      expect(server.requests).toHaveLength(before + 1);
      expect(server.requests[before].startedAt).toBeGreaterThanOrEqual(releasedAt);
    }
  });
});

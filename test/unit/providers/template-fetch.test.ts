/**
 * The provider reads' one GET (health, --check-template), on node:http as the sends are: against
 * real servers on 127.0.0.1, with redirects, a silent server, a closed port and a huge body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { get } from '../../../src/core/providers/template-fetch.js';

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(handler: http.RequestListener): Promise<string> {
  const s = http.createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

const echoAuth: http.RequestListener = (req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ auth: req.headers.authorization ?? null, path: req.url }));
};

describe('get', () => {
  it('follows a redirect on the same origin with the credentials, and to another origin without them', async () => {
    const other = await serve(echoAuth);
    const base = await serve((req, res) => {
      if (req.url === '/here') res.writeHead(302, { location: '/echo' }).end();
      else if (req.url === '/away') res.writeHead(307, { location: `${other}/echo` }).end();
      else echoAuth(req, res);
    });
    const auth = { Authorization: 'Bearer tok-123' };
    expect((await get(`${base}/here`, 'the API', auth, {}, ['tok-123'])).json).toEqual({ auth: 'Bearer tok-123', path: '/echo' });
    expect((await get(`${base}/away`, 'the API', auth, {}, ['tok-123'])).json).toEqual({ auth: null, path: '/echo' });
  });

  it('an error status comes back with the provider\'s own message, its secret removed', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Invalid OAuth access token tok-123', code: 190 } }));
    });
    expect(await get(`${base}/x`, 'the API', {}, {}, ['tok-123'])).toMatchObject({ status: 401, detail: expect.not.stringContaining('tok-123') });
  });

  it('a server that never answers times out; a closed port is named; neither is a stack trace', async () => {
    const silent = await serve(() => {});
    const t0 = Date.now();
    await expect(get(`${silent}/x`, 'the slow API', {}, { timeoutMs: 300 }, [])).rejects.toThrow('Could not reach the slow API: timed out.');
    expect(Date.now() - t0).toBeLessThan(3000);
    const closed = await serve(echoAuth);
    const s = servers.pop()!;
    await new Promise((r) => s.close(r));
    await expect(get(`${closed}/x`, 'the API', {}, {}, [])).rejects.toThrow('Could not reach the API: ECONNREFUSED.');
  });

  it('a body past 1 MB is cut, not held: the status is still read', async () => {
    const base = await serve((_req, res) => {
      res.writeHead(500);
      res.end(Buffer.alloc(3 * 1024 * 1024, 0x61));
    });
    expect(await get(`${base}/x`, 'the API', {}, {}, [])).toMatchObject({ status: 500, json: null });
  });
});

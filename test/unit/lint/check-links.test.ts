import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLinksOnline, findOgType } from '../../../src/core/lint/check-links.js';
import { parseTemplate } from '../../../src/core/template/parse.js';

let server: Server;
let base = '';
let other = '';
const heads: string[] = [];
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'HEAD') heads.push(path);
    const send = (status: number, type: string, body = '', headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': type, ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const redirect = (status: number, to: string) => {
      res.writeHead(status, { location: to });
      res.end();
    };
    switch (path) {
      case '/page': return send(200, 'text/html; charset=utf-8', '<html><title>ok</title></html>');
      case '/r1': return redirect(301, '/r2');
      case '/r2': return redirect(302, `${base}/clip.mp4`);
      case '/clip.mp4': return send(200, 'video/mp4', 'x');
      case '/missing': return send(404, 'text/html', 'nope');
      case '/slow': setTimeout(() => send(200, 'text/html', 'late'), 1500); return;
      case '/busy':
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        setTimeout(() => (inFlight--, send(200, 'text/html', 'ok')), 100);
        return;
      case '/fake-video': return send(200, 'text/html', `<html><head><meta property="og:type" content="website">${' '.repeat(100)}</head></html>`);
      case '/og-video': return send(200, 'text/html', `<html><head><meta content="video.other" property="og:type"></head></html>`);
      case '/programa.pdf': return send(200, 'text/html', '<html>not a pdf</html>');
      case '/real.pdf':
        if (req.method === 'HEAD') return send(405, 'text/plain');
        return send(200, 'application/pdf', '%PDF-1.4');
      case '/loop': return redirect(302, '/loop');
      case '/away': return redirect(302, `${other}/page`);
      case '/via-shortener': return redirect(302, 'https://bit.ly/campaign-test-xyz');
      default: return send(404, 'text/plain', '');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  other = `http://localhost:${port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

async function check(kind: string, path: string, opts = {}) {
  const url = path.startsWith('http') ? path : `${base}${path}`;
  const t = parseTemplate(`---\ntemplate: t1\nlanguage: es\ncategory: marketing\nlinks:\n  - url: ${url}\n    kind: ${kind}\n---\nHola {{a}}: ${url}`, 'm.md');
  return checkLinksOnline(t, { timeoutMs: 500, maxRedirects: 3, ...opts });
}
const rules = (fs: { rule: string }[]) => fs.map((f) => f.rule).sort();

describe('checkLinksOnline', () => {
  it('passes a plain page', async () => {
    expect(await check('page', '/page')).toEqual([]);
  });

  it('reports a redirect chain as info and accepts the final video', async () => {
    const fs = await check('video', '/r1');
    expect(rules(fs)).toEqual(['link-redirect']);
    expect(fs[0].severity).toBe('info');
    expect(fs[0].message).toContain(`${base}/r1 (301) → ${base}/r2 (302) → ${base}/clip.mp4 (200)`);
  });

  it.each([
    ['page', '/missing', /HTTP 404/],
    ['page', '/slow', /no answer within 500 ms/],
    ['page', '/loop', /more than 3 redirects/],
    ['page', 'CLOSED', /connection failed \(ECONNREFUSED\)/],
  ])('%s %s is broken', async (kind, path, message) => {
    const fs = (await check(kind, path === 'CLOSED' ? `http://127.0.0.1:${await closedPort()}/x` : path)).filter((f) => f.rule === 'link-broken');
    expect(fs).toHaveLength(1);
    expect(fs[0].severity).toBe('error');
    expect(fs[0].message).toMatch(message);
  });

  it.each([
    ['video', '/fake-video', /without og:type video \(og:type website\)/],
    ['pdf', '/programa.pdf', /serves text\/html, not application\/pdf/],
    ['image', '/page', /not an image/],
    ['page', '/clip.mp4', /not a web page/],
  ])('%s %s has the wrong content', async (kind, path, message) => {
    const fs = await check(kind, path);
    expect(rules(fs)).toEqual(['link-content-mismatch']);
    expect(fs[0].message).toMatch(message);
  });

  it.each([
    ['video', '/og-video'],
    ['video', '/clip.mp4'],
    ['pdf', '/real.pdf'],
  ])('%s %s has the right content', async (kind, path) => {
    expect(await check(kind, path)).toEqual([]);
  });

  it('falls back to GET when HEAD is refused', async () => {
    heads.length = 0;
    expect(await check('pdf', '/real.pdf')).toEqual([]);
    expect(heads).toContain('/real.pdf');
  });

  it('reports a redirect to another domain', async () => {
    const fs = await check('page', '/away');
    expect(rules(fs)).toEqual(['link-redirect', 'link-redirect-domain']);
    expect(fs.find((f) => f.rule === 'link-redirect-domain')?.message).toMatch(/shows 127\.0\.0\.1 but ends on localhost/);
  });

  it('reports a shortener met along the way', async () => {
    const fs = await check('page', '/via-shortener', { timeoutMs: 2000 });
    expect(rules(fs)).toContain('link-shortener');
  });

  it('checks links with bounded concurrency', async () => {
    const urls = Array.from({ length: 8 }, (_, i) => `${base}/busy?${i}`);
    const t = parseTemplate(urls.map((u) => `Ver ${u}`).join('\n'), 'p.md');
    maxInFlight = 0;
    expect(await checkLinksOnline(t, { timeoutMs: 3000, concurrency: 3 })).toEqual([]);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxInFlight).toBeLessThanOrEqual(3);
  });

  it('skips links with placeholders', async () => {
    const t = parseTemplate(`Tu enlace: ${base}/missing/{{code}}`, 'p.md');
    expect(await checkLinksOnline(t, { timeoutMs: 500 })).toEqual([]);
  });
});

describe('findOgType', () => {
  it.each([
    ['<meta property="og:type" content="video.movie">', 'video.movie'],
    ["<meta content='Video.Other' property='og:type'/>", 'video.other'],
    ['<meta name=og:type content=website>', 'website'],
    ['<meta property="og:title" content="video">', null],
  ])('%s', (html, expected) => {
    expect(findOgType(html)).toBe(expected);
  });
});

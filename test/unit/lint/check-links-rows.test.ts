import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mergeOptions } from '../../../src/core/config/load.js';
import type { Finding } from '../../../src/core/findings.js';
import { checkHeaderMedia, PerRecipientLinks } from '../../../src/core/lint/check-links.js';
import { classifiedRows, prepareLint } from '../../../src/core/lint/index.js';

const MB = 1024 * 1024;
let server: Server;
let base = '';
const hits = new Map<string, number>();
const requests: { method: string; path: string; headers: IncomingHttpHeaders }[] = [];
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const p = (req.url ?? '/').split('?')[0];
    requests.push({ method: req.method ?? '', path: p, headers: req.headers });
    hits.set(`${req.method} ${p}`, (hits.get(`${req.method} ${p}`) ?? 0) + 1);
    const head = (status: number, headers: Record<string, string>) => { res.writeHead(status, headers); res.end(); };
    switch (p) {
      case '/acto.mp4': return head(200, { 'content-type': 'video/mp4', 'content-length': String(3 * MB) });
      case '/cartel-as-video': return head(200, { 'content-type': 'image/jpeg', 'content-length': '50000' });
      case '/big.mp4': return head(200, { 'content-type': 'video/mp4', 'content-length': String(40 * MB) });
      case '/programa.pdf': return head(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': '900' });
      case '/cartel.png': return head(200, { 'content-type': 'image/png', 'content-length': String(6 * MB) });
      case '/no-head.mp4':
        if (req.method === 'HEAD') return head(405, {});
        if (req.headers.range !== 'bytes=0-1023') return head(200, { 'content-type': 'video/mp4' });
        res.writeHead(206, { 'content-type': 'video/mp4', 'content-range': `bytes 0-1023/${2 * MB}` });
        return res.end(Buffer.alloc(1024));
      case '/silent-head.pdf':
        // HEAD answers but says nothing useful: no content-type, no length.
        if (req.method === 'HEAD') return head(200, {});
        res.writeHead(206, { 'content-type': 'application/pdf', 'content-range': `bytes 0-1023/${120 * MB}` });
        return res.end(Buffer.alloc(1024));
      case '/gone.mp4': return head(404, { 'content-type': 'text/html' });
      case '/slowish':
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        setTimeout(() => { inFlight--; head(200, { 'content-type': 'text/html' }); }, 50);
        return;
      case '/page': return head(200, { 'content-type': 'text/html' });
      default: return head(404, { 'content-type': 'text/plain' });
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => { hits.clear(); requests.length = 0; });

const rules = (f: Finding[]) => f.map((x) => x.rule).sort();

describe('header media online (HEAD, then a ranged GET)', () => {
  it('a video that is an MP4 under 16 MB passes', async () => {
    expect(await checkHeaderMedia(`${base}/acto.mp4`, 'video')).toEqual([]);
  });

  it('a "video" that serves image/jpeg, a 40 MB video, a PDF served as HTML, a 6 MB PNG: errors', async () => {
    expect(await checkHeaderMedia(`${base}/cartel-as-video`, 'video')).toMatchObject([{ rule: 'link-content-mismatch', severity: 'error' }]);
    const big = await checkHeaderMedia(`${base}/big.mp4`, 'video');
    expect(big).toMatchObject([{ rule: 'header-too-large', severity: 'error' }]);
    expect(big[0].message).toContain('40 MB');
    expect(big[0].message).toContain('16 MB');
    expect(rules(await checkHeaderMedia(`${base}/programa.pdf`, 'document'))).toEqual(['link-content-mismatch']);
    expect(rules(await checkHeaderMedia(`${base}/cartel.png`, 'image'))).toEqual(['header-too-large']);
  });

  it('HEAD refused: a ranged GET for the first KB gives the type and the total size (Content-Range)', async () => {
    expect(await checkHeaderMedia(`${base}/no-head.mp4`, 'video')).toEqual([]);
    const get = requests.find((r) => r.method === 'GET');
    expect(get?.headers.range).toBe('bytes=0-1023');
  });

  it('HEAD that says nothing: the ranged GET decides (a 120 MB PDF is over the limit)', async () => {
    expect(rules(await checkHeaderMedia(`${base}/silent-head.pdf`, 'document'))).toEqual(['header-too-large']);
    expect(hits.get('GET /silent-head.pdf')).toBe(1);
  });

  it('a header URL that answers 404 is link-broken', async () => {
    expect(rules(await checkHeaderMedia(`${base}/gone.mp4`, 'video'))).toEqual(['link-broken']);
  });
});

describe('per-recipient links online', () => {
  it('each distinct URL is fetched once, at most 4 at a time; only failing ones are kept', async () => {
    const links = new PerRecipientLinks();
    for (let row = 0; row < 300; row++) links.add(`${base}/slowish?n=${row % 10}`, 'page');
    for (let row = 0; row < 50; row++) links.add(`${base}/missing-${row % 3}`, 'page');
    links.add(`${base}/page`, 'page');
    maxInFlight = 0;
    const { failed, summary } = await links.check();
    expect(summary).toBeNull();
    expect(hits.get('HEAD /slowish')).toBe(10);
    expect(hits.get('HEAD /missing-0')).toBe(1);
    expect(maxInFlight).toBeLessThanOrEqual(4);
    expect([...failed.keys()].sort()).toEqual([0, 1, 2].map((i) => `${base}/missing-${i}`));
    expect(failed.get(`${base}/missing-1`)).toMatchObject([{ rule: 'link-broken', severity: 'error' }]);
  });

  it('past the cap, the rest are not fetched and one summary finding says how many', async () => {
    const links = new PerRecipientLinks(5);
    for (let i = 0; i < 12; i++) links.add(`${base}/page?i=${i}`, 'page');
    links.add(`${base}/page?i=11`, 'page');
    const { summary } = await links.check();
    expect(hits.get('HEAD /page')).toBe(5);
    expect(summary).toMatchObject({ rule: 'link-check-capped', severity: 'warning' });
    expect(summary!.message).toContain('other 7');
  });
});

describe('a row whose link failed online is kept out, with its line and column', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'campaign-rowlinks-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the failing link\'s rows go to missing_variable; the others are still sendable', async () => {
    const tpl = path.join(dir, 'v.md');
    writeFileSync(tpl, ['---', 'template: video', 'language: es', 'category: marketing', 'params: [nombre, slug]', 'links:', '  - url: "https://partido.es/p/{{slug}}"', '    kind: page', '---', 'Hola {{nombre}}, tu página: https://partido.es/p/{{slug}}', ''].join('\n'));
    const csv = path.join(dir, 'c.csv');
    writeFileSync(csv, [
      'telefono,nombre,slug,consent',
      '+34600000001,Ana,ana,yes',
      '+34600000002,Luis,luis,yes',
      '+34600000003,Eva,ana,yes',
      '',
    ].join('\n'));
    const prepared = await prepareLint({ contactsPath: csv, options: mergeOptions({}, { template: tpl, defaultCountry: 'ES' }), cwd: dir });
    // What --check-links found for the distinct URL (the fetch itself is tested above against a real server).
    prepared.failedLinks.set('https://partido.es/p/ana', [{ rule: 'link-broken', severity: 'error', message: 'https://partido.es/p/ana: answers HTTP 404. Fix or replace the link.', value: 'https://partido.es/p/ana' }]);
    const findings: Finding[] = [];
    const buckets: [number, string][] = [];
    for await (const row of classifiedRows(prepared, (f) => findings.push(f))) buckets.push([row.line, row.bucket]);
    expect(buckets).toEqual([[2, 'missing_variable'], [3, 'sendable'], [4, 'missing_variable']]);
    const broken = findings.filter((f) => f.rule === 'link-broken');
    expect(broken).toMatchObject([{ line: 2, column: 'slug' }, { line: 4, column: 'slug' }]);
  });
});

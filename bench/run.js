#!/usr/bin/env node
// npm run bench: each figure is a ratio against a floor measured in the same run, on the same
// machine, so that a slower machine does not move the ratio. Never part of `npm test`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream, writeFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchRate, benchSend } from './send.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const data = path.join(root, 'bench', 'data');
const cli = path.join(root, 'bin', 'campaign.js');
const only = process.argv[2];
mkdirSync(data, { recursive: true });

function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

/** Runs a node script under /usr/bin/time-like accounting: the child prints its own usage. */
const USAGE = `process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\n@@usage '+JSON.stringify({cpu:(u.userCPUTime+u.systemCPUTime)/1000,maxRSSMB:u.maxRSS/1024})+'\\n')});`;
function usageOf(stderr) {
  const m = /@@usage (\{.*\})/.exec(stderr);
  return m ? JSON.parse(m[1]) : { cpu: NaN, maxRSSMB: NaN };
}

async function makeCsv(file, rows) {
  if (existsSync(file)) return;
  const ws = createWriteStream(file);
  ws.write('nombre;ciudad;Teléfono;Consentimiento;consent_at;consent_source\r\n');
  const cities = ['Madrid', 'Sevilla', 'Valencia', 'Bilbao', 'Málaga', 'Zaragoza'];
  for (let i = 0; i < rows; i++) {
    const phone = `6${String(10_000_000 + i).padStart(8, '0')}`;
    const line = `Persona ${i};${cities[i % cities.length]};${phone};${i % 10 === 0 ? 'no' : 'sí'};2026-01-0${(i % 9) + 1};formulario web\r\n`;
    if (!ws.write(line)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function benchLint() {
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const csv = path.join(data, `contacts-${rows}.csv`);
  await makeCsv(csv, rows);
  const tpl = path.join(data, 'message.md');
  writeFileSync(tpl, '---\ntemplate: bench\nlanguage: es\ncategory: marketing\nparams: [nombre, ciudad]\nlinks: []\n---\nHola {{nombre}}, nos vemos en {{ciudad}}.\n');
  const floorScript = `${USAGE}
    import('csv-parse').then(({ parse }) => {
      const fs = require('node:fs');
      let n = 0;
      fs.createReadStream(${JSON.stringify(csv)}).pipe(parse({ delimiter: ';', bom: true, info: true, columns: true, relax_column_count: true }))
        .on('data', () => n++).on('end', () => console.log(n));
    });`;
  const floors = [];
  const lints = [];
  let rss = 0;
  for (let i = 0; i < 3; i++) {
    const f = await run(process.execPath, ['-e', floorScript], { cwd: root });
    floors.push(f.ms);
    const l = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(USAGE)}`, cli, 'lint', csv, '--template', tpl, '--default-country', 'ES', '--json'], { cwd: data });
    if (l.code !== 0) throw new Error(`lint exited ${l.code}: ${l.err.slice(-500)}`);
    lints.push(l.ms);
    rss = Math.max(rss, usageOf(l.err).maxRSSMB);
  }
  const ratio = median(lints) / median(floors);
  console.log(`lint ${rows.toLocaleString('en-US')} rows: ${(median(lints) / 1000).toFixed(2)} s vs bare csv-parse ${(median(floors) / 1000).toFixed(2)} s → ratio ${ratio.toFixed(2)} (target ≤ 2.00), peak RSS ${rss.toFixed(0)} MB (target < 300)`);
  return { lintMs: median(lints), csv, tpl };
}

/** A Cloud-API-compatible server answering after `latency` ms; records request start times. */
async function startServer(latency) {
  const starts = [];
  const server = http.createServer((req, res) => {
    starts.push(performance.now());
    req.resume();
    req.on('end', () =>
      setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end(`{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.B${starts.length}"}]}`);
      }, latency),
    );
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, starts, url: `http://127.0.0.1:${server.address().port}` };
}

function maxInWindow(starts, windowMs = 1000) {
  let max = 0;
  let j = 0;
  for (let i = 0; i < starts.length; i++) {
    while (starts[i] - starts[j] >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

async function benchResume(lintMs, csv, tpl) {
  // A journal for the 1M list where half the recipients are done: time until the first request.
  const journal = path.join(data, 'resume-1m.journal.jsonl');
  const s = await startServer(5);
  const env = { ...process.env, NO_COLOR: '1', WHATSAPP_API_URL: `${s.url}/v23.0`, WHATSAPP_TOKEN: 'bench', WHATSAPP_PHONE_NUMBER_ID: '1' };
  if (!existsSync(journal)) {
    // Build it with --dry-run's plan? No: write the journal the way send would, half sent.
    const { createHash } = await import('node:crypto');
    const { readFileSync } = await import('node:fs');
    const sha = (f) => createHash('sha256').update(readFileSync(f)).digest('hex');
    const ws = createWriteStream(journal);
    ws.write(JSON.stringify({ type: 'header', version: 1, campaign: 'bench', at: new Date().toISOString(), contacts: { path: csv, sha256: sha(csv) }, template: { path: tpl, sha256: sha(tpl) }, provider: 'cloud', options: { provider: 'cloud', defaultCountry: 'ES', rate: 1000, concurrency: 50 } }) + '\n');
    const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
    const at = new Date().toISOString();
    for (let i = 0; i < rows / 2; i++) {
      const to = `+346${String(10_000_000 + i).padStart(8, '0')}`;
      if (!ws.write(`{"type":"attempt","to":"${to}","at":"${at}","line":${i + 2}}\n{"type":"sent","to":"${to}","at":"${at}","id":"wamid.${i}"}\n`)) await once(ws, 'drain');
    }
    ws.end();
    await once(ws, 'finish');
  }
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'resume', journal, '--yes'], { cwd: data, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  while (s.starts.length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  const ready = performance.now() - t0;
  child.kill('SIGKILL');
  await once(child, 'close');
  s.server.close();
  rmSync(`${journal}.lock`, { force: true });
  rmSync(journal, { force: true });
  if (!s.starts.length) return console.log(`resume: no request was made: ${err.slice(-300)}`);
  console.log(`resume of a 1,000,000-recipient journal (half done): first request after ${(ready / 1000).toFixed(2)} s vs lint ${(lintMs / 1000).toFixed(2)} s → ratio ${(ready / lintMs).toFixed(2)} (target ≤ 2.00)`);
}

/**
 * Several processes on one number through a local Redis (--store): the combined starts at the
 * provider must stay at --rate in any 1 s window, and reach most of it. Needs redis-server.
 */
async function benchStore() {
  const rate = Number(process.env.BENCH_STORE_RATE ?? 200);
  const perProcess = Number(process.env.BENCH_STORE_EACH ?? 1000);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const redisDir = path.join(data, 'redis');
  mkdirSync(redisDir, { recursive: true });
  const redis = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--bind', '127.0.0.1', '--dir', redisDir], { stdio: 'ignore' });
  const started = await new Promise((resolve) => {
    redis.once('error', () => resolve(false));
    setTimeout(() => resolve(redis.exitCode === null), 300);
  });
  if (!started) return console.log('store: redis-server not found, skipped');
  const tpl = path.join(data, 'message.md');
  writeFileSync(tpl, '---\ntemplate: bench\nlanguage: es\ncategory: marketing\nparams: [nombre, ciudad]\nlinks: []\n---\nHola {{nombre}}, nos vemos en {{ciudad}}.\n');
  try {
    for (const processes of [2, 4]) {
      const s = await startServer(20);
      const env = { ...process.env, NO_COLOR: '1', WHATSAPP_API_URL: `${s.url}/v23.0`, WHATSAPP_TOKEN: 'bench', WHATSAPP_PHONE_NUMBER_ID: '1', CAMPAIGN_STORE: `redis://127.0.0.1:${port}` };
      const runs = [];
      for (let p = 0; p < processes; p++) {
        // Each process its own folder and people: only the number (and the store) is shared.
        const dir = path.join(data, `store-${processes}-${p}`);
        rmSync(dir, { recursive: true, force: true });
        mkdirSync(dir, { recursive: true });
        const rows = Array.from({ length: perProcess }, (_, i) => `P${i},+3461${p}${String(i).padStart(6, '0')},yes,Madrid`);
        writeFileSync(path.join(dir, 'c.csv'), `nombre,phone,consent,ciudad\n${rows.join('\n')}\n`);
        // Its own user-level history too: a second bench run must not skip these people as already messaged.
        const own = { ...env, CAMPAIGN_HOME: path.join(dir, '.campaign-home') };
        runs.push(run(process.execPath, [cli, 'send', 'c.csv', '--template', tpl, '--provider', 'cloud', '--rate', String(rate), '--concurrency', '50', '--yes'], { cwd: dir, env: own }));
      }
      const results = await Promise.all(runs);
      s.server.close();
      const st = [...s.starts].sort((x, y) => x - y);
      const gaps = [];
      for (let i = rate; i < st.length; i++) gaps.push(st[i] - st[i - rate]);
      gaps.sort((x, y) => x - y);
      const steady = (rate * 1000) / gaps[gaps.length >> 1];
      console.log(
        `store: ${processes} processes on one number at --rate ${rate} each, ${st.length.toLocaleString('en-US')} messages through a local Redis: ` +
          `max in any 1 s window ${maxInWindow(st)} (limit ${rate}), steady state ${steady.toFixed(1)}/s = ${((100 * steady) / rate).toFixed(1)}% of the ceiling`,
      );
      for (const r of results) if (r.code !== 0) console.log(`  (a send exited ${r.code}: ${r.err.split('\n').slice(-4).join(' ')})`);
    }
  } finally {
    redis.kill('SIGTERM');
    await once(redis, 'exit');
  }
}

console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown'}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`);
if (!only || only === 'lint' || only === 'resume') {
  const l = await benchLint();
  if (!only || only === 'resume') await benchResume(l.lintMs, l.csv, l.tpl);
}
if (!only || only === 'send') await benchSend();
if (!only || only === 'rate') await benchRate();
if (!only || only === 'store') await benchStore();

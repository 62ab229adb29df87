#!/usr/bin/env node
// npm run bench: each figure is a ratio against a floor measured in the same run, on the same
// machine, so that a slower machine does not move the ratio. Never part of `npm test`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream, writeFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchRate, benchSend } from './send.js';
import { benchLint, benchResume } from './lint.js';
import { run, startServer } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const data = path.join(root, 'bench', 'data');
const cli = path.join(root, 'bin', 'campaign.js');
const only = process.argv[2];
mkdirSync(data, { recursive: true });

function maxInWindow(starts, windowMs = 1000) {
  let max = 0;
  let j = 0;
  for (let i = 0; i < starts.length; i++) {
    while (starts[i] - starts[j] >= windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
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

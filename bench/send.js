// The send and rate sections of `npm run bench` (imported by run.js): send CPU per request against
// a bare node:http keep-alive loop, and the fullest one-second window at the provider at
// --rate 1000 with the machine idle and with a CPU hog on every core. Floors run in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, createWriteStream, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const data = path.join(root, 'bench', 'data');
const cli = path.join(root, 'bin', 'campaign.js');
const RATE = 1000;

/**
 * For the CPU figures (benchSend): the stand-in provider on the first allowed core and the sender,
 * tool or floor alike, on the last, a core each as on two machines (`taskset`, util-linux, which
 * execs the command: the pid is the sender's). Sharing two cores, the tool's journal threads and
 * the stand-in moved each other between cores and the figures with them: the same code measured
 * 0.90-1.48× the floor unpinned, 0.95-1.02× pinned. BENCH_PIN=0: unpinned.
 */
const ALLOWED = allowedCores();
const PIN = process.env.BENCH_PIN !== '0' && ALLOWED.length >= 2 && spawnSync('taskset', ['-V']).status === 0;
const SERVER_CORE = ALLOWED[0];
const SENDER_CORE = ALLOWED[ALLOWED.length - 1];
const pinned = (pin, core, cmd, args) => (pin ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args]);

/** The cores this process may run on (Linux's Cpus_allowed_list: a container may allow fewer than there are). */
function allowedCores() {
  try {
    const list = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
    return list.split(',').flatMap((r) => {
      const [a, b = a] = r.split('-').map(Number);
      return Number.isInteger(a) && Number.isInteger(b) ? Array.from({ length: b - a + 1 }, (_, i) => a + i) : [];
    });
  } catch {
    return [];
  }
}

/** The child prints its own CPU time (user + system, ms) on exit. */
const USAGE = `process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\n@@usage '+JSON.stringify({cpu:(u.userCPUTime+u.systemCPUTime)/1000})+'\\n')});`;
const cpuOf = (stderr) => {
  const m = /@@usage (\{.*\})/.exec(stderr);
  return m ? JSON.parse(m[1]).cpu : NaN;
};

async function makeCsv(file, rows) {
  if (existsSync(file)) return;
  const ws = createWriteStream(file);
  ws.write('nombre;ciudad;Teléfono;Consentimiento;consent_at;consent_source\r\n');
  const cities = ['Madrid', 'Sevilla', 'Valencia', 'Bilbao', 'Málaga', 'Zaragoza'];
  for (let i = 0; i < rows; i++) {
    const phone = `6${String(10_000_000 + i).padStart(8, '0')}`;
    if (!ws.write(`Persona ${i};${cities[i % cities.length]};${phone};sí;2026-01-0${(i % 9) + 1};formulario web\r\n`)) await once(ws, 'drain');
  }
  ws.end();
  await once(ws, 'finish');
}

/**
 * The stand-in provider: a Cloud-API-compatible server answering after `latency` ms, recording when
 * each request arrives. It runs in its own process at raised priority when the OS allows (root):
 * the real provider is another machine, so its clock must not be starved by the CPU hog that is
 * put beside the send (then it would measure its own scheduling, not the tool's ceiling).
 */
async function startServer(latency, pin = false) {
  const script = `
    const http = require('node:http');
    try { require('node:os').setPriority(-10); } catch {}
    const starts = [];
    const server = http.createServer((req, res) => {
      // Messages only: the send's health read (a GET of the number) is no message and no start.
      if (req.method === 'POST' && req.url.endsWith('/messages')) {
        starts.push(performance.now());
        // The sender's CPU (every thread) when the k-th message arrives: the steady window's cost.
        if (watched && marks.includes(starts.length)) cpuAt[starts.length] = cpuOf(watched);
      }
      req.resume();
      req.on('end', () => setTimeout(() => {
        res.setHeader('content-type', 'application/json');
        res.end('{"messaging_product":"whatsapp","contacts":[{"input":"x","wa_id":"x"}],"messages":[{"id":"wamid.B' + starts.length + '"}]}');
      }, ${latency}));
    });
    server.keepAliveTimeout = 60000;
    server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port, raised: require('node:os').getPriority() < 0 }));
    let watched = 0, marks = [];
    const cpuAt = {};
    // utime + stime of the whole process, in clock ticks (100 a second on Linux), as ms.
    const cpuOf = (pid) => {
      try {
        const f = require('node:fs').readFileSync('/proc/' + pid + '/stat', 'utf8').replace(/^.*[)] /, '').split(' ');
        return (Number(f[11]) + Number(f[12])) * 10;
      } catch { return NaN; }
    };
    process.on('message', (m) => {
      if (m && m.watch) { watched = m.watch; marks = m.marks; return; }
      process.send({ starts, cpuAt }, () => process.exit(0));
    });`;
  const child = spawn(...pinned(pin, SERVER_CORE, process.execPath, ['-e', script]), { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  // A child that exits first (taskset refused its core) must fail the bench, not hang it.
  const { port, raised } = await new Promise((resolve, reject) => {
    child.once('message', resolve);
    // After 'message' this reject is a no-op (the stand-in's normal exit at stop()).
    child.once('exit', (code) => reject(new Error(`the stand-in provider exited (${code}) before listening`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    raised,
    /** Sample pid's CPU when message k arrives, for each k of marks (stop() leaves them in cpuAt). */
    watch(pid, marks) {
      child.send({ watch: pid, marks });
    },
    async stop() {
      child.send('stop');
      const [{ starts, cpuAt }] = await once(child, 'message');
      this.cpuAt = cpuAt;
      return starts;
    },
  };
}

/** The fullest window (arrivals within `windowMs` of each other, the closed window: stricter). */
function maxInWindow(starts, windowMs = 1000) {
  let max = 0;
  let j = 0;
  for (let i = 0; i < starts.length; i++) {
    while (starts[i] - starts[j] > windowMs) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

/**
 * Arrivals in the first STARTUP_MS of a run are its start-up, not its steady state: the gate keeps
 * extra room in its margin until the answers' spread is sampled (two windows after it first waits).
 */
const STARTUP_MS = 3000;

/**
 * The steady-state rate: start i+RATE goes ≥ 1 s after start i; the median of those gaps past the
 * start-up is the cycle (`whole`: over the whole run). `minGap` is the closest of all of them.
 */
function steadyRate(s) {
  const gaps = [];
  const past = [];
  for (let i = RATE; i < s.length; i++) {
    gaps.push(s[i] - s[i - RATE]);
    if (s[i] - s[0] >= STARTUP_MS) past.push(s[i] - s[i - RATE]);
  }
  gaps.sort((x, y) => x - y);
  past.sort((x, y) => x - y);
  return { steady: (RATE * 1000) / past[past.length >> 1], whole: (RATE * 1000) / gaps[gaps.length >> 1], minGap: gaps[0] };
}

const TEMPLATE = '---\ntemplate: bench\nlanguage: es\ncategory: marketing\nparams: [nombre, ciudad]\nlinks: []\n---\nHola {{nombre}}, nos vemos en {{ciudad}}.\n';

/**
 * The floor: a bare node:http keep-alive loop, paced at RATE/s by a 1 ms timer, POSTing the same
 * Cloud API bodies (template, two parameters) with the same headers to the same local server.
 */
async function floorLoop(n, pin = false) {
  const a = await startServer(20, pin);
  const script = `${USAGE}
    const http = require('node:http');
    const agent = new http.Agent({ keepAlive: true, maxSockets: 100 });
    const url = new URL(${JSON.stringify(a.url)} + '/v23.0/1/messages');
    const cities = ['Madrid', 'Sevilla', 'Valencia', 'Bilbao', 'Málaga', 'Zaragoza'];
    const N = ${n}, RATE = ${RATE};
    let started = 0, done = 0; const t0 = performance.now();
    function one(i) {
      const body = JSON.stringify({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '+346' + String(10000000 + i), type: 'template',
        template: { name: 'bench', language: { code: 'es', policy: 'deterministic' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Persona ' + i }, { type: 'text', text: cities[i % 6] }] }] } });
      const req = http.request(url, { method: 'POST', agent, headers: { accept: 'application/json', 'content-type': 'application/json', authorization: 'Bearer x', 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
        const chunks = []; res.on('data', (c) => chunks.push(c)); res.on('end', () => { JSON.parse(Buffer.concat(chunks).toString()); if (++done === N) agent.destroy(); });
      });
      req.end(body);
    }
    function tick() {
      const due = Math.min(N, Math.floor(((performance.now() - t0) / 1000) * RATE) + 1);
      while (started < due) one(started++);
      if (started < N) setTimeout(tick, 1);
    }
    tick();`;
  const r = await run(...pinned(pin, SENDER_CORE, process.execPath, ['-e', script]), { cwd: root }, { onChild: (c) => a.watch(c.pid, STEADY) });
  await a.stop();
  return { cpu: cpuOf(r.err), steady: steadyCpu(a.cpuAt) };
}

/**
 * The steady window: CPU between the arrival of message STEADY[0] and STEADY[1], per message (ms),
 * of a 30,000-request send (BENCH_SEND). Messages 2,000 → 7,000 of an 8,000-request send, as before
 * issue 13's tenth round, are the JIT's warm-up: the tool's V8 threads took 34-50 µs a message there
 * (the floor's 12: it has far less code to compile), ~7 past message 15,000. BENCH_STEADY=from-to.
 */
const STEADY = (process.env.BENCH_STEADY ?? '15000-29000').split('-').map(Number);
const steadyCpu = (cpuAt) => (cpuAt?.[STEADY[1]] - cpuAt?.[STEADY[0]]) / (STEADY[1] - STEADY[0]);

/** `campaign send` of n recipients at --rate 1000 to a local Cloud API server; its CPU and the arrivals. */
async function toolSend(n, pin = false) {
  const csv = path.join(data, `send-${n}.csv`);
  await makeCsv(csv, n);
  const tpl = path.join(data, 'message.md');
  writeFileSync(tpl, TEMPLATE);
  const b = await startServer(20, pin);
  const load = os.loadavg()[0];
  const dir = path.join(data, `send-${n}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, NO_COLOR: '1', WHATSAPP_API_URL: `${b.url}/v23.0`, WHATSAPP_TOKEN: 'bench', WHATSAPP_PHONE_NUMBER_ID: '1', CAMPAIGN_HOME: path.join(dir, '.home') };
  const t = await run(
    ...pinned(pin, SENDER_CORE, process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(USAGE)}`, cli, 'send', csv, '--template', tpl,
      '--provider', 'cloud', '--default-country', 'ES', '--rate', String(RATE), '--concurrency', '100', '--yes', '--journal', path.join(dir, 'j.jsonl')]),
    { cwd: dir, env },
    { onChild: (c) => b.watch(c.pid, STEADY) },
  );
  const starts = await b.stop();
  if (!b.raised) console.log('  (the stand-in provider could not raise its priority: not root)');
  if (t.code !== 0) console.log(`  (send exited ${t.code}: ${t.err.split('\n').slice(-4).join(' ')})`);
  return { cpu: cpuOf(t.err), steady: steadyCpu(b.cpuAt), starts, load };
}

/** How many times the send and rate measurements are repeated (each run alternates floor and tool). */
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const range = (xs, f) => (xs.length > 1 ? ` (runs: ${xs.map(f).join(', ')})` : '');

/**
 * Send CPU per request: the marginal cost between a small and a large send (so that start-up,
 * reading and planning the list, which the bare loop does not do, cancel out), against the same
 * marginal cost of the bare loop. Also the idle ceiling from each large send. The CPU figures of one
 * machine move ±15% between identical runs, so floor and tool alternate REPEAT times and the
 * medians of the per-run ratios are the figures.
 */
export async function benchSend() {
  mkdirSync(data, { recursive: true });
  const small = Number(process.env.BENCH_SEND_SMALL ?? 2000);
  const large = Number(process.env.BENCH_SEND ?? 30_000);
  const marginal = [];
  const steady = [];
  const idle = [];
  for (let k = 0; k < REPEAT; k++) {
    const f1 = await floorLoop(small, PIN);
    const t1 = await toolSend(small, PIN);
    const f2 = await floorLoop(large, PIN);
    const t2 = await toolSend(large, PIN);
    marginal.push({ tool: (t2.cpu - t1.cpu) / (large - small), floor: (f2.cpu - f1.cpu) / (large - small), whole: t2.cpu / f2.cpu });
    if (large > STEADY[1]) steady.push({ tool: t2.steady, floor: f2.steady });
    idle.push(t2);
  }
  console.log(PIN ? `send CPU: the stand-in provider on core ${SERVER_CORE}, the sender (tool and floor alike) on core ${SENDER_CORE} (taskset; BENCH_PIN=0 for neither)` : 'send CPU: unpinned (BENCH_PIN=0, no taskset, or one allowed core)');
  const us = (ms) => `${(ms * 1000).toFixed(0)} µs`;
  const ratio = (x) => (x.tool / x.floor).toFixed(2);
  const mid = (xs) => xs.find((x) => x.tool / x.floor === median(xs.map((y) => y.tool / y.floor)));
  const m = mid(marginal);
  console.log(
    `send CPU per request (marginal, ${small.toLocaleString('en-US')} → ${large.toLocaleString('en-US')} requests at --rate ${RATE}, median of ${REPEAT}): ` +
      `${us(m.tool)} vs bare node:http loop ${us(m.floor)} → ratio ${ratio(m)} (target ≤ 1.20)${range(marginal, ratio)}; whole process ${m.whole.toFixed(2)}× (incl. start-up and reading the list)`,
  );
  if (steady.length > 0) {
    const w = mid(steady);
    console.log(
      `send CPU per request while sending (messages ${STEADY[0].toLocaleString('en-US')} → ${STEADY[1].toLocaleString('en-US')} of the ${large.toLocaleString('en-US')}-request runs, the sender's /proc CPU read as they arrive; median of ${REPEAT}): ` +
        `${us(w.tool)} vs bare loop ${us(w.floor)} → ratio ${ratio(w)}${range(steady, (x) => `${us(x.tool)}/${us(x.floor)}`)}`,
    );
  }
  reportRuns(PIN ? 'idle (pinned as above)' : 'idle', idle);
}

function report(label, s, load) {
  const { steady, whole, minGap } = steadyRate(s);
  console.log(
    `rate ${label}: ${s.length.toLocaleString('en-US')} requests at --rate ${RATE}: fullest 1 s window at the provider ${maxInWindow(s)} (limit ${RATE}), ` +
      `steady state past the first ${STARTUP_MS / 1000} s ${steady.toFixed(1)}/s = ${((100 * steady) / RATE).toFixed(2)}% of the ceiling (target ≥ 99.5% idle), ` +
      `whole run ${((100 * whole) / RATE).toFixed(2)}%; closest start i → i+${RATE}: ${minGap.toFixed(1)} ms` +
      // The stand-in shares the machine: other processes delay its stamps and bunch arrivals.
      (load === undefined ? '' : `; load average ${load.toFixed(2)} before the run`),
  );
}

/** Each run's line, then the fullest window of all of them and the median steady state. */
function reportRuns(label, runs) {
  for (const r of runs) report(label, r.starts, r.load);
  if (runs.length < 2) return;
  const rates = runs.map((r) => steadyRate(r.starts).steady);
  const wholes = runs.map((r) => steadyRate(r.starts).whole);
  const pct = (xs) => xs.map((x) => ((100 * x) / RATE).toFixed(2)).join(', ');
  console.log(
    `rate ${label}, ${runs.length} runs: fullest 1 s window at the provider ${Math.max(...runs.map((r) => maxInWindow(r.starts)))} (limit ${RATE}); ` +
      `steady state past the first ${STARTUP_MS / 1000} s, median ${((100 * median(rates)) / RATE).toFixed(2)}% of the ceiling (${pct(rates)}); whole run median ${((100 * median(wholes)) / RATE).toFixed(2)}% (${pct(wholes)})`,
  );
}

/** The ceiling with a busy loop on every core beside the send (and the bench's own server). */
export async function benchRate() {
  mkdirSync(data, { recursive: true });
  const n = Number(process.env.BENCH_SEND ?? 8000);
  // In the full run benchSend already reported the idle ceiling.
  if (only === 'rate') {
    const idle = [];
    for (let k = 0; k < REPEAT; k++) idle.push(await toolSend(n));
    reportRuns('idle', idle);
  }
  const hogs = os.cpus().map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  try {
    const hogged = [];
    for (let k = 0; k < REPEAT; k++) hogged.push(await toolSend(n));
    reportRuns(`with ${hogs.length} busy-loop processes (one per core)`, hogged);
  } finally {
    for (const h of hogs) h.kill('SIGKILL');
    await Promise.all(hogs.map((h) => (h.exitCode === null && h.signalCode === null ? once(h, 'exit') : null)));
  }
}

const only = process.argv[2];

// npm run bench lint | resume: lint of 1M and 10M rows against bare csv-parse, and resume of a
// 1M journal to its first request against the lint. Imported by bench/run.js.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, createWriteStream, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { run, startServer } from './common.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const data = path.join(root, 'bench', 'data');
const cli = path.join(root, 'bin', 'campaign.js');

/** The child prints its own CPU time and peak RSS (the whole process: every thread). */
const USAGE = `process.on('exit',()=>{const u=process.resourceUsage();process.stderr.write('\\n@@usage '+JSON.stringify({cpu:(u.userCPUTime+u.systemCPUTime)/1000,maxRSSMB:u.maxRSS/1024})+'\\n')});`;
const usageOf = (stderr) => JSON.parse(/@@usage (\{.*\})/.exec(stderr)?.[1] ?? '{"cpu":null,"maxRSSMB":null}');

/**
 * A comma-separated list (so that the floor needs no option but columns): phone, consent, two
 * variables, consent evidence. One row in ten says no; one in fifty repeats an earlier number
 * (a duplicate or, for a "no", a consent conflict). Written once: the 10M file is ~700 MB.
 */
async function makeCsv(file, rows) {
  if (existsSync(file)) return;
  const tmp = `${file}.part`;
  const ws = createWriteStream(tmp);
  ws.write('nombre,ciudad,telefono,consentimiento,consent_at,consent_source\n');
  const cities = ['Madrid', 'Sevilla', 'Valencia', 'Bilbao', 'Málaga', 'Zaragoza'];
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const n = i % 50 === 49 ? i - 17 : i;
    chunk += `Persona ${i},${cities[i % cities.length]},6${String(10_000_000 + n).padStart(8, '0')},${i % 10 === 0 ? 'no' : 'sí'},2026-01-0${(i % 9) + 1},formulario web\n`;
    if (chunk.length > 1 << 20) {
      if (!ws.write(chunk)) await once(ws, 'drain');
      chunk = '';
    }
  }
  ws.end(chunk);
  await once(ws, 'finish');
  renameSync(tmp, file);
}

const TEMPLATE = '---\ntemplate: bench\nlanguage: es\ncategory: marketing\nparams: [nombre, ciudad]\nlinks: []\n---\nHola {{nombre}}, nos vemos en {{ciudad}}.\n';

/** The floor: csv-parse streaming the file into objects, with no option but `columns: true`. */
function floorScript(csv) {
  return `${USAGE}
    import('csv-parse').then(({ parse }) => {
      let n = 0;
      require('node:fs').createReadStream(${JSON.stringify(csv)}).pipe(parse({ columns: true }))
        .on('data', () => n++).on('end', () => console.log(n));
    });`;
}

/**
 * One lint of `csv`, which has `rows` rows. Only the end of its --json output is kept (it is
 * ~200 MB at 10M rows): the summary there must count every row, so a lint that crashed, found
 * no dist/ or stopped early fails the bench instead of reporting a tiny bogus ratio.
 */
async function lintOnce(csv, tpl, rows, env = {}) {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(USAGE)}`, cli, 'lint', csv, '--template', tpl, '--default-country', 'ES', '--json'], {
    cwd: data,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let bytes = 0;
  let err = '';
  child.stdout.on('data', (d) => {
    bytes += d.length;
    tail = (tail + d).slice(-4096);
  });
  child.stderr.on('data', (d) => (err += d));
  const [code] = await once(child, 'close');
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const counted = Number(/"contacts":\s*\{\s*"rows":\s*(\d+)/.exec(tail)?.[1]);
  // Exit 1 is a lint that found errors, still a full read; anything else, or a short count, is a failure.
  if ((code !== 0 && code !== 1) || counted !== rows) {
    throw new Error(`lint of ${path.basename(csv)} did not read its ${rows} rows (exit ${code}, summary rows ${Number.isNaN(counted) ? 'missing' : counted}): ${err.slice(-500)}`);
  }
  return { ms, rss: usageOf(err).maxRSSMB, cpu: usageOf(err).cpu, bytes };
}

const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const best = (xs, k) => xs.reduce((a, b) => (b[k] < a[k] ? b : a));

export async function benchLint() {
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const big = Number(process.env.BENCH_BIG_ROWS ?? 10_000_000);
  const csv = path.join(data, `lint-${rows}.csv`);
  await makeCsv(csv, rows);
  const tpl = path.join(data, 'message.md');
  writeFileSync(tpl, TEMPLATE);

  // Floor and tool alternate, twice each; the faster of each is kept (the machine may be shared).
  const floors = [];
  const lints = [];
  for (let i = 0; i < 2; i++) {
    const f = await run(process.execPath, ['-e', floorScript(csv)], { cwd: root });
    if (f.code !== 0 || Number(f.out.trim()) !== rows) throw new Error(`the floor did not read the ${rows} rows (exit ${f.code}, printed "${f.out.trim()}"): ${f.err.slice(-300)}`);
    floors.push({ ms: f.ms, cpu: usageOf(f.err).cpu });
    lints.push(await lintOnce(csv, tpl, rows));
  }
  const floor = Math.min(...floors.map((f) => f.ms));
  const floorCpu = Math.min(...floors.map((f) => f.cpu));
  const lint = best(lints, 'ms');
  const rss = Math.max(...lints.map((l) => l.rss));
  // The other path for comparison: the worker pool forced off where the default uses it (from two
  // cores up), or forced on (one worker) on one core.
  const cores = availableParallelism();
  const otherWorkers = cores >= 2 ? 0 : 1;
  const other = await lintOnce(csv, tpl, rows, { CAMPAIGN_LINT_WORKERS: String(otherWorkers) });
  const otherLabel = otherWorkers ? `with ${otherWorkers} worker${otherWorkers === 1 ? '' : 's'} (CAMPAIGN_LINT_WORKERS=${otherWorkers})` : 'without workers';
  console.log(
    `lint ${rows.toLocaleString('en-US')} rows: ${s(lint.ms)} vs bare csv-parse ${s(floor)} → ratio ${(lint.ms / floor).toFixed(2)} (target ≤ 1.50), ` +
      `peak RSS ${rss.toFixed(0)} MB (target < 250); ${otherLabel} ${s(other.ms)} (${(other.ms / floor).toFixed(2)}), ${other.rss.toFixed(0)} MB; ` +
      `CPU time (all threads) ${s(lint.cpu)}, ${otherLabel} ${s(other.cpu)}, floor ${s(floorCpu)}`,
  );
  if (big > 0) {
    const bigCsv = path.join(data, `lint-${big}.csv`);
    await makeCsv(bigCsv, big);
    const l = await lintOnce(bigCsv, tpl, big);
    console.log(
      `lint ${big.toLocaleString('en-US')} rows: ${s(l.ms)} = ${(l.ms / lint.ms).toFixed(2)}x the ${rows.toLocaleString('en-US')}-row time (target ≤ ${((10.5 * big) / rows / 10).toFixed(1)}), ` +
        `peak RSS ${l.rss.toFixed(0)} MB = ${(l.rss / rss).toFixed(2)}x (target ≤ 1.30)`,
    );
  }
  return { lintMs: lint.ms, csv, tpl };
}

async function sha256(file) {
  const h = createHash('sha256');
  for await (const b of createReadStream(file)) h.update(b);
  return h.digest('hex');
}

/**
 * CPU time (user + system) a running child has used so far, from /proc: every thread, or with
 * `tid` one thread (the main thread's id is the pid); null elsewhere.
 */
function cpuSoFar(pid, tid) {
  try {
    const fields = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
    // utime and stime (fields 14 and 15 of the whole line) are in clock ticks, 100 a second on Linux.
    return ((Number(fields[11]) + Number(fields[12])) / 100) * 1000;
  } catch {
    return null;
  }
}

/** The journal's strict read and reduction alone (summariseJournal, on one thread), in a child: wall and CPU. */
async function journalReadAlone(journal) {
  const reader = pathToFileURL(path.join(root, 'dist', 'core', 'journal', 'reader.js')).href;
  const r = await run(process.execPath, ['--input-type=module', '-e', `${USAGE}
    const { summariseJournal } = await import(${JSON.stringify(reader)});
    const t0 = performance.now();
    const s = await summariseJournal(${JSON.stringify(journal)});
    console.log(JSON.stringify({ ms: performance.now() - t0, recipients: s.recipients }));`], { cwd: root });
  if (r.code !== 0) throw new Error(`journal read exited ${r.code}: ${r.err.slice(-300)}`);
  return { ...JSON.parse(r.out), cpu: usageOf(r.err).cpu };
}

/** One resume of `journal` until its first message request reaches the stand-in server: wall and CPU until then. */
async function resumeOnce(journal, env) {
  const srv = await startServer(5);
  const t0 = performance.now();
  const child = spawn(process.execPath, [cli, 'resume', journal, '--yes'], {
    cwd: data,
    env: { ...env, WHATSAPP_API_URL: `${srv.url}/v23.0` },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  while (srv.starts.length === 0 && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  const ms = performance.now() - t0;
  const cpu = cpuSoFar(child.pid);
  const mainCpu = cpuSoFar(child.pid, child.pid);
  child.kill('SIGKILL');
  await once(child, 'close');
  srv.server.close();
  rmSync(`${journal}.lock`, { force: true });
  return srv.starts.length ? { ms, cpu, mainCpu } : { error: err.slice(-300) };
}

/**
 * A journal for the 1M list with half its recipients done, the way send writes it: time until
 * the first request, with the journal read in a worker thread (the default for a journal this
 * size; four runs, each against a lint of its own) and once on the main thread. The journal is
 * copied before each run: a resume appends to it.
 */
export async function benchResume(lintMs, csv, tpl) {
  const journal = path.join(data, 'resume-1m.journal.jsonl');
  const pristine = `${journal}.orig`;
  // Its own user-level history: a run must not find the one before it in the repeat guard.
  const home = path.join(data, 'resume-home');
  const env = { ...process.env, NO_COLOR: '1', WHATSAPP_TOKEN: 'bench', WHATSAPP_PHONE_NUMBER_ID: '1', CAMPAIGN_HOME: home };
  const ws = createWriteStream(pristine);
  ws.write(JSON.stringify({ type: 'header', version: 1, campaign: 'bench', at: new Date().toISOString(), contacts: { path: csv, sha256: await sha256(csv) }, template: { path: tpl, sha256: await sha256(tpl) }, provider: 'cloud', options: { provider: 'cloud', defaultCountry: 'ES', rate: 1000, concurrency: 50 } }) + '\n');
  const rows = Number(process.env.BENCH_ROWS ?? 1_000_000);
  const at = new Date().toISOString();
  let chunk = '';
  // What an interrupted send writes of the list's first half, in its order: a no-consent row's
  // skip (one in ten; until the eighth round these were missing, so the resume wrote 50,000 skips
  // before its first request), nothing for a duplicate, an attempt and its answer for the rest.
  // The webhook's status lines are left out: a journal holds them only where one ran.
  for (let i = 0; i < rows / 2; i++) {
    const to = `+346${String(10_000_000 + i).padStart(8, '0')}`;
    if (i % 10 === 0) chunk += `{"type":"skipped","to":"${to}","at":"${at}","reason":"no-consent","line":${i + 2}}\n`;
    if (i % 10 === 0 || i % 50 === 49) continue;
    chunk += `{"type":"attempt","to":"${to}","at":"${at}","line":${i + 2},"n":1}\n{"type":"sent","to":"${to}","at":"${at}","id":"wamid.${i}"}\n`;
    if (chunk.length > 1 << 20) {
      if (!ws.write(chunk)) await once(ws, 'drain');
      chunk = '';
    }
  }
  ws.end(chunk);
  await once(ws, 'finish');
  // Each resume is paired with a lint of the same list just before it, and the ratio is taken per
  // pair: this machine's speed drifts by a third within minutes, so a lint timed earlier in the
  // run is no floor for a resume timed now. The journal read on the main thread runs once.
  const pairs = [];
  const resumeFresh = async (flag) => {
    copyFileSync(pristine, journal);
    rmSync(home, { recursive: true, force: true });
    return resumeOnce(journal, { ...env, CAMPAIGN_JOURNAL_WORKER: flag });
  };
  try {
    for (let i = 0; i < Number(process.env.BENCH_RESUME_PAIRS ?? 4); i++) {
      const l = await lintOnce(csv, tpl, rows);
      const r = await resumeFresh('1');
      if (r.error) return console.log(`resume: no request was made: ${r.error}`);
      pairs.push({ ...r, lintMs: l.ms, ratio: r.ms / l.ms });
    }
    const m = await resumeFresh('0');
    if (m.error) return console.log(`resume: no request was made: ${m.error}`);
    const alone = await journalReadAlone(pristine);
    const sorted = [...pairs].sort((a, b) => a.ratio - b.ratio);
    const mid = sorted[sorted.length >> 1];
    const cpu = (r) => (r.cpu === null ? '' : `, CPU ${s(r.cpu)} (main thread ${s(r.mainCpu)})`);
    console.log(
      `resume of a ${rows.toLocaleString('en-US')}-row journal (half done), each run paired with a lint just before it: ` +
        `ratios ${pairs.map((p) => p.ratio.toFixed(2)).join(', ')} → median ${mid.ratio.toFixed(2)} (target ≤ 1.20); ` +
        `that pair: first request after ${s(mid.ms)}${cpu(mid)} vs lint ${s(mid.lintMs)}; ` +
        `journal read on the main thread (CAMPAIGN_JOURNAL_WORKER=0) ${s(m.ms)}${cpu(m)} (${(m.ms / lintMs).toFixed(2)} of the first lint); ` +
        `the journal's read alone ${s(alone.ms)}, CPU ${s(alone.cpu)} (${alone.recipients.toLocaleString('en-US')} recipients)`,
    );
  } finally {
    rmSync(journal, { force: true });
    rmSync(pristine, { force: true });
    rmSync(`${journal}.lock`, { force: true });
    rmSync(home, { recursive: true, force: true });
  }
}

// What the bench sections share: running a child and a stand-in Cloud API server in this process.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';

/** Runs a child; `countOnly` counts stdout's bytes instead of keeping them (lint --json of 10M rows is ~100 MB). */
export function run(cmd, args, opts = {}, { countOnly = false, onChild } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    onChild?.(child);
    let out = '';
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (d) => {
      bytes += d.length;
      if (!countOnly) out += d;
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, bytes, err, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
  });
}

/** A Cloud-API-compatible server answering after `latency` ms; records when each message request arrives. */
export async function startServer(latency) {
  const starts = [];
  const server = http.createServer((req, res) => {
    // Messages only: the send's health read (a GET of the number) is no message and no start.
    if (req.method === 'POST' && req.url.endsWith('/messages')) starts.push(performance.now());
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

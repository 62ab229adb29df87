import { recordedHealthLine } from '../campaign/health.js';
import type { Report } from './build.js';

/**
 * The report as one self-contained HTML page: inline CSS, inline SVG charts, no script, no
 * external resource of any kind (a Content-Security-Policy forbids them too), so it can be
 * mailed or opened offline. Every string that came from the journal is escaped.
 */
export interface HtmlOptions {
  /** Locale for numbers (thousands separators); default en-US. */
  locale?: string;
  /** Shown in the footer; defaults to now. */
  generatedAt?: Date;
  /** Shown in the footer, e.g. the journal's path. */
  source?: string;
}

const COLORS = {
  selected: '#475569',
  sent: '#2563eb',
  delivered: '#0d9488',
  read: '#16a34a',
  failed: '#dc2626',
  opted_out: '#d97706',
  uncertain: '#7c3aed',
  skipped: '#94a3b8',
  pending: '#cbd5e1',
};

export function esc(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function renderHtml(report: Report, opts: HtmlOptions = {}): string {
  const nf = new Intl.NumberFormat(opts.locale ?? 'en-US');
  const num = (n: number) => nf.format(n);
  const pct = (part: number, whole: number) =>
    whole > 0 ? `${new Intl.NumberFormat(opts.locale ?? 'en-US', { maximumFractionDigits: 1 }).format((part / whole) * 100)}%` : '–';
  const tz = report.tz ?? 'UTC';
  const when = (iso: string | null) => (iso ? formatTime(iso, tz) : '–');
  const title = report.campaign ? `Campaign ${report.campaign}` : 'Campaign report';

  const kpis: { key: keyof typeof COLORS; label: string; value: number; note: string }[] = [
    { key: 'selected', label: 'Selected', value: report.selected, note: 'recipients in the campaign' },
    { key: 'sent', label: 'Sent', value: report.sent, note: `${pct(report.sent, report.selected)} of selected` },
    { key: 'delivered', label: 'Delivered', value: report.delivered, note: `${pct(report.delivered, report.sent)} of sent` },
    { key: 'read', label: 'Read', value: report.read, note: `${pct(report.read, report.delivered)} of delivered` },
    { key: 'failed', label: 'Failed', value: report.failed, note: report.failed_retryable > 0 ? `${num(report.failed_retryable)} can be retried by resume` : `${pct(report.failed, report.selected)} of selected` },
    { key: 'opted_out', label: 'Opted out', value: report.opted_out, note: 'never message them again' },
    { key: 'uncertain', label: 'Uncertain', value: report.uncertain, note: 'sent or not: outcome unknown' },
    { key: 'skipped', label: 'Skipped', value: report.skipped, note: report.pending > 0 ? `${num(report.pending)} not reached yet` : 'not sent, by rule' },
  ];

  const banner = report.halt
    ? `<section class="banner" role="alert">
  <div class="banner-icon" aria-hidden="true">!</div>
  <div><h2>Campaign halted${report.halt_code ? ` <span class="code">${esc(report.halt_code)}</span>` : ''}</h2>
  <p class="reason">${esc(report.halt)}</p>
  <p>Sending stopped to protect the account. Fix the cause, then continue with <code>campaign resume</code>: nobody who was already sent to gets the message twice.</p></div>
</section>`
    : report.pending === 0 && report.uncertain === 0 && report.selected > 0
      ? `<section class="banner ok"><div class="banner-icon" aria-hidden="true">✓</div><div><h2>Campaign finished</h2><p>Every selected recipient has an outcome.</p></div></section>`
      : '';

  const uncertainNote = report.uncertain > 0
    ? `<p class="note"><strong>${num(report.uncertain)} uncertain:</strong> a request went out but no answer was recorded (a crash or a timeout). They are not sent again unless you resume with <code>--resend-uncertain</code>; check the provider's logs first.</p>`
    : '';

  const failuresTable = report.failures.length === 0
    ? '<p class="empty">No failures.</p>'
    : `<table class="failures fixed">
<colgroup><col style="width:15%"><col style="width:11%"><col style="width:8%"><col style="width:33%"><col style="width:33%"></colgroup>
<thead><tr><th>Code</th><th class="n">Recipients</th><th class="n">Share</th><th>Meaning</th><th>What to do</th></tr></thead>
<tbody>
${report.failures.map((f) => `<tr><td><span class="code">${esc(f.code)}</span></td><td class="n">${num(f.count)}</td><td class="n">${pct(f.count, report.failed)}</td><td>${esc(f.meaning)}</td><td>${esc(f.action)}</td></tr>`).join('\n')}
</tbody></table>`;

  const skips = report.skip_reasons.length === 0
    ? ''
    : `<section class="card"><h2>Skipped, by reason</h2><table class="failures"><thead><tr><th>Reason</th><th class="n">Recipients</th></tr></thead><tbody>
${report.skip_reasons.map((s) => `<tr><td>${esc(s.reason)}</td><td class="n">${num(s.count)}</td></tr>`).join('\n')}
</tbody></table></section>`;

  const halts = report.halts.length > 1 || (report.halts.length === 1 && !report.halt)
    ? `<section class="card"><h2>Halts</h2><table class="failures"><thead><tr><th>When</th><th>Code</th><th>Reason</th></tr></thead><tbody>
${report.halts.map((h) => `<tr><td>${esc(when(h.at))}</td><td>${h.code ? `<span class="code">${esc(h.code)}</span>` : ''}</td><td>${esc(h.reason)}</td></tr>`).join('\n')}
</tbody></table></section>`
    : '';

  const VERDICT: Record<string, string> = { ok: 'healthy: next wave sent', blind: 'not judged (no callbacks): went on with --ramp-blind', halt: 'halted (ramp-health)', unjudged: 'not judged (no callbacks): stopped', 'dry-run': 'dry run' };
  const waves = report.waves.length === 0
    ? ''
    : `<section class="card"><h2>Canary waves</h2><p class="hint">Each wave was sent, watched and judged before the next (<code>--ramp</code>); figures are over the wave's recipients, counted now.</p><table class="failures"><thead><tr><th>Wave</th><th>Started</th><th class="n">Recipients</th><th class="n">Delivered</th><th class="n">Failed</th><th class="n">Opted out</th><th>Verdict</th></tr></thead><tbody>
${report.waves.map((w) => `<tr><td>${w.n}</td><td>${esc(when(w.started))}</td><td class="n">${num(w.size)}</td><td class="n">${num(w.delivered)}</td><td class="n">${num(w.failed)}</td><td class="n">${num(w.opted_out)}</td><td>${esc(w.verdict ? (VERDICT[w.verdict] ?? w.verdict) : w.judged ? '' : 'not judged (last wave, or still running)')}${w.detail && w.verdict && w.verdict !== 'ok' ? `<br><span class="muted">${esc(w.detail)}</span>` : ''}</td></tr>`).join('\n')}
</tbody></table></section>`;

  const generated = (opts.generatedAt ?? new Date()).toISOString();

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} · report</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header class="top">
  <p class="overline">WhatsApp campaign report</p>
  <h1>${esc(title)}</h1>
  <dl class="meta">
    <div><dt>Provider</dt><dd><span class="pill">${esc(report.provider ?? 'unknown')}</span></dd></div>
    ${report.header ? `<div><dt>Header</dt><dd>${esc(report.header.kind)}${report.header.media ? ` · <code>${esc(report.header.media)}</code>` : ''}</dd></div>` : ''}
    <div><dt>Started</dt><dd>${esc(when(report.started))}</dd></div>
    <div><dt>Last event</dt><dd>${esc(when(report.ended))}</dd></div>
    <div><dt>Duration</dt><dd>${esc(duration(report.started, report.ended))}</dd></div>
    <div><dt>Time zone</dt><dd>${esc(tz)}</dd></div>
    ${report.health ? `<div><dt>Sender</dt><dd>${esc(recordedHealthLine(report.health))}</dd></div>` : ''}
  </dl>
</header>
${banner}
<section class="kpis" aria-label="Totals">
${kpis.map((k) => `<div class="kpi" style="--c:${COLORS[k.key]}"><div class="label">${k.label}</div><div class="value">${num(k.value)}</div><div class="sub">${esc(k.note)}</div></div>`).join('\n')}
</section>
${uncertainNote}
<div class="grid">
<section class="card"><h2>Funnel</h2><p class="hint">Recipients at each step, as a share of those selected.</p>
${funnelSvg(report, num, pct)}
</section>
<section class="card"><h2>Sending over time</h2><p class="hint">Messages accepted by the provider${report.failed > 0 ? ' (and failures, in red)' : ''}, ${esc(tz)} time.</p>
${timelineSvg(report, tz, num)}
</section>
</div>
<section class="card"><h2>Failures</h2><p class="hint">Recipients whose final outcome is a failure, by provider error code.</p>
${failuresTable}
</section>
${waves}
${skips}
${halts}
<footer>Generated by <strong>campaign</strong> on ${esc(formatTime(generated, tz))}${opts.source ? ` from <code>${esc(opts.source)}</code>` : ''}. Sent = accepted by the provider; delivered and read come from provider callbacks (<code>campaign webhook</code>), read only when the person has read receipts on.${report.unreadable_lines > 0 ? ` ${num(report.unreadable_lines)} unreadable journal line(s) were ignored.` : ''}</footer>
</main>
</body>
</html>
`;
}

function funnelSvg(r: Report, num: (n: number) => string, pct: (a: number, b: number) => string): string {
  const rows: { label: string; value: number; color: string; gapBefore?: boolean; base: number; baseLabel: string }[] = [
    { label: 'Selected', value: r.selected, color: COLORS.selected, base: r.selected, baseLabel: '' },
    { label: 'Sent', value: r.sent, color: COLORS.sent, base: r.selected, baseLabel: '' },
    { label: 'Delivered', value: r.delivered, color: COLORS.delivered, base: r.selected, baseLabel: '' },
    { label: 'Read', value: r.read, color: COLORS.read, base: r.selected, baseLabel: '' },
    { label: 'Failed', value: r.failed, color: COLORS.failed, gapBefore: true, base: r.selected, baseLabel: '' },
    { label: 'Opted out', value: r.opted_out, color: COLORS.opted_out, base: r.selected, baseLabel: '' },
  ];
  if (r.uncertain > 0) rows.push({ label: 'Uncertain', value: r.uncertain, color: COLORS.uncertain, base: r.selected, baseLabel: '' });
  if (r.skipped > 0) rows.push({ label: 'Skipped', value: r.skipped, color: COLORS.skipped, base: r.selected, baseLabel: '' });
  if (r.pending > 0) rows.push({ label: 'Not reached', value: r.pending, color: COLORS.pending, base: r.selected, baseLabel: '' });

  const W = 560, labelW = 96, valueW = 120, barH = 26, gap = 10, sep = 18;
  const barMax = W - labelW - valueW;
  const max = Math.max(r.selected, ...rows.map((x) => x.value), 1);
  let y = 4;
  const parts: string[] = [];
  for (const row of rows) {
    if (row.gapBefore) {
      y += sep / 2;
      parts.push(`<line x1="0" x2="${W}" y1="${y - gap / 2}" y2="${y - gap / 2}" stroke="#e2e8f0" stroke-dasharray="4 4"/>`);
      y += sep / 2;
    }
    const w = row.value > 0 ? Math.max(3, (row.value / max) * barMax) : 0;
    parts.push(
      `<g><text x="0" y="${y + barH / 2}" dominant-baseline="central" class="lbl">${esc(row.label)}</text>` +
        `<rect x="${labelW}" y="${y}" width="${barMax}" height="${barH}" rx="5" fill="#f1f5f9"/>` +
        (w > 0 ? `<rect x="${labelW}" y="${y}" width="${w.toFixed(1)}" height="${barH}" rx="5" fill="${row.color}"/>` : '') +
        `<text x="${labelW + barMax + 10}" y="${y + barH / 2}" dominant-baseline="central" class="val">${num(row.value)}` +
        `<tspan class="pc" dx="8">${row.label === 'Selected' ? '' : pct(row.value, r.selected)}</tspan></text></g>`,
    );
    y += barH + gap;
  }
  const H = y;
  return `<svg class="chart funnel" viewBox="0 0 ${W} ${H}" width="100%" height="${H}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="Funnel: selected, sent, delivered, read, failed, opted out"><title>Funnel</title>${parts.join('')}</svg>`;
}

const STEPS_MIN = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440];
const MAX_BARS = 120;

function timelineSvg(r: Report, tz: string, num: (n: number) => string): string {
  const W = 560, H = 260, left = 48, right = 12, top = 14, bottom = 40;
  const plotW = W - left - right, plotH = H - top - bottom;
  const points = r.timeline
    .map((p) => ({ ms: Date.parse(p.minute), sent: p.sent, failed: p.failed }))
    .filter((p) => Number.isFinite(p.ms));
  if (points.length === 0) {
    return `<svg class="chart timeline" viewBox="0 0 ${W} ${H}" width="100%" height="${H}" role="img" aria-label="No sends yet"><title>Sends per minute</title>` +
      `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="#f8fafc" stroke="#e2e8f0"/>` +
      `<text x="${left + plotW / 2}" y="${top + plotH / 2}" text-anchor="middle" class="muted">No messages sent yet</text></svg>`;
  }
  const firstMs = points[0].ms;
  const lastMs = points[points.length - 1].ms;
  const spanMin = Math.round((lastMs - firstMs) / 60_000) + 1;
  const step = STEPS_MIN.find((s) => Math.ceil(spanMin / s) <= MAX_BARS) ?? Math.ceil(spanMin / MAX_BARS);
  const stepMs = step * 60_000;
  const MIN_BARS = 12;
  const used = Math.floor((lastMs - Math.floor(firstMs / stepMs) * stepMs) / stepMs) + 1;
  // A short run still gets a readable axis: pad to a dozen slots, the activity in the middle.
  const pad = used < MIN_BARS ? Math.floor((MIN_BARS - used) / 2) : 0;
  const start = Math.floor(firstMs / stepMs) * stepMs - pad * stepMs;
  const n = Math.max(used + pad, MIN_BARS);
  const buckets = Array.from({ length: n }, (_, i) => ({ ms: start + i * stepMs, sent: 0, failed: 0 }));
  for (const p of points) {
    const b = buckets[Math.floor((p.ms - start) / stepMs)];
    b.sent += p.sent;
    b.failed += p.failed;
  }
  const peak = Math.max(1, ...buckets.map((b) => b.sent + b.failed));
  const yMax = niceCeil(peak);
  const ticks = 4;
  const unit = step === 1 ? 'per minute' : step < 60 ? `per ${step} min` : step % 1440 === 0 ? `per ${step / 1440} day` : `per ${step / 60} h`;
  const slot = plotW / n;
  const barW = Math.min(28, Math.max(1, slot * 0.78));
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const parts: string[] = [];
  for (let i = 0; i <= ticks; i++) {
    const v = (yMax / ticks) * i;
    const yy = y(v);
    parts.push(`<line x1="${left}" x2="${W - right}" y1="${yy.toFixed(1)}" y2="${yy.toFixed(1)}" stroke="${i === 0 ? '#94a3b8' : '#e2e8f0'}"/>`);
    parts.push(`<text x="${left - 6}" y="${yy.toFixed(1)}" text-anchor="end" dominant-baseline="central" class="axis">${num(Math.round(v))}</text>`);
  }
  buckets.forEach((b, i) => {
    const x = left + i * slot + (slot - barW) / 2;
    if (b.sent > 0) {
      parts.push(`<rect x="${x.toFixed(2)}" y="${y(b.sent).toFixed(2)}" width="${barW.toFixed(2)}" height="${(plotH - (y(b.sent) - top)).toFixed(2)}" fill="${COLORS.sent}" rx="${Math.min(2, barW / 4).toFixed(2)}"><title>${esc(formatClock(b.ms, tz, true))}: ${num(b.sent)} sent</title></rect>`);
    }
    if (b.failed > 0) {
      const y0 = y(b.sent + b.failed);
      parts.push(`<rect x="${x.toFixed(2)}" y="${y0.toFixed(2)}" width="${barW.toFixed(2)}" height="${(y(b.sent) - y0).toFixed(2)}" fill="${COLORS.failed}"><title>${esc(formatClock(b.ms, tz, true))}: ${num(b.failed)} failed</title></rect>`);
    }
  });
  // The waves on the timeline: a dashed line where each started, marked with its verdict.
  for (const w of r.waves) {
    const ms = w.started ? Date.parse(w.started) : NaN;
    if (!Number.isFinite(ms)) continue;
    const x = left + ((ms - start) / stepMs) * slot;
    if (x < left || x > W - right) continue;
    const colour = w.verdict === 'halt' || w.verdict === 'unjudged' ? COLORS.failed : '#64748b';
    parts.push(`<line class="wave" x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top}" y2="${top + plotH}" stroke="${colour}" stroke-dasharray="4 3"><title>wave ${w.n}: ${esc(w.verdict ?? 'not judged')}</title></line>`);
    parts.push(`<text x="${(x + 3).toFixed(1)}" y="${top + 10}" class="axis">wave ${w.n}${w.verdict === 'halt' ? ' · halt' : ''}</text>`);
  }
  const multiDay = dayKey(start, tz) !== dayKey(start + (n - 1) * stepMs, tz);
  const labelEvery = Math.max(1, Math.ceil(n / 6));
  for (let i = 0; i < n; i += labelEvery) {
    const x = left + i * slot + slot / 2;
    parts.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${top + plotH}" y2="${top + plotH + 4}" stroke="#94a3b8"/>`);
    parts.push(`<text x="${x.toFixed(1)}" y="${top + plotH + 16}" text-anchor="middle" class="axis">${esc(formatClock(buckets[i].ms, tz, multiDay))}</text>`);
  }
  parts.push(`<text x="${left}" y="${H - 4}" class="axis">messages ${esc(unit)} · peak ${num(peak)}</text>`);
  parts.push(`<text x="${W - right}" y="${H - 4}" text-anchor="end" class="axis">${esc(tz)}</text>`);
  return `<svg class="chart timeline" viewBox="0 0 ${W} ${H}" width="100%" height="${H}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="Messages sent ${esc(unit)}"><title>Sends ${esc(unit)}</title>${parts.join('')}</svg>`;
}

function niceCeil(v: number): number {
  const raw = Math.max(1, v / 4);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((c) => c >= raw && Number.isInteger(c)) ?? Math.ceil(raw);
  return step * 4;
}

function formatTime(iso: string, tz: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat('en-GB', { timeZone: tz, day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(d);
}

function formatClock(ms: number, tz: string, withDay: boolean): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    ...(withDay ? { day: 'numeric', month: 'short' } : {}),
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(new Date(ms));
}

function dayKey(ms: number, tz: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
}

function duration(a: string | null, b: string | null): string {
  if (!a || !b) return '–';
  const s = Math.max(0, Math.round((Date.parse(b) - Date.parse(a)) / 1000));
  if (!Number.isFinite(s)) return '–';
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  if (d > 0) return `${d} d ${h} h ${m} min`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${sec} s`;
  return `${sec} s`;
}

const CSS = `
:root{--bg:#f4f6f9;--card:#fff;--ink:#0f172a;--muted:#526071;--line:#e2e8f0;--accent:#2563eb}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;font-variant-numeric:tabular-nums}
main{max-width:1160px;margin:0 auto;padding:32px 28px 48px}
h1{font-size:30px;line-height:1.2;margin:2px 0 14px;letter-spacing:-.01em;word-break:break-word}
h2{font-size:18px;margin:0 0 4px}
code{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f7;padding:1px 5px;border-radius:4px}
.overline{margin:0;text-transform:uppercase;letter-spacing:.08em;font-size:12px;font-weight:600;color:var(--muted)}
.meta{display:flex;flex-wrap:wrap;gap:8px 28px;margin:0}
.meta div{min-width:0}
.meta dt{font-size:12px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.meta dd{margin:0;font-weight:600}
.pill{display:inline-block;background:#e0e7ff;color:#3730a3;border-radius:999px;padding:0 10px;font-size:14px}
.banner{display:flex;gap:16px;align-items:flex-start;margin:24px 0 0;padding:18px 20px;border-radius:12px;background:#fef2f2;border:2px solid #dc2626;color:#7f1d1d}
.banner h2{font-size:20px;color:#991b1b}
.banner p{margin:4px 0 0}
.banner .reason{font-size:18px;font-weight:600;color:#450a0a;word-break:break-word}
.banner-icon{flex:none;width:36px;height:36px;border-radius:50%;background:#dc2626;color:#fff;font-weight:800;font-size:22px;display:flex;align-items:center;justify-content:center}
.banner.ok{background:#f0fdf4;border-color:#16a34a;color:#14532d}
.banner.ok h2{color:#14532d}
.banner.ok .banner-icon{background:#16a34a;font-size:18px}
.kpis{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:14px;margin:24px 0 0}
.kpi{background:var(--card);border-radius:12px;padding:14px 16px 14px 18px;box-shadow:0 1px 2px rgba(15,23,42,.06);border-left:5px solid var(--c)}
.kpi .label{font-size:13px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.05em}
.kpi .value{font-size:32px;font-weight:700;line-height:1.15;margin-top:2px}
.kpi .sub{font-size:13px;color:var(--muted)}
.note{margin:16px 0 0;padding:12px 16px;background:#f5f3ff;border:1px solid #ddd6fe;border-radius:10px;color:#3b0764}
.grid{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:14px;margin-top:14px}
.card{background:var(--card);border-radius:12px;padding:18px 20px 20px;box-shadow:0 1px 2px rgba(15,23,42,.06);margin-top:14px;min-width:0}
.grid .card{margin-top:0}
.hint{margin:0 0 14px;color:var(--muted);font-size:14px}
.chart{display:block;max-width:100%;overflow:visible}
.chart text{font-family:inherit;fill:var(--ink)}
.chart .lbl{font-size:14px;font-weight:600}
.chart .val{font-size:14px;font-weight:700}
.chart .pc{font-weight:400;fill:var(--muted)}
.chart .axis{font-size:12px;fill:var(--muted)}
.chart .muted{font-size:14px;fill:var(--muted)}
table.failures{width:100%;border-collapse:collapse;font-size:15px}
.failures th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);border-bottom:2px solid var(--line);padding:8px 10px}
.failures td{border-bottom:1px solid var(--line);padding:10px;vertical-align:top;word-break:break-word}
.failures tr:last-child td{border-bottom:0}
.failures .n{text-align:right;white-space:nowrap}
table.fixed{table-layout:fixed}
.fixed .code{white-space:normal;word-break:break-all;display:inline-block;max-width:100%}
.code{font:600 13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#fee2e2;color:#991b1b;padding:2px 7px;border-radius:5px;white-space:nowrap}
.empty{margin:0;color:#166534;font-weight:600}
footer{margin-top:28px;font-size:13px;color:var(--muted)}
@media (max-width:860px){.kpis{grid-template-columns:repeat(2,minmax(0,1fr))}.grid{grid-template-columns:1fr}main{padding:20px 14px}}
@media print{body{background:#fff}.card,.kpi{box-shadow:none;border:1px solid var(--line)}}
`;

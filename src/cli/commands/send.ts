import path from 'node:path';
import { existsSync } from 'node:fs';
import type { Ora } from 'ora';
import type { ChalkInstance } from 'chalk';
import { planSend, runSend as runCampaign, type SendPlan, type PlanRequest, type RunResult } from '../../core/campaign/send.js';
import type { CampaignOptions } from '../../core/config/load.js';
import type { DispatchEvent } from '../../core/dispatch/dispatcher.js';
import { figuresText, parseRamp, rampTargets, type WaveProgress } from '../../core/campaign/ramp.js';
import { InputError, UsageError } from '../../core/errors.js';
import { readJournalHeader, standingHalt, summariseJournal } from '../../core/journal/reader.js';
import { meaningOf, type ProviderName } from '../../core/providers/index.js';
import { healthEvent, healthJson, healthLine, tierNote } from '../../core/campaign/health.js';
import { ruleFix } from '../../core/lint/rules-catalog.js';
import { count, colourFor, FindingCollector, formatFindings, plural, shown } from '../output.js';
import { confirm } from '../prompt.js';
import { EXIT, signalExit, STOP_SIGNALS, type StopSignal } from '../exit-codes.js';
import type { CommandOptions } from '../options.js';
import { display, pickCampaignOptions, resolveOptions } from './shared.js';

const BUCKET_LABEL: Record<string, string> = {
  no_consent: 'no consent',
  invalid_phone: 'invalid phone',
  duplicate: 'duplicate',
  suppressed: 'suppressed (opt-out list)',
  filtered_out: 'filtered out by --where',
  missing_variable: 'missing variable / too long',
  recent: 'messaged recently (--min-interval)',
  already: 'already got this template from this sender (--repeat-after; --allow-repeat sends anyway)',
};

export async function runSend(contactsPath: string, flags: CommandOptions['send']): Promise<number> {
  const { options, env, given } = resolveOptions(flags);
  if (!existsSync(contactsPath)) {
    throw new InputError('no such file.', { file: contactsPath, hint: 'Check the path of the contacts CSV.' });
  }
  return send({ contactsPath, options, env, cwd: process.cwd(), journalPath: options.journal, given }, flags);
}

/**
 * `campaign resume <journal>`: the same send, with the contacts, template and options its header
 * recorded in place of campaign.yaml; the flags resume takes (pace and steering, never the
 * selection: src/cli/options.ts) override those.
 */
export async function runResume(journalPath: string, flags: CommandOptions['resume']): Promise<number> {
  if (!existsSync(journalPath)) throw new InputError('no such journal.', { file: journalPath, hint: 'Give the .jsonl file that `campaign send` wrote.' });
  const h = await readJournalHeader(journalPath);
  const header = h.options as Record<string, unknown>;
  if (!existsSync(h.contacts.path)) {
    throw new InputError(`the contacts file this journal was started with is gone: ${h.contacts.path}.`, {
      file: journalPath,
      line: 1,
      hint: `Put it back, or point a send at its new place with this journal: campaign send NEW.csv --journal ${journalPath} (a new journal would message everyone again).`,
    });
  }
  // The campaign's own folder holds its opt-outs, history and .env, wherever resume is run from.
  const workdir = typeof header.workdir === 'string' && existsSync(header.workdir) ? header.workdir : process.cwd();
  const journal = path.resolve(journalPath);
  const recorded = { ...pickCampaignOptions(header), template: h.template?.path, provider: h.provider as CampaignOptions['provider'], journal };
  const { options, env, given } = resolveOptions(flags, workdir, recorded);
  return send({ contactsPath: h.contacts.path, options, env, cwd: workdir, journalPath: journal, given }, flags);
}

async function send(req: Omit<PlanRequest, 'onFinding'>, flags: { json?: boolean; color?: boolean }): Promise<number> {
  const json = Boolean(flags.json);
  const c = colourFor(process.stderr, process.env, flags.color === false);
  const err = (line = '') => process.stderr.write(`${line}\n`);
  const o = req.options;
  const collector = new FindingCollector(false);
  // The first repeat-guard skip, to name the earlier campaign in the summary.
  let repeat: string | undefined;
  const full: PlanRequest = {
    ...req,
    onFinding: (f) => {
      if (f.rule === 'already-messaged') repeat ??= f.message;
      collector.add(f);
    },
  };

  const plan = await planSend(full);
  if (plan.templateErrors > 0) {
    err(formatFindings(collector, c, ruleFix).join('\n'));
    throw new InputError(`the template has ${plural(plan.templateErrors, 'error')}; nothing was sent.`, {
      file: display(plan.template!.path),
      hint: `Fix them (see \`campaign lint ${display(req.contactsPath)}\`) and send again.`,
    });
  }

  printSummary(plan, o, c, collector, err);
  if (plan.storeWarning) err(c.yellow(`Warning: ${plan.storeWarning}`));
  if (repeat) err(c.dim(`  e.g.       ${repeat}`));

  if (plan.changed.length) {
    for (const line of plan.changed) err(c.yellow(`Changed: ${line}.`));
    err('Numbers already settled in the journal are not messaged again, even if their row changed; rows with numbers not yet settled are.');
  }

  if (o.dryRun) {
    // The real send pass with a recording provider on simulated time (core/campaign/send.ts).
    const r = await runCampaign(full, plan, new AbortController().signal);
    const { file, messages } = r.dryRun!;
    err(`Dry run: ${plural(messages, 'message')} rendered into ${display(file)}; no request was made.`);
    if (r.paused) err(c.yellow(`The send would pause there (${r.paused.reason}) until ${r.paused.until.toLocaleString()}; the rest would go on with campaign resume.`));
    if (json) process.stdout.write(`${JSON.stringify({ dryRun: true, plan: file, messages, contacts: plan.counts, health: plan.health ? healthJson(healthEvent(plan.health, new Date().toISOString())) : null, ...(r.paused ? { paused: { reason: r.paused.reason, until: r.paused.until.toISOString() } } : {}) })}\n`);
    return EXIT.OK;
  }

  if (plan.toSend === 0) {
    err(plan.existing ? c.green('Nothing left to send: every selected recipient already has an outcome in the journal.') : 'Nothing to send.');
    return finish(await summariseJournalIfAny(plan.journalPath), json, c, err, undefined, plan.journalPath);
  }

  if (!o.yes) {
    if (!process.stdin.isTTY) {
      throw new UsageError('refusing to send without confirmation: there is no terminal to ask in.', {
        hint: 'Pass --yes to send without asking (or --dry-run to see what would be sent).',
      });
    }
    const question = plan.changed.length
      ? `The inputs changed since this journal was started. Send ${plural(plan.toSend, 'message')} anyway?`
      : `Send ${plural(plan.toSend, 'message')} through ${o.provider}?`;
    if (!(await confirm(question))) {
      err('Nothing sent.');
      return EXIT.OK;
    }
  }

  const controller = new AbortController();
  let interrupts = 0;
  let stoppedBy: StopSignal | undefined;
  let force: (() => void) | undefined;
  // ora re-emits Ctrl-C as process.emit('SIGINT') without the signal name.
  const onSignal = (sig: StopSignal = 'SIGINT') => {
    interrupts++;
    if (sig === 'SIGHUP') {
      // The terminal is gone: writing to it now fails (EIO), which must not end the drain.
      for (const stream of [process.stderr, process.stdout]) stream.on('error', () => undefined);
    }
    if (interrupts === 1) {
      stoppedBy = sig;
      progress?.stop();
      const who = sig === 'SIGINT' ? 'Ctrl-C' : sig === 'SIGHUP' ? 'SIGHUP (the terminal closed)' : sig;
      err(c.yellow(`\n${who}: stopping; waiting for the requests in flight.${sig === 'SIGINT' ? ' Press Ctrl-C again to force.' : ''}`));
      controller.abort(new Error('interrupted'));
    } else if (sig === 'SIGINT' || sig === stoppedBy) {
      // Forced: drop the requests in flight (they become uncertain) but still flush the journal,
      // so that no outcome already known is lost. A hung flush gets 3 s.
      err('Forcing: dropping the requests in flight; their outcome will be reported as uncertain.');
      force?.();
      setTimeout(() => process.exit(signalExit(stoppedBy ?? sig)), 3000).unref();
    }
  };
  const handlers = (Object.keys(STOP_SIGNALS) as StopSignal[]).map((sig) => [sig, () => onSignal(sig)] as const);
  // ora's re-emitted Ctrl-C carries no name: the SIGINT handler takes it as SIGINT.
  for (const [sig, handler] of handlers) process.on(sig, handler);

  let progress: Progress | undefined;
  let result: RunResult;
  // ora only draws on a terminal; elsewhere it is not even loaded.
  const oraModule = process.stderr.isTTY && !json ? (await import('ora')).default : undefined;
  // This run's canary waves, their last figures and verdict, for --json.
  const waves = new Map<number, WaveProgress>();
  try {
    result = await runCampaign(full, plan, controller.signal, {
      onNotice: (line) => err(c.yellow(line)),
      onStart: ({ provider, total, outbox, force: f }) => {
        force = f;
        if (outbox) err(c.cyan(`Sandbox: nothing leaves this machine. Messages are written to ${display(outbox)}.`));
        progress = new Progress(total, provider, c, json, oraModule);
      },
      onEvent: (e) => progress?.event(e),
      onWave: (w) => {
        waves.set(w.n, w);
        progress?.wave(w);
      },
    });
  } finally {
    progress?.stop();
    for (const [sig, handler] of handlers) process.off(sig, handler);
  }

  const summary = await summariseJournal(plan.journalPath);
  if (result.interrupted) {
    err(c.yellow(`Interrupted. The journal is complete up to here; continue with: campaign resume ${display(plan.journalPath)}`));
    finish(summary, json, c, err, result, undefined, waves);
    return signalExit(stoppedBy ?? 'SIGINT');
  }
  const code = finish(summary, json, c, err, result, undefined, waves);
  if (result.ramp) {
    const resume = `campaign resume ${display(plan.journalPath)}`;
    if (result.ramp.reason === 'ramp-blind') {
      err(c.red.bold(`Stopped: ${result.ramp.detail}.`));
      err(`Is \`campaign webhook\` running, and is it the callback URL at the provider? Then ${resume} judges the wave with the callbacks that arrived; or ${resume} --ramp-blind goes on without them.`);
    } else {
      err(c.red.bold(`Halted for the account's safety (ramp-health): ${result.ramp.detail}.`));
      err(`The next wave was not sent. Review the wave (campaign report ${display(plan.journalPath)}); ${resume} judges it again with the callbacks then, so to go on anyway raise the threshold it crossed for that run (${resume} ${/--ramp-[a-z-]+/.exec(result.ramp.detail)?.[0] ?? '--ramp-max-optouts'} N%) or send the rest at once with --ramp all.`);
    }
    return EXIT.FAILURES;
  }
  if (result.halted) {
    err(c.red.bold(`Halted for the account's safety: ${result.halted.reason}${result.halted.code ? ` (code ${result.halted.code}: ${meaningOf(o.provider as ProviderName, result.halted.code)})` : ''}.`));
    err(`Fix the cause, then continue with: campaign resume ${display(plan.journalPath)}`);
    return EXIT.FAILURES;
  }
  if (result.paused) {
    err(c.yellow(`Paused (${result.paused.reason}) until ${result.paused.until.toLocaleString()}; continue then with: campaign resume ${display(plan.journalPath)}`));
    return EXIT.FAILURES;
  }
  return code;
}

/** The wave plan in words: `500, 4,500, then the rest (25,000)` (cumulative steps over the sendable recipients). */
function waveSizes(ramp: string, base: number, reached: number): string {
  const targets = rampTargets(parseRamp(ramp), base);
  const sizes: string[] = [];
  let prev = 0;
  for (const t of targets) {
    sizes.push(t === Infinity ? `then the rest (${count(Math.max(0, base - prev))})` : count(t - prev));
    prev = t;
  }
  return `${plural(targets.length, 'wave')}: ${sizes.join(', ')}${reached ? ` (${count(reached)} already messaged)` : ''}`;
}

async function summariseJournalIfAny(file: string) {
  return existsSync(file) ? summariseJournal(file) : undefined;
}

function printSummary(plan: SendPlan, given: CampaignOptions, c: ChalkInstance, collector: FindingCollector, err: (l?: string) => void): void {
  // The pace the run will have: the health read may halve the rate and set the 24 h limit.
  const o = plan.health ? { ...given, ...plan.health.options } : given;
  const k = plan.counts;
  err(c.bold(`Campaign ${plan.campaign}`));
  err(`  contacts   ${plural(k.rows, 'row')}, ${count(k.sendable)} sendable`);
  for (const [bucket, n] of Object.entries(plan.skippedByReason)) if (n) err(`  skipped    ${count(n)} ${BUCKET_LABEL[bucket] ?? bucket}`);
  if (o.allowRepeat) err(c.yellow(`  repeat     --allow-repeat: recipients who already got this template from this sender are messaged again`));
  if (plan.alreadyDone) err(`  journal    ${plural(plan.alreadyDone, 'recipient')} already done${plan.uncertain ? ` (${plan.uncertain} uncertain: not sent again without --resend-uncertain)` : ''}`);
  err(`  to send    ${c.bold(count(plan.toSend))}`);
  err(`  provider   ${o.provider}, at most ${o.rate}/s, ${o.concurrency} in flight${o.window ? `, only ${o.window}${o.tz ? ` ${o.tz}` : ''}` : ''}${o.dailyLimit ? `, ${o.dailyLimit}/24 h` : ''}`);
  const ready = plan.toSend - plan.outsideWindowNow;
  err(`  ETA        ${formatDuration(ready / o.rate)} at the ceiling${plan.outsideWindowNow ? `, and ${count(plan.outsideWindowNow)} outside their sending window now go when it opens` : ''}`);
  if (o.ramp) err(`  waves      ${waveSizes(o.ramp, plan.alreadyDone + plan.toSend, plan.alreadyDone)}`);
  if (o.ramp) err(`             each wave but the last is watched ${o.rampWait} and judged (halt above ${o.rampMaxOptouts}% opted out or ${o.rampMaxFailed}% failed, or below ${o.rampMinDelivered}% delivered)${o.rampBlind ? '; --ramp-blind: unjudged waves go on' : ''}`);
  err(`  journal    ${display(plan.journalPath)}`);
  if (plan.health) printHealth(plan, o, c, err);
  const warnings = collector.count('warning') + collector.count('error');
  if (warnings) err(c.dim(`  lint       ${plural(warnings, 'row finding')} (run campaign lint for the list)`));
  if (plan.first) {
    const t = plan.first.message.template;
    err('');
    err(c.bold(`First message (line ${plan.first.line}, ${plan.first.to}${t ? `, template ${t.name}/${t.language}` : ', plain text'}):`));
    // The message is data (names, cities from the list): shown, never interpreted by the terminal.
    const { above, below } = previewParts(plan);
    for (const line of above) err(c.dim(`  │ ${shown(line)}`));
    for (const line of plan.first.text.split('\n')) err(`  │ ${shown(line)}`);
    for (const line of below) err(c.dim(`  │ ${shown(line)}`));
  }
  err('');
}

/** The sender's health: one line, then what it changes or refuses, loudest first. */
function printHealth(plan: SendPlan, o: CampaignOptions, c: ChalkInstance, err: (l?: string) => void): void {
  const v = plan.health!;
  const bad = v.refusal ? c.red.bold : v.health.quality === 'YELLOW' || v.health.read !== 'ok' ? c.yellow : (s: string) => s;
  // The provider's own error text is data: shown, never interpreted by the terminal.
  err(`  sender     ${bad(shown(healthLine(v.health)))}`);
  if (v.refusal && o.dryRun && !v.ignored) err(c.red.bold(`  REFUSED    a real send would stop here: ${v.refusal} (--ignore-health to send anyway).`));
  for (const w of v.warnings) err(v.ignored && w.startsWith('--ignore-health') ? c.red.bold(`  WARNING    ${shown(w)}`) : c.yellow(`  warning    ${shown(w)}`));
  const over = tierNote(v, plan.toSend);
  if (over) err(c.yellow(`  limit      ${over}`));
}

/** The first message's header (above the body), footer and buttons (below), as the recipient will see them. */
export function previewParts(plan: SendPlan): { above: string[]; below: string[] } {
  const meta = plan.template?.meta;
  const sent = plan.first?.message.template;
  const above: string[] = [];
  const below: string[] = [];
  if (!meta) return { above, below };
  const h = meta.header;
  if (h?.kind === 'text') {
    const params = sent?.header?.kind === 'text' ? sent.header.params : [];
    let i = 0;
    above.push(`*${(h.text ?? '').replace(/\{\{[^{}]*\}\}/g, () => params[i++] ?? '')}*`);
  } else if (h) {
    const link = sent?.header && sent.header.kind !== 'text' ? sent.header.link : undefined;
    const source = h.file ? `${path.basename(h.file)} (local file, uploaded once)` : (link ?? h.url ?? '');
    const filename = h.kind === 'document' && h.filename ? `, shown as ${h.filename}` : '';
    above.push(`[${h.kind} header: ${source}${filename}]`);
  }
  if (meta.footer) below.push(meta.footer);
  meta.buttons?.forEach((b, index) => {
    if (b.type === 'quick_reply') below.push(`[button ${index + 1}: ${b.text}${b.optout ? ' (opt-out)' : ''}]`);
    else {
      const suffix = sent?.urlButtons?.find((u) => u.index === index)?.suffix;
      below.push(`[button ${index + 1}: link${b.text ? ` "${b.text}"` : ''}${suffix ? `, approved URL + ${suffix}` : ''}]`);
    }
  });
  return { above, below };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 1) return 'under a second';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h ? `${h} h ${m} min` : m ? `${m} min ${r} s` : `${r} s`;
}

/** The final lines: what happened, failures grouped by provider code with their meaning. */
function finish(
  summary: Awaited<ReturnType<typeof summariseJournal>> | undefined,
  json: boolean,
  c: ChalkInstance,
  err: (l?: string) => void,
  result?: RunResult,
  journalPath = result?.journalPath,
  waves?: ReadonlyMap<number, WaveProgress>,
): number {
  if (!summary) return EXIT.OK;
  const failures = [...summary.failuresByCode.entries()].sort((a, b) => b[1] - a[1]);
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        journal: journalPath,
        campaign: summary.header.campaign,
        sent: summary.sent,
        failed: summary.failed + summary.failedRetryable,
        uncertain: summary.uncertain,
        skipped: summary.skipped,
        halt: standingHalt(summary)?.reason ?? null,
        interrupted: result?.interrupted ?? false,
        health: summary.health ? healthJson(summary.health) : null,
        ...(waves?.size
          ? {
              waves: [...waves.values()].map((w) => ({
                n: w.n, of: w.of, size: w.figures.size, delivered: w.figures.delivered, failed: w.figures.failed, opted_out: w.figures.optedOut,
                verdict: w.phase === 'judged' ? (w.verdict ?? null) : null, detail: w.phase === 'judged' ? (w.detail ?? null) : null,
              })),
            }
          : {}),
        failures: failures.map(([code, count]) => ({ code, count, meaning: meaningOf(summary.header.provider as ProviderName, code) })),
      })}\n`,
    );
  }
  err(
    `${c.green(`${count(summary.sent)} sent`)}, ${summary.failed + summary.failedRetryable ? c.red(`${summary.failed + summary.failedRetryable} failed`) : '0 failed'}, ` +
      `${summary.uncertain ? c.yellow(`${summary.uncertain} uncertain`) : '0 uncertain'}, ${summary.skipped} skipped.`,
  );
  for (const [code, n] of failures.slice(0, 10)) err(`  ${String(n).padStart(6)} × ${code}: ${meaningOf(summary.header.provider as ProviderName, code)}`);
  if (summary.uncertain) err(c.yellow(`  ${summary.uncertain} with unknown outcome (the request may have reached the provider): not sent again unless you resume with --resend-uncertain.`));
  // Only a halt in this run means exit 1 (send() handles it): the journal keeps earlier runs'
  // halts forever, and a resume that settled everyone after one is the contract's exit 0.
  return summary.failed + summary.failedRetryable + summary.uncertain > 0 || Boolean(result?.halted) ? EXIT.FAILURES : EXIT.OK;
}

/** ora on a terminal; a plain line every few seconds otherwise (no spinners in CI logs). */
class Progress {
  private sent = 0;
  private failed = 0;
  private uncertain = 0;
  private rate = 0;
  private deferred = 0;
  private deferredUntil?: Date;
  private readonly started = Date.now();
  private spinner?: Ora;
  private timer?: NodeJS.Timeout;

  constructor(private readonly total: number, provider: string, private readonly c: ChalkInstance, quiet: boolean, ora?: typeof import('ora').default) {
    if (ora && !quiet) {
      this.spinner = ora({ text: this.text(), stream: process.stderr }).start();
      this.timer = setInterval(() => this.spinner && (this.spinner.text = this.text()), 200);
    } else {
      this.timer = setInterval(() => process.stderr.write(`${this.text()}\n`), 5000);
    }
    this.timer.unref();
    void provider;
  }

  event(e: DispatchEvent): void {
    this.rate = e.rate;
    this.deferred = e.deferred;
    this.deferredUntil = e.deferredUntil;
    if (e.type === 'sent') this.sent++;
    else if (e.type === 'failed') this.failed++;
    else if (e.type === 'uncertain') this.uncertain++;
    else if (e.type === 'throttle') this.note(this.c.yellow(`provider throttling (${e.code}): slowing down to ${e.limit}/s`));
    else if (e.type === 'waiting' && e.until) this.note(`everyone left is outside their sending window; resuming at ${e.until.toLocaleString()}`);
  }

  private waveState?: WaveProgress;

  wave(w: WaveProgress): void {
    const changed = this.waveState?.n !== w.n || this.waveState?.phase !== w.phase;
    this.waveState = w;
    if (w.phase === 'sending' && changed) this.note(`wave ${w.n}/${w.of}: sending`);
    else if (w.phase === 'waiting' && changed) this.note(`wave ${w.n}/${w.of} sent (${w.figures.size}); watching its callbacks for ${formatDuration((w.leftMs ?? 0) / 1000)} before the next wave`);
    else if (w.phase === 'judged') {
      const how = w.early ? 'every recipient has a final callback, so the wait ended early; ' : '';
      const verdict = w.verdict === 'ok' ? this.c.green('healthy') : w.verdict === 'blind' ? this.c.yellow('not judged (no callbacks), going on: --ramp-blind') : this.c.red(w.verdict === 'halt' ? 'halt' : 'cannot be judged');
      this.note(`wave ${w.n}/${w.of}: ${how}${verdict} (${figuresText(w.figures)})`);
    }
    if (this.spinner) this.spinner.text = this.text();
    else if (w.phase === 'waiting' && changed) process.stderr.write(`${this.text()}\n`);
  }

  private note(line: string): void {
    if (this.spinner) this.spinner.clear();
    process.stderr.write(`${line}\n`);
    if (this.spinner) this.spinner.render();
  }

  private text(): string {
    const done = this.sent + this.failed + this.uncertain;
    const remaining = Math.max(0, this.total - done);
    const elapsed = (Date.now() - this.started) / 1000;
    const avg = elapsed > 0 ? done / elapsed : 0;
    // Recipients outside their local window go when it opens, whatever the rate: not in the ETA.
    const ready = Math.max(0, remaining - this.deferred);
    const eta = ready === 0 ? (this.deferred ? 'when their window opens' : '…') : avg > 0 ? formatDuration(ready / avg) : '…';
    const later = this.deferred && this.deferredUntil ? ` · ${this.deferred} waiting for their window (first at ${this.deferredUntil.toLocaleTimeString()})` : '';
    const w = this.waveState;
    const wave = w ? ` · wave ${w.n}/${w.of}${w.phase === 'waiting' ? `, waiting ${formatDuration((w.leftMs ?? 0) / 1000)} more` : ''}: ${figuresText(w.figures)}` : '';
    return `${this.sent} sent, ${this.failed} failed${this.uncertain ? `, ${this.uncertain} uncertain` : ''}, ${remaining} remaining · ${this.rate}/s · ETA ${eta}${later}${wave}`;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.spinner) {
      this.spinner.stop();
      this.spinner = undefined;
    }
  }
}

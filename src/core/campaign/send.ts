import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync } from 'node:fs';
import { once, setMaxListeners } from 'node:events';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import type { CampaignOptions } from '../config/load.js';
import type { ClassifiedRow, FindingSink } from '../contacts/types.js';
import { dispatch, type DispatchEvent, type DispatchResult, type WorkItem } from '../dispatch/dispatcher.js';
import { RateGate } from '../dispatch/rate-gate.js';
import { defaultZoneFor, parseWindow, type SendWindow } from '../dispatch/send-window.js';
import { InputError, UsageError } from '../errors.js';
import { loadHistory, loadRecentlyMessaged, recordSends, type HistoryEntry } from '../history/index.js';
import { JOURNAL_VERSION, type JournalEvent, type JournalHeader } from '../journal/format.js';
import { FeedbackWatcher, type FeedbackVerdict } from './watch.js';
import { readJournalHeader, summariseJournal, type JournalSummary, type RecipientRecord } from '../journal/reader.js';
import { openJournal, type JournalWriter } from '../journal/writer.js';
import { emptyCounts, type Bucket, type ContactCounts, type Finding } from '../findings.js';
import { classifiedRows, prepareLint, type PreparedLint } from '../lint/index.js';
import { optOutsPath } from '../contacts/optouts.js';
import { createProvider, DEFAULT_SANDBOX_OUTBOX } from '../providers/index.js';
import type { OutboundMessage, Provider } from '../providers/types.js';
import { buttonSuffixes, templateParams } from '../template/render.js';
import type { Template } from '../template/types.js';

/** Where the journal goes unless `--journal` says: beside the contacts file. */
export function defaultJournalPath(contactsPath: string): string {
  const { dir, name } = path.parse(path.resolve(contactsPath));
  return path.join(dir, `${name}.journal.jsonl`);
}

async function statOrNull(file: string): Promise<{ size: number; mtimeMs: number } | null> {
  try {
    const st = await stat(file);
    return { size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Options recorded in the journal header so that `resume` runs with the same selection. Never secrets. */
const RECORDED: (keyof CampaignOptions)[] = [
  'provider', 'rate', 'concurrency', 'defaultCountry', 'suppress', 'where', 'window', 'tz', 'dailyLimit',
  'encoding', 'phoneColumn', 'consentColumn', 'consentMaxAge', 'minInterval', 'maxRetries', 'timeoutMs', 'maxFailureRate',
];

export function recordedOptions(o: CampaignOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Empty lists are recorded too: resume must not pick up a `where:` added to campaign.yaml since.
  for (const k of RECORDED) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Recipients that must not get another message: sent, failed for good, or an attempt with unknown outcome. */
export function isDone(r: RecipientRecord | undefined, resendUncertain: boolean): boolean {
  if (!r) return false;
  if (r.optedOut) return true;
  return r.state === 'sent' || r.state === 'failed' || (r.state === 'uncertain' && !resendUncertain);
}

/** The request for one recipient: the approved template when there is front matter, text otherwise. */
export function buildMessage(t: Template | null, row: ClassifiedRow, text: string, campaign: string, env: Record<string, string | undefined>): OutboundMessage {
  const to = row.phone!;
  const msg: OutboundMessage = { to, text, correlation: `${campaign}:${to}` };
  if (t?.meta) {
    msg.template = {
      name: t.meta.template,
      language: t.meta.language,
      params: templateParams(t, row.record),
      paramNames: t.meta.params,
      buttonSuffixes: buttonSuffixes(t, row.record),
      contentSid: resolveContentSid(t.meta.content_sid, env),
    };
  }
  return msg;
}

/** `content_sid: HX...` literally, or `content_sid: env:NAME` / `$NAME` to read it from the environment. */
export function resolveContentSid(value: string | undefined, env: Record<string, string | undefined>): string | undefined {
  if (!value) return env.TWILIO_CONTENT_SID || undefined;
  // Only TWILIO_CONTENT_SID* names: a template must not be able to read WHATSAPP_TOKEN into a message.
  const m = /^(?:env:|\$)(TWILIO_CONTENT_SID[A-Z0-9_]*)$/.exec(value.trim());
  if (m) return env[m[1]] || undefined;
  return /^(?:env:|\$)/.test(value.trim()) ? undefined : value.trim();
}

export interface SendPlan {
  journalPath: string;
  /** The journal as planning read it: a change before the send takes the lock means someone else wrote to it. */
  journalStat: { size: number; mtimeMs: number } | null;
  campaign: string;
  contactsSha: string;
  templateSha: string | null;
  template: Template | null;
  counts: ContactCounts;
  /** Sendable rows whose recipient is not done yet. */
  toSend: number;
  /** Recipients the journal already settled (sent, failed, uncertain...). */
  alreadyDone: number;
  uncertain: number;
  /** Recipients skipped because another campaign messaged them within --min-interval. */
  recent: number;
  templateErrors: number;
  /** What changed since the journal was started (contacts, template). */
  changed: string[];
  existing: JournalSummary | null;
  first?: { to: string; line: number; text: string; message: OutboundMessage };
  skippedByReason: Partial<Record<Bucket | 'recent', number>>;
  /** Rows the send still has to act on (to send, or to record as skipped), when they fit in memory. */
  rows?: PlannedRow[];
  /** Numbers a later row declined after an earlier row made them sendable: never sent. */
  revoked?: Set<string>;
  /** What planning loaded (history for --min-interval), reused by the send pass. */
  context?: PlanContext;
}

export interface PlanRequest {
  contactsPath: string;
  options: CampaignOptions;
  cwd: string;
  env: Record<string, string | undefined>;
  journalPath?: string;
  onFinding: FindingSink;
}

interface PlanContext {
  /** `checks`: run the online checks (links, template parity) too; only the first pass does. */
  prepared: (checks?: boolean) => Promise<PreparedLint>;
  /** --min-interval: when another campaign last messaged a recipient, within the interval. */
  lastMessaged?: (to: string) => number | undefined;
}

async function contextFor(req: PlanRequest): Promise<PlanContext> {
  const o = req.options;
  const ctx: PlanContext = {
    prepared: (checks = false) =>
      prepareLint(
        { contactsPath: req.contactsPath, options: o, cwd: req.cwd, env: req.env },
        checks ? { checkLinks: o.checkLinks, checkTemplate: o.checkTemplate } : {},
      ),
  };
  ctx.lastMessaged = await loadRecentlyMessaged(req.cwd, o.minInterval);
  return ctx;
}

function isRecent(ctx: PlanContext, to: string, journalKnows: boolean): boolean {
  return !journalKnows && ctx.lastMessaged?.(to) !== undefined;
}

function sendWindowOf(o: CampaignOptions): SendWindow | undefined {
  if (o.window) return parseWindow(o.window, o.tz);
  if (o.tz) throw new UsageError('--tz needs --window.', { hint: 'Give the sending hours, e.g. --window 09:00-21:00.' });
  return undefined;
}

/** First pass: lint the inputs, compare with an existing journal, count who would get a message. */
export async function planSend(req: PlanRequest): Promise<SendPlan> {
  // Everything that can be wrong with the options is said before any work (and any prompt).
  sendWindowOf(req.options);
  if (!req.options.template) {
    throw new UsageError('there is no message to send: no template was given.', {
      hint: 'Pass --template FILE, or set `template:` in campaign.yaml (see `campaign init`).',
    });
  }
  // Missing credentials: a usage error now, not after the confirmation. Creating a provider makes no request.
  await createProvider(req.options.provider, req.env, { sandbox: { outbox: path.join(req.cwd, DEFAULT_SANDBOX_OUTBOX) } }).close();
  const journalPath = path.resolve(req.journalPath ?? req.options.journal ?? defaultJournalPath(req.contactsPath));
  const ctx = await contextFor(req);
  const prepared = await ctx.prepared(true);
  const contactsSha = await sha256File(req.contactsPath);
  const template = prepared.template;
  const journalStat = await statOrNull(journalPath);
  const existing = journalStat ? await summariseJournal(journalPath) : null;
  const campaign = existing?.header.campaign ?? `${path.parse(req.contactsPath).name}-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;

  const changed: string[] = [];
  if (existing) {
    if (existing.header.contacts.sha256 !== contactsSha) changed.push(`the contacts file ${path.basename(req.contactsPath)} changed since this journal was started`);
    const was = existing.header.template?.sha256 ?? null;
    if (was !== (template?.sha256 ?? null)) changed.push('the template changed since this journal was started');
  }

  let templateErrors = 0;
  for (const f of prepared.templateFindings) {
    if (f.severity === 'error') templateErrors++;
    req.onFinding(f);
  }

  const plan: SendPlan = {
    journalPath, journalStat, campaign, contactsSha, templateSha: template?.sha256 ?? null, template,
    counts: emptyCounts(), toSend: 0, alreadyDone: 0, uncertain: 0, recent: 0, templateErrors, changed, existing,
    skippedByReason: {},
  };
  const states = existing?.states;
  const resendUncertain = req.options.resendUncertain;
  // The rows the second pass needs, so that it does not parse and classify the file again
  // (resume of a million-row list would otherwise pay for the lint twice before its first send).
  // A dry run streams the file again anyway. The cache keeps only the columns a message needs,
  // and gives up (the send pass then re-reads the file) past a memory budget.
  let cache: PlannedRow[] | undefined = req.options.dryRun ? undefined : [];
  let cacheBytes = 0;
  const needed = [...new Set([...prepared.classify.requiredVariables ?? [], 'tz', 'TZ'])];
  const keep = (row: PlannedRow) => {
    if (!cache) return;
    const record: Record<string, string> = {};
    let bytes = 96 + (row.text?.length ?? 0);
    if (row.bucket === 'sendable') {
      for (const k of needed) {
        const v = row.record[k];
        if (v !== undefined) {
          record[k] = v;
          bytes += 48 + k.length + v.length;
        }
      }
    }
    cacheBytes += bytes;
    if (cacheBytes > ROW_CACHE_BYTES) cache = undefined;
    else cache.push({ line: row.line, bucket: row.bucket, phone: row.phone, text: row.text, record });
  };
  const revoked = new Set<string>();
  for await (const row of classifiedRows(prepared, req.onFinding)) {
    plan.counts.rows++;
    plan.counts[row.bucket]++;
    if (row.revokes !== undefined && row.phone) revoked.add(row.phone);
    if (row.phone && (row.bucket === 'sendable' ? !isDone(states?.get(row.phone), resendUncertain) : !states?.has(row.phone) && row.bucket !== 'duplicate')) {
      keep(row);
    }
    if (row.bucket !== 'sendable') {
      plan.skippedByReason[row.bucket] = (plan.skippedByReason[row.bucket] ?? 0) + 1;
      continue;
    }
    const state = states?.get(row.phone!);
    if (isDone(state, resendUncertain)) {
      plan.alreadyDone++;
      if (state?.state === 'uncertain') plan.uncertain++;
      continue;
    }
    if (isRecent(ctx, row.phone!, state !== undefined)) {
      plan.recent++;
      plan.skippedByReason.recent = (plan.skippedByReason.recent ?? 0) + 1;
      continue;
    }
    plan.toSend++;
    if (!plan.first) {
      const text = row.text ?? '';
      plan.first = { to: row.phone!, line: row.line, text, message: buildMessage(template, row, text, campaign, req.env) };
    }
  }
  if (revoked.size) {
    undoRevoked(plan, revoked, cache, (phone) => isDone(states?.get(phone), resendUncertain) || isRecent(ctx, phone, states?.has(phone) ?? false), (row) => ({
      to: row.phone!, line: row.line, text: row.text ?? '', message: buildMessage(template, row, row.text ?? '', campaign, req.env),
    }));
  }
  plan.rows = cache;
  plan.context = ctx;
  return plan;
}

/**
 * A later row said "no" for numbers an earlier row made sendable: they move to no_consent,
 * leave the cache and the count to send, and the send pass skips them (`plan.revoked`).
 */
function undoRevoked(
  plan: SendPlan,
  revoked: Set<string>,
  cache: PlannedRow[] | undefined,
  notCounted: (phone: string) => boolean,
  preview: (row: PlannedRow) => NonNullable<SendPlan['first']>,
): void {
  plan.revoked = revoked;
  for (const phone of revoked) {
    plan.counts.sendable--;
    plan.counts.no_consent++;
    plan.skippedByReason.no_consent = (plan.skippedByReason.no_consent ?? 0) + 1;
    if (!notCounted(phone)) plan.toSend--;
  }
  if (cache) {
    const kept = cache.filter((r) => !(r.bucket === 'sendable' && revoked.has(r.phone!)));
    cache.length = 0;
    cache.push(...kept);
  }
  if (plan.first && revoked.has(plan.first.to)) {
    const next = cache?.find((r) => r.bucket === 'sendable' && !notCounted(r.phone!));
    plan.first = next ? preview(next) : undefined;
  }
}

type PlannedRow = ClassifiedRow & { text?: string };
/** Memory for the rows kept between the two passes; a bigger list is streamed from the file again. */
const ROW_CACHE_BYTES = 256 * 1024 * 1024;

export interface RunHooks {
  onEvent?: (e: DispatchEvent) => void;
  onNotice?: (line: string) => void;
  /** Called once the provider is ready, before the first request. `force` drops the requests in flight. */
  onStart?: (info: { provider: string; total: number; outbox?: string; force: () => void }) => void;
}

export interface RunResult extends DispatchResult {
  journalPath: string;
  skippedWritten: number;
}

/**
 * Second pass: open (or continue) the journal, record who is skipped and why, and dispatch the
 * rest. The rows are streamed again from the file, so a million contacts never sit in memory.
 */
export async function runSend(req: PlanRequest, plan: SendPlan, signal: AbortSignal, hooks: RunHooks = {}): Promise<RunResult> {
  const o = req.options;
  const nowIso = () => new Date().toISOString();
  const currentSha = await sha256File(req.contactsPath);
  if (currentSha !== plan.contactsSha) {
    throw new InputError('the contacts file changed while the campaign was being prepared.', { file: req.contactsPath, hint: 'Run the command again.' });
  }
  const window = sendWindowOf(o);

  const header: JournalHeader = {
    type: 'header',
    version: JOURNAL_VERSION,
    campaign: plan.campaign,
    at: nowIso(),
    contacts: { path: path.resolve(req.contactsPath), sha256: plan.contactsSha },
    template: plan.template ? { path: path.resolve(plan.template.path), sha256: plan.template.sha256 } : null,
    provider: o.provider,
    // workdir: where `.campaign/` (opt-outs, history, sandbox outbox) lives, for a resume run from elsewhere.
    options: { ...recordedOptions(o), workdir: path.resolve(req.cwd), counts: plan.counts, selected: plan.counts.sendable - plan.recent },
  };
  // The provider is configured before the journal exists: bad credentials must leave no journal
  // behind for the next `send` to resume. Creating one makes no request.
  const outbox = path.resolve(req.cwd, req.env.CAMPAIGN_SANDBOX_OUTBOX?.trim() || DEFAULT_SANDBOX_OUTBOX);
  let provider: Provider | undefined = createProvider(o.provider, req.env, {
    timeoutMs: o.timeoutMs,
    concurrency: o.concurrency,
    sandbox: { outbox, faults: o.sandboxFaults },
  });
  let journal: JournalWriter;
  let states = plan.existing?.states;
  try {
    await mkdir(path.dirname(plan.journalPath), { recursive: true });
    // Another send may have written this journal while we planned or asked for confirmation:
    // the plan's picture of who is done would then be stale (two runs would both send).
    const before = await statOrNull(plan.journalPath);
    if (!plan.journalStat && before) {
      throw new InputError('another send started this journal while this one was being prepared; nothing was sent.', {
        file: plan.journalPath,
        hint: 'Run the same command again: it will resume that journal.',
      });
    }
    journal = await openJournal(plan.journalPath, plan.existing ? null : header, { onNotice: hooks.onNotice });
    // Checked again under the lock: a send that slipped in between the check above and the lock.
    try {
      if ((await readJournalHeader(plan.journalPath)).campaign !== plan.campaign) {
        throw new InputError('another send started this journal while this one was being prepared; nothing was sent.', {
          file: plan.journalPath,
          hint: 'Run the same command again: it will resume that journal.',
        });
      }
      const now = await statOrNull(plan.journalPath);
      if (plan.journalStat && (now?.size !== plan.journalStat.size || now?.mtimeMs !== plan.journalStat.mtimeMs)) {
        states = (await summariseJournal(plan.journalPath)).states;
      }
    } catch (err) {
      await journal.close();
      throw err;
    }
  } catch (err) {
    await provider.close();
    throw err;
  }
  try {
    if (plan.existing) journal.append({ type: 'resume', at: nowIso(), pid: process.pid, ...(plan.changed.length ? { changed: plan.changed } : {}) });
    const gate = new RateGate({ rate: o.rate });
    const ctx = plan.context ?? (await contextFor(req));
    const rows: AsyncIterable<PlannedRow> | Iterable<PlannedRow> = plan.rows ?? classifiedRows(await ctx.prepared(), () => {});
    plan.rows = undefined;
    const revoked = plan.revoked;
    let skippedWritten = 0;

    async function* work(): AsyncGenerator<WorkItem> {
      for await (const row of rows) {
        if (signal.aborted) return;
        const to = row.phone;
        if (!to) continue;
        const state = states?.get(to);
        if (row.bucket !== 'sendable') {
          // A recipient the journal settled keeps its outcome; a later duplicate row says nothing new.
          if (!state && row.bucket !== 'duplicate') {
            journal.append({ type: 'skipped', to, at: nowIso(), reason: row.bucket.replace(/_/g, '-'), line: row.line });
            skippedWritten++;
          }
          continue;
        }
        if (isDone(state, o.resendUncertain)) continue;
        if (revoked?.has(to)) {
          journal.append({ type: 'skipped', to, at: nowIso(), reason: 'consent-conflict', line: row.line });
          skippedWritten++;
          continue;
        }
        if (isRecent(ctx, to, state !== undefined)) {
          journal.append({ type: 'skipped', to, at: nowIso(), reason: 'recently-messaged', line: row.line });
          skippedWritten++;
          continue;
        }
        const tz = window && !o.tz ? (row.record.tz || row.record.TZ || defaultZoneFor(to)) : undefined;
        yield { to, line: row.line, message: buildMessage(plan.template, row, row.text ?? '', plan.campaign, req.env), ...(tz ? { tz } : {}) };
      }
    }

    const sender = provider;
    hooks.onStart?.({
      provider: o.provider,
      total: plan.toSend,
      outbox: o.provider === 'sandbox' ? outbox : undefined,
      // Closing the sockets fails the requests in flight at once: written ones become uncertain.
      force: () => void sender.close(),
    });
    // Callbacks appended by `campaign webhook` during this run can halt it (watch.ts).
    const inner = new AbortController();
    setMaxListeners(0, inner.signal);
    const forward = () => inner.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    const optOutList = optOutsPath(req.cwd);
    const watcher = new FeedbackWatcher(plan.journalPath, (await stat(plan.journalPath)).size, undefined, {
      path: optOutList,
      fromOffset: existsSync(optOutList) ? (await stat(optOutList)).size : 0,
      defaultCountry: o.defaultCountry,
    });
    let feedbackHalt: FeedbackVerdict | null = null;
    // Cross-campaign history (--daily-limit, --min-interval of later campaigns) is written as the
    // run goes, about once a second, so a killed run still counts; uncertain ones count as messaged.
    let historyBuffer: HistoryEntry[] = [];
    let historyWrite: Promise<void> = Promise.resolve();
    const writeHistory = () => {
      if (!historyBuffer.length) return historyWrite;
      const batch = historyBuffer;
      historyBuffer = [];
      historyWrite = historyWrite.then(() => recordSends(req.cwd, batch)).catch(() => undefined);
      return historyWrite;
    };
    let ticks = 0;
    const watching = setInterval(() => {
      if (++ticks % 4 === 0) void writeHistory();
      void watcher.poll().then((v) => {
        if (v && !feedbackHalt) {
          feedbackHalt = v;
          inner.abort(new Error(v.reason));
        }
      }, () => undefined);
    }, 250);
    const result = await dispatch(
      work(),
      { provider, journal, gate },
      {
        concurrency: o.concurrency,
        maxRetries: o.maxRetries,
        maxFailureRate: o.maxFailureRate,
        dailyLimit: o.dailyLimit,
        sentInLast24h: o.dailyLimit ? await recentRecipients(req.cwd, states) : undefined,
        window,
        skipReason: (item) => (watcher.optedOut.has(item.to) ? 'opted-out' : null),
      },
      inner.signal,
      (e) => {
        if ((e.type === 'sent' || e.type === 'uncertain') && e.to) {
          historyBuffer.push({ to: e.to, at: nowIso(), campaign: plan.campaign });
          if (e.type === 'sent') watcher.noteSent(e.to);
        }
        hooks.onEvent?.(e);
      },
    ).finally(() => {
      clearInterval(watching);
      signal.removeEventListener('abort', forward);
    });
    const halt = feedbackHalt as FeedbackVerdict | null;
    if (halt && !signal.aborted) {
      journal.append({ type: 'halt', at: nowIso(), reason: halt.reason, detail: halt.detail } as JournalEvent);
      result.interrupted = false;
      result.halted = { reason: `${halt.reason}: ${halt.detail}` };
    }
    await journal.flush();
    await writeHistory();
    return { ...result, journalPath: plan.journalPath, skippedWritten };
  } finally {
    await journal.close();
    await provider?.close();
  }
}

/**
 * --daily-limit is the provider's messaging-limit tier: distinct recipients in a rolling 24 h for
 * the whole business, so other campaigns count too (`.campaign/history.jsonl`), besides this
 * journal's sent and uncertain recipients. One time per recipient: their latest.
 */
async function recentRecipients(cwd: string, states: Map<string, RecipientRecord> | undefined): Promise<number[]> {
  const since = Date.now() - 24 * 3_600_000;
  const latest = new Map<string, number>();
  for (const [to, at] of await loadHistory(cwd)) if (at >= since) latest.set(to, at);
  for (const [to, r] of states ?? []) {
    if ((r.state === 'sent' || r.state === 'uncertain') && r.lastAttemptAt !== undefined && r.lastAttemptAt >= since) {
      latest.set(to, Math.max(latest.get(to) ?? 0, r.lastAttemptAt));
    }
  }
  return [...latest.values()].sort((a, b) => a - b);
}

/** Dry run: renders every message into `<journal>.plan.jsonl`, streamed to a temporary file renamed into place. */
export async function writeDryRunPlan(req: PlanRequest, plan: SendPlan): Promise<{ file: string; messages: number }> {
  const file = plan.journalPath.replace(/\.jsonl$/, '') + '.plan.jsonl';
  const prepared = await prepareLint({ contactsPath: req.contactsPath, options: req.options, cwd: req.cwd, env: req.env });
  const states = plan.existing?.states;
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(`${file}.tmp`);
  let messages = 0;
  try {
    for await (const row of classifiedRows(prepared, () => {})) {
      const to = row.phone!;
      if (row.bucket !== 'sendable' || isDone(states?.get(to), req.options.resendUncertain) || plan.revoked?.has(to)) continue;
      if (plan.context && isRecent(plan.context, to, states?.has(to) ?? false)) continue;
      const msg = buildMessage(plan.template, row, row.text ?? '', plan.campaign, req.env);
      const line = JSON.stringify({ to: msg.to, line: row.line, text: msg.text, ...(msg.template ? { template: msg.template } : {}) });
      if (!out.write(`${line}\n`)) await once(out, 'drain');
      messages++;
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
  await rename(`${file}.tmp`, file);
  return { file, messages };
}

export type { Finding };

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, type WriteStream } from 'node:fs';
import { once, setMaxListeners } from 'node:events';
import { mkdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULTS, type CampaignOptions } from '../config/load.js';
import type { ClassifiedRow, FindingSink } from '../contacts/types.js';
import { dispatch, type DispatchEvent, type DispatchOptions, type DispatchResult, type WorkItem } from '../dispatch/dispatcher.js';
import { RateGate, type Gate } from '../dispatch/rate-gate.js';
import { VirtualClock } from '../dispatch/virtual-clock.js';
import { defaultZoneFor, isOpen, isValidTimeZone, parseWindow, zoneCell, type SendWindow } from '../dispatch/send-window.js';
import { CampaignError, InputError, UsageError } from '../errors.js';
import { diskError } from '../disk.js';
import { loadHistory, recordSends, type HistoryEntry, type HistorySource } from '../history/index.js';
import { loadHistoryContext, type HistoryContext } from './context.js';
import { JOURNAL_VERSION, type JournalEvent, type JournalHeader, type MediaEvent } from '../journal/format.js';
import { FeedbackWatcher, type FeedbackVerdict } from './watch.js';
import { parseRamp, rampWaitMs, readWaveLog, runWaves, type RampOutcome, type RampStep, type WaveLog, type WaveProgress } from './ramp.js';
import { healthEvent, judgeHealth, readSenderHealth, refusedError, type HealthVerdict } from './health.js';
import { readJournalHeader, summariseAside, summariseJournal, type JournalAside, type JournalSummary, type RecipientStates } from '../journal/reader.js';
import { openJournal, type JournalWriter } from '../journal/writer.js';
import type { ContactCounts, Finding } from '../findings.js';
import { classifiedBatches, classifiedRows, prepareLint, type PreparedLint } from '../lint/index.js';
import { openStateStore } from '../store/state.js';
import { checkHeaderSupport, createProvider, DEFAULT_SANDBOX_OUTBOX, mediaMime, OPT_OUT_CODES, providerModule } from '../providers/index.js';
import { connectStore, type StoreClient } from '../store/client.js';
import { StoreRateGate } from '../store/rate.js';
import { businessOf, StoreDailyLimit } from '../store/daily.js';
import type { OutboundMessage, Provider, SendResult } from '../providers/types.js';
import { buttonParts, buttonSuffixes, headerTextParams, renderField, templateParams } from '../template/render.js';
import type { Template } from '../template/types.js';
import { decide, Tally, verdictFinding, type PlannedRow, type SkipGroup, type VerdictContext } from './verdict.js';
import { fileVersion, unchangedSince, type FileVersion } from './file-version.js';
import { RowCache } from './row-cache.js';
import { sleep } from '../sleep.js';
import { isoPerMs } from '../iso-time.js';

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
  // 1 MB reads: at the stream's default 64 KB a 60 MB list took ~2.5x as long (~100 vs ~40 ms).
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Options recorded in the journal header so that `resume` runs with the same selection. Never secrets. */
const RECORDED: (keyof CampaignOptions)[] = [
  'provider', 'rate', 'concurrency', 'defaultCountry', 'suppress', 'where', 'window', 'tz', 'dailyLimit',
  'encoding', 'phoneColumn', 'consentColumn', 'consentYes', 'international', 'headerLine', 'consentMaxAge', 'minInterval', 'repeatAfter', 'allowRepeat', 'maxRetries', 'timeoutMs', 'maxFailureRate',
  // A resume goes on with the same wave plan (campaign/ramp.ts).
  'ramp', 'rampWait', 'rampBlind', 'rampMaxOptouts', 'rampMaxFailed', 'rampMinDelivered',
];

export function recordedOptions(o: CampaignOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // Empty lists are recorded too: resume must not pick up a `where:` added to campaign.yaml since.
  for (const k of RECORDED) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/**
 * The request for one recipient: the approved template when there is front matter, text otherwise.
 * `mediaIds`: the uploaded id of each local header file (by absolute path); planning's preview has none.
 */
export function buildMessage(
  t: Template | null,
  row: ClassifiedRow,
  text: string,
  campaign: string,
  env: Record<string, string | undefined>,
  mediaIds?: ReadonlyMap<string, string>,
): OutboundMessage {
  const to = row.phone!;
  const msg: OutboundMessage = { to, text, correlation: `${campaign}:${to}` };
  if (t?.meta) {
    const { urlButtons, quickReplies } = buttonParts(t, row.record);
    const header = headerOf(t, row.record, mediaIds);
    msg.template = {
      name: t.meta.template,
      language: t.meta.language,
      params: templateParams(t, row.record),
      paramNames: t.meta.params,
      // In button order, '' for a button without a suffix (the implicit order Vonage/Twilio read).
      buttonSuffixes: t.meta.buttons?.length ? t.meta.buttons.map((_, i) => urlButtons.find((b) => b.index === i)?.suffix ?? '') : buttonSuffixes(t, row.record),
      contentSid: resolveContentSid(t.meta.content_sid, env),
      ...(header ? { header } : {}),
      ...(t.meta.buttons?.length ? { urlButtons, quickReplies } : {}),
    };
  }
  return msg;
}

type MessageHeader = NonNullable<NonNullable<OutboundMessage['template']>['header']>;

/** The header for this record: text parameters, a rendered link, or the uploaded file's id. */
function headerOf(t: Template, record: Record<string, string>, mediaIds?: ReadonlyMap<string, string>): MessageHeader | undefined {
  const h = t.meta?.header;
  if (!h) return undefined;
  if (h.kind === 'text') {
    const params = headerTextParams(t, record);
    // A header without placeholders is all in the approved template: nothing to send for it.
    return params.length ? { kind: 'text', params } : undefined;
  }
  const filename = h.kind === 'document' ? (h.filename ?? (h.file ? path.basename(h.file) : undefined)) : undefined;
  const source = h.file ? { id: mediaIds?.get(h.file) } : h.url ? { link: renderField(t, h.url, record, { url: true }) } : {};
  return { kind: h.kind, ...source, ...(filename ? { filename } : {}) };
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
  /** The contacts file's metadata just before planning read it: unchanged at the send, it is not hashed again. */
  contactsVersion?: FileVersion | null;
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
  /** Recipients whose local window is closed now (--window): they go when it opens. */
  outsideWindowNow: number;
  templateErrors: number;
  /** What changed since the journal was started (contacts, template). */
  changed: string[];
  existing: JournalSummary | null;
  first?: { to: string; line: number; text: string; message: OutboundMessage };
  skippedByReason: Partial<Record<SkipGroup, number>>;
  /** Rows the send still has to act on (to send, or to record as skipped), when they fit in memory. */
  rows?: Iterable<PlannedRow>;
  /** Numbers a later row declined after an earlier row made them sendable: never sent. */
  revoked?: ReadonlySet<string>;
  /** A sentence to show before the confirmation: the --store keeps opt-outs only in memory. */
  storeWarning?: string;
  /** What planning loaded (history for --min-interval), reused by the send pass. */
  context?: PlanContext;
  /** A kept row's message text: the lint's workers do not send theirs back (issue 13), it is rendered when sent. */
  textOf?: (row: PlannedRow) => string;
  /** The sender's health read before planning, and what it changes of the run (core/campaign/health.ts). */
  health?: HealthVerdict;
}

export interface PlanRequest {
  contactsPath: string;
  options: CampaignOptions;
  cwd: string;
  env: Record<string, string | undefined>;
  journalPath?: string;
  onFinding: FindingSink;
  /** Options the user set (flags, campaign.yaml, environment) rather than their defaults: a YELLOW rating halves only the default rate. */
  given?: ReadonlySet<string>;
}

interface PlanContext {
  /** `checks`: run the online checks (links, template parity) too; only the first pass does. */
  prepared: (checks?: boolean) => Promise<PreparedLint>;
  /** History the verdict consults (--min-interval, the repeat guard) and where sends are recorded. */
  history: HistoryContext;
}

function preparer(req: PlanRequest): PlanContext['prepared'] {
  const o = req.options;
  return (checks = false) =>
    prepareLint(
      { contactsPath: req.contactsPath, options: o, cwd: req.cwd, env: req.env },
      // The first pass hashes the bytes it lints: the journal records exactly what was planned.
      checks ? { checkLinks: o.checkLinks, checkTemplate: o.checkTemplate, hash: true } : {},
    );
}

async function contextFor(req: PlanRequest, template: Template | null): Promise<PlanContext> {
  return { prepared: preparer(req), history: await loadHistoryContext(req.cwd, req.env, req.options, template) };
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
  rampOf(req.options);
  if (!req.options.template) {
    throw new UsageError('there is no message to send: no template was given.', {
      hint: 'Pass --template FILE, or set `template:` in campaign.yaml (see `campaign init`).',
    });
  }
  // Missing credentials: a usage error now, not after the confirmation. Creating a provider makes no request.
  await createProvider(req.options.provider, req.env, { sandbox: { outbox: path.join(req.cwd, DEFAULT_SANDBOX_OUTBOX) } }).close();
  const journalPath = path.resolve(req.journalPath ?? req.options.journal ?? defaultJournalPath(req.contactsPath));
  // A large journal is read in a worker thread while this one reads the list (issue 13): its
  // errors are still said where the journal was read before, after the health read and the lint's
  // preparation, and before the list's own.
  const journalStat = await statOrNull(journalPath);
  const journal = journalStat ? summariseAside(journalPath, journalStat.size) : null;
  try {
    return await planWith(req, journalPath, journalStat, journal);
  } finally {
    journal?.cancel();
  }
}

async function planWith(req: PlanRequest, journalPath: string, journalStat: SendPlan['journalStat'], journal: JournalAside | null): Promise<SendPlan> {
  // Before the list is read: any write after this look shows in its metadata at the send.
  const contactsVersion = await fileVersion(req.contactsPath);
  // The sender's health before anything else: a RED or flagged number sends nothing (issue 12).
  // Its read is a round trip to the provider, so the lint's preparation (the template, the list's
  // head, the store) goes on meanwhile; a refusal is still said first, before any of its errors.
  const reading = preflightHealth(req);
  const preparing = preparer(req)(true);
  preparing.catch(() => undefined);
  const health = await reading;
  const prepared = await preparing;
  // A store that forgets its opt-outs on restart would message them again: said before the confirmation.
  const persistence = await (await openStateStore(req.options, req.cwd, req.env)).persistenceWarning();
  checkHeaderSupport(req.options.provider, prepared.template?.meta?.header);
  const ctx = await contextFor(req, prepared.template);
  const template = prepared.template;
  let existing: JournalSummary | null = null;
  // Set once the journal is known (or at once without one).
  let campaign = '';
  const verdicts: VerdictContext = { resendUncertain: req.options.resendUncertain, ...historyVerdicts(ctx.history) };
  let known = false;
  const learn = (summary: JournalSummary | null) => {
    known = true;
    existing = summary;
    verdicts.states = summary?.states;
    campaign = summary?.header.campaign ?? `${path.parse(req.contactsPath).name}-${new Date().toISOString().slice(0, 10)}-${randomUUID().slice(0, 8)}`;
  };
  // A journal read on this thread is done by now; one in a worker is awaited only when needed.
  if (!journal?.threaded) learn(journal ? await journal.promise : null);

  let templateErrors = 0;
  for (const f of prepared.templateFindings) {
    if (f.severity === 'error') templateErrors++;
    req.onFinding(f);
  }

  const tally = new Tally(verdicts);
  const window = sendWindowOf(req.options);
  const openNow = new Date();
  let first: SendPlan['first'];
  let outsideWindowNow = 0;
  // The rows the second pass acts on, so that it does not parse and classify the file again
  // (resume of a million-row list would otherwise pay for the lint twice before its first send).
  // The cache keeps only the columns a message needs, packed (row-cache.ts), and gives up (the
  // send pass then re-reads the file) past a memory budget.
  const needed = [...new Set([...prepared.classify.requiredVariables ?? [], 'tz', 'TZ'])];
  let cache: RowCache | undefined = new RowCache(needed);
  const keep = (row: PlannedRow) => {
    if (!cache) return;
    cache.push(row, row.bucket === 'sendable');
    if (cache.bytes > ROW_CACHE_BYTES) cache = undefined;
  };
  // The workers render each row's text for its checks but keep it: a send renders it again when it
  // sends the row, at the rate's pace, instead of carrying a million texts between the passes.
  const render = prepared.render;
  const textOf = (row: PlannedRow): string => row.text ?? render?.(row.record) ?? '';
  const preview = (row: PlannedRow): SendPlan['first'] => {
    const text = textOf(row);
    return { to: row.phone!, line: row.line, text, message: buildMessage(template, row, text, campaign, req.env) };
  };
  const judge = (row: PlannedRow) => {
    const v = decide(row, verdicts);
    const finding = verdictFinding(v, verdicts, req.options.minInterval);
    if (finding) req.onFinding(finding);
    tally.add(v);
    if (v.action === 'send' || v.action === 'skip') keep(row);
    if (v.action === 'send') {
      first ??= preview(row);
      if (window && !isOpen(openNow, window, recipientZone(row, req.options))) outsideWindowNow++;
    }
  };
  // Rows read while the journal is still being read wait for its states, in order, packed as the
  // cache keeps them (the verdict reads nothing else); past a budget the list waits for the journal.
  let waiting = new RowCache(needed);
  const settle = async () => {
    learn(await journal!.promise);
    const rows = waiting;
    waiting = new RowCache(needed);
    for (const row of rows) judge(row);
  };
  try {
    // Only the columns a message needs (the lint's workers then rebuild no others on this thread).
    // A batch at a time: an async generator's promise per row cost more than the row's verdict.
    for await (const batch of classifiedBatches(prepared, req.onFinding, { keep: needed, text: false })) {
      for (const row of batch) {
        if (!known) {
          if (journal!.settled) {
            await settle();
          } else {
            waiting.push(row, row.bucket === 'sendable');
            if (waiting.bytes > WAITING_BYTES) await settle();
            continue;
          }
        }
        judge(row);
      }
    }
  } catch (err) {
    // A damaged journal is said before a damaged list, as when the journal was read first.
    if (!known) await journal!.promise;
    throw err;
  }
  if (!known) await settle();

  // The hash of the very bytes the pass linted; should the reader not have reached the file's end, of the file.
  const contactsSha = prepared.csv.sha256() ?? (await sha256File(req.contactsPath));
  const changed: string[] = [];
  const summary = existing as JournalSummary | null;
  if (summary) {
    if (summary.header.contacts.sha256 !== contactsSha) changed.push(`the contacts file ${path.basename(req.contactsPath)} changed since this journal was started`);
    const was = summary.header.template?.sha256 ?? null;
    if (was !== (template?.sha256 ?? null)) changed.push('the template changed since this journal was started');
  }

  const plan: SendPlan = {
    journalPath, journalStat, campaign, contactsSha, contactsVersion, templateSha: template?.sha256 ?? null, template,
    counts: tally.counts, toSend: tally.toSend, alreadyDone: tally.alreadyDone, uncertain: tally.uncertain, recent: tally.skipped.recent ?? 0,
    outsideWindowNow, templateErrors, changed, existing, skippedByReason: tally.skipped,
    ...(first ? { first } : {}),
    ...(persistence ? { storeWarning: persistence } : {}),
    health,
  };
  if (tally.revoked.size) {
    plan.revoked = tally.revoked;
    if (plan.first && tally.revoked.has(plan.first.to)) {
      const after = { ...verdicts, revoked: tally.revoked };
      const next = cache?.find((r) => decide(r, after).action === 'send');
      plan.first = next ? preview(next) : undefined;
    }
  }
  plan.rows = cache;
  plan.context = ctx;
  plan.textOf = textOf;
  return plan;
}

/** Reads and judges the sender's health; a refusal throws (exit 1) unless --ignore-health, or on a dry run, which sends nothing. */
async function preflightHealth(req: PlanRequest): Promise<HealthVerdict> {
  const o = req.options;
  const reading = await readSenderHealth(o.provider, req.env, { timeoutMs: Math.min(o.timeoutMs, 10_000), sandboxFaults: o.sandboxFaults });
  const rateGiven = Boolean(req.given?.has('rate')) || o.rate !== DEFAULTS.rate;
  const verdict = judgeHealth(reading, { rate: o.rate, rateGiven, dailyLimit: o.dailyLimit, ignoreHealth: Boolean(o.ignoreHealth) });
  if (verdict.refusal && !verdict.ignored && !o.dryRun) throw refusedError(verdict);
  return verdict;
}

/** What of the history the verdict consults. */
function historyVerdicts(h: HistoryContext): Pick<VerdictContext, 'lastMessaged' | 'alreadyMessaged' | 'repeatAfter'> {
  return { lastMessaged: h.lastMessaged, alreadyMessaged: h.alreadyMessaged, repeatAfter: h.repeatAfter };
}

/** The zone a recipient's `--window` is read in: `--tz`, else the row's tz column, else the number's country. */
function recipientZone(row: PlannedRow, o: CampaignOptions): string | undefined {
  if (o.tz) return o.tz;
  // A cell that is no time zone (lint warns: tz-invalid) is ignored, as an empty one.
  const cell = zoneCell(row.record);
  if (cell && isValidTimeZone(cell)) return cell;
  return row.phone ? defaultZoneFor(row.phone) : undefined;
}

/** Memory for the rows kept between the two passes; a bigger list is streamed from the file again. */
const ROW_CACHE_BYTES = 256 * 1024 * 1024;
/** Memory for the rows read before the journal's states are known (most become the cache's). */
const WAITING_BYTES = 96 * 1024 * 1024;

export interface RunHooks {
  onEvent?: (e: DispatchEvent) => void;
  onNotice?: (line: string) => void;
  /** Called once the provider is ready, before the first request. `force` drops the requests in flight. */
  onStart?: (info: { provider: string; total: number; outbox?: string; force: () => void }) => void;
  /** Canary waves: the wave being sent, its wait and its verdict (campaign/ramp.ts). */
  onWave?: (p: WaveProgress) => void;
}

export interface RunResult extends DispatchResult {
  journalPath: string;
  skippedWritten: number;
  /** A dry run: where the plan was written, and how many messages it holds. */
  dryRun?: { file: string; messages: number };
  /** A canary wave's verdict halted the campaign. */
  ramp?: RampOutcome['halt'];
}

/** `--ramp` and `--ramp-wait`, checked before any work; null without a ramp (or with `--ramp all`: one wave is no ramp). */
function rampOf(o: CampaignOptions): { steps: RampStep[]; waitMs: number } | null {
  if (o.ramp === undefined || o.ramp === '') return null;
  const steps = parseRamp(o.ramp);
  const waitMs = rampWaitMs(o.rampWait);
  return steps.length > 1 ? { steps, waitMs } : null;
}

/** The header as the report names it: its kind and the URL or the file's name. */
function headerSummary(h: NonNullable<NonNullable<Template['meta']>['header']>): { kind: string; media?: string } {
  return { kind: h.kind, ...(h.url ? { media: h.url } : h.file ? { media: path.basename(h.file) } : {}) };
}

/** Where `--dry-run` writes the messages it would send: beside the journal. */
export function dryRunPlanPath(journalPath: string): string {
  return journalPath.replace(/\.jsonl$/, '') + '.plan.jsonl';
}

/**
 * Second pass: open (or continue) the journal, record who is skipped and why, and dispatch the
 * rest. The rows are streamed again from the file, so a million contacts never sit in memory.
 *
 * `--dry-run` is this same pass with a provider that records instead of sending, on simulated
 * time: the window, the daily limit and the opt-out list are honoured exactly as in a send, and
 * each message lands in the plan with the time it would go out. It writes no journal, takes no
 * lock and records no history.
 */
export async function runSend(req: PlanRequest, plan: SendPlan, signal: AbortSignal, hooks: RunHooks = {}): Promise<RunResult> {
  // The health read's pace (a halved rate, the tier's 24 h limit) for this run only: the header records what the user chose.
  const o = plan.health ? { ...req.options, ...plan.health.options } : req.options;
  const dry = Boolean(o.dryRun);
  const clock = dry ? new VirtualClock() : undefined;
  const now = clock ? () => clock.date() : () => new Date();
  const nowIso = isoPerMs(now);
  // The list the user confirmed must be the list on disk (an edit while the prompt waited).
  if (!unchangedSince(plan.contactsVersion, await fileVersion(req.contactsPath)) && (await sha256File(req.contactsPath)) !== plan.contactsSha) {
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
    options: {
      ...recordedOptions(req.options),
      workdir: path.resolve(req.cwd),
      counts: plan.counts,
      selected: plan.counts.sendable,
      // What the approved header carries, for the report (the template file may change later).
      ...(plan.template?.meta?.header ? { header: headerSummary(plan.template.meta.header) } : {}),
    },
  };
  // The provider is configured before the journal exists: bad credentials must leave no journal
  // behind for the next `send` to resume. Creating one makes no request.
  const outbox = path.resolve(req.cwd, req.env.CAMPAIGN_SANDBOX_OUTBOX?.trim() || DEFAULT_SANDBOX_OUTBOX);
  const planFile = dryRunPlanPath(plan.journalPath);
  const lineOf = new WeakMap<OutboundMessage, number>();
  let recorder: PlanRecorder | undefined;
  let provider: Provider;
  if (dry) {
    await mkdir(path.dirname(planFile), { recursive: true });
    provider = recorder = new PlanRecorder(planFile, clock!, lineOf);
  } else {
    provider = createProvider(o.provider, req.env, {
      timeoutMs: o.timeoutMs,
      concurrency: o.concurrency,
      // The sandbox's delivery callbacks go to this journal and folder, as `campaign webhook` would write them.
      sandbox: { outbox, faults: o.sandboxFaults, callbacks: { journal: plan.journalPath, cwd: path.resolve(req.cwd), store: o.store, log: hooks.onNotice } },
    });
  }
  let journal: JournalWriter;
  let states = plan.existing?.states;
  let media: HeaderMedia;
  // The shared store (--store) holds the rate ceiling and the 24 h limit across processes; a dry
  // run draws nothing from it. Reached before the journal: an unreachable store leaves none.
  // Its own connection, not the state store's: a slot's admission must not queue behind a page
  // of history or the opt-out stream (Redis answers a connection in order).
  let store: StoreClient | null = null;
  try {
    if (o.store && !dry) store = await connectStore(o.store);
    // Before the journal: a failed upload leaves nothing behind, as bad credentials do.
    media = await headerMedia(plan, provider, dry, o.provider);
    journal = dry ? nullJournal(plan.journalPath) : await openForSend(plan, header, hooks);
    if (!dry) {
      // Checked again under the lock: a send that slipped in between the check before it and the lock.
      try {
        if ((await readJournalHeader(plan.journalPath)).campaign !== plan.campaign) throw startedElsewhere(plan.journalPath);
        const current = await statOrNull(plan.journalPath);
        if (plan.journalStat && (current?.size !== plan.journalStat.size || current?.mtimeMs !== plan.journalStat.mtimeMs)) {
          states = (await summariseJournal(plan.journalPath)).states;
        }
      } catch (err) {
        await journal.close();
        throw err;
      }
    }
  } catch (err) {
    await provider.close();
    await store?.close();
    throw err;
  }
  let failure: unknown;
  try {
    if (plan.existing) journal.append({ type: 'resume', at: nowIso(), pid: process.pid, ...(plan.changed.length ? { changed: plan.changed } : {}) });
    if (plan.health) journal.append(healthEvent(plan.health, nowIso()));
    if (media.uploaded) await journal.appendDurable([media.uploaded]);
    const senderId = providerModule(o.provider).senderId(req.env);
    const gate: Gate = store
      ? new StoreRateGate({ redis: store.redis, shown: store.shown, senderId, rate: o.rate })
      : new RateGate({ rate: o.rate, holdUntilStart: true, awaitAnswers: true, ...(clock ? { clock, marginMs: 0 } : {}) });
    const ctx = plan.context ?? (await contextFor(req, plan.template));
    const rows: AsyncIterable<PlannedRow> | Iterable<PlannedRow> = plan.rows ?? classifiedRows(await ctx.prepared(), () => {});
    plan.rows = undefined;
    const verdicts: VerdictContext = { states, resendUncertain: o.resendUncertain, ...historyVerdicts(ctx.history), revoked: plan.revoked };
    let skippedWritten = 0;

    /** The row's verdict: a skipped line journaled, or the item to send. */
    const itemOf = (row: PlannedRow): WorkItem | undefined => {
      const v = decide(row, verdicts);
      if (v.action === 'skip') {
        journal.append({ type: 'skipped', to: v.to, at: nowIso(), reason: v.reason, line: row.line });
        skippedWritten++;
        return undefined;
      }
      if (v.action !== 'send') return undefined;
      const tz = window && !o.tz ? recipientZone(row, o) : undefined;
      const message = buildMessage(plan.template, row, row.text ?? plan.textOf?.(row) ?? '', plan.campaign, req.env, media.ids);
      if (dry) lineOf.set(message, row.line);
      return { to: v.to, line: row.line, message, ...(tz ? { tz } : {}) };
    };
    async function* work(): AsyncGenerator<WorkItem> {
      for await (const row of rows) {
        if (signal.aborted) return;
        const item = itemOf(row);
        if (item) yield item;
      }
    }
    // The rows planning kept in memory: a plain generator, without an async generator's promises per row.
    function* workFromMemory(list: Iterable<PlannedRow>): Generator<WorkItem> {
      for (const row of list) {
        if (signal.aborted) return;
        const item = itemOf(row);
        if (item) yield item;
      }
    }

    const sender = provider;
    hooks.onStart?.({
      provider: o.provider,
      total: plan.toSend,
      outbox: o.provider === 'sandbox' && !dry ? outbox : undefined,
      // Closing the sockets fails the requests in flight at once: written ones become uncertain.
      force: () => void sender.close(),
    });
    // Callbacks appended by `campaign webhook` during this run can halt it (watch.ts).
    const inner = new AbortController();
    setMaxListeners(0, inner.signal);
    const forward = () => inner.abort(signal.reason);
    signal.addEventListener('abort', forward, { once: true });
    const state = await openStateStore(o, req.cwd, req.env);
    const watchFrom = (await statOrNull(plan.journalPath))?.size ?? 0;
    const watcher = new FeedbackWatcher(
      plan.journalPath,
      watchFrom,
      undefined,
      await state.followOptOuts({ defaultCountry: o.defaultCountry }),
    );
    const ramp = rampOf(o);
    // A resume of a ramped journal: where its wave plan stands, and the callbacks it already holds.
    let waveLog: WaveLog | null = null;
    if (ramp && !dry && watchFrom > 0) {
      waveLog = await readWaveLog(plan.journalPath, (line) => {
        if (line.type === 'status' || line.type === 'optout') watcher.seed(line);
      });
    }
    let feedbackHalt: FeedbackVerdict | null = null;
    // Cross-campaign history (--daily-limit, --min-interval of later campaigns) is written as the
    // run goes, about once a second, so a killed run still counts; uncertain ones count as messaged.
    let historyBuffer: HistoryEntry[] = [];
    let historyWrite: Promise<void> = Promise.resolve();
    const writeHistory = () => {
      if (dry || !historyBuffer.length) return historyWrite;
      const batch = historyBuffer;
      historyBuffer = [];
      historyWrite = historyWrite.then(() => recordSends(ctx.history.files, batch)).catch(() => undefined);
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
    const daily = await dailyLimitOf(o, store, senderId, req.env, ctx.history.files, states);
    const sentTimes = Array.isArray(daily.sentInLast24h) ? (daily.sentInLast24h as number[]) : undefined;
    const runDispatch = (items: AsyncIterable<WorkItem> | Iterable<WorkItem>) =>
      dispatch(
        items,
        { provider, journal, gate, ...(clock ? { now, sleep: clock.sleep } : {}) },
        {
          concurrency: o.concurrency,
          maxRetries: o.maxRetries,
          maxFailureRate: o.maxFailureRate,
          dailyLimit: o.dailyLimit,
          // Each wave is its own dispatch: it counts the waves before it in this run too.
          ...daily,
          ...(sentTimes ? { sentInLast24h: sentTimes } : {}),
          window,
          skipReason: (item) => (watcher.optedOut.has(item.to) ? 'opted-out' : null),
        },
        inner.signal,
        (e) => {
          // A provider's opt-out code: the shared store hears of it at once, for every other sender.
          if (e.type === 'failed' && e.to && OPT_OUT_CODES.has(String(e.code)) && !dry) void state.optOutFromSend(e.to).catch(() => undefined);
          if ((e.type === 'sent' || e.type === 'uncertain') && e.to) {
            if (!dry) historyBuffer.push({ to: e.to, at: nowIso(), campaign: plan.campaign, ...ctx.history.repeatKey, journal: plan.journalPath });
            if (e.type === 'sent') watcher.noteSent(e.to);
            if (ramp) sentTimes?.push(now().getTime());
          }
          // Only a ramp judges waves: a plain send keeps no set of every recipient for it.
          if (ramp && (e.type === 'sent' || e.type === 'uncertain' || e.type === 'failed') && e.to) watcher.addToWave(e.to);
          hooks.onEvent?.(e);
        },
      );
    let rampHalt: RampOutcome['halt'];
    const result = await (ramp
      ? runWaves({
          ...ramp,
          blind: o.rampBlind,
          limits: { maxOptOuts: o.rampMaxOptouts, maxFailed: o.rampMaxFailed, minDelivered: o.rampMinDelivered },
          dry,
          base: plan.alreadyDone + plan.toSend,
          reached: reachedCount(states),
          toSend: plan.toSend,
          log: waveLog,
          journal,
          watcher,
          items: work(),
          dispatch: runDispatch,
          now,
          sleep: clock ? clock.sleep : sleep,
          signal: inner.signal,
          onWave: hooks.onWave,
        }).then((r) => {
          rampHalt = r.halt;
          return r.result;
        })
      : runDispatch(Symbol.asyncIterator in rows ? work() : workFromMemory(rows))
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
    // The sandbox's callbacks still due, so that a report right after shows the whole funnel.
    const unposted = await provider.settle?.({
      signal,
      onWait: (seconds) => hooks.onNotice?.(`Waiting ${seconds} s for the sandbox's delivery callbacks (Ctrl-C skips).`),
    });
    // A big list's simulated callbacks outlast the wait: said, so a report's missing statuses are explained.
    if (unposted) hooks.onNotice?.(`The sandbox did not simulate ${unposted.toLocaleString('en-US')} delivery callbacks (the wait ended first): those recipients show as sent with no delivery status yet, as they would while a real provider's callbacks are still coming.`);
    await writeHistory();
    if (recorder) {
      await recorder.finish();
      return { ...result, journalPath: plan.journalPath, skippedWritten, dryRun: { file: planFile, messages: recorder.messages } };
    }
    return { ...result, journalPath: plan.journalPath, skippedWritten, ...(rampHalt ? { ramp: rampHalt } : {}) };
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // The lock goes even when the last flush fails (close() removes it whatever happens).
    const closing = await journal.close().then(() => undefined, (err: unknown) => err);
    await provider.close().catch(() => undefined);
    await store?.close();
    const fault = failure ?? closing;
    // A full disk mid-send: the journal holds every line up to the fault; say so plainly.
    if (fault) throw (dry ? diskError(fault, planFile, { sending: false }) : diskError(fault, plan.journalPath, { sending: true, journal: plan.journalPath })) ?? fault;
  }
}

/** Recipients the journal records an attempt for (a resumed ramp's waves count them as reached). */
function reachedCount(states: RecipientStates | undefined): number {
  let n = 0;
  for (const [, r] of states?.entries() ?? []) if (r.attempts > 0) n++;
  return n;
}

/** Uploaded media ids stay valid 30 days: one older than this is uploaded again rather than expire mid-send. */
export const MEDIA_REUSE_MS = 29 * 24 * 3_600_000;

interface HeaderMedia {
  /** Absolute path of a header file → the media id every message uses. */
  ids: Map<string, string>;
  /** The journal event for a file uploaded by this run. */
  uploaded?: MediaEvent;
}

/**
 * A local header file is uploaded once per campaign, before the first message: a resume reuses
 * the id the journal holds for the same bytes while it is valid. A dry run uploads nothing.
 */
async function headerMedia(plan: SendPlan, provider: Provider, dry: boolean, providerName: string): Promise<HeaderMedia> {
  const ids = new Map<string, string>();
  const header = plan.template?.meta?.header;
  const file = header && header.kind !== 'text' ? header.file : undefined;
  if (!file) return { ids };
  const sha256 = await sha256File(file).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`cannot read the header file: ${err.code === 'ENOENT' ? 'no such file' : err.message}.`, {
      file,
      hint: "Check the header's file: in the template's front matter (it is relative to the template).",
    });
  });
  if (dry) {
    ids.set(file, 'dry-run-upload');
    return { ids };
  }
  const now = Date.now();
  const reusable = plan.existing?.media.findLast((e) => e.file === file && e.sha256 === sha256 && now - Date.parse(e.at) < MEDIA_REUSE_MS);
  if (reusable) {
    ids.set(file, reusable.id);
    return { ids };
  }
  const mime = mediaMime(file);
  if (!mime) {
    throw new InputError(`the header file has a type the Cloud API does not take for a ${header!.kind} header.`, {
      file,
      hint: 'Use a .jpg or .png image, an .mp4 or .3gp video, or a .pdf document.',
    });
  }
  // planSend's checkHeaderSupport refuses a file for providers without uploads.
  if (!provider.uploadMedia) throw new UsageError(`The ${providerName} provider cannot upload a header file.`);
  const result = await provider.uploadMedia({ path: file, mime });
  if (!result.ok) {
    throw new CampaignError(`the header file could not be uploaded (${result.message}); nothing was sent.`, {
      file,
      exitCode: 1,
      hint: 'Check the credentials and the connection, then run the same command again.',
    });
  }
  ids.set(file, result.id);
  return { ids, uploaded: { type: 'media', file, sha256, id: result.id, at: new Date(now).toISOString() } };
}

function startedElsewhere(journalPath: string): InputError {
  return new InputError('another send started this journal while this one was being prepared; nothing was sent.', {
    file: journalPath,
    hint: 'Run the same command again: it will resume that journal.',
  });
}

/**
 * Opens (or continues) the journal under its lock. Another send may have written it while this
 * one planned or asked for confirmation: the plan's picture of who is done would then be stale.
 */
async function openForSend(plan: SendPlan, header: JournalHeader, hooks: RunHooks): Promise<JournalWriter> {
  await mkdir(path.dirname(plan.journalPath), { recursive: true });
  if (!plan.journalStat && (await statOrNull(plan.journalPath))) throw startedElsewhere(plan.journalPath);
  return openJournal(plan.journalPath, plan.existing ? null : header, { onNotice: hooks.onNotice });
}

/** A dry run's journal: it records nothing, so that the real send afterwards starts clean. */
function nullJournal(journalPath: string): JournalWriter {
  const done = async () => {};
  return {
    path: journalPath,
    stats: { writes: 0, syncs: 0, lines: 0 },
    append: () => {},
    appendDurable: done,
    attempt: done,
    flush: done,
    close: done,
  };
}

/**
 * The dry run's provider: each message becomes a line of the plan (`to`, source `line`, `text`,
 * the approved `template` and the simulated time `at` it would go out), streamed to a temporary
 * file renamed into place at the end, so an interrupted dry run leaves no half plan.
 */
class PlanRecorder implements Provider {
  readonly name = 'sandbox' as const;
  messages = 0;
  private readonly out: WriteStream;

  constructor(private readonly file: string, private readonly clock: VirtualClock, private readonly lineOf: WeakMap<OutboundMessage, number>) {
    this.out = createWriteStream(`${file}.tmp`);
  }

  async send(msg: OutboundMessage): Promise<SendResult> {
    const n = ++this.messages;
    const line = JSON.stringify({ to: msg.to, line: this.lineOf.get(msg), at: this.clock.date().toISOString(), text: msg.text, ...(msg.template ? { template: msg.template } : {}) });
    if (!this.out.write(`${line}\n`)) await once(this.out, 'drain');
    return { ok: true, id: `dry-run.${n}` };
  }

  async finish(): Promise<void> {
    this.out.end();
    await once(this.out, 'close');
    await rename(`${this.file}.tmp`, this.file);
  }

  async close(): Promise<void> {
    if (!this.out.closed) this.out.destroy();
  }
}

/**
 * --daily-limit is the provider's messaging-limit tier: distinct recipients in a rolling 24 h for
 * the whole business, so other campaigns count too (`.campaign/history.jsonl`), besides this
 * journal's sent and uncertain recipients. One time per recipient: their latest.
 */
async function recentRecipients(historyFiles: HistorySource, states: RecipientStates | undefined): Promise<Map<string, number>> {
  const since = Date.now() - 24 * 3_600_000;
  const latest = new Map<string, number>();
  for (const [to, at] of await loadHistory(historyFiles)) if (at >= since) latest.set(to, at);
  for (const [to, r] of states?.entries() ?? []) {
    if ((r.state === 'sent' || r.state === 'uncertain') && r.lastAttemptAt !== undefined && r.lastAttemptAt >= since) {
      latest.set(to, Math.max(latest.get(to) ?? 0, r.lastAttemptAt));
    }
  }
  return latest;
}

/**
 * How the dispatcher counts --daily-limit: this folder's recent recipients, or with a store the
 * business's count there (seeded with this folder's, so turning the store on resets nothing).
 */
async function dailyLimitOf(
  o: CampaignOptions,
  store: StoreClient | null,
  senderId: string,
  env: Record<string, string | undefined>,
  historyFiles: HistorySource,
  states: RecipientStates | undefined,
): Promise<Pick<DispatchOptions, 'sentInLast24h' | 'dailyAdmit'>> {
  if (!o.dailyLimit) return {};
  const latest = await recentRecipients(historyFiles, states);
  if (!store) return { sentInLast24h: [...latest.values()].sort((a, b) => a - b) };
  const shared = new StoreDailyLimit(store.redis, store.shown, businessOf(o.provider, env, senderId, o.business), o.dailyLimit);
  try {
    await shared.seed(latest);
  } catch (err) {
    throw new UsageError(`${(err as Error).message}.`, { hint: 'Start the store again, then resume.', cause: err });
  }
  return { dailyAdmit: shared.admit };
}

export type { Finding };

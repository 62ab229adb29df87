import type { CampaignOptions } from '../config/load.js';
import { promises as fsp } from 'node:fs';
import { compileClassifier, ClassifyState, type RowStep } from '../contacts/classify.js';
import { toRawRow } from '../contacts/read.js';
import { lintStep } from './row-work.js';
import { lintWorkerCount, pooledSteps, type WorkerInit } from './pool.js';
import { looksInternational, openCsv, parseWhere, readOptOutList, resolveColumns } from '../contacts/index.js';
import { unreadableFinding } from '../contacts/optouts.js';
import type { ClassifiedRow, ClassifyOptions, ContactSourceInfo, FindingSink, OpenedCsv } from '../contacts/types.js';
import { readTemplate } from '../template/parse.js';
import { bindColumns, compileTemplate } from '../template/render.js';
import type { Template } from '../template/types.js';
import { lintTemplate } from './template-rules.js';
import type { ContactCounts, Finding } from '../findings.js';
import { decide, Tally, verdictFinding, type VerdictContext } from '../campaign/verdict.js';
import { UsageError } from '../errors.js';
import { loadHistoryContext } from '../campaign/context.js';
import { openStateStore } from '../store/state.js';
import { compileRowChecks, type RowChecker } from './row-checks.js';

export interface LintRequest {
  contactsPath: string;
  options: CampaignOptions;
  /** Provider credentials, for --check-template. */
  env?: Record<string, string | undefined>;
  /** Folder whose `.campaign/optouts.txt` is read as a suppression list by default. */
  cwd: string;
  onFinding: FindingSink;
}

export interface LintResult {
  contacts: ContactCounts;
  template: Template | null;
  header: string[];
  columns: ContactSourceInfo;
  /** Error-level findings about the template itself (they block a send). */
  templateErrors: number;
  errors: number;
}

/** Everything a pass over the contacts needs, set up once: template, columns, suppression, filters. */
export interface PreparedLint {
  template: Template | null;
  csv: OpenedCsv;
  columns: ContactSourceInfo;
  classify: ClassifyOptions;
  /** Renders the message text for a row (null without a template). */
  render: ((record: Record<string, string>) => string) | null;
  /** Findings made before the rows: the contacts file's own (header-not-first), the opt-out lists' and the template's. */
  templateFindings: Finding[];
  /** What each row's values bring into its message (content rules, per-recipient links). */
  rowChecks: RowChecker | null;
  /** --check-links: the per-recipient links that failed online, url → error findings. */
  failedLinks: Map<string, Finding[]>;
}

export async function prepareLint(req: Omit<LintRequest, 'onFinding'>, opts: { checkLinks?: boolean; checkTemplate?: boolean; hash?: boolean } = {}): Promise<PreparedLint> {
  const { options } = req;
  const where = options.where.map((w) => parseWhere(w));
  const consentMaxAgeDays = options.consentMaxAge === undefined ? undefined : Number(options.consentMaxAge);
  if (consentMaxAgeDays !== undefined && !(consentMaxAgeDays > 0)) {
    throw new UsageError('--consent-max-age must be a number of days above 0.');
  }
  // An unreachable --store is said before anything is read.
  const store = await openStateStore(options, req.cwd, req.env ?? {});
  const template = options.template ? await readTemplate(options.template) : null;
  const csv = await openCsv(req.contactsPath, { encoding: options.encoding, headerLine: options.headerLine, phoneColumn: options.phoneColumn, hash: opts.hash });
  const columns = resolveColumns(csv.header, { phoneColumn: options.phoneColumn, consentColumn: options.consentColumn }, csv.path);

  const templateFindings: Finding[] = [...csv.findings];
  let render: PreparedLint['render'] = null;
  let requiredVariables: string[] = [];
  let rowChecks: RowChecker | null = null;
  let failedLinks = new Map<string, Finding[]>();
  if (template) {
    templateFindings.push(...lintTemplate(template, csv.header));
    // The online checks load only when asked for: most runs never need them.
    if (opts.checkLinks) {
      const { checkLinksOnline } = await import('./check-links.js');
      templateFindings.push(...(await checkLinksOnline(template, { timeoutMs: Math.min(options.timeoutMs, 10_000) })));
    }
    if (opts.checkTemplate) {
      if (!template.meta) {
        templateFindings.push({ rule: 'template-not-found', severity: 'error', message: '--check-template needs front matter naming the approved template.', value: template.path });
      } else {
        const { checkParity } = await import('../parity/index.js');
        templateFindings.push(...(await checkParity(options.provider, req.env ?? {}, template.meta, { timeoutMs: Math.min(options.timeoutMs, 10_000) })));
      }
    }
    const binding = bindColumns(template, csv.header);
    requiredVariables = [...new Set(binding.columns.values())];
    render = compileTemplate(template, binding);
    rowChecks = compileRowChecks(template, binding);
    if (opts.checkLinks && rowChecks) {
      // The links built from the data are known only row by row: one pass collects them, each is fetched once.
      const { PerRecipientLinks } = await import('./check-links.js');
      const seen = new PerRecipientLinks();
      const again = await openCsv(req.contactsPath, { encoding: options.encoding, headerLine: options.headerLine, phoneColumn: options.phoneColumn });
      for await (const row of again.rows) for (const l of rowChecks.check(row.record, render(row.record)).links) seen.add(l.url, l.kind);
      const checked = await seen.check({ timeoutMs: Math.min(options.timeoutMs, 10_000) });
      failedLinks = checked.failed;
      if (checked.summary) templateFindings.push(checked.summary);
    }
  }

  const suppressed = new Set<string>();
  const lists = [...options.suppress];
  for (const file of lists) {
    const list = await readOptOutList(file, { defaultCountry: options.defaultCountry });
    for (const n of list.numbers) suppressed.add(n);
    const unreadable = unreadableFinding(file, list);
    if (unreadable) templateFindings.push(unreadable);
  }
  // The opt-outs of the folder (or of the shared store): the store was opened before any other work.
  const own = await store.readOptOuts({ defaultCountry: options.defaultCountry, skip: lists });
  for (const n of own.numbers) suppressed.add(n);
  templateFindings.push(...own.findings);

  return {
    template,
    csv,
    columns,
    render,
    templateFindings,
    rowChecks,
    failedLinks,
    classify: {
      // The columns as the user named them: classify resolves them again, with the same answer and its fallbacks.
      phoneColumn: options.phoneColumn,
      consentColumn: options.consentColumn,
      consentYes: options.consentYes,
      international: options.international,
      defaultCountry: options.defaultCountry,
      suppressed,
      where,
      requiredVariables,
      consentMaxAgeDays,
    },
  };
}

/**
 * One streamed pass over the contacts: every row classified into exactly one bucket, findings to
 * `emit` as they are found, in file order. A large list is done on every core: the main thread
 * parses and applies what depends on the rows above (duplicates, consent conflicts), worker
 * threads do each row's own half (lintStep); a small one is done here. Both give the same rows.
 * `keep` names the record columns the caller reads (all of them by default); `text: false` says
 * it does not read the rendered text (the workers then need not send it back).
 */
export async function* classifiedRows(p: PreparedLint, emit: FindingSink, opts: { keep?: string[]; text?: boolean } = {}): AsyncGenerator<ClassifiedRow & { text?: string }> {
  for await (const batch of classifiedBatches(p, emit, opts)) yield* batch;
}

/**
 * The same rows a batch at a time: one await per batch instead of one per row (the per-row
 * promise of an async generator cost more than the rows' own checks). Each batch classifies its
 * rows as it is iterated, so the caller's findings for a row still follow the row's own.
 */
export async function* classifiedBatches(p: PreparedLint, emit: FindingSink, opts: { keep?: string[]; text?: boolean } = {}): AsyncGenerator<Iterable<ClassifiedRow & { text?: string }>> {
  // One "now" for every thread: the consent age must not depend on which thread read the row.
  const classify: ClassifyOptions = { ...p.classify, now: p.classify.now ?? new Date() };
  const classifier = compileClassifier(p.csv.header, classify, p.csv.path);
  for (const f of classifier.fileFindings) emit(f);
  const bytes = (await fsp.stat(p.csv.path)).size;
  const state = new ClassifyState(classifier.consentColumn, p.csv.estimatedRows);
  const workers = lintWorkerCount(bytes);
  const applied = function* (steps: RowStep[]) {
    for (const s of steps) yield state.apply(s, emit);
  };
  if (workers === 0) {
    const { header } = p.csv;
    for await (const batch of p.csv.batches()) yield (function* () {
      for (const r of batch) yield state.apply(lintStep(classifier, p, toRawRow(header, r.fields, r.line)), emit);
    })();
    return;
  }
  const { now, ...rest } = classify;
  const init: WorkerInit = { header: p.csv.header, path: p.csv.path, classify: rest, now: now!.getTime(), template: p.template, failedLinks: p.failedLinks };
  const cols = { header: p.csv.header, phoneColumn: classifier.phoneColumn, consentIndex: p.csv.header.indexOf(classifier.consentColumn), keep: opts.keep ?? ('all' as const), text: opts.text ?? true };
  for await (const steps of pooledSteps(p.csv, init, cols, workers, (row) => lintStep(classifier, p, row))) yield applied(steps);
}

/**
 * lint(): the template first (its placeholders decide which empty cells matter), then one
 * streamed pass over the contacts.
 */
export async function lint(req: LintRequest): Promise<LintResult> {
  let errors = 0;
  let templateErrors = 0;
  const emit: FindingSink = (f) => {
    if (f.severity === 'error') errors++;
    req.onFinding(f);
  };
  const prepared = await prepareLint(req, { checkLinks: req.options.checkLinks, checkTemplate: req.options.checkTemplate });
  // History (the repeat guard, --min-interval) gives recipients messaged before their own buckets.
  const history = await loadHistoryContext(req.cwd, req.env ?? {}, req.options, prepared.template);
  for (const f of prepared.templateFindings) {
    if (f.severity === 'error') templateErrors++;
    emit(f);
  }
  // The same verdict a send acts on, with no journal yet: lint's counts are the send's.
  const verdicts: VerdictContext = { lastMessaged: history.lastMessaged, alreadyMessaged: history.alreadyMessaged, repeatAfter: history.repeatAfter };
  const tally = new Tally(verdicts);
  // Numbers written without + that may start with their country code (WhatsApp IDs, CRM exports).
  const samples: string[] = [];
  const phoneColumn = prepared.columns.phoneColumn;
  for await (const batch of classifiedBatches(prepared, emit, { keep: [phoneColumn], text: false })) {
    for (const row of batch) {
      const v = decide(row, verdicts);
      const finding = verdictFinding(v, verdicts, req.options.minInterval);
      if (finding) emit(finding);
      tally.add(v);
      if (samples.length < 200) {
        const cell = row.record[phoneColumn];
        if (cell && !/^\s*(\+|00)/.test(cell)) samples.push(cell);
      }
    }
  }
  if (!req.options.international && !prepared.columns.countryColumn && samples.length >= 3 && looksInternational(samples, req.options.defaultCountry)) {
    emit({
      rule: 'international-suggested',
      severity: 'warning',
      message: `Most numbers in "${phoneColumn}" are written without + but start with a country code (e.g. ${samples[0].trim()}): pass --international to read them so.`,
      column: phoneColumn,
    });
  }
  return {
    contacts: tally.counts,
    template: prepared.template,
    header: prepared.csv.header,
    columns: prepared.columns,
    templateErrors,
    errors,
  };
}

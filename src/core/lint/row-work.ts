import type { RowClassifier, RowStep } from '../contacts/classify.js';
import type { RawRow } from '../contacts/types.js';
import type { Finding } from '../findings.js';
import { bindColumns, compileTemplate } from '../template/render.js';
import type { Template } from '../template/types.js';
import { compileRowChecks, type RowChecker } from './row-checks.js';
import { checkRenderedLength } from './template-rules.js';

/** What the lint adds to a row's classification: its message, its length, the rules on its values. */
export interface RowWork {
  template: Template | null;
  render: ((record: Record<string, string>) => string) | null;
  rowChecks: RowChecker | null;
  /** --check-links: the per-recipient links that failed online, url → error findings. */
  failedLinks: ReadonlyMap<string, Finding[]>;
}

/** The same work prepareLint sets up, rebuilt from plain data (in a worker thread). */
export function compileRowWork(template: Template | null, header: string[], failedLinks: ReadonlyMap<string, Finding[]>): RowWork {
  if (!template) return { template, render: null, rowChecks: null, failedLinks };
  const binding = bindColumns(template, header);
  return { template, render: compileTemplate(template, binding), rowChecks: compileRowChecks(template, binding), failedLinks };
}

/**
 * One row's step, with the lint's part for a row classify found sendable: a message too long after
 * substitution, values that trip an error rule (a banned term, a shortener link...) or a link that
 * failed online make it `missing_variable`, the bucket of rows whose values make no sendable message.
 * It still claims its number, as classify decided.
 */
export function lintStep(classifier: RowClassifier, work: RowWork, raw: RawRow): RowStep {
  const s = classifier.step(raw);
  if (s.kind !== 'candidate' || !s.claims || !work.render || !work.template) return s;
  const text = work.render(s.record);
  const tooLong = checkRenderedLength(work.template, text);
  if (tooLong) {
    (s.after ??= []).push({ ...tooLong, line: s.line });
    s.bucket = 'missing_variable';
    return s;
  }
  if (work.rowChecks) {
    const check = work.rowChecks.check(s.record, text);
    let ok = true;
    const say = (f: Finding) => {
      if (f.severity === 'error') ok = false;
      (s.after ??= []).push({ ...f, line: s.line });
    };
    for (const f of check.findings) say(f);
    for (const l of check.links) {
      for (const f of work.failedLinks.get(l.url) ?? []) say({ ...f, column: l.column, message: `column "${l.column}": ${f.message}` });
    }
    if (!ok) {
      s.bucket = 'missing_variable';
      return s;
    }
  }
  s.text = text;
  return s;
}

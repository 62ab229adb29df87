import { Chalk, type ChalkInstance } from 'chalk';
import type { Finding, Severity } from '../core/findings.js';
import { loadEnv } from '../core/config/load.js';
import { environmentSecrets, redact, terminalSafe } from '../core/redact.js';

let secrets: string[] | undefined;
/** The secrets of this run: the environment and the working directory's `.env`. */
function runSecrets(): string[] {
  if (!secrets) {
    try {
      secrets = environmentSecrets(loadEnv(process.cwd()));
    } catch {
      secrets = environmentSecrets(process.env);
    }
  }
  return secrets;
}

/** Text quoting input, for a terminal: secrets redacted, control characters made visible. */
export function shown(text: string): string {
  return terminalSafe(redact(text, runSecrets()));
}

/** Text quoting input, for `--json` or a file: secrets redacted (JSON escapes the rest). */
export function redacted(text: string): string {
  return redact(text, runSecrets());
}

/**
 * Colour only when that stream is a TTY and neither NO_COLOR nor TERM=dumb says otherwise.
 * chalk's supports-color deliberately ignores NO_COLOR (chalk/supports-color#74), so we decide.
 */
export function colourFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env, noColor = false): ChalkInstance {
  const off = noColor || 'NO_COLOR' in env || env.TERM === 'dumb' || !stream.isTTY || env.FORCE_COLOR === '0';
  return new Chalk({ level: off ? 0 : 1 });
}

const ORDER: Record<Severity, number> = { info: 0, warning: 1, error: 2 };
const SAMPLE = 5;

/** Keeps every finding for `--json`, or only counts and the first few rows of each rule for people. */
export class FindingCollector {
  readonly byRule = new Map<string, { severity: Severity; count: number; sample: Finding[] }>();
  readonly all: Finding[] = [];
  constructor(private readonly keepAll: boolean) {}

  add = (f: Finding): void => {
    if (this.keepAll) this.all.push(f);
    let group = this.byRule.get(f.rule);
    if (!group) this.byRule.set(f.rule, (group = { severity: f.severity, count: 0, sample: [] }));
    group.count++;
    if (group.sample.length < SAMPLE) group.sample.push(f);
  };

  count(severity: Severity): number {
    let n = 0;
    for (const g of this.byRule.values()) if (g.severity === severity) n += g.count;
    return n;
  }
}

/** The human lint report: grouped by rule, least important first so errors end up last on screen. */
export function formatFindings(collector: FindingCollector, c: ChalkInstance, fixOf: (rule: string) => string | undefined): string[] {
  const lines: string[] = [];
  const groups = [...collector.byRule.entries()].sort(
    ([a, ga], [b, gb]) => ORDER[ga.severity] - ORDER[gb.severity] || ga.count - gb.count || a.localeCompare(b),
  );
  const paint = { error: c.red.bold, warning: c.yellow.bold, info: c.cyan };
  for (const [rule, g] of groups) {
    lines.push('');
    lines.push(`${paint[g.severity](g.severity.padEnd(7))} ${c.bold(rule)} ${c.dim(`(${g.count})`)}`);
    for (const f of g.sample) {
      const where = f.line ? c.dim(`line ${f.line}: `) : '';
      lines.push(`  ${where}${shown(f.message)}`);
    }
    if (g.count > g.sample.length) lines.push(c.dim(`  ... and ${g.count - g.sample.length} more`));
    const fix = fixOf(rule);
    if (fix) lines.push(`  ${c.green('fix:')} ${fix}`);
  }
  return lines;
}

/** 1234567 → "1,234,567". Not toLocaleString: its first call loads ICU data (~0.15 s). */
export function count(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${n === 1 ? word : many}`;
}

/**
 * Writes `{"findings": [...], ...rest}` to a stream one finding at a time, in 64 KiB chunks
 * (stdout is synchronous for files and pipes on Linux, so nothing piles up in memory).
 */
export class JsonFindingsStream {
  private buf = '{\n  "findings": [';
  private first = true;
  constructor(private readonly out: NodeJS.WritableStream) {}

  add(f: Finding): void {
    this.buf += `${this.first ? '' : ','}\n    ${redacted(JSON.stringify(f))}`;
    this.first = false;
    if (this.buf.length > 65_536) {
      this.out.write(this.buf);
      this.buf = '';
    }
  }

  end(rest: Record<string, unknown>): void {
    let tail = this.first ? ']' : '\n  ]';
    for (const [k, v] of Object.entries(rest)) tail += `,\n  ${JSON.stringify(k)}: ${JSON.stringify(v, null, 2).replace(/\n/g, '\n  ')}`;
    this.out.write(`${this.buf}${tail}\n}\n`);
    this.buf = '';
  }
}

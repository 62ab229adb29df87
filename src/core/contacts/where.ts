import { InputError, UsageError } from '../errors.js';
import { findColumn } from './columns.js';
import type { WhereCondition } from './types.js';

const WHERE = /^\s*([^=!~]*?)\s*(!=|=|~)\s*(.*?)\s*$/s;

/** `city=Madrid`, `city!=Madrid`, `city~mad`: the first operator splits column from value. */
export function parseWhere(expr: string): WhereCondition {
  const m = WHERE.exec(expr);
  if (!m || m[1] === '') {
    throw new UsageError(`--where "${expr}" is not a condition.`, {
      hint: 'Write COLUMN=VALUE, COLUMN!=VALUE or COLUMN~TEXT, e.g. --where city=Madrid.',
    });
  }
  return { column: m[1], op: m[2] as WhereCondition['op'], value: m[3] };
}

/** Comparison form: case, accents, surrounding and repeated spaces do not count. */
export function foldValue(value: string): string {
  return value.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().trim().replace(/\s+/g, ' ');
}

export type RowFilter = (record: Record<string, string>) => boolean;

/** Binds conditions to the header's columns; all must hold. An unknown column is an input error. */
export function compileWhere(conditions: WhereCondition[], header: string[], path: string): RowFilter | undefined {
  if (conditions.length === 0) return undefined;
  const bound = conditions.map((c) => {
    const column = findColumn(header, c.column);
    if (!column) {
      throw new InputError(`--where names a column "${c.column}" that the file does not have.`, {
        file: path,
        line: 1,
        hint: `The columns are: ${header.join(', ')}.`,
      });
    }
    return { column, op: c.op, value: foldValue(c.value) };
  });
  return (record) => {
    for (const c of bound) {
      const v = foldValue(record[c.column] ?? '');
      const ok = c.op === '=' ? v === c.value : c.op === '!=' ? v !== c.value : v.includes(c.value);
      if (!ok) return false;
    }
    return true;
  };
}

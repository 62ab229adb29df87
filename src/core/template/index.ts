export type { DeclaredLink, LinkKind, Template, TemplateMeta } from './types.js';
export { LINK_KINDS } from './types.js';
export { parseTemplate, readTemplate } from './parse.js';
export {
  bindColumns, buttonSuffixes, compileTemplate, missingValues, normaliseColumnName, renderBody, templateColumns, templateParams,
  type ColumnBinding,
} from './render.js';

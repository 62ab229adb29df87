export { buildReport, reduceReport, type Report, type ReportOptions, type FailureGroup, type TimelinePoint } from './build.js';
export { renderHtml, esc, type HtmlOptions } from './html.js';
export { lookupCode, OPT_OUT_CODES, type CodeMeaning } from '../providers/index.js';

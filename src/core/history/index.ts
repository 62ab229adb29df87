export { recordSends, loadHistory, loadRecentlyMessaged, parseDuration, historyPath, STATE_DIR } from './history.js';
export type { HistoryEntry } from './history.js';
export { appendWholeLines } from './append.js';

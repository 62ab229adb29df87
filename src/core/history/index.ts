export { recordSends, readHistory, loadHistory, loadRecentlyMessaged, parseDuration, historyPath, historyFiles, STATE_DIR } from './history.js';
export type { HistoryEntry, HistorySource, HistoryStore } from './history.js';
export { loadRepeatGuard, type RepeatKey, type RepeatLookup, type EarlierSend } from './repeat.js';
export { stateDirs, userStateDir } from './state-dirs.js';
export { appendWholeLines } from './append.js';

/** Environment the fetchers read (process.env merged with .env by the caller). */
export type { ApprovedTemplate, FetchOptions, ProviderEnv as ParityEnv } from '../providers/index.js';

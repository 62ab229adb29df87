// The approved template and the fetch options belong to the providers (each fetches its own);
// ParityEnv is the environment the fetchers read (process.env merged with .env by the caller).
export type { ApprovedTemplate, FetchOptions, ProviderEnv as ParityEnv } from '../providers/index.js';

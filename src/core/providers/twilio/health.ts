import { isRecord, readBaseUrl, secretValues } from '../common.js';
import { httpFailure, tryGet, unknownHealth } from '../health.js';
import { formatBasicAuth } from '../http.js';
import type { HealthOptions, ProviderEnv, SenderHealth } from '../types.js';
import { TWILIO_DEFAULT_API_URL, TWILIO_SECRET_VARS } from './send.js';

/**
 * Twilio exposes no quality rating, tier or throughput of the WhatsApp sender through the 2010
 * API; what it does expose is the account's `status` (active, suspended, closed): only that is known.
 */
export function parseTwilioAccount(json: unknown): SenderHealth {
  if (!isRecord(json)) return unknownHealth('twilio', 'failed', 'Twilio answered without an account object');
  const status = typeof json.status === 'string' && json.status.trim() ? json.status.trim().toUpperCase() : 'UNKNOWN';
  return { ...unknownHealth('twilio', 'ok'), status };
}

/** `GET /2010-04-01/Accounts/{Sid}.json`; never throws, never shows the token. */
export async function readTwilioHealth(env: ProviderEnv, opts: HealthOptions = {}): Promise<SenderHealth> {
  const sid = env.TWILIO_ACCOUNT_SID?.trim();
  const token = env.TWILIO_AUTH_TOKEN?.trim();
  if (!sid || !token) return unknownHealth('twilio', 'failed', `${!sid ? 'TWILIO_ACCOUNT_SID' : 'TWILIO_AUTH_TOKEN'} is not set`);
  let base: string;
  try {
    base = readBaseUrl(env, 'TWILIO_API_URL', TWILIO_DEFAULT_API_URL);
  } catch (err) {
    return unknownHealth('twilio', 'failed', (err as Error).message.replace(/\.$/, ''));
  }
  const url = `${base}/2010-04-01/Accounts/${encodeURIComponent(sid)}.json`;
  const authorization = formatBasicAuth(sid, token);
  const secrets = [...secretValues(env, TWILIO_SECRET_VARS), authorization.slice('Basic '.length)];
  const res = await tryGet(url, url, { Authorization: authorization, Accept: 'application/json' }, { timeoutMs: opts.timeoutMs }, secrets);
  if ('failed' in res) return unknownHealth('twilio', 'failed', res.failed);
  if (res.status < 200 || res.status >= 300) return unknownHealth('twilio', 'failed', httpFailure('Twilio', res));
  return parseTwilioAccount(res.json);
}

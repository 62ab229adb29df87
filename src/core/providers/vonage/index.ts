import { unknownHealth } from '../health.js';
import type { ProviderModule } from '../types.js';
import { VONAGE_CODES } from './codes.js';
import { createVonageProvider, VONAGE_SECRET_VARS } from './send.js';
import { vonageWebhook } from './webhook.js';

export { buildVonageMessage, createVonageProvider, readVonageCode, VONAGE_DEFAULT_API_URL } from './send.js';
export { classifyVonage, VONAGE_CODES } from './codes.js';
export { parseVonagePayload, verifyVonageJwt } from './webhook.js';

/** Vonage's Messages API v1 (providers.md §3); it has no template API to check against. */
export const vonage: ProviderModule = {
  name: 'vonage',
  title: 'Vonage',
  secretVars: VONAGE_SECRET_VARS,
  create: createVonageProvider,
  senderId: (env) => `vonage:${(env.VONAGE_WHATSAPP_FROM ?? '').replace(/\D/g, '')}`,
  codes: VONAGE_CODES,
  webhook: vonageWebhook,
  // The Messages API documents no read of the sender's quality, limit or account state.
  health: async () => unknownHealth('vonage', 'none'),
  // Meta's native header rides in `custom`; Vonage has no upload of Meta media, so a local file cannot be sent.
  headers: { image: ['url'], video: ['url'], document: ['url'], text: ['text'] },
};

import type { ProviderModule } from '../types.js';
import { CLOUD_CODES, CLOUD_TITLE, cloudCodeKey } from './codes.js';
import { CLOUD_SECRET_VARS, createCloudProvider } from './send.js';
import { readCloudHealth } from './health.js';
import { fetchCloudTemplate, listCloudTemplates } from './templates.js';
import { cloudWebhook } from './webhook.js';

export { buildCloudMessage, buildTemplateComponents, CLOUD_DEFAULT_API_URL, createCloudProvider, createCloudSender } from './send.js';
export { CLOUD_CODES, classifyCloud } from './codes.js';
export { HEALTH_FIELDS, parseCloudHealth, parseTier, readCloudHealth } from './health.js';
export { listCloudTemplates } from './templates.js';
export { parseMetaPayload, verifyMetaSignature } from './webhook.js';

/** Meta's WhatsApp Cloud API (providers.md §1). */
export const cloud: ProviderModule = {
  name: 'cloud',
  title: CLOUD_TITLE,
  secretVars: CLOUD_SECRET_VARS,
  create: createCloudProvider,
  senderId: (env) => `cloud:${env.WHATSAPP_PHONE_NUMBER_ID?.trim() ?? ''}`,
  codes: CLOUD_CODES,
  codeKey: cloudCodeKey,
  webhook: cloudWebhook,
  fetchApprovedTemplate: fetchCloudTemplate,
  health: readCloudHealth,
  listTemplates: listCloudTemplates,
  headers: { image: ['url', 'file'], video: ['url', 'file'], document: ['url', 'file'], text: ['text'] },
};

import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { HttpClient } from '../http.js';
import { isRecord } from '../common.js';
import type { MediaUpload, UploadResult } from '../types.js';

/** The types the Cloud API takes for template header media (providers.md §1.11), by extension. */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.mp4': 'video/mp4',
  '.3gp': 'video/3gpp',
  '.3gpp': 'video/3gpp',
  '.pdf': 'application/pdf',
};

/** The MIME type the upload declares for `file`, or undefined for an extension the Cloud API does not take. */
export function mediaMime(file: string): string | undefined {
  return MIME_BY_EXTENSION[path.extname(file).toLowerCase()];
}

/** `multipart/form-data` with `messaging_product`, `type` and `file`, as `POST /media` wants it. */
export function multipartBody(fields: Record<string, string>, file: { name: string; mime: string; bytes: Buffer }): { body: Buffer; contentType: string } {
  const boundary = `----campaign${randomBytes(12).toString('hex')}`;
  // A quote or line break in a file name would end the header line early.
  const name = file.name.replace(/["\r\n\\]/g, '_');
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${key}"\r\n\r\n${value}\r\n`));
  }
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: ${file.mime}\r\n\r\n`));
  parts.push(file.bytes, Buffer.from(`\r\n--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** Uploads one file to `url` (`.../{Phone-Number-ID}/media`); never throws for provider or transport errors. */
export async function uploadCloudMedia(client: HttpClient, url: string, authorization: string, media: MediaUpload): Promise<UploadResult> {
  const bytes = await readFile(media.path);
  const outcome = await client.post(url, {
    headers: { authorization },
    raw: multipartBody({ messaging_product: 'whatsapp', type: media.mime }, { name: path.basename(media.path), mime: media.mime, bytes }),
  });
  if (!outcome.ok) return { ok: false, message: outcome.message };
  const { response } = outcome;
  const body = isRecord(response.json) ? response.json : {};
  if (response.status >= 200 && response.status < 300 && typeof body.id === 'string' && body.id) return { ok: true, id: body.id };
  const error = isRecord(body.error) ? body.error : {};
  const detail = typeof error.message === 'string' ? error.message : `HTTP ${response.status}`;
  return { ok: false, message: client.redact(detail) };
}

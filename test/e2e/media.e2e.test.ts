/**
 * Issue 10's "done means" through the built CLI against a local Cloud API: the sample rally
 * invitation goes out with its video header in every request (valid against Meta's schema); the
 * sample poster (a local image) is uploaded once for the whole list and every message carries
 * its id, also after a resume; a header that is not what it says stops the send before the
 * first message.
 */
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO_ROOT } from '../helpers/build-once.js';
import { cloudOk, startFakeCloud, type FakeCloud } from '../helpers/fake-cloud.js';
import { readJsonl, runCli, tempDir } from '../helpers/run-cli.js';
import { loadCloudSpec, type CloudSpecValidator } from '../unit/providers/specs.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
let spec: CloudSpecValidator;
beforeAll(async () => {
  await ensureBuilt();
  spec = loadCloudSpec();
}, 120_000);

function samplesCopy(): string {
  const t = tempDir('campaign-media-');
  cleanups.push(t.cleanup);
  cpSync(path.join(REPO_ROOT, 'samples'), t.dir, { recursive: true, filter: (src) => !src.endsWith('.jsonl') });
  return t.dir;
}

async function cloud(): Promise<FakeCloud> {
  const fake = await startFakeCloud(({ req, index, to }) => (req.url.endsWith('/media') ? { json: { id: 'MEDIA-CARTEL-1' } } : cloudOk(index, to)));
  cleanups.push(() => fake.close());
  return fake;
}

const messages = (fake: FakeCloud) => fake.server.requests.filter((r) => r.url.endsWith('/messages'));
const uploads = (fake: FakeCloud) => fake.server.requests.filter((r) => r.url.endsWith('/media'));

describe('headers as approved, through the CLI', () => {
  it('the sample invitation: the video header, the opt-out button, valid against Meta\'s schema in every request', async () => {
    const dir = samplesCopy();
    const fake = await cloud();
    const r = await runCli(['send', 'contacts.csv', '--provider', 'cloud', '--yes', '--rate', '200'], { cwd: dir, env: fake.env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/video header/);
    const sent = messages(fake);
    expect(sent.length).toBeGreaterThan(30);
    for (const req of sent) {
      const body = req.json as { template: { components: { type: string; sub_type?: string; parameters: Record<string, unknown>[] }[] } };
      expect(spec.checkMessage(body)).toEqual([]);
      const header = body.template.components.find((c) => c.type === 'header')!;
      expect(header.parameters).toEqual([{ type: 'video', video: { link: 'https://partido-ejemplo.es/media/acto-barrio.mp4' } }]);
      expect(body.template.components.find((c) => c.sub_type === 'quick_reply')?.parameters[0]).toMatchObject({ type: 'payload', payload: expect.stringMatching(/^OPTOUT:/) });
    }
  }, 60_000);

  it('the sample poster: one upload for the whole list, its id in every message, none again on resume', async () => {
    const dir = samplesCopy();
    const rows = ['nombre,telefono,consentimiento,ciudad', ...Array.from({ length: 400 }, (_, i) => `N${i},+34612${String(i).padStart(6, '0')},sí,Madrid`)];
    writeFileSync(path.join(dir, 'lista.csv'), `${rows.join('\n')}\n`);
    const fake = await cloud();
    const first = await runCli(['send', 'lista.csv', '--template', 'poster.md', '--provider', 'cloud', '--yes', '--rate', '500', '--daily-limit', '250'], { cwd: dir, env: fake.env });
    expect(first.code, first.stderr).toBe(1); // paused at the daily limit: resumable
    const resumed = await runCli(['resume', 'lista.journal.jsonl', '--yes', '--daily-limit', '1000'], { cwd: dir, env: fake.env });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(uploads(fake)).toHaveLength(1);
    expect(String(uploads(fake)[0].headers['content-type'])).toMatch(/^multipart\/form-data; boundary=/);
    const sent = messages(fake);
    expect(new Set(sent.map((q) => (q.json as { to: string }).to)).size).toBe(400);
    for (const req of sent) {
      const header = (req.json as { template: { components: { type: string; parameters: unknown[] }[] } }).template.components.find((c) => c.type === 'header')!;
      expect(header.parameters).toEqual([{ type: 'image', image: { id: 'MEDIA-CARTEL-1' } }]);
    }
    expect(readJsonl(path.join(dir, 'lista.journal.jsonl')).lines.filter((e) => e.type === 'media')).toHaveLength(1);
  }, 90_000);

  it('a "video" header that is really an image stops the send before the first message', async () => {
    const dir = samplesCopy();
    writeFileSync(path.join(dir, 'falso.md'), (await import('node:fs')).readFileSync(path.join(dir, 'poster.md'), 'utf8').replace('kind: image', 'kind: video'));
    const fake = await cloud();
    const r = await runCli(['send', 'contacts.csv', '--template', 'falso.md', '--provider', 'cloud', '--yes'], { cwd: dir, env: fake.env });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/header-kind-mismatch/);
    expect(fake.server.requests).toEqual([]);
  }, 30_000);
});

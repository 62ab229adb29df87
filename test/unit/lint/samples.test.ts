import { describe, expect, it } from 'vitest';
import { lintTemplate } from '../../../src/core/lint/template-rules.js';
import { readTemplate } from '../../../src/core/template/parse.js';

const HEADER = ['telefono', 'consentimiento', 'nombre', 'ciudad'];

describe('the sample templates (issue 10 item 9)', () => {
  it('message.md: a video header from the party\'s https site, an opt-out footer and button, and no finding', async () => {
    const t = await readTemplate('samples/message.md');
    expect(t.meta?.header).toMatchObject({ kind: 'video', url: expect.stringMatching(/^https:\/\/.*\.mp4$/) });
    expect(t.meta?.buttons).toContainEqual({ type: 'quick_reply', text: 'No me interesa', optout: true });
    expect(t.meta?.footer).toMatch(/BAJA/);
    expect(lintTemplate(t, HEADER)).toEqual([]);
  });

  it('poster.md: a local JPEG header that really is a JPEG, and no finding', async () => {
    const t = await readTemplate('samples/poster.md');
    expect(t.meta?.header?.kind).toBe('image');
    expect(t.meta?.header?.file).toMatch(/samples[\\/]media[\\/]cartel\.jpg$/);
    expect(lintTemplate(t, HEADER)).toEqual([]);
  });
});

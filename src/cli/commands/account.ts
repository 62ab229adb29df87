import path from 'node:path';
import { healthLine, judgeHealth, readSenderHealth } from '../../core/campaign/health.js';
import { createProvider, DEFAULT_SANDBOX_OUTBOX, providerModule } from '../../core/providers/index.js';
import { readTemplate } from '../../core/template/index.js';
import type { TemplateList } from '../../core/providers/types.js';
import { colourFor, shown } from '../output.js';
import { EXIT } from '../exit-codes.js';
import type { CommandOptions } from '../options.js';
import { resolveOptions } from './shared.js';

/**
 * `campaign account`: the sender's health read on its own (the same read and policy as the send's
 * pre-flight), with the account's templates and their quality. Exit 0 healthy, 1 when a send would
 * be refused or the health could not be read, 2 for bad usage or configuration.
 */
export async function runAccount(flags: CommandOptions['account']): Promise<number> {
  const { options, env } = resolveOptions(flags);
  const module = providerModule(options.provider);
  // Missing credentials are a usage error (exit 2), as for a send; creating a provider makes no request.
  await createProvider(options.provider, env, { sandbox: { outbox: path.join(process.cwd(), DEFAULT_SANDBOX_OUTBOX) } }).close();
  // The sandbox approves whatever the folder's template names, so its list shows that template.
  const meta = options.provider === 'sandbox' && options.template ? await readTemplate(options.template).then((t) => t.meta, () => null) : null;
  const opts = {
    timeoutMs: Math.min(options.timeoutMs, 10_000),
    sandboxFaults: options.sandboxFaults,
    ...(meta ? { sandboxTemplate: { name: meta.template, language: meta.language, category: meta.category } } : {}),
  };
  const [health, templates] = await Promise.all([
    readSenderHealth(options.provider, env, opts),
    module.listTemplates ? module.listTemplates(env, opts) : Promise.resolve<TemplateList>({ read: 'none', templates: [] }),
  ]);
  // rateGiven: the account has no run to halve; the warning names the default rate's fate.
  const v = judgeHealth(health, { rate: options.rate, rateGiven: false, dailyLimit: options.dailyLimit, ignoreHealth: false });
  const code = v.refusal || health.read === 'failed' ? EXIT.FAILURES : EXIT.OK;

  if (flags.json) {
    const { provider, read, error, quality, status, tier, limit, throughput, perSecond, nameStatus } = health;
    process.stdout.write(`${JSON.stringify({
      provider,
      health: { read, ...(error ? { error } : {}), quality, status, tier, limit, throughput, per_second: perSecond, ...(nameStatus ? { name_status: nameStatus } : {}) },
      refused: v.refusal ?? null,
      warnings: v.warnings,
      templates: { read: templates.read, ...('error' in templates && templates.error ? { error: templates.error } : {}), ...('cut' in templates && templates.cut ? { cut: templates.cut } : {}), items: templates.templates },
    }, null, 2)}\n`);
    return code;
  }
  const c = colourFor(process.stdout, process.env, flags.color === false);
  const lines = [c.bold(`Sender (${module.name})`), `  health     ${v.refusal ? c.red.bold(shown(healthLine(health))) : shown(healthLine(health))}`];
  if (health.nameStatus) lines.push(`  name       ${health.nameStatus}`);
  if (v.refusal) lines.push(c.red.bold(`  REFUSED    a send would stop before the first message: ${v.refusal}.`), '             Wait for the number to recover, or send with --ignore-health at your own risk.');
  for (const w of v.warnings) lines.push(c.yellow(`  warning    ${shown(w)}`));
  if (templates.read === 'ok') {
    lines.push(c.bold(`Templates (${templates.templates.length})`));
    for (const t of templates.templates) {
      const quality = t.quality === 'UNKNOWN' ? 'quality unknown' : `quality ${t.quality}`;
      const paint = t.quality === 'RED' || (t.status && t.status !== 'APPROVED') ? c.yellow : (s: string) => s;
      lines.push(paint(`  ${shown(t.name)}/${shown(t.language ?? '?')}  ${t.status ?? 'status unknown'}, ${quality}${t.category ? `, ${t.category}` : ''}`));
    }
    if (templates.cut) lines.push(c.yellow(`  not all   ${shown(templates.cut)}; the provider's console lists the rest.`));
  } else {
    lines.push(`Templates: ${templates.read === 'none' ? `not available from ${module.name}` : `could not be read (${shown(templates.error ?? 'no answer')})`}`);
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  return code;
}

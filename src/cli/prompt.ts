/** The one confirmation prompt: defaults to No, like np's. Ctrl-C inside it exits 130 (main.ts). */
export async function confirm(message: string): Promise<boolean> {
  // Loaded only when a question is asked: inquirer alone costs ~0.3 s of start-up.
  const { default: inquirer } = await import('inquirer');
  const { ok } = await inquirer.prompt<{ ok: boolean }>([{ type: 'confirm', name: 'ok', message, default: false }], {
    output: process.stderr,
  } as never);
  return ok;
}

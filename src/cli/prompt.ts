import inquirer from 'inquirer';

/** The one confirmation prompt: defaults to No, like np's. Ctrl-C inside it exits 130 (main.ts). */
export async function confirm(message: string): Promise<boolean> {
  const { ok } = await inquirer.prompt<{ ok: boolean }>([{ type: 'confirm', name: 'ok', message, default: false }], {
    output: process.stderr,
  } as never);
  return ok;
}

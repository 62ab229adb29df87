import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where cross-campaign state lives. Two places, both read and both written:
 * - the campaign folder's `.campaign/` (beside campaign.yaml), so a folder carries its own state;
 * - the user-level state directory, `$CAMPAIGN_HOME`, else `$XDG_STATE_HOME/campaign`, else
 *   `~/.local/state/campaign`, so that a campaign run from another folder on the same machine
 *   sees what this one sent and who opted out here.
 * Each holds `history.jsonl` and `optouts.txt` directly (the user-level one has no `.campaign/`).
 */
export function userStateDir(env: Record<string, string | undefined>): string | undefined {
  if (env.CAMPAIGN_HOME?.trim()) return env.CAMPAIGN_HOME.trim();
  if (env.XDG_STATE_HOME?.trim()) return join(env.XDG_STATE_HOME.trim(), 'campaign');
  // Only a real environment knows the home directory: a test's or a library caller's env object
  // without HOME gets no user-level state rather than the machine user's.
  if (env.HOME?.trim()) return join(env.HOME.trim() || homedir(), '.local', 'state', 'campaign');
  return undefined;
}

/** The state directories of a campaign folder, its own first. */
export function stateDirs(cwd: string, env: Record<string, string | undefined>): string[] {
  const own = join(cwd, '.campaign');
  const user = userStateDir(env);
  return user && user !== own ? [own, user] : [own];
}

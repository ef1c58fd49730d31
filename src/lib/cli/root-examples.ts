/**
 * What the root help page adds after the commands (lib/cli/help.ts, and the launcher's page from
 * the manifest, lib/cli/help-page.ts): examples of the first hour — the demo, doctor, a dry run, a
 * sync — and where to start. Plain data: loads no @oclif/core.
 */
export const ROOT_EXAMPLES: readonly (readonly [description: string, command: string])[] = [
  ['Try it with nothing to configure: a simulated cloud synced into a simulated Concertim', 'demo'],
  ['Check a configuration against the real systems', 'doctor --config ./config.yaml'],
  ['See what a sync would change; write nothing', 'sync --dry-run'],
  ['Sync once (what cron and the systemd timer run)', 'sync'],
  ['Show what maps to what', 'view dump'],
  ['Every flag of a command, with examples', 'sync --help'],
]

/** The last line of the root help page. */
export function whereToStart(bin: string): string {
  return `Start with \`${bin} demo\`, then point it at a real cloud (README, "Point it at a real cloud") and run \`${bin} doctor\`.`
}

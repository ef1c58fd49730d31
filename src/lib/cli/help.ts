/**
 * oclif's help with a root page that says where to start (package.json oclif.helpClass): after the
 * commands, examples of the first hour — the demo, doctor, a dry run, a sync.
 */
import {Help} from '@oclif/core'

const ROOT_EXAMPLES: [description: string, command: string][] = [
  ['Try it with nothing to configure: a simulated cloud synced into a simulated Concertim', 'demo'],
  ['Check a configuration against the real systems', 'doctor --config ./config.yaml'],
  ['See what a sync would change; write nothing', 'sync --dry-run'],
  ['Sync once (what cron and the systemd timer run)', 'sync'],
  ['Show what maps to what', 'view dump'],
  ['Every flag of a command, with examples', 'sync --help'],
]

export default class ConcertimHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const bin = this.config.bin
    const body = ROOT_EXAMPLES.map(([description, command]) => `${this.wrap(description)}\n\n  $ ${bin} ${command}`).join('\n\n')
    this.log(this.section('EXAMPLES', body))
    this.log('')
    this.log(this.wrap(`Start with \`${bin} demo\`, then point it at a real cloud (README, "Point it at a real cloud") and run \`${bin} doctor\`.`))
  }
}

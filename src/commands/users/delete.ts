import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/base-command.js'
import {ExitCode} from '../../lib/exit-codes.js'
import type {SystemCalls} from '../../lib/http/index.js'
import type {DeleteIdentityResult} from '../../lib/identity/index.js'
import {type RunLock, takeRunLock} from '../../lib/lock.js'
import {removalTable} from '../../lib/output/identity-report.js'

export type UsersDeleteResult = DeleteIdentityResult & {calls: Record<string, SystemCalls>}

export default class UsersDelete extends BaseCommand<typeof UsersDelete> {
  static override args = {
    login: Args.string({description: 'Login of the Concertim user whose Keystone user goes.', required: true}),
  }

  static override description = `Remove the cloud identity made for a Concertim user (the reverse of users create): its Keystone user, and with --team NAME --delete-team the team's Keystone project and Kill Bill account (closed: Kill Bill never deletes an account).

Only what was made for Concertim is removed (its description, or a Concertim link to it); anything else is refused. Concertim's links to what was removed (cloud_user_id; the team's project_id and billing_acct_id) are cleared, so that users create --pending can make them again. The Concertim user and team themselves are left to the Concertim app.

Refused (exit 2, nothing written) while the user is the only admin of a project with servers, or while the team's project has servers or stacks — unless --force. Every check is made before the first write.

Exit codes: 0 removed (or nothing to remove), 1 a system failed, 2 bad input or refused, 75 another run holds the lock.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %> alice', description: "Remove alice's Keystone user"},
    {command: '<%= config.bin %> <%= command.id %> alice --team alice_team --delete-team', description: 'Also her own team\'s project, and close its Kill Bill account'},
    {command: '<%= config.bin %> <%= command.id %> alice --team alice_team --delete-team --dry-run', description: 'What would be removed; nothing written'},
    {command: '<%= config.bin %> <%= command.id %> bob --force', description: 'Even though bob is the last admin of a project with servers'},
  ]

  static override flags = {
    'delete-team': Flags.boolean({description: "With --team: remove the team's Keystone project and close its Kill Bill account."}),
    'dry-run': Flags.boolean({description: 'Print what would be removed; write nothing, take no lock.'}),
    force: Flags.boolean({description: 'Remove even while servers or stacks depend on it.'}),
    team: Flags.string({description: 'The Concertim team whose project goes too (needs --delete-team).', helpValue: 'NAME'}),
  }

  protected override checkFlags(): void {
    if (this.flags.team !== undefined && !this.flags['delete-team']) this.fail('--team names the team whose project goes: add --delete-team', ExitCode.USAGE, 'users delete alice --team alice_team --delete-team')
    if (this.flags['delete-team'] && this.flags.team === undefined) this.fail('--delete-team needs --team NAME', ExitCode.USAGE, 'users delete alice --team alice_team --delete-team')
  }

  async run(): Promise<UsersDeleteResult> {
    const config = this.appConfig()
    const dryRun = this.flags['dry-run']
    let lock: RunLock | undefined
    const stopped = this.exitOnSignals(async () => lock?.release())
    try {
      if (!dryRun) lock = await takeRunLock(config, 'users')
      const [{deleteIdentity}, {createIdentityRuntime}] = await Promise.all([import('../../lib/identity/index.js'), import('../../lib/runtime/identity.js')])
      const {clients, openstack} = createIdentityRuntime(config, this.httpContext({dryRun}), this.logger)
      const result = await deleteIdentity(clients, openstack, {deleteTeam: this.flags['delete-team'], dryRun, force: this.flags.force, login: this.args.login, team: this.flags.team})
      for (const r of result.removals) if (r.state !== 'absent') this.logger.info({id: r.id, object: r.object, state: r.state}, 'users delete')
      if (!this.jsonEnabled()) this.log(removalTable(result))
      return {...result, calls: this.ledger.bySystem()}
    } finally {
      await lock?.release()
      stopped()
    }
  }
}

import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/base-command.js'
import {ExitCode} from '../../lib/exit-codes.js'
import type {SystemCalls} from '../../lib/http/index.js'
import type {CreateIdentityInput, IdentityResult, PendingResult, TeamRoleName} from '../../lib/identity/index.js'
import {type RunLock, takeRunLock} from '../../lib/lock.js'
import {identityHeadline, identityTable, pendingTables} from '../../lib/output/identity-report.js'
import {type Progress, startSpinner} from '../../lib/output/spinner.js'

export type UsersCreateResult = (IdentityResult | PendingResult) & {calls: Record<string, SystemCalls>}

export default class UsersCreate extends BaseCommand<typeof UsersCreate> {
  static override args = {
    login: Args.string({description: 'Login of the Concertim user (not with --pending).', required: false}),
  }

  static override description = `Make the cloud identity of a Concertim user: its Keystone user, and with --team (or --own-team) the team's Keystone project, its grants and Kill Bill account — and Concertim's links to them.

In this order, each step first looking for what an earlier (crashed or concurrent) run or the original service made, and adopting it:
  1. the Keystone user <identity.user_prefix><login> (default CM_<login>) in identity.domain_id, with the Concertim user's email (or --email) and a password from --password-file, --password-stdin or --generate-password;
  2. the Concertim user's cloud_user_id;
  3. with a team: the project <identity.project_prefix><team>; the original's grants (admin→admin, concertim→watcher, cloudkitty→rating when billing is on; identity.project_grants); the Kill Bill account tagged project_cloud_id (billing on); the team's project_id and billing_acct_id;
  4. the user's --role on the project (default member; admin with --own-team).

A name held in Keystone by an object that is not Concertim's (another description, no Concertim link) is an error, never adopted. When a step fails, what this run created is removed again (newest first) and the error names the step; what it adopted is left alone. Running it again never makes a second user, project or account.

--pending does it for every Concertim user without a cloud_user_id and every team without project_id (or billing_acct_id): the repair and migration path. New users need --generate-password --password-out FILE (one "LOGIN PASSWORD" line per user, mode 0600).

Passwords are never printed, logged, or put in --json. A lock in lock_dir stops overlapping runs. Exit codes: 0 done (or nothing to do), 1 a system failed (what this run made was rolled back), 2 bad input (unknown login or team, a name taken by a non-Concertim object, an unreadable password file, a password Keystone's policy rejects), 3 --pending finished but some users or teams failed, 75 another run holds the lock.`

  static override examples = [
    {command: 'pass show alice | <%= config.bin %> <%= command.id %> alice --own-team --password-stdin', description: "alice's Keystone user, her alice_team project and Kill Bill account, all linked in Concertim"},
    {command: '<%= config.bin %> <%= command.id %> bob --team research --role admin --password-file /root/bob.pw', description: 'bob as an admin of the research team'},
    {command: '<%= config.bin %> <%= command.id %> carol --generate-password --password-out /root/carol.pw', description: 'Generate her password; it is written only to /root/carol.pw (mode 0600)'},
    {command: '<%= config.bin %> <%= command.id %> alice --own-team --dry-run', description: 'What exists and what would be made; nothing written'},
    {command: '<%= config.bin %> <%= command.id %> --pending --generate-password --password-out /root/new-users.pw', description: 'Link every Concertim user and team that has no cloud identity yet (after a migration)'},
    {command: '<%= config.bin %> <%= command.id %> --pending --limit 50 --json', description: 'At most 50 users and 50 teams; the outcome of each as JSON'},
  ]

  static override flags = {
    concurrency: Flags.integer({description: 'With --pending: users and teams made at once.', default: 16, min: 1}),
    'dry-run': Flags.boolean({description: 'Print the plan (each object: exists, to create, to link, to grant); write nothing, take no lock.'}),
    email: Flags.string({description: "The Keystone user's email [default: the Concertim user's]."}),
    'generate-password': Flags.boolean({description: 'Generate the password of a new Keystone user; it is written only to --password-out.'}),
    limit: Flags.integer({description: 'With --pending: at most this many users and this many teams.', min: 1}),
    'own-team': Flags.boolean({description: "Also the user's own team <login>_team (made by the Concertim app after sign-up); the user becomes its admin."}),
    'password-file': Flags.string({description: 'File holding the password of a new Keystone user (first line).', helpValue: 'FILE'}),
    'password-out': Flags.string({description: 'With --generate-password: the file (created, mode 0600, never overwritten) the password is written to.', helpValue: 'FILE'}),
    'password-stdin': Flags.boolean({description: 'Read the password of a new Keystone user from standard input.'}),
    pending: Flags.boolean({description: 'Every Concertim user without a cloud_user_id and every team without project_id/billing_acct_id.'}),
    role: Flags.option({description: "The user's role on the team's project [default: member; admin with --own-team].", options: ['admin', 'member'] as const})(),
    team: Flags.string({description: 'Also this Concertim team: its project, grants, Kill Bill account and links, and the user on it.', helpValue: 'NAME'}),
  }

  protected override checkFlags(): void {
    const f = this.flags
    const usage = (message: string, hint: string): never => this.fail(message, ExitCode.USAGE, hint)
    if (f.pending && this.args.login !== undefined) usage('give a LOGIN or --pending, not both', 'users create alice, or users create --pending')
    if (!f.pending && this.args.login === undefined) usage('missing LOGIN (or --pending)', 'users create alice --own-team --password-stdin')
    if (f.team !== undefined && f['own-team']) usage('--team and --own-team both name the team', 'give one of them')
    if (f.pending) {
      for (const flag of ['team', 'own-team', 'role', 'email', 'password-file', 'password-stdin'] as const) {
        if (f[flag] !== undefined && f[flag] !== false) usage(`--${flag} cannot be used with --pending`, 'with --pending, new users get generated passwords: --generate-password --password-out FILE')
      }
    } else if (f.limit !== undefined) usage('--limit is for --pending', 'users create --pending --limit 50')
    if (f.role !== undefined && f.team === undefined && !f['own-team']) usage('--role needs --team or --own-team', 'users create bob --team research --role admin')
    const sources = [f['password-file'] !== undefined, f['password-stdin'], f['generate-password']].filter(Boolean).length
    if (sources > 1) usage('give one password source: --password-file, --password-stdin or --generate-password', 'users create alice --password-file /root/alice.pw')
    if (f['generate-password'] && f['password-out'] === undefined) usage('--generate-password needs --password-out FILE (the password is never printed)', 'users create alice --generate-password --password-out /root/alice.pw')
    if (f['password-out'] !== undefined && !f['generate-password']) usage('--password-out is where --generate-password writes', 'add --generate-password')
  }

  async run(): Promise<UsersCreateResult> {
    const config = this.appConfig()
    const f = this.flags
    const dryRun = f['dry-run']
    const identity = await import('../../lib/identity/index.js')
    // Passwords first: an unreadable file or an empty stdin is reported before anything is read or written.
    let given: string | undefined
    if (f['password-file'] !== undefined) given = await identity.readPasswordFile(f['password-file'])
    if (f['password-stdin']) given = await identity.readPasswordStdin()
    const out = f['generate-password'] && f['password-out'] !== undefined ? new identity.PasswordOut(f['password-out'], f.pending ? 'lines' : 'password') : undefined
    if (out !== undefined) await identity.checkPasswordOut(out.path)

    let lock: RunLock | undefined
    let spinner: Progress | undefined
    const stopped = this.exitOnSignals(async () => {
      spinner?.stop()
      await out?.close()
      await lock?.release()
    })
    try {
      if (!dryRun) lock = await takeRunLock(config, 'users')
      const {createIdentityRuntime} = await import('../../lib/runtime/identity.js')
      const {clients} = createIdentityRuntime(config, this.httpContext({dryRun}), this.logger)
      if (f.pending) {
        spinner = this.jsonEnabled() ? undefined : await startSpinner('reading Concertim, Keystone and Kill Bill')
        const result = await identity
          .createPending(clients, {
            concurrency: f.concurrency,
            dryRun,
            limit: f.limit,
            onProgress: (done, total) => spinner?.update(`linking users and teams: ${done}/${total}`),
            password: out === undefined ? undefined : async (login) => out.next(login),
          })
          .finally(() => spinner?.stop())
        for (const u of result.units) {
          if (u.outcome === 'failed') this.logger.error({code: u.error?.code, kind: u.kind, name: u.name}, u.error?.message ?? 'failed')
          else if (u.outcome === 'done') this.logger.info({kind: u.kind, name: u.name, steps: u.steps.filter((s) => s.state !== 'exists').map((s) => `${s.object}: ${s.state}`)}, `${u.kind} linked`)
        }
        if (!this.jsonEnabled()) for (const t of pendingTables(result)) this.log(t)
        if (result.counts.failed > 0) process.exitCode = ExitCode.PARTIAL
        return {...result, calls: this.ledger.bySystem()}
      }

      const input: CreateIdentityInput = {
        dryRun,
        email: f.email,
        login: this.args.login as string,
        password: given === undefined ? (out === undefined ? undefined : async () => out.next(this.args.login as string)) : async () => given as string,
        role: f.role as TeamRoleName | undefined,
        team: f['own-team'] ? {own: true} : f.team === undefined ? undefined : {name: f.team},
      }
      let result: IdentityResult
      try {
        result = await identity.createIdentity(clients, input)
      } catch (error) {
        // The user it was for was rolled back (or never made): its password is for nothing — unless
        // the rollback could not remove the user.
        const kept = error instanceof identity.StepFailedError && error.leftBehind.some((o) => o.startsWith('Keystone user'))
        if (!kept) await out?.discard()
        throw error
      }
      for (const s of result.steps) if (s.state !== 'exists') this.logger.info({id: s.id, object: s.object, state: s.state}, 'users create')
      if (!this.jsonEnabled()) {
        this.log(identityTable(result))
        this.log(identityHeadline(result))
        if (out !== undefined && out.count > 0) this.log(`the generated password is in ${out.path} (mode 0600)`)
      }
      return {...result, calls: this.ledger.bySystem()}
    } finally {
      await out?.close()
      await lock?.release()
      stopped()
    }
  }
}

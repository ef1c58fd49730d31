import {Flags} from '@oclif/core'
import {dump as toYaml} from 'js-yaml'

import {BaseCommand} from '../../lib/base-command.js'
import {ExitCode} from '../../lib/exit-codes.js'
import {renderMapping} from '../../lib/output/mapping-report.js'
import {filterMapping, isKnownTeam, knownTeams, mappingFromEntries, type ViewMapping, VIEW_TYPES, type ViewType} from '../../lib/view/mapping.js'
import {peopleFromConcertim} from '../../lib/view/people.js'

export interface ViewDumpResult extends ViewMapping {
  /** `store` (what the last sync recorded) or `systems` (--refresh). */
  source: 'store' | 'systems'
  /** When the last complete sync recorded the view (store source). */
  lastCompleteSync: null | string
  warnings: string[]
}

export default class ViewDump extends BaseCommand<typeof ViewDump> {
  static override description = `Show the mapping between Concertim, OpenStack and Kill Bill objects.

Teams (OpenStack project, Kill Bill account), users (OpenStack user), templates (flavor), racks (Heat stack, Kill Bill order) and devices (server, volume or network) with their ids and status. Templates, racks and devices come from the view the last sync recorded (no call to OpenStack); teams and users are read from Concertim. --refresh rebuilds everything from the systems instead, writing nothing (not even the view).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Everything, as tables'},
    {command: '<%= config.bin %> <%= command.id %> --type rack,device --team acme', description: "One team's racks and devices"},
    {command: '<%= config.bin %> <%= command.id %> --format yaml --refresh', description: 'Rebuilt from the systems, as YAML'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'As JSON (same as --format json)'},
  ]

  static override flags = {
    format: Flags.option({description: 'Output format [default: table; json with --json].', options: ['table', 'json', 'yaml'] as const})(),
    refresh: Flags.boolean({default: false, description: 'Rebuild the view from the systems (reads only; writes nothing).'}),
    team: Flags.string({description: 'Only this team (name or Concertim id).'}),
    type: Flags.option({delimiter: ',', description: 'Only these object types (comma-separated).', multiple: true, options: VIEW_TYPES})(),
  }

  protected override checkFlags(): void {
    const {format} = this.flags
    if (this.jsonEnabled() && format !== undefined && format !== 'json') {
      this.fail(`--json and --format ${format} ask for two formats`, ExitCode.USAGE, `drop --json for ${format}, or --format for JSON`)
    }
  }

  async run(): Promise<ViewDumpResult> {
    const config = this.appConfig()
    const ctx = this.httpContext({dryRun: true})
    const warnings: string[] = []
    let result: ViewDumpResult
    if (this.flags.refresh) {
      const {createReconcileEngine} = await import('../../lib/runtime/reconcile-engine.js')
      const {engine, store} = createReconcileEngine(config, ctx, this.logger)
      try {
        const report = await engine.sync({dryRun: true})
        warnings.push(...report.problems)
        const people = await this.people(config, ctx)
        result = {...mappingFromEntries(report.view ?? new Map(), people), lastCompleteSync: null, source: 'systems', warnings}
      } finally {
        await store.close()
      }
    } else {
      const {KEYSTONE_NOTE_PREFIX, openViewStore} = await import('../../lib/store/index.js')
      const store = openViewStore(config.store)
      store.onWarning = (message) => warnings.push(message)
      try {
        const [snapshot, keystoneNotes] = await Promise.all([store.load(), store.notes(KEYSTONE_NOTE_PREFIX)])
        if (snapshot.entries.size === 0) warnings.push(`the view at ${store.location} is empty: run 'concertim-os sync' first, or use --refresh`)
        let people = {teams: [], users: []} as Parameters<typeof mappingFromEntries>[1]
        try {
          people = await this.people(config, ctx)
        } catch (error) {
          warnings.push(`teams and users not shown: ${(error as Error).message}`)
        }
        const last = snapshot.values.lastCompleteSync
        result = {...mappingFromEntries(snapshot.entries, people, keystoneNotes), lastCompleteSync: typeof last === 'string' ? last : null, source: 'store', warnings}
      } finally {
        await store.close()
      }
    }
    for (const w of warnings) this.logger.warn(w)
    const {team} = this.flags
    if (team !== undefined && !isKnownTeam(result, team)) {
      const known = knownTeams(result).map((t) => t.name ?? t.id)
      this.fail(
        `no team '${team}' in the view or in Concertim; ${known.length === 0 ? 'no team is known (is the view empty, or Concertim unreachable?)' : `the teams are: ${known.join(', ')}`}`,
        ExitCode.USAGE,
        known.length === 0 ? "run 'concertim-os sync' first, or use --refresh" : `give one of them (a name or a Concertim id), e.g. --team ${known[0]}`,
      )
    }
    const filtered = {...result, ...filterMapping(result, {team, types: this.flags.type as ViewType[] | undefined})}
    if (!this.jsonEnabled()) this.render(filtered)
    return filtered
  }

  private async people(config: ReturnType<ViewDump['appConfig']>, ctx: ReturnType<ViewDump['httpContext']>) {
    const {createConcertim} = await import('../../lib/concertim/index.js')
    const {api} = createConcertim(config.concertim, ctx)
    const [teams, users] = await Promise.all([api.teams(), api.users()])
    return peopleFromConcertim(teams, users)
  }

  private render(r: ViewDumpResult): void {
    if (this.flags.format === 'json') {
      this.log(JSON.stringify(r, null, 2))
      return
    }
    if (this.flags.format === 'yaml') {
      this.log(toYaml(r, {lineWidth: 200, noRefs: true}).trimEnd())
      return
    }
    const lines = renderMapping(r)
    if (lines.length === 0) this.log('Nothing to show.')
    for (const line of lines) this.log(line)
    const source = r.source === 'systems' ? 'rebuilt from the systems' : r.lastCompleteSync ? `as recorded by the sync of ${r.lastCompleteSync}` : 'as recorded by the last sync'
    this.log(`Source: ${source}.`)
  }
}

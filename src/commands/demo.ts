import {Flags} from '@oclif/core'
import {dump as toYaml} from 'js-yaml'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BaseCommand} from '../lib/base-command.js'
import {type Config, parseConfig} from '../lib/config/index.js'
import {dryRunResult, type DryRunResult, formatPlan, formatSyncResult, syncResult, type SyncResult} from '../lib/output/sync-report.js'
import {renderMapping} from '../lib/output/mapping-report.js'
import {mappingFromEntries, type ViewMapping} from '../lib/view/mapping.js'
import {peopleFromConcertim} from '../lib/view/people.js'
// The simulator, the engine and the clients are imported when the demo runs, not to list the command.
import type {Simulator} from '../sim/index.js'

export interface DemoResult {
  /** The plan of a second sync right after the first: empty when the first converged. */
  secondPlan: DryRunResult
  sync: SyncResult
  view: ViewMapping
}

export default class Demo extends BaseCommand<typeof Demo> {
  static override description = `Try concertim-os on the built-in simulator: no cloud, no Concertim, nothing to configure.

Starts the simulator of OpenStack, Concertim, its metric daemon and Kill Bill on 127.0.0.1 with a small generated cloud, runs a sync (flavors → templates, Heat stacks → racks, their servers, volumes and networks → devices), shows the resulting view, then the plan of a second sync — which is empty, because a sync of an unchanged cloud writes nothing — and stops. Leaves nothing behind.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'The demo on a small cloud'},
    {command: '<%= config.bin %> <%= command.id %> --teams 10 --stacks 30 --servers 200', description: 'A bigger cloud'},
  ]

  static override flags = {
    networks: Flags.integer({description: 'Networks in the generated cloud.', min: 0}),
    seed: Flags.integer({default: 1, description: 'Seed of the generated cloud (same seed, same cloud).'}),
    servers: Flags.integer({description: 'Servers in the generated cloud.', min: 0}),
    stacks: Flags.integer({description: 'Heat stacks in the generated cloud.', min: 0}),
    teams: Flags.integer({description: 'Teams (CM_ projects) in the generated cloud.', min: 1}),
    volumes: Flags.integer({description: 'Volumes in the generated cloud.', min: 0}),
  }

  async run(): Promise<DemoResult> {
    const {flags} = this
    const sizes = Object.fromEntries(
      (['networks', 'servers', 'stacks', 'teams', 'volumes'] as const).filter((k) => flags[k] !== undefined).map((k) => [k, flags[k] as number]),
    )
    const dir = mkdtempSync(join(tmpdir(), 'concertim-os-demo-'))
    let sim: Simulator | undefined
    try {
      this.step('Starting the simulator')
      const {startSimulator} = await import('../sim/index.js')
      sim = await startSimulator({preset: 'small', seed: flags.seed, sizes})
      const cloud = sim.world
      this.log(`  OpenStack at ${sim.endpoints.keystone}: ${cloud.projects.size} projects, ${cloud.flavors.size} flavors, ${cloud.stacks.size} Heat stacks, ${cloud.servers.size} servers, ${cloud.volumes.size} volumes, ${cloud.networks.size} networks`)
      this.log(`  Concertim at ${sim.endpoints.concertim}: ${sim.concertim.teams.size} teams, no racks yet`)
      const config = demoConfig(sim, dir)

      this.step('sync: OpenStack → Concertim')
      const sync = await this.runSync(config, false)
      this.print(formatSyncResult(sync as SyncResult))

      this.step('view dump: what Concertim now shows')
      const view = await this.view(config)

      this.step('sync --dry-run: the plan of a second sync')
      const secondPlan = (await this.runSync(config, true)) as DryRunResult
      this.print(formatPlan(secondPlan))
      this.log('\nNext: point concertim-os at a real cloud (see README, "Point it at a real cloud") and run `concertim-os doctor`.')
      return {secondPlan, sync: sync as SyncResult, view}
    } finally {
      await sim?.stop()
      rmSync(dir, {force: true, recursive: true})
    }
  }

  private print(text: {err: string[]; out: string[]}): void {
    for (const line of text.err) this.logToStderr(line)
    for (const line of text.out) this.log(line)
  }

  private async runSync(config: Config, dryRun: boolean): Promise<DryRunResult | SyncResult> {
    this.ledger.reset()
    const started = performance.now()
    const {createReconcileEngine} = await import('../lib/runtime/reconcile-engine.js')
    const {engine, store} = createReconcileEngine(config, this.httpContext({dryRun}, config), this.logger)
    store.onWarning = (message) => this.logger.warn(message)
    try {
      const report = await engine.sync({dryRun})
      return dryRun ? dryRunResult(report, this.ledger.bySystem()) : syncResult(report, this.ledger.bySystem(), Math.round(performance.now() - started))
    } finally {
      await store.close()
    }
  }

  private step(title: string): void {
    this.log(`\n== ${title}`)
  }

  private async view(config: Config): Promise<ViewMapping> {
    const [{createConcertim}, {openViewStore}] = await Promise.all([import('../lib/concertim/index.js'), import('../lib/store/index.js')])
    const {api} = createConcertim(config.concertim, this.httpContext({dryRun: true}, config))
    const store = openViewStore(config.store)
    store.onWarning = (message) => this.logger.warn(message)
    try {
      const [snapshot, teams, users] = await Promise.all([store.load(), api.teams(), api.users()])
      const view = mappingFromEntries(snapshot.entries, peopleFromConcertim(teams, users))
      for (const line of renderMapping(view, {maxRows: {Devices: 15}})) this.log(line)
      return view
    } finally {
      await store.close()
    }
  }
}

/** The configuration of the demo: the simulator's, with the view and the lock in a scratch directory. */
function demoConfig(sim: Simulator, dir: string): Config {
  const doc = {...sim.config({logLevel: 'warn'}), lock_dir: dir, store: {path: join(dir, 'view.json')}}
  return parseConfig(toYaml(doc), {env: {}, path: join(dir, 'config.yaml')}).config
}

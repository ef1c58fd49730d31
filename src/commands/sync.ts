import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {type RunLock, takeRunLock} from '../lib/lock.js'
import {logSyncPlan, logSyncRun} from '../lib/output/run-log.js'
import {type Progress, startSpinner} from '../lib/output/spinner.js'
import {dryRunResult, type DryRunResult, formatPlan, formatSyncResult, syncResult, type SyncResult} from '../lib/output/sync-report.js'
import type {ProgressEvent, ReconcileReport, SyncPart} from '../lib/reconcile/engine.js'

export type {DryRunResult, PlannedAction, SyncResult} from '../lib/output/sync-report.js'

/**
 * The engine's parts, named here so that listing the command does not load the engine (`satisfies`
 * fails to compile when the engine gains or loses one).
 */
const PARTS = Object.keys({templates: true, racks: true, devices: true} satisfies Record<SyncPart, true>) as SyncPart[]

export default class Sync extends BaseCommand<typeof Sync> {
  static override description = `Make Concertim show the OpenStack cloud: templates from flavors, racks from Heat stacks, devices from their servers, volumes and networks.

One pass of observe → plan → apply. OpenStack, Concertim and Kill Bill (when configured) are read in full; the plan holds only what differs from Concertim, so a sync of an unchanged cloud writes nothing. Concertim objects are matched by their own fields (flavor id, stack id, instance id), so losing the local view never makes a duplicate.

Deletion safety: only objects carrying concertim-os (or the original service's) metadata are deleted; nothing the cloud still lists or a direct GET still finds is deleted (a listing that missed it is reported inconsistent, exit 3); nothing is deleted when a listing was incomplete, or when the OpenStack token has no admin role (its 404s prove nothing); a missing object is deleted only once a direct GET says 404 (or, when the GET cannot tell, a second complete sync misses it too); more deletions than sync.max_deletes (default 10% of the managed objects, at least 5) stop every deletion (exit 4) unless --allow-mass-delete.

A lock in lock_dir stops overlapping runs (exit 75). Exit codes: 0 done, 1 failure (a system unreachable, a bad answer), 2 usage or configuration, 3 finished but some actions failed or part of the cloud could not be read (nothing of that part deleted), 4 deletions withheld by the cap, 75 another sync holds the lock, 130/143 stopped by SIGINT/SIGTERM (the lock released).`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'One sync (what cron and the systemd timer run)'},
    {command: '<%= config.bin %> <%= command.id %> --dry-run', description: 'Show the plan as a table; write nothing (no lock, no view file)'},
    {command: '<%= config.bin %> <%= command.id %> --dry-run --json', description: 'The plan as JSON: every action with its ids, changed fields and reason'},
    {command: '<%= config.bin %> <%= command.id %> --only templates,racks', description: 'Apply only template and rack changes'},
    {command: '<%= config.bin %> <%= command.id %> --allow-mass-delete', description: 'Delete even when more objects went than sync.max_deletes (after checking the plan!)'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'Counts, failures and calls by system as JSON'},
  ]

  static override flags = {
    'allow-mass-delete': Flags.boolean({description: 'Delete even when more deletions are planned than sync.max_deletes.'}),
    'dry-run': Flags.boolean({description: 'Compute and print the plan; write nothing (no Concertim write, no lock, no view file).'}),
    only: Flags.string({
      delimiter: ',',
      description: 'Apply only the actions on these objects (comma-separated): templates, racks, devices.',
      multiple: true,
      options: [...PARTS],
    }),
  }

  async run(): Promise<DryRunResult | SyncResult> {
    const config = this.appConfig()
    const dryRun = this.flags['dry-run']
    const started = performance.now()
    let lock: RunLock | undefined
    let spinner: Progress | undefined
    const stopped = this.exitOnSignals(async () => {
      spinner?.stop()
      await lock?.release()
    })
    let report: ReconcileReport
    try {
      if (!dryRun) lock = await takeRunLock(config, 'sync')
      this.logger.debug({lock: lock?.path ?? null}, 'sync started')
      spinner = this.jsonEnabled() ? undefined : await startSpinner('reading OpenStack and Concertim')
      const {createReconcileEngine} = await import('../lib/runtime/reconcile-engine.js')
      const {engine, store} = createReconcileEngine(config, this.httpContext({dryRun}), this.logger)
      store.onWarning = (message) => this.logger.warn(message)
      try {
        report = await engine.sync({
          allowMassDelete: this.flags['allow-mass-delete'],
          dryRun,
          onProgress: (e) => spinner?.update(progressText(e)),
          ...(this.flags.only === undefined ? {} : {only: this.flags.only as SyncPart[]}),
        })
      } catch (error) {
        spinner?.fail()
        throw error
      } finally {
        spinner?.stop()
        await store.close()
      }
    } finally {
      await lock?.release()
      stopped()
    }

    if (dryRun) {
      const result = dryRunResult(report, this.ledger.bySystem())
      logSyncPlan(this.logger, result)
      if (!this.jsonEnabled()) this.print(formatPlan(result))
      return result
    }
    const result = syncResult(report, this.ledger.bySystem(), Math.round(performance.now() - started))
    for (const row of this.ledger.summary) {
      const bySystem = (result.callsByMethod[row.system] ??= {})
      bySystem[row.method] = (bySystem[row.method] ?? 0) + row.count
    }
    logSyncRun(this.logger, result)
    if (!this.jsonEnabled()) this.print(formatSyncResult(result))
    process.exitCode = result.deletionCapExceeded ? ExitCode.DELETION_CAP : result.failures.length > 0 || result.problems.length > 0 ? ExitCode.PARTIAL : ExitCode.OK
    return result
  }

  private print(text: {err: string[]; out: string[]}): void {
    for (const line of text.err) this.logToStderr(line)
    for (const line of text.out) this.log(line)
  }
}

function progressText(e: ProgressEvent): string {
  switch (e.phase) {
    case 'observe': {
      return 'reading OpenStack and Concertim'
    }
    case 'plan': {
      return 'planning'
    }
    case 'confirm': {
      return `confirming ${e.total} deletion(s)`
    }
    case 'apply': {
      return `writing to Concertim: ${e.applied}/${e.total}`
    }
    case 'record': {
      return 'recording the view'
    }
  }
}

import {Flags} from '@oclif/core'
import ora, {type Ora} from 'ora'

import {BaseCommand} from '../lib/base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import type {SystemCalls} from '../lib/http/index.js'
import {acquireRunLock, type RunLock} from '../lib/lock.js'
import type {Action, ActionKind, Blocked, FieldChange, Notice} from '../lib/model/plan.js'
import {renderTable} from '../lib/output/table.js'
import {createReconcileEngine, type ProgressEvent, type ReconcileReport, SYNC_PARTS, type SyncPart} from '../lib/reconcile/engine.js'

/** One action of the plan, as `--dry-run --json` prints it (a stable schema). */
export interface PlannedAction {
  blocked: Blocked | null
  changes: Record<string, FieldChange>
  cloudId: null | string
  concertimId: null | string
  /** Set when the action cannot be done at all (it is reported as failed, never attempted). */
  failed: null | string
  key: string
  kind: ActionKind
  name: string
  object: Action['object']
  reason: string
}

export interface DryRunResult {
  actions: PlannedAction[]
  /** Calls made by system: reads only (`writes` is 0 — the HTTP layer refuses any write under --dry-run). */
  calls: Record<string, SystemCalls>
  counts: {blocked: number; create: number; delete: number; failed: number; unchanged: number; update: number}
  deletionCapExceeded: boolean
  dryRun: true
  maxDeletes: number
  notices: Notice[]
  problems: string[]
}

type Outcome = {failed: number; ok: number}

export interface SyncResult {
  calls: Record<string, SystemCalls>
  /** Calls by system and HTTP method. */
  callsByMethod: Record<string, Record<string, number>>
  complete: boolean
  confirmations: {asked: number; gone: number}
  counts: {blocked: number; create: Outcome; delete: Outcome; unchanged: number; update: Outcome}
  deletionCapExceeded: boolean
  dryRun: false
  durationMs: number
  failures: {action: ActionKind; key: string; name: string; object: Action['object']; reason: string}[]
  maxDeletes: number
  notices: Notice[]
  problems: string[]
}

const MAX_ROWS = 200

export default class Sync extends BaseCommand<typeof Sync> {
  static override description = `Make Concertim show the OpenStack cloud: templates from flavors, racks from Heat stacks, devices from their servers, volumes and networks.

One pass of observe → plan → apply. OpenStack, Concertim and Kill Bill (when configured) are read in
full; the plan holds only what differs from Concertim, so a sync of an unchanged cloud writes nothing.
Concertim objects are matched by their own fields (flavor id, stack id, instance id), so losing the
local view never makes a duplicate.

Deletion safety: only objects carrying concertim-os (or the original service's) metadata are deleted;
nothing is deleted when a listing was incomplete; a missing object is deleted only once a direct GET
says 404 (or a second complete sync misses it too); more deletions than sync.max_deletes (default
10% of the managed objects, at least 5) stop every deletion (exit 4) unless --allow-mass-delete.

A lock in lock_dir stops overlapping runs (exit 75). Exit codes: 0 done, 1 failure (a system
unreachable, a bad answer), 2 usage or configuration, 3 finished but some actions failed or part of the
cloud could not be read (nothing of that part deleted), 4 deletions withheld by the cap, 75 another
sync holds the lock.`

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
      options: [...SYNC_PARTS],
    }),
  }

  async run(): Promise<DryRunResult | SyncResult> {
    const config = this.appConfig()
    const dryRun = this.flags['dry-run']
    const started = performance.now()
    let lock: RunLock | undefined
    if (!dryRun) lock = await acquireRunLock(config.lock_dir, 'sync')
    const spinner = this.spinner()
    const {engine, store} = createReconcileEngine(config, this.httpContext({dryRun}), this.logger)
    let report: ReconcileReport
    try {
      report = await engine.sync({
        allowMassDelete: this.flags['allow-mass-delete'],
        dryRun,
        onProgress: (e) => {
          if (spinner !== undefined) spinner.text = progressText(e)
        },
        ...(this.flags.only === undefined ? {} : {only: this.flags.only as SyncPart[]}),
      })
    } catch (error) {
      spinner?.fail()
      throw error
    } finally {
      spinner?.stop()
      await store.close()
      await lock?.release()
    }

    if (dryRun) {
      const result = dryRunResult(report, this.ledger.bySystem())
      if (!this.jsonEnabled()) this.printPlan(result)
      return result
    }
    const result = syncResult(report, this.ledger.bySystem(), Math.round(performance.now() - started))
    for (const row of this.ledger.summary) {
      const bySystem = (result.callsByMethod[row.system] ??= {})
      bySystem[row.method] = (bySystem[row.method] ?? 0) + row.count
    }
    if (!this.jsonEnabled()) this.printResult(result)
    process.exitCode = result.deletionCapExceeded ? ExitCode.DELETION_CAP : result.failures.length > 0 || result.problems.length > 0 ? ExitCode.PARTIAL : ExitCode.OK
    return result
  }

  private printPlan(result: DryRunResult): void {
    for (const p of result.problems) this.logToStderr(`! ${p}`)
    if (result.actions.length === 0) this.log('Nothing to do: Concertim already shows the cloud.')
    else {
      const rows = result.actions.slice(0, MAX_ROWS).map((a) => [
        a.kind,
        a.object,
        a.name,
        a.concertimId ?? '(new)',
        a.failed === null ? (a.blocked === null ? a.reason : `${a.reason}\nwithheld: ${a.blocked.message}`) : `${a.reason}\nfails: ${a.failed}`,
      ])
      const width = Math.max(40, (process.stdout.columns ?? 140) - 80)
      this.log(renderTable(['action', 'object', 'name', 'concertim id', 'why'], rows, {wrap: [8, 10, 24, 38, width]}))
      if (result.actions.length > MAX_ROWS) this.log(`… and ${result.actions.length - MAX_ROWS} more (use --json for all)`)
    }
    for (const n of result.notices) this.log(`note: ${n.message}`)
    const c = result.counts
    this.log(`Plan: ${c.create} to create, ${c.update} to update, ${c.delete} to delete${c.blocked > 0 ? `, ${c.blocked} withheld` : ''}${c.failed > 0 ? `, ${c.failed} impossible` : ''}; ${c.unchanged} unchanged.`)
    if (result.deletionCapExceeded) this.log(`The deletions exceed the cap of ${result.maxDeletes}: a sync would delete nothing without --allow-mass-delete.`)
  }

  private printResult(result: SyncResult): void {
    for (const f of result.failures.slice(0, MAX_ROWS)) this.logToStderr(`✗ ${f.action} ${f.object} ${f.name} (${f.key}): ${f.reason}`)
    const c = result.counts
    const part = (o: Outcome) => `${o.ok}${o.failed > 0 ? ` (+${o.failed} failed)` : ''}`
    this.log(`Created ${part(c.create)}, updated ${part(c.update)}, deleted ${part(c.delete)}${c.blocked > 0 ? `; ${c.blocked} deletion(s) withheld` : ''}; ${c.unchanged} unchanged (${(result.durationMs / 1000).toFixed(1)} s).`)
    for (const p of result.problems) this.log(`! ${p}`)
    if (result.deletionCapExceeded) this.log(`Deletions withheld: more than the cap of ${result.maxDeletes}. Check the plan (--dry-run), then run with --allow-mass-delete.`)
  }

  /** A spinner on a TTY only, never with --json. */
  private spinner(): Ora | undefined {
    if (this.jsonEnabled() || !process.stderr.isTTY) return undefined
    return ora({stream: process.stderr, text: 'reading OpenStack and Concertim'}).start()
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

/** Deletions were withheld by the cap (not when --allow-mass-delete let them through). */
function capHeld(report: ReconcileReport): boolean {
  return report.plan.actions.some((a) => a.blocked?.code === 'cap')
}

export function plannedAction(a: Action): PlannedAction {
  return {
    blocked: a.blocked ?? null,
    changes: {...a.changes},
    cloudId: a.cloudId,
    concertimId: a.concertimId,
    failed: a.failed ?? null,
    key: a.key,
    kind: a.kind,
    name: a.name,
    object: a.object,
    reason: a.reason,
  }
}

export function dryRunResult(report: ReconcileReport, calls: Record<string, SystemCalls>): DryRunResult {
  const counts = {blocked: 0, create: 0, delete: 0, failed: 0, unchanged: Object.keys(report.plan.observed).length, update: 0}
  for (const a of report.actions) {
    if (a.failed !== undefined) counts.failed++
    else if (a.blocked !== undefined) counts.blocked++
    else counts[a.kind]++
  }
  return {
    actions: report.actions.map((a) => plannedAction(a)),
    calls,
    counts,
    deletionCapExceeded: capHeld(report),
    dryRun: true,
    maxDeletes: report.plan.maxDeletes,
    notices: [...report.plan.notices],
    problems: report.problems,
  }
}

export function syncResult(report: ReconcileReport, calls: Record<string, SystemCalls>, durationMs: number): SyncResult {
  const counts = {blocked: 0, create: {failed: 0, ok: 0}, delete: {failed: 0, ok: 0}, unchanged: Object.keys(report.plan.observed).length, update: {failed: 0, ok: 0}}
  for (const a of report.actions) if (a.blocked !== undefined) counts.blocked++
  const byKey = new Map(report.actions.map((a) => [`${a.kind}\u0000${a.key}`, a]))
  const failures: SyncResult['failures'] = []
  for (const r of report.results) {
    counts[r.kind][r.ok ? 'ok' : 'failed']++
    if (!r.ok) failures.push({action: r.kind, key: r.key, name: byKey.get(`${r.kind}\u0000${r.key}`)?.name ?? r.key, object: r.object, reason: r.error ?? 'failed'})
  }
  return {
    calls,
    callsByMethod: {},
    complete: report.complete,
    confirmations: report.confirmations,
    counts,
    deletionCapExceeded: capHeld(report),
    dryRun: false,
    durationMs,
    failures,
    maxDeletes: report.plan.maxDeletes,
    notices: [...report.plan.notices],
    problems: report.problems,
  }
}

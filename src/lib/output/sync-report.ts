/**
 * What a sync reports: the stable `--json` shapes of a plan (dry run) and of a run, built from the
 * engine's report, and their text for people. Shared by `sync` and `demo`.
 */
import type {SystemCalls} from '../http/index.js'
import type {Action, ActionKind, Blocked, FieldChange, Notice} from '../model/plan.js'
import type {ReconcileReport} from '../reconcile/engine.js'
import {renderTable} from './table.js'

/** One action of the plan, as `--dry-run --json` prints it (a stable schema). */
export interface PlannedAction {
  blocked: Blocked | null
  changes: Record<string, FieldChange>
  cloudId: null | string
  concertimId: null | string
  /** Deletes: what the direct GET of the cloud object said (`gone`, `exists`, `unknown`, `not-asked`). */
  evidence?: {direct: string}
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
  counts: SyncCounts
  deletionCapExceeded: boolean
  dryRun: true
  maxDeletes: number
  notices: Notice[]
  problems: string[]
}

/** Of one kind of action: how many the plan holds to do, and (real runs) how many went and failed. */
export interface Outcome {
  failed: number
  ok: number
  planned: number
}

/**
 * The same shape for a plan (`--dry-run`: `ok` and `failed` are 0) and a run: per kind of action,
 * what was planned (not withheld, not impossible) and what came of it; deletions withheld by
 * deletion safety; actions that cannot be done at all (a missing template, no room); objects
 * already in agreement.
 */
export interface SyncCounts {
  blocked: number
  create: Outcome
  delete: Outcome
  impossible: number
  unchanged: number
  update: Outcome
}

/** An action of a run and what came of it (`sync --json`): planned, then ok, failed or withheld. */
export interface AppliedAction extends PlannedAction {
  /** `ok` or `failed` (attempted), `withheld` (blocked), `impossible` (could not be attempted). */
  outcome: 'failed' | 'impossible' | 'ok' | 'withheld'
  /** Why it failed, when it did. */
  error?: string
}

export interface SyncResult {
  /** Every action of the plan that was attempted or withheld (not the objects already in agreement). */
  actions: AppliedAction[]
  calls: Record<string, SystemCalls>
  /** Calls by system and HTTP method. */
  callsByMethod: Record<string, Record<string, number>>
  complete: boolean
  confirmations: {asked: number; exists: number; gone: number}
  counts: SyncCounts
  deletionCapExceeded: boolean
  dryRun: false
  durationMs: number
  failures: {action: ActionKind; key: string; name: string; object: Action['object']; reason: string}[]
  maxDeletes: number
  notices: Notice[]
  problems: string[]
}

const MAX_ROWS = 200

export function plannedAction(a: Action): PlannedAction {
  return {
    blocked: a.blocked ?? null,
    changes: {...a.changes},
    cloudId: a.cloudId,
    concertimId: a.concertimId,
    ...(a.deletion === undefined ? {} : {evidence: {direct: a.deletion.direct}}),
    failed: a.failed ?? null,
    key: a.key,
    kind: a.kind,
    name: a.name,
    object: a.object,
    reason: a.reason,
  }
}

/** The counts of a plan: what each action would do (nothing has happened yet). */
function plannedCounts(report: ReconcileReport): SyncCounts {
  const none = (): Outcome => ({failed: 0, ok: 0, planned: 0})
  const counts: SyncCounts = {blocked: 0, create: none(), delete: none(), impossible: 0, unchanged: Object.keys(report.plan.observed).length, update: none()}
  for (const a of report.actions) {
    if (a.failed !== undefined) counts.impossible++
    else if (a.blocked !== undefined) counts.blocked++
    else counts[a.kind].planned++
  }
  return counts
}

export function dryRunResult(report: ReconcileReport, calls: Record<string, SystemCalls>): DryRunResult {
  const counts = plannedCounts(report)
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
  const counts = plannedCounts(report)
  const byKey = new Map(report.actions.map((a) => [`${a.kind}\u0000${a.key}`, a]))
  const resultOf = new Map(report.results.map((r) => [`${r.kind}\u0000${r.key}`, r]))
  const failures: SyncResult['failures'] = []
  for (const r of report.results) {
    counts[r.kind][r.ok ? 'ok' : 'failed']++
    if (!r.ok) failures.push({action: r.kind, key: r.key, name: byKey.get(`${r.kind}\u0000${r.key}`)?.name ?? r.key, object: r.object, reason: r.error ?? 'failed'})
  }
  const actions: AppliedAction[] = report.actions.map((a) => {
    const r = resultOf.get(`${a.kind}\u0000${a.key}`)
    const outcome: AppliedAction['outcome'] = a.blocked !== undefined ? 'withheld' : r === undefined ? 'impossible' : r.ok ? 'ok' : a.failed === undefined ? 'failed' : 'impossible'
    return {
      ...plannedAction(a),
      ...(r?.ok === true && r.concertimId !== undefined ? {concertimId: r.concertimId} : {}),
      ...(r !== undefined && !r.ok ? {error: r.error ?? 'failed'} : {}),
      outcome,
    }
  })
  return {
    actions,
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

/** Deletions were withheld by the cap (not when --allow-mass-delete let them through). */
function capHeld(report: ReconcileReport): boolean {
  return report.plan.actions.some((a) => a.blocked?.code === 'cap')
}

/** `name: old → new` for each field an update changes (a value absent in Concertim shows as `(none)`). */
export function describeChanges(changes: Readonly<Record<string, FieldChange>>): string[] {
  const show = (v: unknown) => (v === null || v === undefined ? '(none)' : typeof v === 'string' ? v : JSON.stringify(v))
  return Object.entries(changes)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([field, c]) => `${field}: ${show(c.from)} → ${show(c.to)}`)
}

/** The plan for people; the table fits `width` columns (default: the terminal's, else 80). */
export function formatPlan(result: DryRunResult, width?: number): {err: string[]; out: string[]} {
  const out: string[] = []
  const err: string[] = []
  for (const p of result.problems) err.push(`! ${p}`)
  if (result.actions.length === 0) out.push('Nothing to do: Concertim already shows the cloud.')
  else {
    const rows = result.actions.slice(0, MAX_ROWS).map((a) => [
      a.kind,
      a.object,
      a.name,
      a.concertimId ?? '(new)',
      [
        a.reason,
        ...(a.kind === 'update' ? describeChanges(a.changes) : []),
        ...(a.blocked === null ? [] : [`withheld: ${a.blocked.message}`]),
        ...(a.failed === null ? [] : [`fails: ${a.failed}`]),
      ].join('\n'),
    ])
    out.push(renderTable(['action', 'object', 'name', 'concertim id', 'why'], rows, {width}))
    if (result.actions.length > MAX_ROWS) out.push(`… and ${result.actions.length - MAX_ROWS} more (use --json for all)`)
  }
  for (const n of result.notices) out.push(`note: ${n.message}`)
  const c = result.counts
  out.push(`Plan: ${c.create.planned} to create, ${c.update.planned} to update, ${c.delete.planned} to delete${c.blocked > 0 ? `, ${c.blocked} withheld` : ''}${c.impossible > 0 ? `, ${c.impossible} impossible` : ''}; ${c.unchanged} unchanged.`)
  if (result.deletionCapExceeded) out.push(`The deletions exceed the cap of ${result.maxDeletes}: a sync would delete nothing without --allow-mass-delete.`)
  return {err, out}
}

export function formatSyncResult(result: SyncResult): {err: string[]; out: string[]} {
  const out: string[] = []
  const err: string[] = []
  for (const f of result.failures.slice(0, MAX_ROWS)) err.push(`✗ ${f.action} ${f.object} ${f.name} (${f.key}): ${f.reason}`)
  const c = result.counts
  const part = (o: Outcome) => `${o.ok}${o.failed > 0 ? ` (+${o.failed} failed)` : ''}`
  out.push(`Created ${part(c.create)}, updated ${part(c.update)}, deleted ${part(c.delete)}${c.blocked > 0 ? `; ${c.blocked} deletion(s) withheld` : ''}; ${c.unchanged} unchanged (${(result.durationMs / 1000).toFixed(1)} s).`)
  for (const p of result.problems) out.push(`! ${p}`)
  if (result.deletionCapExceeded) out.push(`Deletions withheld: more than the cap of ${result.maxDeletes}. Check the plan (--dry-run), then run with --allow-mass-delete.`)
  return {err, out}
}

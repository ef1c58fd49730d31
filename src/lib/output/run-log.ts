/**
 * The record an unattended sync leaves on stderr (cron and the timer send stdout to /dev/null):
 * one log line per action it applied, failed or withheld — with the Concertim and cloud ids — and a
 * summary line, so that what a run changed can be found in the log afterwards. The deletion cap's
 * stop is an error line.
 */
import type {Logger} from './logger.js'
import type {DryRunResult, SyncResult} from './sync-report.js'

const VERB = {create: 'created', delete: 'deleted', update: 'updated'} as const

export function logSyncRun(logger: Logger, result: SyncResult): void {
  for (const a of result.actions) {
    const ids = {cloudId: a.cloudId, concertimId: a.concertimId, key: a.key, name: a.name, object: a.object}
    switch (a.outcome) {
      case 'ok': {
        logger.info({...ids, action: a.kind, ...(a.kind === 'update' ? {fields: Object.keys(a.changes)} : {})}, `${VERB[a.kind]} ${a.object} ${a.name} (${a.concertimId ?? a.key}): ${a.reason}`)
        break
      }
      case 'failed':
      case 'impossible': {
        logger.warn({...ids, action: a.kind, error: a.error ?? a.failed}, `${a.kind} ${a.object} ${a.name} (${a.key}) failed: ${a.error ?? a.failed ?? 'failed'}`)
        break
      }
      case 'withheld': {
        logger.warn({...ids, action: a.kind, blocked: a.blocked?.code}, `withheld: ${a.kind} ${a.object} ${a.name} (${a.concertimId ?? a.key}): ${a.blocked?.message ?? ''}`)
        break
      }
    }
  }
  const c = result.counts
  logger.info(
    {complete: result.complete, counts: c, durationMs: result.durationMs, problems: result.problems.length},
    `sync done: created ${c.create.ok}, updated ${c.update.ok}, deleted ${c.delete.ok}, failed ${c.create.failed + c.update.failed + c.delete.failed}, withheld ${c.blocked}, unchanged ${c.unchanged}`,
  )
  if (result.deletionCapExceeded) {
    logger.error({maxDeletes: result.maxDeletes}, `deletions withheld: more than the cap of ${result.maxDeletes}; check the plan (sync --dry-run), then run sync --allow-mass-delete`)
  }
}

export function logSyncPlan(logger: Logger, result: DryRunResult): void {
  const c = result.counts
  logger.info(
    {counts: c, dryRun: true, problems: result.problems.length},
    `sync plan (dry run, nothing written): ${c.create.planned} to create, ${c.update.planned} to update, ${c.delete.planned} to delete, ${c.blocked} withheld, ${c.unchanged} unchanged`,
  )
  if (result.deletionCapExceeded) logger.error({maxDeletes: result.maxDeletes}, `the deletions exceed the cap of ${result.maxDeletes}: a sync would delete nothing without --allow-mass-delete`)
}

/**
 * What `users create` and `users delete` print for people: the steps of an identity (planned or
 * done) and the summary of a `--pending` run. Never a password: none is in what they are given.
 */
import type {DeleteIdentityResult, IdentityResult, PendingResult} from '../identity/index.js'
import {mark, renderTable} from './table.js'

/** Rows of done or planned units shown in the table (failures are always all shown). */
const MAX_ROWS = 30

const DONE = new Set(['adopted', 'created', 'granted', 'linked', 'tagged', 'deleted', 'closed', 'unlinked'])

function markOf(state: string): string {
  if (DONE.has(state)) return mark.ok()
  if (state.startsWith('to ')) return mark.warn()
  return mark.skip()
}

export function identityTable(result: IdentityResult): string {
  const rows = result.steps.map((s) => [markOf(s.state), s.object, s.state, s.id ?? ''])
  return renderTable(['', 'object', result.dryRun ? 'plan' : 'result', 'id'], rows)
}

export function identityHeadline(result: IdentityResult): string {
  const who = `${result.login ?? ''}${result.team === undefined ? '' : ` (team ${result.team})`}`
  if (result.dryRun) {
    const todo = result.steps.filter((s) => s.state.startsWith('to ')).length
    return todo === 0 ? `${who}: everything exists; nothing to do (dry run)` : `${who}: ${todo} step(s) to do (dry run: nothing written)`
  }
  const done = result.steps.filter((s) => DONE.has(s.state)).length
  return done === 0 ? `${who}: everything existed; nothing written` : `${who}: ${done} step(s) done`
}

export function pendingTables(result: PendingResult): string[] {
  const out: string[] = []
  // Every failure; of the rest, the first MAX_ROWS (a migration links thousands: --json has them all).
  const failed = result.units.filter((u) => u.outcome === 'failed')
  const others = result.units.filter((u) => u.outcome === 'done' || u.outcome === 'planned')
  const shown = [...failed, ...others.slice(0, MAX_ROWS)]
  const rows = shown.map((u) => [u.outcome === 'failed' ? mark.fail() : u.outcome === 'done' ? mark.ok() : mark.warn(), u.kind, u.name, u.outcome, u.error?.message ?? u.steps.filter((s) => s.state !== 'exists').map((s) => `${s.object}: ${s.state}`).join('; ')])
  if (rows.length > 0) out.push(renderTable(['', 'kind', 'name', 'outcome', 'detail'], rows))
  if (others.length > MAX_ROWS) out.push(`… and ${others.length - MAX_ROWS} more ${result.dryRun ? 'planned' : 'done'} (--json lists every one)`)
  const c = result.counts
  const kinds = ['user', 'team', 'membership'] as const
  const summary = kinds.map((k) => {
    const of = result.units.filter((u) => u.kind === k)
    return [k, of.length, of.filter((u) => u.outcome === 'done').length, of.filter((u) => u.outcome === 'planned').length, of.filter((u) => u.outcome === 'unchanged').length, of.filter((u) => u.outcome === 'failed').length]
  })
  out.push(renderTable(['', 'total', 'done', 'planned', 'unchanged', 'failed'], summary))
  out.push(result.units.length === 0 ? 'every Concertim user and team is linked: nothing to do' : `${c.done} done, ${c.planned} planned, ${c.unchanged} unchanged, ${c.failed} failed${result.dryRun ? ' (dry run: nothing written)' : ''}`)
  return out
}

export function removalTable(result: DeleteIdentityResult): string {
  return renderTable(['', 'object', result.dryRun ? 'plan' : 'result', 'id'], result.removals.map((r) => [markOf(r.state), r.object, r.state, r.id ?? '']))
}

/**
 * How `billing reconcile` shows a run to people: the changes (cost old → new, each usage record,
 * each team's fields) as tables, and a summary line.
 */
import type {BillingReport} from '../billing/reconcile.js'

const shown = (v: null | number | string | undefined): string => (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? '—' : String(v))

export function costsTable(r: BillingReport): {head: string[]; rows: string[][]} {
  return {
    head: ['object', 'name', 'cost', 'outcome'],
    rows: r.costs.map((c) => [c.kind, c.name, `${shown(c.from)} → ${c.to.toFixed(2)}`, c.error ? `failed: ${c.error}` : c.outcome]),
  }
}

export function teamsTable(r: BillingReport): {head: string[]; rows: string[][]} {
  return {
    head: ['team', 'change', 'outcome'],
    rows: r.teams.map((t) => [
      t.name,
      Object.entries(t.update)
        .map(([k, v]) => `${k} ${shown((t.before as Record<string, null | string | undefined>)[k])} → ${v}`)
        .join('\n'),
      t.error ? `failed: ${t.error}` : t.outcome,
    ]),
  }
}

export function usageTable(r: BillingReport): {head: string[]; rows: string[][]} {
  return {
    head: ['period', 'rack', 'unit type', 'Kill Bill → CloudKitty', 'record', 'outcome'],
    rows: r.usage.map((u) => [u.period, u.rackName, u.unitType, `${u.recorded} → ${u.target}`, `+${u.amount} on ${u.recordDate}`, u.error ? `failed: ${u.error}` : u.outcome === 'duplicate' ? 'already recorded' : u.outcome]),
  }
}

export function summaryLine(r: BillingReport): string {
  const c = r.counts
  const verb = r.dryRun ? 'planned' : 'applied'
  const parts = [
    `${r.period.id}: ${c.teams} team${c.teams === 1 ? '' : 's'}, ${c.racks} rack${c.racks === 1 ? '' : 's'}, ${c.devices} device${c.devices === 1 ? '' : 's'}, ${c.subscriptions} subscription${c.subscriptions === 1 ? '' : 's'} billed`,
    `costs ${verb} ${r.dryRun ? c.costChanges : `${c.costsApplied}/${c.costChanges}`}`,
    `teams ${verb} ${r.dryRun ? c.teamChanges : `${c.teamsApplied}/${c.teamChanges}`}`,
    r.dryRun ? `usage records planned ${c.usagePlanned}` : `usage recorded ${c.usageRecorded}, already recorded ${c.usageDuplicate}`,
  ]
  if (c.failed > 0) parts.push(`${c.failed} failed`)
  if (c.overRecorded > 0) parts.push(`${c.overRecorded} unit${c.overRecorded === 1 ? '' : 's'} where Kill Bill holds more than CloudKitty rates (not reversed)`)
  if (r.settled) parts.push(`previous month ${r.settled.id} settled${r.settled.marked ? ' (final)' : ''}`)
  return `${parts.join('; ')}.`
}

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/base-command.js'
import type {BillingReport} from '../../lib/billing/reconcile.js'
import {parsePeriod, periodAt} from '../../lib/billing/period.js'
import {ExitCode} from '../../lib/exit-codes.js'
import type {SystemCalls} from '../../lib/http/index.js'
import {type RunLock, takeRunLock} from '../../lib/lock.js'
import {costsTable, summaryLine, teamsTable, usageTable} from '../../lib/output/billing-report.js'
import {renderTable} from '../../lib/output/table.js'

export type BillingReconcileResult = BillingReport & {calls: Record<string, SystemCalls>; durationMs: number}

const MAX_ROWS = 50

export default class BillingReconcile extends BaseCommand<typeof BillingReconcile> {
  static override description = `Reconcile the current month's billing: CloudKitty's rated costs into Concertim (devices, racks, teams, credits, billing period) and into Kill Bill usage, exactly once.

CloudKitty's month-to-date (the calendar month, UTC) is read in bulk — one summary grouped by resource, type and project for every project, paged — with Concertim's teams, racks and devices and Kill Bill's recorded usage. Then only what differs is written: a device's cost (its cloud object's rating), a rack's cost (the sum of its devices), a team's cost (its project's rating), credits (Kill Bill account credit − the draft invoice) and billing period; and per rack subscription and CloudKitty type the Kill Bill usage delta (month-to-date − what Kill Bill holds), with a tracking id derived from the subscription, unit type, month and the amount it starts from, so that a retry, a rerun after a crash or two runs at once record it once. A lower rating is reported, never posted as negative usage.

The first runs of a month also settle the previous month's final delta (records dated its last day); --period settles a past month by hand (Kill Bill only: Concertim shows the current month). Kill Bill is written before Concertim, and every read comes first: with CloudKitty or Kill Bill down the run ends (exit 1) with nothing written to Concertim.

Exit codes: 0 done, 1 a system unreadable (nothing written to Concertim), 2 usage or configuration, 3 finished but some writes failed or some orders/accounts are unknown to Kill Bill (each reported; the rest applied), 75 another run holds the lock.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'One run (what cron and the systemd timer run every minute)'},
    {command: '<%= config.bin %> <%= command.id %> --dry-run', description: 'The plan: each cost change and each usage record; nothing written'},
    {command: '<%= config.bin %> <%= command.id %> --team acme --dry-run', description: "Only one team's devices, racks, usage and credits"},
    {command: '<%= config.bin %> <%= command.id %> --period 2026-11', description: "Settle November 2026's final usage in Kill Bill by hand"},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'The changes, the usage records and the calls by system as JSON'},
  ]

  static override flags = {
    'dry-run': Flags.boolean({description: 'Read everything and print the plan (cost changes, usage records, team changes); write nothing (no lock).'}),
    period: Flags.string({
      description: 'Settle this past month (YYYY-MM) in Kill Bill instead of reconciling the current one; Concertim is left as it is. The current month is the default.',
      helpValue: 'YYYY-MM',
    }),
    team: Flags.string({description: 'Only this Concertim team (by name): its devices, racks, subscriptions and credits.', helpValue: 'NAME'}),
  }

  protected override checkFlags(): void {
    const text = this.flags.period
    if (text === undefined) return
    const p = parsePeriod(text)
    if (p === undefined) this.fail(`--period '${text}' is not a month`, ExitCode.USAGE, 'for example --period 2026-11 (YYYY-MM)')
    if (p.startMs > periodAt(Date.now()).startMs) this.fail(`--period ${text} has not begun: only the current month or a past one can be billed`, ExitCode.USAGE, `the current month is ${periodAt(Date.now()).id} (the default)`)
  }

  async run(): Promise<BillingReconcileResult> {
    const config = this.appConfig()
    const dryRun = this.flags['dry-run']
    if (!config.killbill) this.logger.warn('no killbill section in the configuration: costs only (no usage, no credits)')
    const [{createBillingClients}, {runBillingReconcile}] = await Promise.all([import('../../lib/runtime/billing.js'), import('../../lib/billing/reconcile.js')])
    const {clients, store} = createBillingClients(config, this.httpContext({dryRun}), this.logger)
    let lock: RunLock | undefined
    const stopped = this.exitOnSignals(async () => lock?.release())
    try {
      if (!dryRun) lock = await takeRunLock(config, 'billing')
      const started = performance.now()
      const report = await runBillingReconcile(clients, {
        concurrency: config.billing.concurrency,
        dryRun,
        period: this.flags.period === undefined ? undefined : parsePeriod(this.flags.period),
        settleGraceMs: config.billing.settle_grace_minutes * 60_000,
        team: this.flags.team,
      })
      const result: BillingReconcileResult = {...report, calls: this.ledger.bySystem(), durationMs: Math.round(performance.now() - started)}
      for (const p of report.problems) this.logger.error({id: p.id, what: p.what}, p.message)
      for (const o of report.overRecorded) {
        this.logger.warn({period: o.period, rack: o.rackName, subscriptionId: o.subscriptionId, unitType: o.unitType}, `Kill Bill holds ${o.recorded} of ${o.unitType} for rack ${o.rackName} but CloudKitty now rates ${o.rated}: not reversed (see README "Billing")`)
      }
      // One line per run on stderr, so that cron's and journald's logs keep a record of each.
      this.logger.info({calls: result.calls, counts: report.counts, dryRun, durationMs: result.durationMs, period: report.period.id, settled: report.settled}, `billing reconcile: ${summaryLine(report)}`)
      this.render(result)
      process.exitCode = report.exitCode
      return result
    } finally {
      await lock?.release()
      await store.close()
      stopped()
    }
  }

  private render(r: BillingReconcileResult): void {
    if (this.jsonEnabled()) return
    const table = (t: {head: string[]; rows: string[][]}) => {
      if (t.rows.length === 0) return
      this.log(renderTable(t.head, t.rows.slice(0, MAX_ROWS)))
      if (t.rows.length > MAX_ROWS) this.log(`… and ${t.rows.length - MAX_ROWS} more (see --json).`)
    }
    table(costsTable(r))
    table(teamsTable(r))
    table(usageTable(r))
    this.log(summaryLine(r))
    if (r.dryRun) this.log('Dry run: nothing was written to Concertim or Kill Bill.')
    const calls = Object.entries(r.calls)
      .map(([system, s]) => `${system} ${s.calls}`)
      .join(', ')
    this.log(`Calls: ${calls || 'none'}; ${r.durationMs} ms.`)
  }
}

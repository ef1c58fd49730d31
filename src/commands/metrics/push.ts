import {Flags} from '@oclif/core'

import {BaseCommand} from '../../lib/base-command.js'
import type {MetricsSection} from '../../lib/config/index.js'
import {ExitCode} from '../../lib/exit-codes.js'
import type {SystemCalls} from '../../lib/http/index.js'
import {type RunLock, takeRunLock} from '../../lib/lock.js'
import {NO_DATA_REASONS} from '../../lib/metrics/formulas.js'
import type {PassClients, PassReport} from '../../lib/metrics/run.js'
import {parseDuration, runOnSchedule} from '../../lib/metrics/schedule.js'
import {problemsTable, valuesTable} from '../../lib/output/metrics-report.js'
import {renderTable} from '../../lib/output/table.js'

export type MetricsPushResult = PassReport & {calls: Record<string, SystemCalls>; durationMs: number}

const MAX_PROBLEM_ROWS = 30

export default class MetricsPush extends BaseCommand<typeof MetricsPush> {
  static override description = `Push the metrics of every Instance device from Gnocchi to the Concertim metric reporting daemon.

For each Instance device we manage (from the view, or from Concertim devices carrying metadata.openstack_instance_id): cpu_load (%), ram_usage (%), network_usage (B/s), throughput (B/s) and iops (OPS/s). Gnocchi is read in batch — three aggregates queries per metrics.batch_size servers, every disk and every network interface of a server summed — and each metric is PUT to the MRD (one per request) with bounded concurrency. A metric without a recent measure is not sent (never a fake 0) and is counted; a device the MRD does not know yet (404) is counted and left for the next run.

One pass by default (for cron or a systemd timer); --every keeps it resident on a drift-free schedule. A lock stops overlapping runs (exit 75). Exit codes: 0 ok (no-data and not-yet-known devices included), 1 Gnocchi or Concertim unreachable or the MRD refusing everything, 2 usage or configuration, 3 some metrics were rejected or failed, 75 another run holds the lock.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'One pass (what cron and the systemd timer run)'},
    {command: '<%= config.bin %> <%= command.id %> --dry-run', description: 'Print the values of every device; send nothing'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'The values and the counts as JSON'},
    {command: '<%= config.bin %> <%= command.id %> --every 15s', description: "Stay resident at the original service's 15-second cadence (SIGTERM stops it)"},
    {command: '<%= config.bin %> <%= command.id %> --granularity 60 --window 180', description: 'Read a finer archive policy than Ceilometer\'s default (it must store 60 s points)'},
  ]

  static override flags = {
    concurrency: Flags.integer({description: 'Metric PUTs in flight to the MRD [default: metrics.concurrency, 64].', min: 1}),
    'dry-run': Flags.boolean({description: 'Read Gnocchi and print the values; send nothing to the MRD (takes no lock).'}),
    every: Flags.string({
      description: 'Stay resident and start a pass every PERIOD (e.g. 15s, 1m), on a drift-free schedule; SIGTERM or SIGINT stops after the pass under way. With --json each pass is one JSON line.',
      helpValue: 'PERIOD',
    }),
    granularity: Flags.integer({description: 'Gnocchi granularity to read, in seconds [default: metrics.granularity, 300].', min: 1}),
    window: Flags.integer({description: 'Look back this many seconds for the latest point [default: metrics.window, 900].', min: 1}),
  }

  /** The period of --every, checked with the other flags (before the configuration is read). */
  private periodMs: number | undefined

  protected override checkFlags(): void {
    const {every, granularity, window} = this.flags
    if (granularity !== undefined && window !== undefined && window < granularity) {
      this.fail(`the window (${window} s) is shorter than the granularity (${granularity} s): no point could ever fall in it`, ExitCode.USAGE, 'use a window of at least two granularities, e.g. --window 900 with --granularity 300')
    }
    if (every === undefined) return
    this.periodMs = parseDuration(every)
    if (this.periodMs === undefined || this.periodMs < 1000) {
      const hint = /^\s*\d+(\.\d+)?\s*$/.test(every) && Number(every) >= 1 ? `did you mean --every ${every.trim()}s? A period needs a unit: s, m or h (e.g. 1m30s)` : 'for example --every 15s, --every 1m'
      this.fail(`--every '${every}' is not a period of at least 1 s`, ExitCode.USAGE, hint)
    }
  }

  async run(): Promise<MetricsPushResult | undefined> {
    const config = this.appConfig()
    const settings: MetricsSection = {
      ...config.metrics,
      ...(this.flags.concurrency === undefined ? {} : {concurrency: this.flags.concurrency}),
      ...(this.flags.granularity === undefined ? {} : {granularity: this.flags.granularity}),
      ...(this.flags.window === undefined ? {} : {window: this.flags.window}),
    }
    if (settings.window < settings.granularity) {
      this.fail(`the window (${settings.window} s) is shorter than the granularity (${settings.granularity} s): no point could ever fall in it`, ExitCode.USAGE, 'use a window of at least two granularities, e.g. --window 900 with --granularity 300')
    }
    const {periodMs} = this
    const dryRun = this.flags['dry-run']
    const clients = await this.clients(settings, dryRun)

    let lock: RunLock | undefined
    // One pass ends at once on SIGINT/SIGTERM (exit 130/143); --every finishes the pass under way (exit 0).
    const stopped = periodMs === undefined ? this.exitOnSignals(async () => lock?.release()) : () => undefined
    try {
      if (!dryRun) lock = await takeRunLock(config, 'metrics')
      if (periodMs === undefined) {
        const result = await this.pass(clients, settings, dryRun)
        this.render(result)
        process.exitCode = result.exitCode
        return result
      }
      await this.resident(periodMs, clients, settings, dryRun)
      return undefined
    } finally {
      await lock?.release()
      stopped()
    }
  }

  /** The clients of a pass (imported here: listing the command does not load them). */
  private async clients(settings: MetricsSection, dryRun: boolean): Promise<PassClients> {
    const [{createConcertim}, {createOpenStack}, {openViewStore}] = await Promise.all([import('../../lib/concertim/index.js'), import('../../lib/openstack/index.js'), import('../../lib/store/index.js')])
    const config = this.appConfig()
    const ctx = this.httpContext({dryRun})
    const openstack = createOpenStack(config.openstack as unknown as Record<string, unknown>, ctx)
    const base = ctx.settings ?? {}
    const concertim = createConcertim(config.concertim, {...ctx, settings: {...base, maxInFlightPerHost: Math.max(base.maxInFlightPerHost ?? 0, settings.concurrency)}})
    return {
      concertim: concertim.api,
      gnocchi: openstack.gnocchi,
      logger: this.logger,
      mrd: concertim.mrd,
      view: async () => {
        const store = openViewStore(config.store)
        store.onWarning = (message) => this.logger.warn(message)
        try {
          return (await store.load()).entries
        } finally {
          await store.close()
        }
      },
    }
  }

  private async pass(clients: PassClients, settings: MetricsSection, dryRun: boolean): Promise<MetricsPushResult> {
    this.ledger.reset()
    const started = performance.now()
    const {runMetricsPass} = await import('../../lib/metrics/run.js')
    const report = await runMetricsPass(clients, {
      batchSize: settings.batch_size,
      concurrency: settings.concurrency,
      // Each device's values are printed by --dry-run and returned by --json; otherwise only the counts are.
      details: dryRun || this.jsonEnabled(),
      dryRun,
      granularity: settings.granularity,
      rateSettle: settings.rate_settle,
      ttl: settings.ttl,
      window: settings.window,
    })
    if (report.aborted !== undefined) this.logger.error(`${report.aborted}; the other metrics of this pass were not sent`)
    return {...report, calls: this.ledger.bySystem(), durationMs: Math.round(performance.now() - started)}
  }

  private render(r: MetricsPushResult): void {
    if (this.jsonEnabled()) return
    const c = r.counts
    if (r.dryRun) {
      const {head, rows} = valuesTable(r.devices)
      this.log(renderTable(head, rows))
    }
    const noData = NO_DATA_REASONS.filter((k) => c.noDataByReason[k] > 0).map((k) => `${k} ${c.noDataByReason[k]}`)
    this.log(
      `${c.devices} Instance device${c.devices === 1 ? '' : 's'} (${c.servers} server${c.servers === 1 ? '' : 's'}, from ${r.source}): ${c.values} value${c.values === 1 ? '' : 's'}, ${c.noData} without data${noData.length > 0 ? ` (${noData.join(', ')})` : ''}.`,
    )
    if (r.dryRun) {
      this.log('Dry run: nothing was sent to the metric reporting daemon.')
    } else {
      this.log(
        `Sent ${c.sent}; ${c.unknownDevices} device${c.unknownDevices === 1 ? '' : 's'} not yet known to the MRD (${c.unknownDeviceMetrics} metric${c.unknownDeviceMetrics === 1 ? '' : 's'} left for the next run); ${c.invalid} rejected; ${c.failed} failed${c.notAttempted > 0 ? `; ${c.notAttempted} not attempted` : ''}.`,
      )
    }
    const calls = Object.entries(r.calls)
      .map(([system, s]) => `${system} ${s.calls}`)
      .join(', ')
    this.log(`Calls: ${calls || 'none'}; ${r.durationMs} ms.`)
    const shown = r.problems.filter((p) => p.outcome !== 'unknown-device' || r.problems.length <= MAX_PROBLEM_ROWS)
    if (shown.length > 0) {
      const {head, rows} = problemsTable(shown, r.devices)
      this.log(renderTable(head, rows.slice(0, MAX_PROBLEM_ROWS)))
      if (shown.length > MAX_PROBLEM_ROWS) this.log(`… and ${shown.length - MAX_PROBLEM_ROWS} more (see --json).`)
    }
  }

  private async resident(periodMs: number, clients: PassClients, settings: MetricsSection, dryRun: boolean): Promise<void> {
    const controller = new AbortController()
    const stop = (signal: NodeJS.Signals) => {
      this.logger.info({signal}, 'stopping after the pass under way')
      controller.abort()
    }
    process.once('SIGTERM', stop)
    process.once('SIGINT', stop)
    this.logger.info({every: this.flags.every}, 'metrics push: resident')
    try {
      await runOnSchedule(
        periodMs,
        async () => {
          try {
            const result = await this.pass(clients, settings, dryRun)
            if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify(result)}\n`) // NDJSON: one line per pass
            else this.render(result)
          } catch (error) {
            this.logger.error({hint: (error as {hint?: string}).hint}, `pass failed: ${(error as Error).message}`)
          }
        },
        {onSkipped: (n) => this.logger.warn({skipped: n}, `a pass overran the period; ${n} tick${n === 1 ? '' : 's'} skipped`), signal: controller.signal},
      )
    } finally {
      process.off('SIGTERM', stop)
      process.off('SIGINT', stop)
    }
    this.logger.info('metrics push: stopped')
  }
}

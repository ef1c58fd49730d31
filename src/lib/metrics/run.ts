/**
 * One `metrics push` pass: find the Instance devices, read Gnocchi in batch, compute the readings,
 * send them (unless dry-run), and report counts. The clients are passed in, so that the pass runs
 * against the real systems, the simulator, or test doubles alike.
 */
import type {Metric, MetricResult} from '../concertim/mrd.js'
import type {Device, Template} from '../concertim/types.js'
import {AppError} from '../errors.js'
import {ExitCode, type ExitCodeValue} from '../exit-codes.js'
import type {AggregatesRequest} from '../openstack/gnocchi.js'
import type {GnocchiAggregatesGroup} from '../openstack/types.js'
import type {Logger} from '../output/logger.js'
import type {ViewEntry} from '../store/types.js'
import {type FlavorSizes, METRIC_NAMES, type MetricName, NO_DATA_REASONS, type NoDataReason, needsFlavor, readingsOf, type ServerMeasures} from './formulas.js'
import {batches, MEASURE_QUERIES, readBatch} from './gnocchi-batch.js'
import {type DeviceReadings, pushReadings, type SendProblem} from './push.js'
import {flavorSizesByTemplate, type MetricTarget, type TargetSource, targetsFromDevices, targetsFromView} from './targets.js'

export interface PassClients {
  concertim: {devices(): Promise<Device[]>; templates(): Promise<Template[]>}
  gnocchi: {aggregatesGrouped(req: AggregatesRequest & {groupby: string[]}): Promise<GnocchiAggregatesGroup[]>}
  logger?: Logger
  mrd: {putMetric(deviceId: string, metric: Metric): Promise<MetricResult>}
  /** The view's entries, or undefined when there is no view (or it cannot be read). */
  view?: () => Promise<ReadonlyMap<string, ViewEntry> | undefined>
}

export interface PassOptions {
  /** Servers per Gnocchi query. */
  batchSize: number
  /** MRD requests in flight. */
  concurrency: number
  dryRun: boolean
  /** Gnocchi granularity, s. */
  granularity: number
  /** The time of the pass (ms); default now. */
  now?: number
  /** Seconds a value stays current in the MRD. */
  ttl: number
  /** Look-back, s. */
  window: number
}

export interface DeviceReport {
  deviceId: string
  instanceId: string
  /** Why a metric has no value (it was not sent). */
  missing: Partial<Record<MetricName, NoDataReason>>
  name?: string
  /** The values computed (sent unless dry-run). */
  values: Partial<Record<MetricName, number>>
}

export interface PassCounts {
  devices: number
  /** Metrics not sent because Gnocchi had no data for them. */
  noData: number
  noDataByMetric: Record<MetricName, number>
  noDataByReason: Record<NoDataReason, number>
  /** Metrics the MRD rejected (422/400): a bug or a bad value, reported with the MRD's message. */
  invalid: number
  /** Metrics whose PUT failed after retries. */
  failed: number
  notAttempted: number
  sent: number
  servers: number
  /** Devices the MRD does not know yet (404): left for the next run. */
  unknownDevices: number
  unknownDeviceMetrics: number
  /** Metrics with a value. */
  values: number
}

export interface PassReport {
  aborted?: string
  at: string
  counts: PassCounts
  devices: DeviceReport[]
  dryRun: boolean
  exitCode: ExitCodeValue
  gnocchi: {calls: number; refused: {resourceType: string; serverId: string}[]}
  problems: SendProblem[]
  source: TargetSource
  window: {granularity: number; start: string; ttl: number}
}

/** The exit code of a pass (DESIGN §6): 1 when sending stopped, 3 when some metrics failed, else 0. */
export function passExitCode(r: {aborted?: string; failed: number; invalid: number}): ExitCodeValue {
  if (r.aborted !== undefined) return ExitCode.FAILURE
  if (r.failed > 0 || r.invalid > 0) return ExitCode.PARTIAL
  return ExitCode.OK
}

const GNOCCHI_PARALLEL = 4

async function findTargets(clients: PassClients): Promise<{source: TargetSource; targets: MetricTarget[]}> {
  if (clients.view) {
    let entries: ReadonlyMap<string, ViewEntry> | undefined
    try {
      entries = await clients.view()
    } catch (error) {
      clients.logger?.warn({err: (error as Error).message}, 'cannot read the view; finding devices from Concertim')
    }
    const fromView = entries === undefined ? undefined : targetsFromView(entries)
    if (fromView !== undefined) return {source: 'view', targets: fromView}
  }
  let devices: Device[]
  try {
    devices = await clients.concertim.devices()
  } catch (error) {
    throw new AppError(`cannot list the Concertim devices to report metrics for: ${(error as Error).message}`, {
      cause: error,
      code: 'E_CONCERTIM',
      hint: (error as AppError).hint ?? 'check the concertim section of the configuration (try: concertim-os doctor)',
    })
  }
  return {source: 'concertim', targets: targetsFromDevices(devices)}
}

async function readGnocchi(clients: PassClients, serverIds: readonly string[], opts: PassOptions, start: Date): Promise<{calls: number; measures: Map<string, ServerMeasures>; refused: PassReport['gnocchi']['refused']}> {
  const measures = new Map<string, ServerMeasures>()
  const jobs = MEASURE_QUERIES.flatMap((q) => batches(serverIds, opts.batchSize).map((ids) => ({ids, q})))
  let calls = 0
  const refused: PassReport['gnocchi']['refused'] = []
  let next = 0
  const worker = async () => {
    while (next < jobs.length) {
      const {ids, q} = jobs[next++]
       
      const r = await readBatch((req) => clients.gnocchi.aggregatesGrouped(req), q, ids, {granularity: opts.granularity, start}, measures)
      calls += r.calls
      refused.push(...r.refused)
    }
  }
  try {
    await Promise.all(Array.from({length: Math.min(GNOCCHI_PARALLEL, Math.max(1, jobs.length))}, () => worker()))
  } catch (error) {
    const status = (error as {status?: number}).status
    const hint =
      status === 400 || status === 404
        ? `check metrics.granularity (${opts.granularity}) against the archive policy of the instance metrics (Ceilometer's default stores 300) and that it offers rate:mean`
        : 'is Gnocchi (the OpenStack metric service) up and in the catalog? try: concertim-os doctor'
    throw new AppError(`cannot read the measures from Gnocchi, so no metric was sent: ${(error as Error).message}`, {cause: error, code: 'E_GNOCCHI', hint})
  }
  return {calls, measures, refused}
}

/** Flavor sizes from Concertim's templates, fetched only when some server lacks Gnocchi's vcpus/memory. */
async function flavorSizes(clients: PassClients, targets: readonly MetricTarget[], measures: Map<string, ServerMeasures>): Promise<Map<string, FlavorSizes>> {
  const wanted = targets.some((t) => t.templateId !== undefined && needsFlavor(measures.get(t.instanceId) ?? {}))
  if (!wanted) return new Map()
  try {
    return flavorSizesByTemplate(await clients.concertim.templates())
  } catch (error) {
    clients.logger?.warn({err: (error as Error).message}, 'cannot list Concertim templates for flavor sizes; CPU and RAM % need Gnocchi\'s vcpus and memory')
    return new Map()
  }
}

export function emptyCounts(): PassCounts {
  return {
    devices: 0,
    failed: 0,
    invalid: 0,
    noData: 0,
    noDataByMetric: Object.fromEntries(METRIC_NAMES.map((n) => [n, 0])) as Record<MetricName, number>,
    noDataByReason: Object.fromEntries(NO_DATA_REASONS.map((n) => [n, 0])) as Record<NoDataReason, number>,
    notAttempted: 0,
    sent: 0,
    servers: 0,
    unknownDeviceMetrics: 0,
    unknownDevices: 0,
    values: 0,
  }
}

export async function runMetricsPass(clients: PassClients, opts: PassOptions): Promise<PassReport> {
  const now = opts.now ?? Date.now()
  const start = new Date(now - opts.window * 1000)
  const {source, targets} = await findTargets(clients)
  const serverIds = [...new Set(targets.map((t) => t.instanceId))].sort()
  const gnocchi = serverIds.length === 0 ? {calls: 0, measures: new Map<string, ServerMeasures>(), refused: []} : await readGnocchi(clients, serverIds, opts, start)
  const flavors = await flavorSizes(clients, targets, gnocchi.measures)

  const counts = emptyCounts()
  counts.devices = targets.length
  counts.servers = serverIds.length
  const devices: DeviceReport[] = []
  const toSend: DeviceReadings[] = []
  for (const target of targets) {
    const readings = readingsOf(gnocchi.measures.get(target.instanceId) ?? {}, target.templateId === undefined ? {} : flavors.get(target.templateId))
    const report: DeviceReport = {deviceId: target.deviceId, instanceId: target.instanceId, missing: {}, name: target.name, values: {}}
    for (const r of readings) {
      if ('value' in r) {
        report.values[r.name] = r.value
        counts.values++
      } else {
        report.missing[r.name] = r.reason
        counts.noData++
        counts.noDataByMetric[r.name]++
        counts.noDataByReason[r.reason]++
      }
    }
    devices.push(report)
    toSend.push({readings, target})
  }

  let problems: SendProblem[] = []
  let aborted: string | undefined
  if (!opts.dryRun) {
    const tally = await pushReadings((id, m) => clients.mrd.putMetric(id, m), toSend, {concurrency: opts.concurrency, ttl: opts.ttl})
    counts.sent = tally.sent
    counts.failed = tally.failed
    counts.invalid = tally.invalid
    counts.notAttempted = tally.notAttempted
    counts.unknownDevices = tally.unknownDevices
    counts.unknownDeviceMetrics = tally.unknownDeviceMetrics
    problems = tally.problems
    aborted = tally.aborted
  }
  return {
    ...(aborted === undefined ? {} : {aborted}),
    at: new Date(now).toISOString(),
    counts,
    devices,
    dryRun: opts.dryRun,
    exitCode: passExitCode({aborted, failed: counts.failed, invalid: counts.invalid}),
    gnocchi: {calls: gnocchi.calls, refused: gnocchi.refused},
    problems,
    source,
    window: {granularity: opts.granularity, start: start.toISOString(), ttl: opts.ttl},
  }
}

/**
 * One `metrics push` pass: find the Instance devices, read Gnocchi in batch, compute the readings,
 * send them (unless dry-run), and report counts. The clients are passed in, so that the pass runs
 * against the real systems, the simulator, or test doubles alike.
 *
 * The devices go batch by batch (`batchSize` servers): a batch's Gnocchi answers become readings
 * and are dropped at once, and the next batch is read while the current one is being sent, so
 * that neither the whole cloud's measures nor its readings are ever held at once and Gnocchi's
 * time hides behind the MRD's.
 */
import type {Metric, MetricResult} from '../concertim/mrd.js'
import type {Device, Template} from '../concertim/types.js'
import {AppError} from '../errors.js'
import {ExitCode, type ExitCodeValue} from '../exit-codes.js'
import {AuthenticationError} from '../openstack/errors.js'
import type {AggregatesRequest} from '../openstack/gnocchi.js'
import type {GnocchiAggregatesGroup, GnocchiQuery, GnocchiResource} from '../openstack/types.js'
import type {Logger} from '../output/logger.js'
import type {ViewEntry} from '../store/types.js'
import {DEFAULT_RATE_SETTLE_S, type FlavorSizes, METRIC_NAMES, type MetricName, NO_DATA_REASONS, type NoDataReason, needsFlavor, type ReadingClock, readingsOf, type ServerSeries} from './formulas.js'
import {type BatchReadResult, type GnocchiReads, MEASURE_QUERIES, type PassState, readBatch} from './gnocchi-batch.js'
import {type DeviceReadings, emptyTally, pushReadings, type SendProblem} from './push.js'
import {flavorSizesByTemplate, type MetricTarget, type TargetSource, targetsFromDevices, targetsFromView} from './targets.js'

export interface PassClients {
  concertim: {devices(): Promise<Device[]>; templates(): Promise<Template[]>}
  gnocchi: {
    aggregatesGrouped(req: AggregatesRequest & {groupby: string[]}): Promise<GnocchiAggregatesGroup[]>
    searchResources(type: string, query?: GnocchiQuery): Promise<GnocchiResource[]>
  }
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
  /** Keep each device's values in the report (`devices`); default true. Without it only the counts are kept. */
  details?: boolean
  dryRun: boolean
  /** Gnocchi granularity, s. */
  granularity: number
  /** The time of the pass (ms); default now. */
  now?: number
  /** Seconds a value stays current in the MRD. */
  ttl: number
  /** Look-back, s. */
  window: number
  /** Seconds after its end before a Gnocchi period counts as complete for rates (default 60, Gnocchi's metric_processing_delay). */
  rateSettle?: number
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
  /** Gnocchi calls; resource types it does not have (their metrics are `not-in-gnocchi`); servers without the metrics of a query. */
  gnocchi: {calls: number; missingTypes: string[]; refused: {resourceType: string; serverId: string}[]}
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

interface Batch {
  /** Servers first met in this batch: the ones Gnocchi is asked about. */
  servers: string[]
  targets: MetricTarget[]
}

/**
 * The targets in order, cut into batches of at most `size` servers new to the batch. A server of
 * several devices is read once, in the batch of its first device.
 */
export function planBatches(targets: readonly MetricTarget[], size: number): Batch[] {
  const n = Math.max(1, Math.floor(size))
  const out: Batch[] = []
  const seen = new Set<string>()
  let batch: Batch | undefined
  for (const t of targets) {
    if (!seen.has(t.instanceId)) {
      seen.add(t.instanceId)
      if (batch === undefined || batch.servers.length >= n) out.push((batch = {servers: [], targets: []}))
      batch.servers.push(t.instanceId)
    }
    batch?.targets.push(t)
  }
  return out
}

interface GnocchiRead {
  calls: number
  measures: Map<string, ServerSeries>
  refused: PassReport['gnocchi']['refused']
}

/**
 * The three queries of one batch, one after another: each answer (up to ~13 MB of JSON for 10,000
 * servers, several times that parsed) is summarised before the next arrives, never two at once.
 * Any failure but "Metrics not found" propagates.
 */
async function readGnocchi(clients: PassClients, serverIds: readonly string[], opts: PassOptions, window: {completeBefore: number; start: Date}, state: PassState): Promise<GnocchiRead> {
  const measures = new Map<string, ServerSeries>()
  const gnocchi: GnocchiReads = {
    aggregates: async (req: AggregatesRequest & {groupby: string[]}) => clients.gnocchi.aggregatesGrouped(req),
    search: async (type, query) => clients.gnocchi.searchResources(type, query),
  }
  const results: BatchReadResult[] = []
  for (const q of MEASURE_QUERIES) results.push(await readBatch(gnocchi, q, serverIds, {...window, granularity: opts.granularity}, measures, state))
  return {calls: results.reduce((n, r) => n + r.calls, 0), measures, refused: results.flatMap((r) => r.refused)}
}

/** A Gnocchi read that failed, on its way out of the readings source. */
class GnocchiFailure extends Error {
  constructor(override readonly cause: unknown) {
    super('gnocchi read failed')
  }
}

function gnocchiError(error: unknown, opts: PassOptions, sent: number): AppError {
  const what = sent === 0 ? 'so no metric was sent' : `so the metrics of the remaining devices were not sent (${sent} sent before it failed)`
  // Gnocchi is reached with a Keystone token: when Keystone is what failed, say so (not "Gnocchi").
  if (error instanceof AuthenticationError || (error as {system?: unknown}).system === 'keystone') {
    return new AppError(`cannot log in to Keystone (OpenStack identity) to read Gnocchi, ${what}: ${(error as Error).message}`, {
      cause: error,
      code: (error as AppError).code ?? 'E_OPENSTACK_AUTH',
      hint: (error as AppError).hint ?? 'is Keystone up at openstack.auth_url, and are the openstack credentials right? try: concertim-os doctor',
    })
  }
  const status = (error as {status?: number}).status
  const hint =
    status === 400 || status === 404
      ? `check metrics.granularity (${opts.granularity}) against the archive policy of the instance metrics (Ceilometer's default stores 300) and that it offers mean`
      : 'is Gnocchi (the OpenStack metric service) up and in the catalog? try: concertim-os doctor'
  return new AppError(`cannot read the measures from Gnocchi, ${what}: ${(error as Error).message}`, {cause: error, code: 'E_GNOCCHI', hint})
}

/** Flavor sizes from Concertim's templates, fetched (once) only when some server lacks Gnocchi's vcpus/memory. */
function flavorSizes(clients: PassClients): () => Promise<Map<string, FlavorSizes>> {
  let sizes: Promise<Map<string, FlavorSizes>> | undefined
  return async () =>
    (sizes ??= clients.concertim.templates().then(
      (templates) => flavorSizesByTemplate(templates),
      (error: unknown) => {
        clients.logger?.warn({err: (error as Error).message}, 'cannot list Concertim templates for flavor sizes; CPU and RAM % need Gnocchi\'s vcpus and memory')
        return new Map<string, FlavorSizes>()
      },
    ))
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

/**
 * The pass's reading clock: gauges read periods overlapping the window; rates the two latest
 * periods that ended `rateSettle` seconds ago (`rateFrom`: where the oldest of those starts).
 */
export function readingClock(now: number, opts: Pick<PassOptions, 'granularity' | 'rateSettle' | 'window'>): ReadingClock & {rateFrom: number} {
  const g = opts.granularity * 1000
  const completeBefore = now - (opts.rateSettle ?? DEFAULT_RATE_SETTLE_S) * 1000
  return {completeBefore, rateFrom: Math.floor(completeBefore / g) * g - 2 * g, since: now - opts.window * 1000}
}

export async function runMetricsPass(clients: PassClients, opts: PassOptions): Promise<PassReport> {
  const now = opts.now ?? Date.now()
  const clock = readingClock(now, opts)
  // Rates need the two latest complete periods even when the window is shorter than that.
  const start = new Date(Math.min(clock.since, clock.rateFrom))
  const {source, targets} = await findTargets(clients)
  const plan = planBatches(targets, opts.batchSize)
  const details = opts.details !== false

  const counts = emptyCounts()
  counts.devices = targets.length
  counts.servers = plan.reduce((n, b) => n + b.servers.length, 0)
  const devices: DeviceReport[] = []
  const gnocchi: PassReport['gnocchi'] = {calls: 0, missingTypes: [], refused: []}
  const state: PassState = {missingTypes: new Set()}
  const flavors = flavorSizes(clients)
  const tally = emptyTally()

  /** How many targets of each server are still to come: a server of several devices keeps its measures until its last. */
  const uses = new Map<string, number>()
  for (const t of targets) uses.set(t.instanceId, (uses.get(t.instanceId) ?? 0) + 1)
  const carried = new Map<string, ServerSeries>()

  /** Readings of one batch from its Gnocchi answers (counted and reported as they are made). */
  const readingsOfBatch = async (batch: Batch, measures: Map<string, ServerSeries>): Promise<DeviceReadings[]> => {
    const measuresOf = (id: string): ServerSeries => measures.get(id) ?? carried.get(id) ?? {}
    let sizes: Map<string, FlavorSizes> | undefined
    if (batch.targets.some((t) => t.templateId !== undefined && needsFlavor(measuresOf(t.instanceId), clock.since))) sizes = await flavors()
    const out: DeviceReadings[] = []
    for (const target of batch.targets) {
      const id = target.instanceId
      const readings = readingsOf(measuresOf(id), (target.templateId === undefined ? undefined : sizes?.get(target.templateId)) ?? {}, clock)
      const left = (uses.get(id) ?? 1) - 1
      uses.set(id, left)
      if (left > 0 && !carried.has(id)) carried.set(id, measuresOf(id))
      else if (left === 0) carried.delete(id)
      const report: DeviceReport | undefined = details ? {deviceId: target.deviceId, instanceId: id, missing: {}, name: target.name, values: {}} : undefined
      for (const r of readings) {
        if ('value' in r) {
          if (report) report.values[r.name] = r.value
          counts.values++
        } else {
          if (report) report.missing[r.name] = r.reason
          counts.noData++
          counts.noDataByMetric[r.name]++
          counts.noDataByReason[r.reason]++
        }
      }
      if (report) devices.push(report)
      out.push({readings, target})
    }
    return out
  }

  /** Every device's readings, batch by batch; the next batch's Gnocchi queries run while this one is sent. */
  async function* readingsByBatch(): AsyncGenerator<DeviceReadings> {
    const read = (b: number): Promise<GnocchiRead> | undefined => {
      if (b >= plan.length) return undefined
      const p = readGnocchi(clients, plan[b].servers, opts, {completeBefore: clock.completeBefore, start}, state)
      p.catch(() => {}) // awaited (and thrown) in its turn
      return p
    }
    let next = read(0)
    for (let b = 0; b < plan.length; b++) {
      let got: GnocchiRead
      try {
        got = await next!
      } catch (error) {
        throw new GnocchiFailure(error)
      }
      next = read(b + 1)
      gnocchi.calls += got.calls
      gnocchi.refused.push(...got.refused)
      gnocchi.missingTypes = [...state.missingTypes].sort()
      const readings = await readingsOfBatch(plan[b], got.measures)
      // The measures (tens of MB for 10,000 servers) are let go before the readings are sent: sending
      // is most of the pass, and a heap that stays large through it is collected at a larger cost.
      got.measures.clear()
      yield* readings
    }
  }

  try {
    if (opts.dryRun) {
      // Nothing to send: only the readings (reported and counted as they are made).
      const it = readingsByBatch()
      while ((await it.next()).done !== true);
    } else {
      await pushReadings((id, m) => clients.mrd.putMetric(id, m), readingsByBatch(), {concurrency: opts.concurrency, tally, ttl: opts.ttl})
    }
  } catch (error) {
    // Said once the devices under way have finished, so that the count of metrics sent is final.
    if (error instanceof GnocchiFailure) throw gnocchiError(error.cause, opts, tally.sent)
    throw error
  }
  if (!opts.dryRun) {
    counts.sent = tally.sent
    counts.failed = tally.failed
    counts.invalid = tally.invalid
    counts.notAttempted = tally.notAttempted
    counts.unknownDevices = tally.unknownDevices
    counts.unknownDeviceMetrics = tally.unknownDeviceMetrics
  }
  const {aborted, problems} = tally
  return {
    ...(aborted === undefined ? {} : {aborted}),
    at: new Date(now).toISOString(),
    counts,
    devices,
    dryRun: opts.dryRun,
    exitCode: passExitCode({aborted, failed: counts.failed, invalid: counts.invalid}),
    gnocchi,
    problems,
    source,
    window: {granularity: opts.granularity, start: start.toISOString(), ttl: opts.ttl},
  }
}

/**
 * The metrics `metrics push` reports for an Instance device, computed from Gnocchi measures (pure).
 *
 * Names and units are the original service's (reference/original-service.md §4.6); the formulas fix
 * its defects: CPU % divides by the number of vCPUs, every disk and every network interface of a
 * server is summed (not only the first), and "no data" is a reason, never a 0.
 *
 * Rates come from the `mean` of the cumulative counter in the two latest *complete* periods,
 * divided by the time between them: `(mean[b] − mean[a]) / (t[b] − t[a])`. Not from `rate:mean`:
 * Gnocchi's `rate:mean` is the mean of the differences between consecutive raw measures within a
 * period, i.e. the increase per *polling interval*, so dividing it by the granularity is right only
 * when Ceilometer polls exactly once per period (on the minicloud's real Gnocchi, measures every 5 s
 * into a 60 s policy give `rate:mean` = 1/12 of the increase per period — see test/real). Two
 * complete periods with the same sampling give the true per-second rate whatever the polling
 * interval (several measures per period, one, or one every other period), and `mean` is in every
 * archive policy Ceilometer ships. A period counts as complete when it ended `settle` seconds ago
 * (Gnocchi's metricd folds measures in after `metric_processing_delay`, 60 s by default, and the
 * aggregates API cannot refresh): a half-processed period would under-report.
 *
 * | metric          | units   | formula                                                                   |
 * |-----------------|---------|---------------------------------------------------------------------------|
 * | `cpu_load`      | `%`     | rate(cpu) / (1e9 × vCPUs) × 100                                           |
 * | `ram_usage`     | `%`     | mean(memory.usage) / mean(memory) × 100 (latest points)                   |
 * | `network_usage` | `B/s`   | Σ over NICs (rate(network.incoming.bytes) + rate(network.outgoing.bytes)) |
 * | `throughput`    | `B/s`   | Σ over disks (rate(disk.device.read.bytes) + rate(disk.device.write.bytes)) |
 * | `iops`          | `OPS/s` | Σ over disks (rate(disk.device.read.requests) + rate(disk.device.write.requests)) |
 *
 * Values are rounded to 2 decimals.
 */

export type MetricName = 'cpu_load' | 'iops' | 'network_usage' | 'ram_usage' | 'throughput'

/** The metrics in the order they are sent. */
export const METRIC_NAMES: readonly MetricName[] = ['cpu_load', 'ram_usage', 'network_usage', 'throughput', 'iops']

export const METRIC_UNITS: Readonly<Record<MetricName, string>> = {
  cpu_load: '%',
  iops: 'OPS/s',
  network_usage: 'B/s',
  ram_usage: '%',
  throughput: 'B/s',
}

/** One Gnocchi point: `[timestamp, granularity (s), value]` (`null` where `fill=null` filled a gap). */
export type Point = readonly [timestamp: string, granularity: number, value: null | number]

/**
 * What Gnocchi holds for one server: Gnocchi metric name → resource id → points (oldest first).
 * The instance's own metrics have one resource (the server); disk and NIC metrics one per device.
 */
export type ServerMeasures = Record<string, Record<string, readonly Point[]>>

/**
 * What a reading uses of one series, taken from its points once (`summariseSeries`): a pass holds
 * this for every series of up to 10,000 servers, not their points.
 */
export interface SeriesSummary {
  /** Where the period of the latest point with a finite value ends (ms); NaN without such a point. */
  end: number
  /** The series read as a cumulative counter (`counterRate`): its per-second rate, or why it has none. */
  rate: number | NoRateReason
  /** The value of that latest point (NaN without one). */
  value: number
}

type NoRateReason = 'counter-reset' | 'no-recent-measures'

/** One server's series by Gnocchi metric name, one summary per resource (the server; each disk; each NIC). */
export type ServerSeries = Record<string, SeriesSummary[]>

/** Why a metric is not sent. */
export type NoDataReason =
  /** A rate went negative: the counter restarted (reboot, migration) within the window. */
  | 'counter-reset'
  /** RAM size unknown: no `memory` measure and no flavor RAM. */
  | 'no-memory-size'
  /** Gnocchi has the series but no point within the window. */
  | 'no-recent-measures'
  /** vCPU count unknown: no `vcpus` measure and no flavor vCPUs. */
  | 'no-vcpus'
  /** Gnocchi has no such series for the server (no resource, no disk, no NIC, or no metric). */
  | 'not-in-gnocchi'

export const NO_DATA_REASONS: readonly NoDataReason[] = ['not-in-gnocchi', 'no-recent-measures', 'counter-reset', 'no-vcpus', 'no-memory-size']

export type MetricReading = {name: MetricName; units: string; value: number} | {name: MetricName; reason: NoDataReason}

/** Flavor sizes used when Gnocchi has no `vcpus` / `memory` point in the window (they are sparse gauges). */
export interface FlavorSizes {
  /** MiB */
  ram?: null | number
  vcpus?: null | number
}

/** The Gnocchi metrics each query reads, with the aggregation used. */
export const INSTANCE_METRICS = [
  ['cpu', 'mean'],
  ['vcpus', 'mean'],
  ['memory', 'mean'],
  ['memory.usage', 'mean'],
] as const
export const DISK_METRICS = [
  ['disk.device.read.bytes', 'mean'],
  ['disk.device.write.bytes', 'mean'],
  ['disk.device.read.requests', 'mean'],
  ['disk.device.write.requests', 'mean'],
] as const
export const NIC_METRICS = [
  ['network.incoming.bytes', 'mean'],
  ['network.outgoing.bytes', 'mean'],
] as const

const NS_PER_S = 1e9

/** The last point with a finite value, or undefined. */
export function latestPoint(points: readonly Point[] | undefined): undefined | {granularity: number; timestamp: string; value: number} {
  if (points === undefined) return undefined
  for (let i = points.length - 1; i >= 0; i--) {
    const [timestamp, granularity, value] = points[i]
    if (typeof value === 'number' && Number.isFinite(value) && granularity > 0) return {granularity, timestamp, value}
  }
  return undefined
}

type Summed = {reason: NoDataReason} | {value: number}

/** When a reading is taken: gauges use points of periods that overlap `since`..; rates use periods complete by `completeBefore` (ms). */
export interface ReadingClock {
  completeBefore: number
  since: number
}

/** Seconds after its end before a Gnocchi period is taken as complete (Gnocchi's default `metric_processing_delay`). */
export const DEFAULT_RATE_SETTLE_S = 60

/**
 * The per-second rate of a cumulative counter from its `mean` points: the two latest periods that
 * ended at or before `completeBefore` (ms) and have a value, `(v[b] − v[a]) / (t[b] − t[a])`.
 * Periods need not be adjacent (a counter polled less often than the granularity leaves gaps).
 * Fewer than two such periods: `no-recent-measures`; a decrease: `counter-reset`.
 */
export type CounterRate = {reason: NoRateReason} | {value: number}

export function counterRate(points: readonly Point[] | undefined, completeBefore: number): CounterRate {
  if (points === undefined) return {reason: 'no-recent-measures'}
  let b: undefined | {t: number; v: number}
  for (let i = points.length - 1; i >= 0; i--) {
    const [timestamp, granularity, value] = points[i]
    if (typeof value !== 'number' || !Number.isFinite(value) || !(granularity > 0)) continue
    const t = Date.parse(timestamp)
    if (!Number.isFinite(t) || t + granularity * 1000 > completeBefore) continue
    if (b === undefined) {
      b = {t, v: value}
      continue
    }
    if (t >= b.t) continue
    const increase = b.v - value
    if (increase < 0) return {reason: 'counter-reset'}
    return {value: increase / ((b.t - t) / 1000)}
  }
  return {reason: 'no-recent-measures'}
}

/** What a reading uses of a series' points (rates from periods complete by `completeBefore`, ms). */
export function summariseSeries(points: readonly Point[] | undefined, completeBefore: number): SeriesSummary {
  const p = latestPoint(points)
  const r = counterRate(points, completeBefore)
  // One flat shape (a pass holds ~112,000 of these at cloud-10k).
  return {end: p === undefined ? Number.NaN : Date.parse(p.timestamp) + p.granularity * 1000, rate: 'value' in r ? r.value : r.reason, value: p?.value ?? Number.NaN}
}

/** Every series of a server, summarised (resources in the order of their points). */
export function summariseServer(measures: ServerMeasures, completeBefore: number): ServerSeries {
  const out: ServerSeries = {}
  for (const [name, byResource] of Object.entries(measures)) out[name] = Object.values(byResource).map((points) => summariseSeries(points, completeBefore))
  return out
}

/**
 * Σ over every resource of the counter's per-second rate (`counterRate`), for each metric name,
 * added up. Every name must have at least one resource with a rate, else the sum would silently
 * drop a component (e.g. outgoing bytes) and under-report.
 */
export function summedRatePerSecond(series: ServerSeries, names: readonly string[]): Summed {
  let total = 0
  let reset = false
  for (const name of names) {
    const resources = series[name]
    if (resources === undefined || resources.length === 0) return {reason: 'not-in-gnocchi'}
    let found = 0
    for (const {rate} of resources) {
      if (typeof rate !== 'number') {
        if (rate === 'counter-reset') reset = true
        continue
      }
      total += rate
      found++
    }
    if (found === 0) return {reason: reset ? 'counter-reset' : 'no-recent-measures'}
  }
  return {value: total}
}

/** The latest point of an instance metric (one resource: the server) in a period that overlaps `since`... */
function instanceLatest(series: ServerSeries, name: string, since: number): Summed {
  const resources = series[name]
  if (resources === undefined || resources.length === 0) return {reason: 'not-in-gnocchi'}
  for (const {end, value} of resources) {
    if (end > since) return {value} // NaN (no point) never is
  }
  return {reason: 'no-recent-measures'}
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100
}

/** CPU % of the server: the rate of `cpu` is ns of CPU time per second, over all vCPUs. */
export function cpuLoad(series: ServerSeries, flavor: FlavorSizes, clock: ReadingClock): Summed {
  const resources = series.cpu
  if (resources === undefined || resources.length === 0) return {reason: 'not-in-gnocchi'}
  let cpu: SeriesSummary['rate'] = 'no-recent-measures'
  for (const {rate} of resources) {
    cpu = rate
    if (typeof cpu === 'number') break
  }
  if (typeof cpu !== 'number') return {reason: cpu}
  const measured = instanceLatest(series, 'vcpus', clock.since)
  const vcpus = 'value' in measured && measured.value > 0 ? measured.value : flavor.vcpus
  if (vcpus === undefined || vcpus === null || !(vcpus > 0)) return {reason: 'no-vcpus'}
  return {value: round2((cpu / (NS_PER_S * vcpus)) * 100)}
}

/** RAM % of the server: memory.usage over memory (both MiB). */
export function ramUsage(series: ServerSeries, flavor: FlavorSizes, clock: ReadingClock): Summed {
  const usage = instanceLatest(series, 'memory.usage', clock.since)
  if ('reason' in usage) return usage
  const measured = instanceLatest(series, 'memory', clock.since)
  const size = 'value' in measured && measured.value > 0 ? measured.value : flavor.ram
  if (size === undefined || size === null || !(size > 0)) return {reason: 'no-memory-size'}
  return {value: round2((usage.value / size) * 100)}
}

/**
 * Every metric of one server: a value, or the reason it has none (see `ReadingClock`; the rates
 * were taken when the series were summarised, with the same `completeBefore`).
 */
export function readingsOf(series: ServerSeries, flavor: FlavorSizes, clock: ReadingClock): MetricReading[] {
  const computed: Record<MetricName, Summed> = {
    cpu_load: cpuLoad(series, flavor, clock),
    iops: rounded(summedRatePerSecond(series, ['disk.device.read.requests', 'disk.device.write.requests'])),
    network_usage: rounded(summedRatePerSecond(series, ['network.incoming.bytes', 'network.outgoing.bytes'])),
    ram_usage: ramUsage(series, flavor, clock),
    throughput: rounded(summedRatePerSecond(series, ['disk.device.read.bytes', 'disk.device.write.bytes'])),
  }
  return METRIC_NAMES.map((name) => {
    const c = computed[name]
    return 'value' in c ? {name, units: METRIC_UNITS[name], value: c.value} : {name, reason: c.reason}
  })
}

/** Whether the flavor sizes would change anything: Gnocchi lacked `vcpus` or `memory` for a server that has cpu / memory.usage. */
export function needsFlavor(series: ServerSeries, since: number): boolean {
  const has = (name: string) => 'value' in instanceLatest(series, name, since)
  return (has('cpu') && !has('vcpus')) || (has('memory.usage') && !has('memory'))
}

function rounded(s: Summed): Summed {
  return 'value' in s ? {value: round2(s.value)} : s
}

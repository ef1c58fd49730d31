/**
 * The metrics `metrics push` reports for an Instance device, computed from Gnocchi measures (pure).
 *
 * Names and units are the original service's (reference/original-service.md §4.6); the formulas fix
 * its defects: CPU % divides by the number of vCPUs, every disk and every network interface of a
 * server is summed (not only the first), rates are divided by the granularity of the point they
 * come from, and "no data" is a reason, never a 0.
 *
 * | metric          | units   | formula (latest point of each series within the window)                       |
 * |-----------------|---------|-------------------------------------------------------------------------------|
 * | `cpu_load`      | `%`     | rate:mean(cpu) / (granularity × 1e9 × vCPUs) × 100                            |
 * | `ram_usage`     | `%`     | mean(memory.usage) / mean(memory) × 100                                      |
 * | `network_usage` | `B/s`   | Σ over NICs (rate:mean(network.incoming.bytes) + rate:mean(…outgoing.bytes)) / granularity |
 * | `throughput`    | `B/s`   | Σ over disks (rate:mean(disk.device.read.bytes) + rate:mean(…write.bytes)) / granularity |
 * | `iops`          | `OPS/s` | Σ over disks (rate:mean(disk.device.read.requests) + rate:mean(…write.requests)) / granularity |
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
  ['cpu', 'rate:mean'],
  ['vcpus', 'mean'],
  ['memory', 'mean'],
  ['memory.usage', 'mean'],
] as const
export const DISK_METRICS = [
  ['disk.device.read.bytes', 'rate:mean'],
  ['disk.device.write.bytes', 'rate:mean'],
  ['disk.device.read.requests', 'rate:mean'],
  ['disk.device.write.requests', 'rate:mean'],
] as const
export const NIC_METRICS = [
  ['network.incoming.bytes', 'rate:mean'],
  ['network.outgoing.bytes', 'rate:mean'],
] as const

const NS_PER_S = 1e9

/** The last point with a finite value, or undefined. */
export function latestPoint(points: readonly Point[] | undefined): undefined | {granularity: number; value: number} {
  if (points === undefined) return undefined
  for (let i = points.length - 1; i >= 0; i--) {
    const [, granularity, value] = points[i]
    if (typeof value === 'number' && Number.isFinite(value) && granularity > 0) return {granularity, value}
  }
  return undefined
}

type Summed = {reason: NoDataReason} | {value: number}

/**
 * Σ over every resource of (latest rate point / its granularity), for each metric name, added up:
 * a per-second rate. Every name must have at least one resource with a recent point, else the sum
 * would silently drop a component (e.g. outgoing bytes) and under-report.
 */
export function summedRatePerSecond(measures: ServerMeasures, names: readonly string[]): Summed {
  let total = 0
  let reset = false
  for (const name of names) {
    const byResource = measures[name]
    if (byResource === undefined || Object.keys(byResource).length === 0) return {reason: 'not-in-gnocchi'}
    let found = 0
    for (const points of Object.values(byResource)) {
      const p = latestPoint(points)
      if (p === undefined) continue
      if (p.value < 0) {
        reset = true
        continue
      }
      total += p.value / p.granularity
      found++
    }
    if (found === 0) return {reason: reset ? 'counter-reset' : 'no-recent-measures'}
  }
  return {value: total}
}

/** The latest point of an instance metric (one resource: the server). */
function instanceLatest(measures: ServerMeasures, name: string): Summed & {granularity?: number} {
  const byResource = measures[name]
  if (byResource === undefined || Object.keys(byResource).length === 0) return {reason: 'not-in-gnocchi'}
  let best: undefined | {granularity: number; value: number}
  for (const points of Object.values(byResource)) best ??= latestPoint(points)
  if (best === undefined) return {reason: 'no-recent-measures'}
  return best
}

export function round2(v: number): number {
  return Math.round(v * 100) / 100
}

/** CPU % of the server: rate:mean(cpu) is ns of CPU time per granularity period, over all vCPUs. */
export function cpuLoad(measures: ServerMeasures, flavor: FlavorSizes = {}): Summed {
  const cpu = instanceLatest(measures, 'cpu')
  if ('reason' in cpu) return cpu
  if (cpu.value < 0) return {reason: 'counter-reset'}
  const measured = instanceLatest(measures, 'vcpus')
  const vcpus = 'value' in measured && measured.value > 0 ? measured.value : flavor.vcpus
  if (vcpus === undefined || vcpus === null || !(vcpus > 0)) return {reason: 'no-vcpus'}
  return {value: round2((cpu.value / ((cpu.granularity ?? 1) * NS_PER_S * vcpus)) * 100)}
}

/** RAM % of the server: memory.usage over memory (both MiB). */
export function ramUsage(measures: ServerMeasures, flavor: FlavorSizes = {}): Summed {
  const usage = instanceLatest(measures, 'memory.usage')
  if ('reason' in usage) return usage
  const measured = instanceLatest(measures, 'memory')
  const size = 'value' in measured && measured.value > 0 ? measured.value : flavor.ram
  if (size === undefined || size === null || !(size > 0)) return {reason: 'no-memory-size'}
  return {value: round2((usage.value / size) * 100)}
}

/** Every metric of one server: a value, or the reason it has none. */
export function readingsOf(measures: ServerMeasures, flavor: FlavorSizes = {}): MetricReading[] {
  const computed: Record<MetricName, Summed> = {
    cpu_load: cpuLoad(measures, flavor),
    iops: rounded(summedRatePerSecond(measures, ['disk.device.read.requests', 'disk.device.write.requests'])),
    network_usage: rounded(summedRatePerSecond(measures, ['network.incoming.bytes', 'network.outgoing.bytes'])),
    ram_usage: ramUsage(measures, flavor),
    throughput: rounded(summedRatePerSecond(measures, ['disk.device.read.bytes', 'disk.device.write.bytes'])),
  }
  return METRIC_NAMES.map((name) => {
    const c = computed[name]
    return 'value' in c ? {name, units: METRIC_UNITS[name], value: c.value} : {name, reason: c.reason}
  })
}

/** Whether the flavor sizes would change anything: Gnocchi lacked `vcpus` or `memory` for a server that has cpu / memory.usage. */
export function needsFlavor(measures: ServerMeasures): boolean {
  const has = (name: string) => 'value' in instanceLatest(measures, name)
  return (has('cpu') && !has('vcpus')) || (has('memory.usage') && !has('memory'))
}

function rounded(s: Summed): Summed {
  return 'value' in s ? {value: round2(s.value)} : s
}

/**
 * What the metric reporting daemon keeps (reference/concertim-api.md §8.3): the last reported value
 * per (device, metric), a short history for the historic endpoints, and the processing runs every
 * `stepMs` (15 s in production) that build the "current" view. Runs are computed lazily from the
 * clock, so no timer keeps a process alive. Tests assert on `received`.
 */

export type MetricType = 'double' | 'float' | 'int16' | 'int32' | 'int8' | 'string' | 'uint16' | 'uint32' | 'uint8'
export type MetricSlope = 'both' | 'derivative' | 'negative' | 'positive' | 'zero'
export type MetricNature = 'constant' | 'string_and_time' | 'volatile'

export interface ReceivedMetric {
  /** When the MRD accepted it (ms). */
  at: number
  deviceId: string
  name: string
  slope: MetricSlope
  ttl: number
  type: MetricType
  units: string
  /** The value as stored (`domain.ParseMetricVal`): floats to 6 decimals, ints as |int(value)|. */
  value: number | string
}

export interface HistoricPoint {
  timestamp: number
  value: null | number
}

interface Series {
  history: ReceivedMetric[]
  latest: ReceivedMetric
}

const HISTORY_LIMIT = 4096
const RECEIVED_LIMIT = 200_000

/** Resolution (s) and length (s) of the named history windows (§8.4). */
export const HISTORIC_DURATIONS: Record<string, {length: number; resolution: number}> = {
  day: {length: 86_400, resolution: 300},
  hour: {length: 3600, resolution: 15},
  quarter: {length: 90 * 86_400, resolution: 3600},
}

export class MetricStore {
  /** Every accepted PUT, oldest first (the oldest are dropped beyond 200,000). */
  readonly received: ReceivedMetric[] = []
  /** Start of the processing schedule; the first run is at `startedAt + stepMs`. */
  startedAt: number
  stepMs = 15_000
  private readonly series = new Map<string, Map<string, Series>>()

  constructor(private readonly now: () => number) {
    this.startedAt = now()
  }

  /** (Re)start the processing schedule, e.g. with a short step for tests. */
  startProcessing(stepMs: number): void {
    this.stepMs = stepMs
    this.startedAt = this.now()
  }

  record(m: ReceivedMetric): void {
    this.received.push(m)
    if (this.received.length > RECEIVED_LIMIT) this.received.splice(0, this.received.length - RECEIVED_LIMIT)
    let byName = this.series.get(m.deviceId)
    if (!byName) {
      byName = new Map()
      this.series.set(m.deviceId, byName)
    }
    const s = byName.get(m.name)
    if (s) {
      s.latest = m
      s.history.push(m)
      if (s.history.length > HISTORY_LIMIT) s.history.splice(0, s.history.length - HISTORY_LIMIT)
    } else byName.set(m.name, {history: [m], latest: m})
  }

  /** The last value received for a device's metric (not subject to processing). */
  latest(deviceId: string, name: string): ReceivedMetric | undefined {
    return this.series.get(deviceId)?.get(name)?.latest
  }

  /** The received metrics of one device, oldest first. */
  receivedFor(deviceId: string): ReceivedMetric[] {
    return this.received.filter((m) => m.deviceId === deviceId)
  }

  forgetDevice(deviceId: string): void {
    this.series.delete(deviceId)
  }

  /** Time of the last processing run, or undefined before the first one. */
  lastRunAt(): number | undefined {
    const elapsed = this.now() - this.startedAt
    if (elapsed < this.stepMs) return undefined
    return this.startedAt + Math.floor(elapsed / this.stepMs) * this.stepMs
  }

  /** The current view of one device as of the last run (stale metrics dropped). */
  currentOf(deviceId: string, runAt: number): ReceivedMetric[] {
    const out: ReceivedMetric[] = []
    for (const s of this.series.get(deviceId)?.values() ?? []) {
      const m = this.valueAt(s, runAt)
      if (m) out.push(m)
    }
    return out
  }

  /** The current view of every device as of the last run. */
  *current(runAt: number): Generator<ReceivedMetric> {
    for (const byName of this.series.values()) {
      for (const s of byName.values()) {
        const m = this.valueAt(s, runAt)
        if (m) yield m
      }
    }
  }

  hasDevice(deviceId: string): boolean {
    return this.series.has(deviceId)
  }

  /** Names of the numeric metrics with history. */
  historicNames(deviceId?: string): string[] {
    const names = new Set<string>()
    const devices = deviceId === undefined ? [...this.series.values()] : [this.series.get(deviceId) ?? new Map<string, Series>()]
    for (const byName of devices) for (const [name, s] of byName) if (s.latest.type !== 'string') names.add(name)
    return [...names].sort()
  }

  /** Devices having history for a metric. */
  devicesWith(name: string): string[] {
    const out: string[] = []
    for (const [deviceId, byName] of this.series) if (byName.get(name)?.latest.type !== undefined && byName.get(name)?.latest.type !== 'string') out.push(deviceId)
    return out
  }

  /** Consolidated history in `[start, end]` (epoch s) at `resolution` s; undefined if never reported. */
  historic(deviceId: string, name: string, start: number, end: number, resolution: number): HistoricPoint[] | undefined {
    const s = this.series.get(deviceId)?.get(name)
    if (!s || s.latest.type === 'string') return undefined
    const first = Math.ceil(start / resolution) * resolution
    const points: HistoricPoint[] = []
    let i = 0
    const h = s.history
    for (let t = first; t <= end; t += resolution) {
      let sum = 0
      let n = 0
      while (i < h.length && h[i].at / 1000 <= t) {
        if (h[i].at / 1000 > t - resolution && typeof h[i].value === 'number') {
          sum += h[i].value as number
          n++
        }
        i++
      }
      points.push({timestamp: t, value: n === 0 ? null : sum / n})
    }
    return points
  }

  private valueAt(s: Series, runAt: number): ReceivedMetric | undefined {
    let m: ReceivedMetric | undefined
    if (s.latest.at <= runAt) m = s.latest
    else {
      for (let i = s.history.length - 1; i >= 0; i--) {
        if (s.history[i].at <= runAt) {
          m = s.history[i]
          break
        }
      }
    }
    if (!m) return undefined
    // Stale once processed at least once and reported + ttl < now (§8.3).
    const processedBefore = m.at <= runAt - this.stepMs
    if (processedBefore && m.at + m.ttl * 1000 < runAt) return undefined
    return m
  }
}

export function natureOf(type: MetricType, slope: MetricSlope): MetricNature {
  if (type === 'string') return 'string_and_time'
  return slope === 'zero' ? 'constant' : 'volatile'
}

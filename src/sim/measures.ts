/**
 * Gnocchi time series of the simulated world, computed on demand from each metric's `MeasureModel`
 * (no stored points): gauges vary around a level, cumulative counters (cpu ns, bytes) grow
 * monotonically, and `rate:*` aggregations give the increase per granularity period, as Gnocchi's
 * rate aggregation does.
 */
import {noise} from './random-source.js'
import type {ArchivePolicy, GnocchiMetric} from './world.js'

/** [timestamp ms, granularity s, value] */
export type Point = [number, number, number]

const WAVE_PERIOD_S = 3600

/** The raw value of a metric at time t (ms). */
export function valueAt(metric: GnocchiMetric, t: number, granularitySec: number): number {
  const m = metric.model
  const sec = t / 1000
  if (m.kind === 'gauge') {
    if (m.spread === 0) return m.level
    const k = Math.floor(sec / granularitySec)
    return round(m.level * (1 + m.spread * (noise(m.seed, k) - 0.5)))
  }
  const t0 = metric.createdAt / 1000
  const elapsed = Math.max(0, sec - t0)
  // rate * elapsed plus a wave whose slope never exceeds the rate: monotonic, never negative.
  const amp = (m.level * m.spread * WAVE_PERIOD_S) / (2 * Math.PI)
  const phase = (m.seed % 1000) / 1000
  const wave = amp * (Math.sin(2 * Math.PI * (sec / WAVE_PERIOD_S + phase)) - Math.sin(2 * Math.PI * (t0 / WAVE_PERIOD_S + phase)))
  return Math.round(m.level * elapsed + wave)
}

export interface SeriesQuery {
  aggregation: string
  granularity: number
  now: number
  start?: number
  stop?: number
}

/**
 * Points of one metric at one granularity, oldest first, within the archive policy's retention and
 * the metric's life. Returns undefined when the aggregation method is not in the policy.
 */
export function series(metric: GnocchiMetric, policy: ArchivePolicy, q: SeriesQuery): Point[] | undefined {
  if (!policy.aggregationMethods.includes(q.aggregation)) return undefined
  const def = policy.definition.find((d) => d.granularity === q.granularity)
  if (def === undefined) return []
  const gMs = q.granularity * 1000
  const isRate = q.aggregation.startsWith('rate:')
  const last = Math.floor(q.now / gMs) * gMs
  let first = Math.max(last - (def.points - 1) * gMs, Math.ceil(metric.createdAt / gMs) * gMs + (isRate ? gMs : 0))
  if (q.start !== undefined) first = Math.max(first, Math.floor(q.start / gMs) * gMs)
  let end = last
  if (q.stop !== undefined) end = Math.min(end, Math.ceil(q.stop / gMs) * gMs - gMs)
  const out: Point[] = []
  const pMs = (metric.pollingS ?? 0) * 1000
  if (pMs > 0 && pMs < gMs && metric.pushed === undefined) {
    for (let t = first; t <= end; t += gMs) {
      const value = polledPeriod(metric, t, gMs, pMs, q)
      if (value !== undefined) out.push([t, q.granularity, value])
    }
    return out
  }
  for (let t = first; t <= end; t += gMs) {
    const v = metric.pushed?.get(t) ?? valueAt(metric, t, q.granularity)
    if (isRate) {
      const prev = metric.pushed?.get(t - gMs) ?? valueAt(metric, t - gMs, q.granularity)
      out.push([t, q.granularity, round(v - prev)])
    } else out.push([t, q.granularity, aggregateOfOne(q.aggregation, v)])
  }
  return out
}

/**
 * One period of a metric measured every `pMs` (< the granularity) from its creation: `mean` of the
 * measures taken in the period so far (the current period is still filling), `rate:mean` the mean of
 * the differences between consecutive measures (the first one's predecessor is the last measure
 * before the period) — Gnocchi's carbonara. Undefined when the period holds no measure yet.
 */
function polledPeriod(metric: GnocchiMetric, t: number, gMs: number, pMs: number, q: SeriesQuery): number | undefined {
  const born = metric.createdAt
  const firstAt = t <= born ? born : born + Math.ceil((t - born) / pMs) * pMs
  const lastAt = Math.min(t + gMs - 1, q.now)
  if (firstAt > lastAt) return undefined
  const n = Math.floor((lastAt - firstAt) / pMs) + 1
  if (q.aggregation.startsWith('rate:')) {
    const before = firstAt - pMs
    if (before < born) return n > 1 ? round((valueAt(metric, firstAt + (n - 1) * pMs, q.granularity) - valueAt(metric, firstAt, q.granularity)) / (n - 1)) : undefined
    return round((valueAt(metric, firstAt + (n - 1) * pMs, q.granularity) - valueAt(metric, before, q.granularity)) / n)
  }
  if (q.aggregation === 'count') return n
  let sum = 0
  for (let k = 0; k < n; k++) sum += valueAt(metric, firstAt + k * pMs, q.granularity)
  return round(sum / n)
}

const TIMES = new Map<number, string>()

/** Gnocchi's ISO timestamps: `2026-01-01T12:05:00+00:00` (the same few recur across every series of a query). */
export function gnocchiTime(ms: number): string {
  let text = TIMES.get(ms)
  if (text === undefined) {
    if (TIMES.size >= 100_000) TIMES.clear()
    text = new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
    TIMES.set(ms, text)
  }
  return text
}

function aggregateOfOne(aggregation: string, v: number): number {
  // One modelled value per period: mean, min, max, last, first, sum and median coincide.
  if (aggregation === 'count') return 1
  if (aggregation === 'std') return 0
  return v
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000
}

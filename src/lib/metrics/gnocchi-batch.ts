/**
 * The batch Gnocchi read of `metrics push`: three dynamic-aggregates queries per batch of servers
 * (`POST /v1/aggregates` with a resource search and `groupby`), whatever the number of servers in
 * the batch, instead of the original's 3 searches + 9 measure calls per server:
 *
 * - `instance` resources with `id in [servers]`, `groupby=id`: cpu (rate:mean), vcpus, memory,
 *   memory.usage (mean);
 * - `instance_disk` resources with `instance_id in [servers]`, `groupby=instance_id`: read/write
 *   bytes and requests (rate:mean) of every disk of each server;
 * - `instance_network_interface` the same way: incoming/outgoing bytes of every NIC.
 *
 * `fill=null` keeps each series as it is (no point of one series is dropped because another lacks
 * it). Gnocchi answers a whole query with 400 "Metrics not found" when no group has any of the
 * metrics (4.3.5 and later; older ones when one group has none): one resource search then finds
 * the servers that do have them, and only those are asked again — at most three calls per query and
 * batch, never a split per server. A Gnocchi without the query's resource type (a deployment
 * without the disk or NIC pollsters) answers 400 "Resource type … does not exist": those metrics are
 * `not-in-gnocchi` for every server, and the type is not asked again in the pass.
 */
import type {AggregatesRequest} from '../openstack/gnocchi.js'
import type {GnocchiAggregatesGroup, GnocchiQuery, GnocchiResource} from '../openstack/types.js'
import {DISK_METRICS, INSTANCE_METRICS, NIC_METRICS, type Point, type ServerSeries, summariseSeries} from './formulas.js'

export interface MeasureQuery {
  /** The attribute that names the server: `id` for instances, `instance_id` for disks and NICs. */
  groupby: 'id' | 'instance_id'
  metrics: readonly (readonly [name: string, aggregation: string])[]
  resourceType: 'instance' | 'instance_disk' | 'instance_network_interface'
}

export const MEASURE_QUERIES: readonly MeasureQuery[] = [
  {groupby: 'id', metrics: INSTANCE_METRICS, resourceType: 'instance'},
  {groupby: 'instance_id', metrics: DISK_METRICS, resourceType: 'instance_disk'},
  {groupby: 'instance_id', metrics: NIC_METRICS, resourceType: 'instance_network_interface'},
]

export interface MeasureWindow {
  /** Granularity (s) to read. */
  granularity: number
  /** Oldest time to read from. */
  start: Date
  /** Periods that ended at or before this time (ms) are complete; rates use the two latest of them (`counterRate`). */
  completeBefore: number
}

/** The aggregates request of one query for a batch of servers. */
export function aggregatesRequest(q: MeasureQuery, serverIds: readonly string[], w: MeasureWindow): AggregatesRequest & {groupby: string[]} {
  const search: GnocchiQuery = {in: {[q.groupby]: [...serverIds]}}
  return {
    fill: 'null',
    granularity: w.granularity,
    groupby: [q.groupby],
    operations: ['metric', ...q.metrics.map(([name, agg]) => [name, agg])],
    resource_type: q.resourceType,
    search,
    start: w.start,
  }
}

/** Split ids into batches of at most `size`. */
export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = []
  const n = Math.max(1, Math.floor(size))
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n))
  return out
}

type ResourceMeasures = Record<string, Record<string, Record<string, unknown>>>

/** Gnocchi nests a group's result as `{"measures": {"measures": …}}`; some versions drop the inner key. */
function resourceMeasuresOf(groupMeasures: unknown): ResourceMeasures {
  if (!isObject(groupMeasures)) return {}
  const keys = Object.keys(groupMeasures)
  if (isObject(groupMeasures.measures) && keys.every((k) => k === 'measures' || k === 'references')) return groupMeasures.measures as ResourceMeasures
  return groupMeasures as ResourceMeasures
}

/**
 * Merge grouped aggregates answers of one query into per-server series (in place): server id →
 * metric name → one summary per resource of the points of the aggregation asked for (what a
 * reading uses of them: the points of 10,000 servers are not kept).
 */
export function mergeGroups(into: Map<string, ServerSeries>, q: MeasureQuery, groups: readonly GnocchiAggregatesGroup[], completeBefore: number): void {
  const aggregationOf = new Map<string, string>(q.metrics.map(([name, agg]) => [name, agg]))
  const times: PointTimes = new Map()
  for (const group of groups) {
    const serverId = group.group?.[q.groupby]
    if (typeof serverId !== 'string' || serverId === '') continue
    let server = into.get(serverId)
    if (server === undefined) {
      server = {}
      into.set(serverId, server)
    }
    for (const byMetric of Object.values(resourceMeasuresOf(group.measures))) {
      if (!isObject(byMetric)) continue
      for (const [metric, byAggregation] of Object.entries(byMetric)) {
        const agg = aggregationOf.get(metric)
        if (agg === undefined || !isObject(byAggregation)) continue
        const points = byAggregation[agg]
        if (!Array.isArray(points)) continue
        const summary = summariseSeries(neededPoints(points, completeBefore, times), completeBefore)
        // Mostly one resource per metric: an array of exactly one (a push onto [] reserves room for 17).
        const resources = server[metric]
        if (resources === undefined) server[metric] = [summary]
        else resources.push(summary)
      }
    }
  }
}

/** Gnocchi's 400 "Metrics not found": a group of the query has none of the metrics asked for. */
export function isMetricsNotFound(error: unknown): boolean {
  const e = error as {body?: unknown; status?: unknown}
  if (e?.status !== 400) return false
  const description = isObject(e.body) ? e.body.description : undefined
  const cause = isObject(description) ? description.cause : description
  return typeof cause === 'string' && /metrics not found/i.test(cause)
}

/** Gnocchi's 400 "Resource type … does not exist" (the type was never created there). */
export function isResourceTypeMissing(error: unknown): boolean {
  const e = error as {body?: unknown; message?: unknown; status?: unknown}
  if (e?.status !== 400 && e?.status !== 404) return false
  const description = isObject(e.body) ? e.body.description : undefined
  const cause = isObject(description) ? description.cause : description
  return (typeof cause === 'string' && /resource type .*does not exist/i.test(cause)) || (typeof e.message === 'string' && /resource type \S+ does not exist/i.test(e.message))
}

export interface BatchReadResult {
  /** Gnocchi requests made (aggregates and searches). */
  calls: number
  /** Servers left without data of a query because Gnocchi has none of its metrics for them. */
  refused: {resourceType: string; serverId: string}[]
}

/** What readBatch asks of Gnocchi. */
export interface GnocchiReads {
  aggregates(req: AggregatesRequest & {groupby: string[]}): Promise<GnocchiAggregatesGroup[]>
  search(resourceType: string, query: GnocchiQuery): Promise<GnocchiResource[]>
}

/** Across the batches of one pass: the resource types this Gnocchi does not have. */
export interface PassState {
  missingTypes: Set<string>
}

/**
 * Run one query over a batch (see above for "Metrics not found" and missing types). Any other
 * failure propagates: the caller fails the run.
 */
export async function readBatch(
  gnocchi: GnocchiReads,
  q: MeasureQuery,
  serverIds: readonly string[],
  w: MeasureWindow,
  into: Map<string, ServerSeries>,
  state: PassState = {missingTypes: new Set()},
): Promise<BatchReadResult> {
  const result: BatchReadResult = {calls: 0, refused: []}
  const refuse = (ids: readonly string[]): void => {
    for (const serverId of ids) result.refused.push({resourceType: q.resourceType, serverId})
  }
  if (serverIds.length === 0) return result
  if (state.missingTypes.has(q.resourceType)) {
    refuse(serverIds)
    return result
  }
  const ask = async (ids: readonly string[]): Promise<boolean> => {
    result.calls++
    try {
      mergeGroups(into, q, await gnocchi.aggregates(aggregatesRequest(q, ids, w)), w.completeBefore)
      return true
    } catch (error) {
      if (isResourceTypeMissing(error)) {
        state.missingTypes.add(q.resourceType)
        return false
      }
      if (!isMetricsNotFound(error)) throw error
      return false
    }
  }
  if (await ask(serverIds)) return result
  if (state.missingTypes.has(q.resourceType)) {
    refuse(serverIds)
    return result
  }
  // No group had the metrics (or, on an older Gnocchi, one had none): ask only the servers whose
  // resources carry at least one of them.
  result.calls++
  const names = new Set(q.metrics.map(([name]) => name))
  const resources = await gnocchi.search(q.resourceType, {in: {[q.groupby]: [...serverIds]}})
  const having = new Set<string>()
  for (const r of resources) {
    const server = (r as unknown as Record<string, unknown>)[q.groupby]
    if (typeof server === 'string' && Object.keys(r.metrics ?? {}).some((m) => names.has(m))) having.add(server)
  }
  const retry = serverIds.filter((id) => having.has(id))
  refuse(serverIds.filter((id) => !having.has(id)))
  if (retry.length > 0 && !(await ask(retry))) refuse(retry)
  return result
}

/**
 * The timestamps of one answer, each kept once with its time (ms): the points of 10,000 servers
 * share a few timestamps, which would otherwise be parsed, and kept, once per point.
 */
export type PointTimes = Map<string, {ms: number; text: string}>

/**
 * The points a reading can use, oldest first: the latest finite one (gauges) and the two latest
 * finite ones of periods complete by `completeBefore` (counters' rates).
 */
export function neededPoints(points: readonly unknown[], completeBefore: number, times: PointTimes = new Map()): Point[] {
  const kept: Point[] = []
  let complete = 0
  for (let i = points.length - 1; i >= 0 && complete < 2; i--) {
    const p = points[i]
    if (!Array.isArray(p) || p.length < 3 || typeof p[1] !== 'number' || typeof p[2] !== 'number' || !Number.isFinite(p[2])) continue
    const text = String(p[0])
    let time = times.get(text)
    if (time === undefined) times.set(text, (time = {ms: Date.parse(text), text}))
    const isComplete = time.ms + p[1] * 1000 <= completeBefore
    if (!isComplete && kept.length > 0) continue
    kept.push([time.text, p[1], p[2]])
    if (isComplete) complete++
  }
  return kept.reverse()
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

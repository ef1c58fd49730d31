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
 * it). Gnocchi answers a whole query with 400 "Metrics not found" when one group has none of the
 * metrics; such a batch is split in halves until the culprit stands alone (it then has no data).
 */
import type {AggregatesRequest} from '../openstack/gnocchi.js'
import type {GnocchiAggregatesGroup, GnocchiQuery} from '../openstack/types.js'
import {DISK_METRICS, INSTANCE_METRICS, NIC_METRICS, type Point, type ServerMeasures} from './formulas.js'

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
 * Merge grouped aggregates answers of one query into per-server measures (in place): server id →
 * metric name → resource id → points of the aggregation asked for.
 */
export function mergeGroups(into: Map<string, ServerMeasures>, q: MeasureQuery, groups: readonly GnocchiAggregatesGroup[]): void {
  const aggregationOf = new Map<string, string>(q.metrics.map(([name, agg]) => [name, agg]))
  for (const group of groups) {
    const serverId = group.group?.[q.groupby]
    if (typeof serverId !== 'string' || serverId === '') continue
    let server = into.get(serverId)
    if (server === undefined) {
      server = {}
      into.set(serverId, server)
    }
    for (const [resourceId, byMetric] of Object.entries(resourceMeasuresOf(group.measures))) {
      if (!isObject(byMetric)) continue
      for (const [metric, byAggregation] of Object.entries(byMetric)) {
        const agg = aggregationOf.get(metric)
        if (agg === undefined || !isObject(byAggregation)) continue
        const points = byAggregation[agg]
        if (!Array.isArray(points)) continue
        // Only the latest point is used: keep just it (10,000 servers' windows add up).
        const latest = latestOf(points)
        ;(server[metric] ??= {})[resourceId] = latest === undefined ? [] : [latest]
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

export interface BatchReadResult {
  /** Aggregates requests made (including splits). */
  calls: number
  /** Servers left without data of a query because Gnocchi refused it for them alone. */
  refused: {resourceType: string; serverId: string}[]
}

/**
 * Run one query over a batch, splitting it on "Metrics not found" (see above). Any other failure
 * propagates: the caller fails the run.
 */
export async function readBatch(
  post: (req: AggregatesRequest & {groupby: string[]}) => Promise<GnocchiAggregatesGroup[]>,
  q: MeasureQuery,
  serverIds: readonly string[],
  w: MeasureWindow,
  into: Map<string, ServerMeasures>,
): Promise<BatchReadResult> {
  const result: BatchReadResult = {calls: 0, refused: []}
  const run = async (ids: readonly string[]): Promise<void> => {
    result.calls++
    try {
      mergeGroups(into, q, await post(aggregatesRequest(q, ids, w)))
    } catch (error) {
      if (!isMetricsNotFound(error)) throw error
      if (ids.length === 1) {
        result.refused.push({resourceType: q.resourceType, serverId: ids[0]})
        return
      }
      const half = Math.ceil(ids.length / 2)
      await run(ids.slice(0, half))
      await run(ids.slice(half))
    }
  }
  if (serverIds.length > 0) await run(serverIds)
  return result
}

/** The last well-formed point with a finite value (Gnocchi's points are oldest first). */
function latestOf(points: unknown[]): Point | undefined {
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]
    if (Array.isArray(p) && p.length >= 3 && typeof p[1] === 'number' && typeof p[2] === 'number' && Number.isFinite(p[2])) return [String(p[0]), p[1], p[2]]
  }
  return undefined
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

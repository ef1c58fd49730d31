/**
 * Simulated Gnocchi (metric API v1): resources (list with `limit`/`marker` and the `Link` next
 * header, show, search), metrics and their measures (`GET /v1/metric/{id}/measures`, by resource
 * and name), and dynamic aggregates (`POST /v1/aggregates` with `operations`, `resource_type` +
 * `search`, `groupby`, `granularity`, `start`/`stop`, `fill`). Response shapes follow
 * gnocchi/rest/aggregates (grouped results nest `{"measures": {"measures": …}}` as Gnocchi does).
 * Errors are `{"code", "description", "title"}`.
 */
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import {gnocchiTime, type Point, series} from '../measures.js'
import {gnocchiDate} from '../provisioning.js'
import {pageAfter, positionAfter} from '../table.js'
import type {GnocchiMetric, GnocchiResource, World} from '../world.js'
import {authed, baseUrl, type RequestContext, type ServiceOptions, truthy} from './context.js'
import {attributeOf, compileFilter, metricReferences, type Operation, parseOperations, pinnedValues, QueryError} from './gnocchi-query.js'

export const GNOCCHI_MAX_LIMIT = 1000
const TITLES: Record<number, string> = {400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found'}

class GnocchiError extends Error {
  constructor(
    readonly code: number,
    readonly description: unknown,
  ) {
    super(typeof description === 'string' ? description : JSON.stringify(description))
  }
}

export function createGnocchiApp(world: World, opts: ServiceOptions): SimApp {
  const app = new SimApp('gnocchi', opts.faults)
  const guard = (h: (r: SimRequest, ctx: RequestContext) => SimReply) =>
    authed(world, 'gnocchi', opts, (r, ctx) => {
      try {
        return h(r, ctx)
      } catch (error) {
        if (error instanceof GnocchiError) return gnocchiError(error.code, error.description)
        if (error instanceof QueryError) return gnocchiError(400, error.detail)
        throw error
      }
    })
  const versions = (r: SimRequest) => ({build: '4.4.2', versions: [{id: 'v1.0', links: [{href: `${baseUrl(r)}/v1/`, rel: 'self'}], status: 'CURRENT', updated: '2015-03-19T00:00:00Z'}]})
  app.route('GET', '/', (r) => ({body: versions(r), status: 200}))
  app.route('GET', '/v1', (r) => ({body: {...versions(r).versions[0], links: [{href: `${baseUrl(r)}/v1/`, rel: 'self'}]}, status: 200}))

  const table = (type: string) => {
    if (type === 'generic') return undefined
    const t = world.gnocchiResources.get(type)
    if (t === undefined) throw new GnocchiError(404, `Resource type ${type} does not exist`)
    return t
  }
  /** Resources of a type (generic = all), filtered, visible to the caller, ascending by id. */
  const findResources = (type: string, filter: unknown, ctx: RequestContext): GnocchiResource[] => {
    const t = table(type)
    const predicate = compileFilter(filter)
    const visible = (r: GnocchiResource) => ctx.isAdmin || r.projectId === ctx.project.id
    const ids = pinnedValues(filter, 'id')
    const instanceIds = pinnedValues(filter, 'instance_id')
    let candidates: GnocchiResource[]
    if (ids !== undefined) {
      const sources = t ? [t] : [...world.gnocchiResources.values()]
      candidates = ids.flatMap((id) => sources.map((s) => s.get(String(id))).filter((r): r is GnocchiResource => r !== undefined))
      candidates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    } else if (instanceIds !== undefined) {
      candidates = instanceIds.flatMap((id) => world.gnocchiOfInstance(String(id))).filter((r) => type === 'generic' || r.type === type)
      candidates.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    } else candidates = t ? t.all() : [...world.gnocchiResources.values()].flatMap((x) => x.all()).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    return candidates.filter((r) => visible(r) && predicate(r))
  }
  const listing = (r: SimRequest, ctx: RequestContext, filter: unknown): SimReply => {
    const items = findResources(r.params.type, filter, ctx)
    const limit = parseLimit(r.query.get('limit'))
    const markerId = r.query.get('marker')
    let marker: GnocchiResource | undefined
    if (markerId !== null) {
      marker = items.find((x) => x.id === markerId) ?? findResources(r.params.type, {'=': {id: markerId}}, ctx)[0]
      if (marker === undefined) throw new GnocchiError(400, `Invalid marker: \`${markerId}'`)
    }
    const page = pageAfter(items, (a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0), marker, limit)
    const headers: Record<string, string> = {}
    if (page.items.length === limit && page.more) {
      const next = new URLSearchParams(r.query)
      next.set('limit', String(limit))
      next.set('marker', page.items.at(-1)?.id ?? '')
      if (!next.has('sort')) next.set('sort', 'id:asc')
      headers.Link = `<${baseUrl(r)}${r.path}?${next.toString()}>; rel="next"`
    }
    return {body: page.items.map((x) => resourceView(x)), headers, status: 200}
  }
  app.route('GET', '/v1/resource/:type', guard((r, ctx) => listing(r, ctx, undefined)))
  app.route('POST', '/v1/search/resource/:type', guard((r, ctx) => listing(r, ctx, r.body)))
  app.route('GET', '/v1/resource/:type/:id', guard((r, ctx) => {
    const found = findResources(r.params.type, {'=': {id: r.params.id}}, ctx)[0]
    if (found === undefined) return gnocchiError(404, `Resource ${r.params.id} does not exist`)
    return {body: resourceView(found), status: 200}
  }))

  const metricOrThrow = (id: string, ctx: RequestContext): GnocchiMetric => {
    const m = world.gnocchiMetrics.get(id)
    const owner = m === undefined ? undefined : findOwner(world, m)
    if (m === undefined || (!ctx.isAdmin && owner?.projectId !== ctx.project.id)) throw new GnocchiError(404, `Metric ${id} does not exist`)
    return m
  }
  const measures = (r: SimRequest, m: GnocchiMetric): SimReply => {
    const q = r.query
    const aggregation = q.get('aggregation') ?? 'mean'
    const policy = world.archivePolicies.get(m.archivePolicy)
    if (policy === undefined) throw new GnocchiError(404, `Archive policy ${m.archivePolicy} does not exist`)
    if (!policy.aggregationMethods.includes(aggregation)) throw new GnocchiError(404, {cause: 'Aggregation method does not exist for this metric', detail: {aggregation_method: aggregation, metric: m.id}})
    const start = timeParam(q.get('start'), 'start', world.now())
    const stop = timeParam(q.get('stop'), 'stop', world.now())
    const g = granularityParam(q.get('granularity'))
    const grans = g === undefined ? policy.definition.map((d) => d.granularity).sort((a, b) => b - a) : [g]
    if (g !== undefined && !policy.definition.some((d) => d.granularity === g)) throw new GnocchiError(404, {cause: 'Aggregation method does not exist for this metric', detail: {aggregation_method: aggregation, granularity: g, metric: m.id}})
    const out: unknown[] = []
    for (const gran of grans) for (const p of series(m, policy, {aggregation, granularity: gran, now: world.now(), start, stop}) ?? []) out.push([gnocchiTime(p[0]), p[1], p[2]])
    return {body: out, status: 200}
  }
  app.route('GET', '/v1/metric/:id', guard((r, ctx) => {
    const m = metricOrThrow(r.params.id, ctx)
    const policy = world.archivePolicies.get(m.archivePolicy)
    const owner = findOwner(world, m)
    return {
      body: {
        archive_policy: policy ? {aggregation_methods: policy.aggregationMethods, back_window: 0, definition: policy.definition.map((d) => ({granularity: secondsSpan(d.granularity), points: d.points, timespan: secondsSpan(d.granularity * d.points)})), name: policy.name} : null,
        created_by_project_id: 'service',
        created_by_user_id: 'ceilometer',
        creator: 'ceilometer:service',
        id: m.id,
        name: m.name,
        resource: owner ? genericResourceView(owner) : null,
        unit: m.unit,
      },
      status: 200,
    }
  }))
  app.route('GET', '/v1/metric/:id/measures', guard((r, ctx) => measures(r, metricOrThrow(r.params.id, ctx))))
  app.route('GET', '/v1/resource/:type/:id/metric/:name/measures', guard((r, ctx) => {
    const res = findResources(r.params.type, {'=': {id: r.params.id}}, ctx)[0]
    if (res === undefined) return gnocchiError(404, `Resource ${r.params.id} does not exist`)
    const id = res.metrics[r.params.name]
    if (id === undefined) return gnocchiError(404, `Metric ${r.params.name} does not exist`)
    return measures(r, metricOrThrow(id, ctx))
  }))

  app.route('POST', '/v1/aggregates', guard((r, ctx) => {
    const body = (r.body ?? {}) as {operations?: unknown; resource_type?: unknown; search?: unknown}
    if (body.operations === undefined) throw new GnocchiError(400, {cause: 'Invalid input', detail: ['operations'], reason: "required key not provided @ data['operations']"})
    const ops = parseOperations(body.operations)
    const refs = metricReferences(ops)
    if (refs.length === 0) throw new GnocchiError(400, {cause: 'Operations is invalid', detail: body.operations, reason: "At least one 'metric' is required"})
    const q = r.query
    const window: Window = {
      fill: q.get('fill') ?? 'dropna',
      granularity: granularityParam(q.get('granularity')),
      now: world.now(),
      start: timeParam(q.get('start'), 'start', world.now()),
      stop: timeParam(q.get('stop'), 'stop', world.now()),
    }
    const details = truthy(q.get('details'))
    if (body.resource_type === undefined) {
      const missing = refs.filter(([id]) => !world.gnocchiMetrics.has(id))
      if (missing.length > 0) throw new GnocchiError(404, {cause: 'Unknown metrics', detail: missing.map(([id]) => id), reason: "Provided metrics don't exists"})
      const bound = refs.map(([id, agg]) => ({aggregation: agg, metric: metricOrThrow(id, ctx), resource: undefined, wildcard: id}))
      const measuresOut = evaluate(world, ops, bound, window, false)
      return pythonJson({measures: measuresOut, ...(details ? {references: bound.map((b) => b.metric.id)} : {})})
    }
    const type = String(body.resource_type)
    // 4.4's FetchSchema: the NoSuchResourceType of ResourceTypeSchema, jsonified.
    if (type !== 'generic' && !world.gnocchiResources.has(type)) throw new GnocchiError(400, {cause: 'Resource type does not exist', detail: type})
    const resources = findResources(type, typeof body.search === 'string' ? undefined : body.search, ctx)
    const groupby = [...new Set(q.getAll('groupby').flatMap((g) => g.split(',')))].filter((g) => g !== '').sort()
    const byResources = (group: GnocchiResource[]) => {
      const bound: Bound[] = []
      for (const res of group)
        for (const [wildcard, agg] of refs)
          for (const [name, id] of Object.entries(res.metrics)) {
            const m = world.gnocchiMetrics.get(id)
            if (m && globMatch(wildcard, name)) bound.push({aggregation: agg, metric: m, resource: res, wildcard})
          }
      if (bound.length === 0) throw new GnocchiError(400, {cause: 'Metrics not found', detail: [...new Set(refs.map(([w]) => w))]})
      const out: Record<string, unknown> = {measures: evaluate(world, ops, bound, window, true)}
      if (details) out.references = [...new Set(bound.map((b) => b.resource))].map((x) => x && resourceView(x))
      return out
    }
    if (groupby.length === 0) return pythonJson(byResources(resources))
    // A search that finds nothing: real Gnocchi (4.4) answers "Metrics not found", not an empty list.
    if (resources.length === 0) throw new GnocchiError(400, {cause: 'Metrics not found', detail: [...new Set(refs.map(([w]) => w))]})
    const groups = new Map<string, {key: Record<string, unknown>; members: GnocchiResource[]}>()
    for (const res of resources) {
      const key = Object.fromEntries(groupby.map((g) => [g, attributeOf(res, g) ?? null]))
      const k = JSON.stringify(groupby.map((g) => key[g]))
      let entry = groups.get(k)
      if (entry === undefined) {
        entry = {key, members: []}
        groups.set(k, entry)
      }
      entry.members.push(res)
    }
    const ordered = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return pythonJson(ordered.map(([, g]) => ({group: g.key, measures: byResources(g.members)})))
  }))
  app.pageOf = (r) => {
    if (!/^\/v1\/(resource|search\/resource)\/[^/]+$/.test(r.path)) return undefined
    const markerId = r.query.get('marker')
    if (markerId === null) return 1
    const t = world.gnocchiResources.get(r.params.type ?? r.path.split('/').at(-1) ?? '')
    if (t === undefined) return 2
    const marker = t.get(markerId) ?? ({id: markerId} as GnocchiResource)
    return 1 + Math.ceil(positionAfter(t.all(), t.compare, marker) / parseLimit(r.query.get('limit')))
  }
  app.notFound(() => gnocchiError(404, 'The resource could not be found.'))
  return app
}

interface Window {
  fill: string
  granularity?: number
  now: number
  start?: number
  stop?: number
}

interface Bound {
  aggregation: string
  metric: GnocchiMetric
  resource: GnocchiResource | undefined
  wildcard: string
}

/** One reference's series (per granularity: timestamp → value). */
interface RefSeries {
  bound: Bound
  points: Map<number, number | null>
}

/**
 * Evaluate an operations tree over the bound metrics at each common granularity, as Gnocchi's
 * processor does: fetch every series, align them (fill/dropna), then apply the operations.
 */
function evaluate(world: World, ops: Operation[], bound: Bound[], w: Window, byResource: boolean): unknown {
  const policies = bound.map((b) => world.archivePolicies.get(b.metric.archivePolicy))
  bound.forEach((b, i) => {
    if (!policies[i]?.aggregationMethods.includes(b.aggregation)) throw new GnocchiError(404, {cause: 'Metrics with unknown aggregation', detail: [[b.metric.id, b.aggregation]]})
  })
  let granularities: number[]
  if (w.granularity === undefined) {
    const counts = new Map<number, number>()
    for (const p of policies) for (const d of p?.definition ?? []) counts.set(d.granularity, (counts.get(d.granularity) ?? 0) + 1)
    granularities = [...counts.entries()].filter(([, n]) => n === bound.length).map(([g]) => g)
    if (granularities.length === 0) throw new GnocchiError(400, {cause: "Metrics can't being aggregated", detail: bound.map((b) => [b.metric.id, b.aggregation]), reason: 'No granularity match'})
  } else {
    const g = w.granularity
    const missing = bound.filter((_b, i) => !policies[i]?.definition.some((d) => d.granularity === g))
    if (missing.length > 0) throw new GnocchiError(400, {cause: "Metrics can't being aggregated", detail: missing.map((b) => [b.metric.id, b.aggregation]), reason: `granularity '${g}' is missing`})
    granularities = [g]
  }
  granularities.sort((a, b) => b - a)
  const aggregated: unknown[] = []
  const perRef = new Map<Bound, unknown[]>()
  for (const g of granularities) {
    const refs: RefSeries[] = bound.map((b, i) => {
      const pts: Point[] = series(b.metric, policies[i] ?? {aggregationMethods: [], definition: [], name: ''}, {aggregation: b.aggregation, granularity: g, now: w.now, start: w.start, stop: w.stop}) ?? []
      return {bound: b, points: new Map(pts.map((p) => [p[0], p[2]]))}
    })
    const times = align(refs, w.fill)
    const result = apply(ops, refs, times)
    if (result.kind === 'number') throw new GnocchiError(400, {cause: 'Invalid operations', detail: ops, reason: "At least one 'metric' is required"})
    if (result.kind === 'aggregated') {
      for (let k = 0; k < times.length; k++) if (result.values[k] !== null || w.fill !== 'dropna') aggregated.push([gnocchiTime(times[k]), g, result.values[k]])
    } else {
      for (const ref of result.refs) {
        const list = perRef.get(ref.bound) ?? []
        for (const t of times) list.push([gnocchiTime(t), g, ref.points.get(t) ?? null])
        perRef.set(ref.bound, list)
      }
    }
  }
  if (aggregated.length > 0 || perRef.size === 0) return {aggregated}
  const out: Record<string, Record<string, unknown>> = {}
  for (const [b, list] of perRef) {
    if (byResource && b.resource) {
      const r = (out[b.resource.id] ??= {})
      const byAgg = (r[b.metric.name] ??= {}) as Record<string, unknown>
      byAgg[b.aggregation] = list
    } else (out[b.metric.id] ??= {})[b.aggregation] = list
  }
  return out
}

/** The timestamps kept: with `dropna` only those every series has; otherwise the union (gaps filled). */
function align(refs: RefSeries[], fill: string): number[] {
  const all = new Set<number>()
  for (const r of refs) for (const t of r.points.keys()) all.add(t)
  let times = [...all].sort((a, b) => a - b)
  if (fill === 'dropna') times = times.filter((t) => refs.every((r) => r.points.get(t) !== undefined))
  else {
    const value = fill === 'null' || Number.isNaN(Number(fill)) ? null : Number(fill)
    for (const r of refs) for (const t of times) if (!r.points.has(t)) r.points.set(t, value)
  }
  return times
}

type Evaluated = {kind: 'aggregated'; values: (number | null)[]} | {kind: 'refs'; refs: RefSeries[]}

const REDUCERS: Record<string, (v: number[]) => number> = {
  count: (v) => v.length,
  first: (v) => v[0],
  last: (v) => v.at(-1) ?? 0,
  max: (v) => Math.max(...v),
  mean: (v) => v.reduce((a, b) => a + b, 0) / v.length,
  median: (v) => {
    const s = [...v].sort((a, b) => a - b)
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
  },
  min: (v) => Math.min(...v),
  std: (v) => {
    const m = v.reduce((a, b) => a + b, 0) / v.length
    return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, v.length - 1))
  },
  sum: (v) => v.reduce((a, b) => a + b, 0),
}
const BINARY: Record<string, (a: number, b: number) => number> = {'*': (a, b) => a * b, '**': (a, b) => a ** b, '+': (a, b) => a + b, '-': (a, b) => a - b, '/': (a, b) => a / b}
const UNARY: Record<string, (a: number) => number> = {abs: Math.abs, ceil: Math.ceil, floor: Math.floor, neg: (a) => -a}

function apply(op: Operation, refs: RefSeries[], times: number[]): Evaluated | {kind: 'number'; value: number} {
  if (!Array.isArray(op)) {
    const n = Number(op)
    if (Number.isNaN(n)) throw new GnocchiError(400, {cause: 'Invalid operations', detail: op, reason: `'${String(op)}' operation invalid`})
    return {kind: 'number', value: n}
  }
  const [head, ...args] = op
  if (head === 'metric') {
    const wanted = new Set(metricReferencesOf(op).map(([w, a]) => `${w}\u0000${a}`))
    return {kind: 'refs', refs: refs.filter((r) => wanted.has(`${r.bound.wildcard}\u0000${r.bound.aggregation}`))}
  }
  if (head === 'aggregate') {
    // `rate:<agg>` aggregates, then takes the difference between consecutive timestamps.
    const method = String(args[0])
    const isRate = method.startsWith('rate:')
    const reducer = REDUCERS[isRate ? method.slice(5) : method]
    if (reducer === undefined) throw new GnocchiError(400, {cause: 'Invalid operations', detail: op, reason: `'${method}' aggregation invalid`})
    const inner = apply(args[1], refs, times)
    const rows = toRows(inner, times)
    const values = rows.map((row) => (row.some((v) => v === null) || row.length === 0 ? null : round(reducer(row as number[]))))
    if (!isRate) return {kind: 'aggregated', values}
    return {kind: 'aggregated', values: values.map((v, k) => (k === 0 || v === null || values[k - 1] === null ? null : round(v - (values[k - 1] as number))))}
  }
  if (typeof head === 'string' && head in BINARY) {
    const fn = BINARY[head]
    const a = apply(args[0], refs, times)
    const b = apply(args[1], refs, times)
    return combine(a, b, fn, times)
  }
  if (typeof head === 'string' && head in UNARY) {
    const fn = UNARY[head]
    const a = apply(args[0], refs, times)
    return combine(a, {kind: 'number', value: 0}, (x) => fn(x), times)
  }
  throw new GnocchiError(400, {cause: 'Invalid operations', detail: op, reason: `'${String(head)}' operation invalid`})
}

function metricReferencesOf(op: Operation[]): [string, string][] {
  return metricReferences(op)
}

function toRows(e: Evaluated | {kind: 'number'; value: number}, times: number[]): (number | null)[][] {
  if (e.kind === 'number') return times.map(() => [e.value])
  if (e.kind === 'aggregated') return e.values.map((v) => [v])
  return times.map((t) => e.refs.map((r) => r.points.get(t) ?? null))
}

function combine(a: Evaluated | {kind: 'number'; value: number}, b: Evaluated | {kind: 'number'; value: number}, fn: (x: number, y: number) => number, times: number[]): Evaluated | {kind: 'number'; value: number} {
  if (a.kind === 'number' && b.kind === 'number') return {kind: 'number', value: fn(a.value, b.value)}
  const at = (e: Evaluated | {kind: 'number'; value: number}, i: number, k: number, t: number): number | null => {
    if (e.kind === 'number') return e.value
    if (e.kind === 'aggregated') return e.values[k]
    return e.refs[Math.min(i, e.refs.length - 1)].points.get(t) ?? null
  }
  const op = (x: number | null, y: number | null) => (x === null || y === null ? null : round(fn(x, y)))
  if (a.kind === 'refs' || b.kind === 'refs') {
    const refsSide = (a.kind === 'refs' ? a : b) as {kind: 'refs'; refs: RefSeries[]}
    return {
      kind: 'refs',
      refs: refsSide.refs.map((r, i) => ({bound: r.bound, points: new Map(times.map((t, k) => [t, op(at(a, i, k, t), at(b, i, k, t))]))})),
    }
  }
  return {kind: 'aggregated', values: times.map((t, k) => op(at(a, 0, k, t), at(b, 0, k, t)))}
}

function findOwner(world: World, m: GnocchiMetric): GnocchiResource | undefined {
  for (const t of world.gnocchiResources.values()) {
    const r = t.get(m.resourceId)
    if (r) return r
  }
  return undefined
}

/** The generic resource embedded in `GET /v1/metric/{id}`: no type attributes, no metrics. */
function genericResourceView(r: GnocchiResource): Record<string, unknown> {
  const {metrics: _metrics, ...generic} = resourceView({...r, attributes: {}})
  return generic
}

export function resourceView(r: GnocchiResource): Record<string, unknown> {
  return {
    created_by_project_id: r.createdByProjectId,
    created_by_user_id: r.createdByUserId,
    creator: `${r.createdByUserId}:${r.createdByProjectId}`,
    ended_at: r.endedAt === null ? null : gnocchiDate(r.endedAt),
    id: r.id,
    metrics: r.metrics,
    original_resource_id: r.id,
    project_id: r.projectId,
    revision_end: null,
    revision_start: gnocchiDate(r.startedAt),
    started_at: gnocchiDate(r.startedAt),
    type: r.type,
    user_id: r.userId,
    ...r.attributes,
  }
}

const GLOBS = new Map<string, RegExp>()

function globMatch(pattern: string, name: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === name
  let re = GLOBS.get(pattern)
  if (re === undefined) {
    re = new RegExp(`^${pattern.replaceAll(/[.+^${}()|\\]/g, String.raw`\$&`).replaceAll('*', '.*').replaceAll('?', '.')}$`)
    if (GLOBS.size > 1000) GLOBS.clear()
    GLOBS.set(pattern, re)
  }
  return re.test(name)
}

function parseLimit(raw: string | null): number {
  if (raw === null) return GNOCCHI_MAX_LIMIT
  const n = Number(raw)
  if (!Number.isInteger(n) || n <= 0) throw new GnocchiError(400, {cause: 'Argument value error', detail: 'limit', reason: 'Must be a positive integer'})
  return Math.min(n, GNOCCHI_MAX_LIMIT)
}

/** Gnocchi timestamps: ISO 8601, epoch seconds, `now`, or a negative timespan like `-5 minutes`. */
function timeParam(raw: string | null, name: string, now: number): number | undefined {
  if (raw === null || raw === '') return undefined
  if (raw === 'now') return now
  const rel = /^-\s*(\d+(?:\.\d+)?)\s*(s|sec|second|seconds|m|min|minute|minutes|h|hour|hours|d|day|days)?$/i.exec(raw.trim())
  if (rel) return now - Number(rel[1]) * unitMs(rel[2] ?? 's')
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000
  const t = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(raw) || !raw.includes('T') ? raw : `${raw}Z`)
  if (Number.isNaN(t)) throw new GnocchiError(400, {cause: 'Argument value error', detail: name, reason: 'Must be a datetime or a timestamp'})
  return t
}

function granularityParam(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined
  const m = /^(\d+(?:\.\d+)?)\s*(s|sec|second|seconds|m|min|minute|minutes|h|hour|hours|d|day|days)?$/i.exec(raw.trim())
  if (!m) throw new GnocchiError(400, {cause: 'Argument value error', detail: 'granularity', reason: 'Unable to parse timespan'})
  return (Number(m[1]) * unitMs(m[2] ?? 's')) / 1000
}

function unitMs(unit: string): number {
  const u = unit.toLowerCase()
  if (u.startsWith('d')) return 86_400_000
  if (u.startsWith('h')) return 3_600_000
  if (u === 's' || u.startsWith('sec')) return 1000
  return 60_000
}

function secondsSpan(s: number): string {
  const h = Math.floor(s / 3600)
  const d = Math.floor(h / 24)
  const hh = String(h % 24).padStart(2, '0')
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0')
  const ss = String(s % 60).padStart(2, '0')
  return d > 0 ? `${d} day${d > 1 ? 's' : ''}, ${hh}:${mm}:${ss}` : `${h % 24}:${mm}:${ss}`
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6
}

function gnocchiError(code: number, description: unknown): SimReply {
  return {body: {code, description, title: TITLES[code] ?? 'Error'}, status: code}
}

/**
 * An aggregates answer as Gnocchi writes it: the gaps `fill=null` leaves are numpy NaNs, which
 * Python's json module writes as a bare `NaN` (not JSON). A point is `[timestamp, granularity, value]`.
 */
function pythonJson(body: unknown): {headers: Record<string, string>; status: number; text: string} {
  const NAN = '\u0000NaN'
  const text = JSON.stringify(body, function (this: unknown, key: string, value: unknown) {
    const point = this as unknown[]
    return value === null && key === '2' && Array.isArray(point) && point.length === 3 && typeof point[1] === 'number' ? NAN : value
  })
  return {headers: {'Content-Type': 'application/json'}, status: 200, text: text.replaceAll(JSON.stringify(NAN), 'NaN')}
}

/**
 * Simulated CloudKitty (rating API v2), as CloudKitty 17 answers (`fixtures/api/cloudkitty/`):
 * `GET /v2/summary` with `groupby` (repeatable or comma-separated), `filters` (`key:value`,
 * comma-separated or repeated; `type` selects metric types), `begin`/`end` (default: this month;
 * every row carries the requested bounds, `+00:00` times), `limit` (default 100)/`offset` (`total`
 * stays the full count; past the end: no rows), `response_format` `table` (default: `{"total",
 * "columns", "results", "format"}`, no columns when there are no rows) or `object` (a list of
 * dicts). Bad parameters answer 400 `{"message": "Invalid data ..."}` as voluptuous words it.
 * Non-admins are silently restricted to their own project.
 */
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import {ratedFrames, type RatedFrame} from '../rating.js'
import type {World} from '../world.js'
import {authed, baseUrl, parseTime, type RequestContext, type ServiceOptions} from './context.js'

const GROUPABLE = new Set(['id', 'project_id', 'type', 'user_id'])

export function createCloudKittyApp(world: World, opts: ServiceOptions): SimApp {
  const app = new SimApp('cloudkitty', opts.faults)
  const guard = (h: (r: SimRequest, ctx: RequestContext) => SimReply) => authed(world, 'cloudkitty', opts, h)
  app.route('GET', '/', (r) => ({
    body: {
      versions: [
        {id: 'v1', links: [{href: `${baseUrl(r)}/v1/`, rel: 'self'}], status: 'CURRENT'},
        {id: 'v2', links: [{href: `${baseUrl(r)}/v2`, rel: 'self'}], status: 'EXPERIMENTAL'},
      ],
    },
    status: 200,
  }))

  app.route('GET', '/v2/summary', guard((r, ctx) => {
    const q = r.query
    const now = new Date(world.now())
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1)
    const begin = q.has('begin') ? parseTime(q.get('begin')) : monthStart
    const end = q.has('end') ? parseTime(q.get('end')) : nextMonth
    if (begin === undefined) return invalid('begin', q.get('begin'), 'expected dt_from_iso')
    if (end === undefined) return invalid('end', q.get('end'), 'expected dt_from_iso')
    const filters: Record<string, string> = {}
    for (const token of q.getAll('filters').flatMap((f) => f.split(','))) {
      const parts = token.split(':')
      if (parts.length !== 2) return invalid('filters', token, `invalid key:value association ${token}`)
      if (parts[0] in filters) return invalid('filters', token, `key ${parts[0]} already provided`)
      filters[parts[0]] = parts[1]
    }
    if (!ctx.isAdmin) filters.project_id = ctx.project.id
    const groupby = q.getAll('groupby').flatMap((g) => g.split(',')).filter((g) => g !== '')
    const limit = Number(q.get('limit') ?? 100)
    const offset = Number(q.get('offset') ?? 0)
    if (!Number.isInteger(limit) || limit < 1) return invalid('limit', q.get('limit'), 'value must be at least 1')
    if (!Number.isInteger(offset) || offset < 0) return invalid('offset', q.get('offset'), 'value must be at least 0')
    const format = q.get('response_format') ?? 'table'
    if (format !== 'table' && format !== 'object') return invalid('response_format', format, 'value must be one of [\'object\', \'table\']')

    const frames = ratedFrames(world, begin, end).filter((f) => Object.entries(filters).every(([k, v]) => fieldOf(f, k) === v))
    const groups = new Map<string, {qty: number; rate: number; values: (string | null)[]}>()
    for (const f of frames) {
      const values = groupby.map((g) => (GROUPABLE.has(g) ? fieldOf(f, g) : null))
      const key = JSON.stringify(values)
      const g = groups.get(key) ?? {qty: 0, rate: 0, values}
      g.qty += f.qty
      g.rate += f.rate
      groups.set(key, g)
    }
    const rows = [...groups.values()].sort((a, b) => JSON.stringify(a.values).localeCompare(JSON.stringify(b.values)))
    const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
    const results = rows.slice(offset, offset + limit).map((g) => [iso(begin), iso(end), round(g.qty), round(g.rate), ...g.values])
    const columns = ['begin', 'end', 'qty', 'rate', ...groupby]
    if (format === 'object') {
      return {body: {format, results: results.map((row) => Object.fromEntries(columns.map((c, i) => [c, row[i]]))), total: rows.length}, status: 200}
    }
    return {body: {columns: results.length > 0 ? columns : [], format, results, total: rows.length}, status: 200}
  }))
  app.notFound(() => ({body: {code: 404, message: 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.'}, status: 404}))
  return app
}

function fieldOf(f: RatedFrame, key: string): string | null {
  switch (key) {
    case 'id': {
      return f.id
    }
    case 'project_id':
    case 'tenant_id': {
      return f.project_id
    }
    case 'type': {
      return f.type
    }
    case 'user_id': {
      return f.user_id
    }
    default: {
      return null
    }
  }
}

/** CloudKitty's 400 for a query parameter voluptuous refuses: `{"message": "Invalid data '{'begin': ['yesterday']}' : expected dt_from_iso (path: '['begin']')"}`. */
function invalid(key: string, value: null | string, problem: string): SimReply {
  return {body: {message: `Invalid data '{'${key}': ['${value ?? ''}']}' : ${problem} (path: '['${key}']')`}, status: 400}
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6
}

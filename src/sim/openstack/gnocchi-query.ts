/**
 * Gnocchi's query languages as the simulated Gnocchi understands them: resource search filters
 * (`{"=": {"id": …}}`, `in`, comparisons, `like`, `and`/`or`/`not`) and aggregation operations
 * (`(aggregate rate:mean (metric cpu mean))`, as a string or as JSON lists).
 */
import type {GnocchiResource} from '../world.js'

export type Filter = Record<string, unknown>
export type Operation = number | Operation[] | string

export class QueryError extends Error {
  constructor(readonly detail: Record<string, unknown>) {
    super(String(detail.cause ?? 'invalid query'))
  }
}

/** A resource attribute as search filters see it (core fields, then type attributes). */
export function attributeOf(r: GnocchiResource, attr: string): unknown {
  switch (attr) {
    case 'created_by_project_id': {
      return r.createdByProjectId
    }
    case 'created_by_user_id': {
      return r.createdByUserId
    }
    case 'ended_at': {
      return r.endedAt === null ? null : new Date(r.endedAt).toISOString()
    }
    case 'id': {
      return r.id
    }
    case 'project_id': {
      return r.projectId
    }
    case 'started_at': {
      return new Date(r.startedAt).toISOString()
    }
    case 'type': {
      return r.type
    }
    case 'user_id': {
      return r.userId
    }
    default: {
      return r.attributes[attr]
    }
  }
}

const COMPARE: Record<string, (a: unknown, b: unknown) => boolean> = {
  '!=': (a, b) => a !== b,
  '<': (a, b) => cmp(a, b) < 0,
  '<=': (a, b) => cmp(a, b) <= 0,
  '=': (a, b) => a === b,
  '==': (a, b) => a === b,
  '>': (a, b) => cmp(a, b) > 0,
  '>=': (a, b) => cmp(a, b) >= 0,
  eq: (a, b) => a === b,
  ge: (a, b) => cmp(a, b) >= 0,
  gt: (a, b) => cmp(a, b) > 0,
  le: (a, b) => cmp(a, b) <= 0,
  lt: (a, b) => cmp(a, b) < 0,
  ne: (a, b) => a !== b,
}

/** Compile a search filter into a predicate; throws QueryError for an invalid one. */
export function compileFilter(filter: unknown): (r: GnocchiResource) => boolean {
  if (filter === undefined || filter === null || (isObject(filter) && Object.keys(filter).length === 0)) return () => true
  if (!isObject(filter) || Object.keys(filter).length !== 1) throw new QueryError({cause: 'Invalid input', detail: filter, reason: 'extra keys not allowed'})
  const [op, arg] = Object.entries(filter)[0]
  const lower = op.toLowerCase()
  if (lower === 'and' || lower === 'or') {
    if (!Array.isArray(arg)) throw new QueryError({cause: 'Invalid input', detail: filter, reason: `${op} expects a list`})
    const parts = arg.map((f) => compileFilter(f))
    return lower === 'and' ? (r) => parts.every((p) => p(r)) : (r) => parts.some((p) => p(r))
  }
  if (lower === 'not') {
    const inner = compileFilter(arg)
    return (r) => !inner(r)
  }
  if (!isObject(arg) || Object.keys(arg).length !== 1) throw new QueryError({cause: 'Invalid input', detail: filter, reason: `${op} expects one attribute`})
  const [attr, value] = Object.entries(arg)[0]
  if (lower === 'in') {
    if (!Array.isArray(value)) throw new QueryError({cause: 'Invalid input', detail: filter, reason: 'in expects a list'})
    const set = new Set(value)
    return (r) => set.has(attributeOf(r, attr))
  }
  if (lower === 'like' || lower === 'ilike') {
    const re = new RegExp(`^${String(value).replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`).replaceAll('%', '.*').replaceAll('_', '.')}$`, lower === 'ilike' ? 'i' : '')
    return (r) => re.test(String(attributeOf(r, attr) ?? ''))
  }
  const compare = COMPARE[lower]
  if (compare === undefined) throw new QueryError({cause: 'Invalid input', detail: filter, reason: `unknown operator ${op}`})
  return (r) => compare(attributeOf(r, attr), value)
}

/** Ids a filter pins an attribute to (`=`/`in` on it, possibly inside `and`): an index lookup. */
export function pinnedValues(filter: unknown, attr: string): unknown[] | undefined {
  if (!isObject(filter)) return undefined
  const entries = Object.entries(filter)
  if (entries.length !== 1) return undefined
  const [op, arg] = entries[0]
  if ((op === '=' || op === '==' || op === 'eq') && isObject(arg) && attr in arg && Object.keys(arg).length === 1) return [arg[attr]]
  if (op === 'in' && isObject(arg) && Array.isArray(arg[attr]) && Object.keys(arg).length === 1) return arg[attr] as unknown[]
  if (op === 'and' && Array.isArray(arg)) {
    for (const part of arg) {
      const pinned = pinnedValues(part, attr)
      if (pinned !== undefined) return pinned
    }
  }
  return undefined
}

/** Parse `operations`: a string S-expression (as pyparsing's nestedExpr reads it) or JSON lists. */
export function parseOperations(raw: unknown): Operation[] {
  if (typeof raw === 'string') {
    const tokens = raw.match(/\(|\)|[^\s()]+/g) ?? []
    let i = 0
    const read = (): Operation => {
      const t = tokens[i++]
      if (t === '(') {
        const list: Operation[] = []
        while (i < tokens.length && tokens[i] !== ')') list.push(read())
        if (tokens[i] !== ')') throw new QueryError({cause: 'Invalid operations', detail: raw, reason: 'Fail to parse the operations string'})
        i++
        return list
      }
      if (t === undefined || t === ')') throw new QueryError({cause: 'Invalid operations', detail: raw, reason: 'Fail to parse the operations string'})
      return t
    }
    const op = read()
    if (!Array.isArray(op)) throw new QueryError({cause: 'Invalid operations', detail: raw, reason: 'Fail to parse the operations string'})
    return op
  }
  if (Array.isArray(raw)) return raw as Operation[]
  throw new QueryError({cause: 'Invalid operations', detail: raw, reason: 'Operations must be a string or a list'})
}

/** The `(metric <name-or-id> <aggregation>)` references of an operations tree. */
export function metricReferences(op: Operation[]): [string, string][] {
  const out: [string, string][] = []
  const seen = new Set<string>()
  const add = (name: unknown, agg: unknown) => {
    const key = `${String(name)}\u0000${String(agg)}`
    if (!seen.has(key)) {
      seen.add(key)
      out.push([String(name), String(agg)])
    }
  }
  const walk = (node: Operation[]) => {
    if (node[0] === 'metric') {
      if (Array.isArray(node[1])) for (const sub of node.slice(1)) add((sub as Operation[])[0], (sub as Operation[])[1])
      else add(node[1], node[2])
      return
    }
    for (const sub of node.slice(1)) if (Array.isArray(sub)) walk(sub)
  }
  walk(op)
  return out
}

function cmp(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

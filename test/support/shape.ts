/**
 * Structural comparison of JSON documents: the same keys (recursively) and the same value types.
 * Used to hold the simulator's answers to the real OpenStack samples in /work/shared/fixtures.
 *
 * - `null` on either side matches any type (OpenStack fields are nullable: a sample's `key_name: null`
 *   is a string elsewhere).
 * - Arrays: every element of the actual array is compared with the first element of the expected one.
 * - `dictionaries`: paths whose keys are data (network names in `addresses`, metadata keys); only the
 *   value types are compared. Paths use `.` and `[]` for array elements, e.g. `servers[].addresses`.
 * - `extraKeys`: paths of keys the actual document may have beyond the sample (e.g. admin-only fields).
 */
export interface ShapeOptions {
  dictionaries?: string[]
  extraKeys?: string[]
}

export type ShapeValue = 'array' | 'boolean' | 'null' | 'number' | 'object' | 'string'

export function shapeOf(v: unknown): ShapeValue {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  const t = typeof v
  if (t === 'string' || t === 'number' || t === 'boolean') return t
  if (t === 'object') return 'object'
  throw new Error(`not JSON: ${t}`)
}

/** Differences between `expected` (the real sample) and `actual`, as readable strings; empty when same shape. */
export function shapeDifferences(expected: unknown, actual: unknown, opts: ShapeOptions = {}, path = ''): string[] {
  const e = shapeOf(expected)
  const a = shapeOf(actual)
  if (e === 'null' || a === 'null') return []
  if (e !== a) return [`${path || '(root)'}: expected ${e}, got ${a}`]
  if (e === 'array') {
    const exp = expected as unknown[]
    const act = actual as unknown[]
    if (exp.length === 0) return []
    return act.flatMap((item) => shapeDifferences(exp[0], item, opts, `${path}[]`))
  }
  if (e !== 'object') return []
  const exp = expected as Record<string, unknown>
  const act = actual as Record<string, unknown>
  if (opts.dictionaries?.includes(path)) {
    const sample = Object.values(exp)[0]
    if (sample === undefined) return []
    return Object.entries(act).flatMap(([k, v]) => shapeDifferences(sample, v, opts, `${path}.${k}`))
  }
  const out: string[] = []
  for (const k of Object.keys(exp)) {
    const p = path ? `${path}.${k}` : k
    if (!(k in act)) out.push(`${p}: missing`)
    else out.push(...shapeDifferences(exp[k], act[k], opts, p))
  }
  for (const k of Object.keys(act)) {
    const p = path ? `${path}.${k}` : k
    if (!(k in exp) && !opts.extraKeys?.includes(p)) out.push(`${p}: unexpected key`)
  }
  return out
}

/** True when `actual` has the shape of `expected` (see shapeDifferences). */
export function sameShape(expected: unknown, actual: unknown, opts: ShapeOptions = {}): boolean {
  return shapeDifferences(expected, actual, opts).length === 0
}

/**
 * The MRD's `PUT /{deviceId}/metrics` body (reference/concertim-api.md §8.1): Go's json decoding into
 * `putMetricRequest` (with its error messages) and go-playground validation in struct order, then
 * the struct-level `validtype` check.
 */
import type {MetricSlope, MetricType} from './metric-store.js'

export const METRIC_TYPES: readonly MetricType[] = ['string', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'float', 'double']
export const METRIC_SLOPES: readonly MetricSlope[] = ['zero', 'positive', 'negative', 'both', 'derivative']

export interface PutMetricRequest {
  name: string
  slope: string
  ttl: number
  type: string
  units: string
  value: unknown
}

export interface ValidationProblem {
  detail: string
  source: string
  status: 422
  title: string
}

type Decoded = {error: string; request?: undefined} | {error?: undefined; request: PutMetricRequest}

const STRING_FIELDS = ['name', 'units', 'type', 'slope'] as const

/** `json.NewDecoder(body).Decode(&req)`: Go's messages for syntax and type errors. */
export function decodePutMetric(raw: string): Decoded {
  if (raw.trim() === '') return {error: 'EOF'}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return {error: syntaxError(raw)}
  }
  const req: PutMetricRequest = {name: '', slope: '', ttl: 0, type: '', units: '', value: undefined}
  if (parsed === null) return {request: req}
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    return {error: `json: cannot unmarshal ${goKind(parsed)} into Go value of type api.putMetricRequest`}
  }
  let firstError: string | undefined
  for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
    // encoding/json matches keys case-insensitively.
    const field = (['value', 'ttl', ...STRING_FIELDS] as const).find((f) => f === key.toLowerCase())
    if (field === undefined) continue
    if (field === 'value') {
      req.value = v
      continue
    }
    if (v === null) continue
    if (field === 'ttl') {
      if (typeof v === 'number' && Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER) req.ttl = v
      else firstError ??= `json: cannot unmarshal ${typeof v === 'number' ? `number ${v}` : goKind(v)} into Go struct field putMetricRequest.${key} of type int`
      continue
    }
    if (typeof v === 'string') req[field] = v
    else firstError ??= `json: cannot unmarshal ${goKind(v)} into Go struct field putMetricRequest.${key} of type string`
  }
  return firstError === undefined ? {request: req} : {error: firstError}
}

/** go-playground validations in struct order, then `validtype`. */
export function validatePutMetric(req: PutMetricRequest): ValidationProblem[] {
  const problems: ValidationProblem[] = []
  const add = (source: string, title: string, detail: string) => problems.push({detail, source, status: 422, title})
  if (req.name === '') add('name', 'required', 'name is a required field')
  else if (req.name.trim() === '') add('name', 'notblank', 'name cannot be blank')
  if (req.value === undefined || req.value === null) add('value', 'required', 'value is a required field')
  if (/[<>'"&]/.test(req.units)) add('units', 'excludesall', `units cannot contain any of the following characters '<>'"&'`)
  if (req.type === '') add('type', 'required', 'type is a required field')
  else if (!METRIC_TYPES.includes(req.type as MetricType)) add('type', 'oneof', `type must be one of [${METRIC_TYPES.join(' ')}]`)
  if (req.slope === '') add('slope', 'required', 'slope is a required field')
  else if (!METRIC_SLOPES.includes(req.slope as MetricSlope)) add('slope', 'oneof', `slope must be one of [${METRIC_SLOPES.join(' ')}]`)
  if (req.ttl === 0) add('ttl', 'required', 'ttl is a required field')
  else if (req.ttl < 1) add('ttl', 'min', 'ttl must be 1 or greater')
  if (req.value !== undefined && req.value !== null && METRIC_TYPES.includes(req.type as MetricType) && !validType(req.value, req.type as MetricType)) {
    add('value', 'validtype', `value is not valid for type ${req.type}`)
  }
  return problems
}

function validType(value: unknown, type: MetricType): boolean {
  switch (type) {
    case 'string': {
      return typeof value === 'string'
    }
    case 'float':
    case 'double': {
      return typeof value === 'number'
    }
    case 'int8':
    case 'int16':
    case 'int32': {
      return typeof value === 'number' && Number.isInteger(value)
    }
    default: {
      return typeof value === 'number' && Number.isInteger(value) && value >= 0
    }
  }
}

/** `domain.ParseMetricVal`: floats with 6 decimals, integers as |int(value)| (the sign is lost). */
export function normaliseValue(value: unknown, type: MetricType): number | string {
  if (type === 'string') return String(value)
  const n = Number(value)
  if (type === 'float' || type === 'double') return Number(n.toFixed(6))
  return Math.trunc(Math.abs(n))
}

function goKind(v: unknown): string {
  if (Array.isArray(v)) return 'array'
  if (v === null) return 'null'
  if (typeof v === 'object') return 'object'
  if (typeof v === 'boolean') return 'bool'
  return typeof v
}

function syntaxError(raw: string): string {
  const trimmed = raw.trimStart()
  const c = trimmed.charAt(0)
  if (c !== '{' && c !== '[' && c !== '"' && !/[-\d tfn]/.test(c)) return `invalid character '${c}' looking for beginning of value`
  return 'unexpected EOF'
}

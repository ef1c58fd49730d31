/**
 * The fields concertim-os owns, and how a value read from Concertim is compared with the value we
 * want. Values written by the original service are Python-repr strings (`"['10.0.0.5']"`, `"None"`,
 * `"True"`, `"[('k', {...})]"`); the `decode` function given to `plan` turns them into JSON values, and
 * each field's kind then brings both sides to one canonical form, so that equal values are equal.
 */
import type {JsonObject, JsonValue} from '../model/json.js'

/** Turns a stored string into the JSON value it stands for (identity when it is plain text). */
export type Decode = (value: string) => JsonValue

export const identityDecode: Decode = (value) => value

export type FieldKind =
  /** IPs: `"a, b"`, `['a', 'b']` or `"['a']"` — compared as a sorted set. */
  | 'addresses'
  | 'boolean'
  /** Ids anywhere in a list or object (`volume_details`) — compared as a sorted set. */
  | 'ids'
  /** Names (`net_interfaces`) — compared as a sorted set. */
  | 'names'
  | 'number'
  /** Heat outputs: a list of `{output_key, output_value, description}` or the legacy `[(key, dict)]`. */
  | 'outputs'
  /** Text: `""` and `"None"` are no value. */
  | 'text'

export const DETAIL_KINDS: Readonly<Record<string, FieldKind>> = {
  admin_state_up: 'boolean',
  availability_zone: 'text',
  bootable: 'boolean',
  encrypted: 'boolean',
  l2_adjacency: 'boolean',
  mtu: 'number',
  port_security_enabled: 'boolean',
  private_ips: 'addresses',
  public_ips: 'addresses',
  shared: 'boolean',
  size: 'number',
  ssh_key: 'text',
  volume_details: 'ids',
  volume_type: 'text',
}

export const METADATA_KINDS: Readonly<Record<string, FieldKind>> = {
  net_interfaces: 'names',
  openstack_stack_output: 'outputs',
}

export function kindOfDetail(column: string): FieldKind {
  return DETAIL_KINDS[column] ?? 'text'
}

export function kindOfMetadata(key: string): FieldKind {
  return METADATA_KINDS[key] ?? 'text'
}

function isObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function sortedUnique(values: string[]): string[] {
  return [...new Set(values)].sort()
}

function strings(v: JsonValue, out: string[]): string[] {
  if (typeof v === 'string') {
    if (v !== '') out.push(v)
  } else if (Array.isArray(v)) for (const x of v) strings(x, out)
  else if (isObject(v)) for (const x of Object.values(v)) strings(x, out)
  return out
}

function output(v: JsonValue): JsonValue {
  // Legacy form: a (key, dict) tuple, decoded as [key, dict].
  const o = Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && isObject(v[1]) ? {output_key: v[0], ...v[1]} : v
  if (!isObject(o)) return o
  const out: JsonObject = {
    description: o.description ?? null,
    output_key: o.output_key ?? null,
    output_value: o.output_value ?? null,
  }
  if (o.output_error !== undefined && o.output_error !== null) out.output_error = o.output_error
  return out
}

function outputKey(v: JsonValue): string {
  return isObject(v) && typeof v.output_key === 'string' ? v.output_key : stableJson(v)
}

/** The canonical form of a value of a field of `kind` (`undefined` and "no value" become null). */
export function canonical(kind: FieldKind, value: JsonValue | undefined, decode: Decode = identityDecode): JsonValue {
  if (value === undefined || value === null) return kind === 'addresses' || kind === 'ids' || kind === 'names' || kind === 'outputs' ? [] : null
  if (kind === 'text') {
    if (typeof value !== 'string') return value
    return value === '' || value === 'None' ? null : value
  }
  const v = typeof value === 'string' ? decode(value) : value
  switch (kind) {
    case 'addresses': {
      if (typeof v === 'string') return sortedUnique(v.split(/[\s,]+/).filter((s) => s !== '' && s !== 'None'))
      return sortedUnique(strings(v, []))
    }
    case 'boolean': {
      if (typeof v === 'string') {
        const t = v.toLowerCase()
        if (t === 'true' || t === 't' || t === '1') return true
        if (t === 'false' || t === 'f' || t === '0') return false
        if (t === '' || t === 'none') return null
      }
      if (typeof v === 'number') return v !== 0
      return v
    }
    case 'ids':
    case 'names': {
      return sortedUnique(strings(v, []))
    }
    case 'number': {
      if (typeof v === 'string') {
        if (v.trim() === '' || v === 'None') return null
        const n = Number(v)
        return Number.isFinite(n) ? n : v
      }
      return v
    }
    case 'outputs': {
      if (!Array.isArray(v)) return v
      return v.map((x) => output(x)).sort((a, b) => (outputKey(a) < outputKey(b) ? -1 : outputKey(a) > outputKey(b) ? 1 : 0))
    }
  }
}

/** Whether the value Concertim has (`actual`, as read) already is the value we want. */
export function sameValue(kind: FieldKind, wanted: JsonValue | undefined, actual: JsonValue | undefined, decode: Decode): boolean {
  // Exactly what we would write: equal, whatever the kind (and the common case, so it is quick).
  if (wanted === actual && (wanted === null || typeof wanted !== 'object')) return true
  return stableJson(canonical(kind, wanted)) === stableJson(canonical(kind, actual, decode))
}

/** JSON with object keys sorted: equal values give equal text. */
export function stableJson(value: JsonValue | undefined): string {
  if (value === undefined) return 'null'
  if (Array.isArray(value)) return `[${value.map((v) => stableJson(v)).join(',')}]`
  if (isObject(value)) {
    const keys = Object.keys(value).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

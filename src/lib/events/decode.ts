/**
 * oslo.messaging's two notification wire formats (reference/openstack-anchors.md §4): driver
 * `messagingv2` sends `{"oslo.version": "2.0", "oslo.message": "<json>"}`, driver `messaging` the
 * message dict itself. Both carry `event_type`, `payload`, `priority`, `publisher_id`,
 * `message_id`, `timestamp` and the request context flattened into `_context_*` keys.
 * Pure: never throws; a body that is neither gives a reason.
 */
import type {Decoded, OsloMessage} from './types.js'

const MAX_REASON_SNIPPET = 80

export function decodeBody(body: Buffer | string): Decoded {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  let outer: unknown
  try {
    outer = JSON.parse(text)
  } catch {
    return {ok: false, reason: `not JSON: ${snippet(text)}`}
  }
  if (!isObject(outer)) return {ok: false, reason: `not a JSON object: ${snippet(text)}`}
  if ('oslo.message' in outer || 'oslo.version' in outer) {
    const version = outer['oslo.version']
    if (version !== '2.0') return {ok: false, reason: `unsupported oslo envelope version ${JSON.stringify(version)}`}
    const inner = outer['oslo.message']
    if (typeof inner !== 'string') return {ok: false, reason: 'oslo envelope without a string oslo.message'}
    let message: unknown
    try {
      message = JSON.parse(inner)
    } catch {
      return {ok: false, reason: `oslo.message is not JSON: ${snippet(inner)}`}
    }
    if (!isObject(message)) return {ok: false, reason: 'oslo.message is not a JSON object'}
    return toMessage(message, 'v2')
  }
  return toMessage(outer, 'v1')
}

function toMessage(raw: Record<string, unknown>, envelope: 'v1' | 'v2'): Decoded {
  const eventType = raw.event_type
  if (typeof eventType !== 'string' || eventType === '') return {ok: false, reason: 'no event_type'}
  const context: Record<string, unknown> = {}
  for (const k in raw) if (k.startsWith('_context_') && Object.hasOwn(raw, k)) context[k.slice(9)] = raw[k]
  const message: OsloMessage = {
    context,
    eventType,
    messageId: typeof raw.message_id === 'string' ? raw.message_id : undefined,
    payload: raw.payload,
    priority: typeof raw.priority === 'string' ? raw.priority : undefined,
    publisherId: typeof raw.publisher_id === 'string' ? raw.publisher_id : undefined,
    timestampUs: typeof raw.timestamp === 'string' ? parseOsloTime(raw.timestamp) : undefined,
  }
  return {envelope, message, ok: true}
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/

/**
 * oslo's `str(timeutils.utcnow())` (`2026-11-22 03:03:57.918563`, UTC without a zone) and the ISO
 * forms OpenStack also uses, in microseconds since the epoch; undefined when it is neither.
 */
export function parseOsloTime(value: null | string | undefined): number | undefined {
  if (typeof value !== 'string') return undefined
  const m = TIME.exec(value.trim())
  if (m === null) return undefined
  const [, y, mo, d, h, mi, s, frac, zone] = m
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s))
  if (Number.isNaN(ms)) return undefined
  if (zone !== undefined && zone !== 'Z') {
    const z = /^([+-])(\d{2}):?(\d{2})$/.exec(zone)
    if (z === null) return undefined
    const offset = (Number(z[2]) * 60 + Number(z[3])) * 60_000
    ms -= z[1] === '+' ? offset : -offset
  }
  const micros = frac === undefined ? 0 : Number(frac.padEnd(6, '0').slice(0, 6))
  return ms * 1000 + micros
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function snippet(text: string): string {
  const one = text.replaceAll(/\s+/g, ' ')
  return one.length > MAX_REASON_SNIPPET ? `${one.slice(0, MAX_REASON_SNIPPET)}…` : one
}

/**
 * The real notification fixtures (../shared/fixtures/notifications) as AMQP bodies. The minicloud
 * captures already are bodies; the nova doc samples (message without message_id/timestamp) and the
 * searchlight events (`ctxt` and `metadata` kept apart) are put on the wire the way oslo.messaging
 * does (anchors §4): context flattened into `_context_*`, metadata's message_id and timestamp added,
 * then either sent raw (v1) or wrapped in the 2.0 envelope (v2). Nothing in a payload is changed.
 */
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

export const FIXTURE_DIR = fileURLToPath(new URL('../../../../shared/fixtures/notifications', import.meta.url))

export interface WireFixture {
  /** Both wire forms when the file is a message; just the captured body for minicloud files. */
  bodies: {envelope: 'v1' | 'v2'; text: string}[]
  eventType: string
  exchange: string
  /** Relative to the fixture folder, e.g. `cinder/volume.attach.end.json`. */
  file: string
  routingKey: string
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : name.endsWith('.json') && name !== 'INDEX.json' ? [p] : []
  })
}

const EXCHANGE_BY_PREFIX: [string, string][] = [
  ['instance.', 'nova'],
  ['compute.', 'nova'],
  ['volume.', 'openstack'],
  ['network.', 'neutron'],
  ['orchestration.', 'heat'],
  ['identity.', 'keystone'],
]

export function exchangeFor(eventType: string): string {
  return EXCHANGE_BY_PREFIX.find(([p]) => eventType.startsWith(p))?.[1] ?? 'openstack'
}

/** The oslo message dict of a fixture file that is not already a wire body. */
export function toWireMessage(raw: Record<string, unknown>, ids: {messageId?: string; timestamp?: string} = {}): Record<string, unknown> {
  const {ctxt, metadata, ...message} = raw as {ctxt?: Record<string, unknown>; metadata?: {message_id?: string; timestamp?: string}} & Record<string, unknown>
  const out: Record<string, unknown> = {priority: 'INFO', ...message}
  out.message_id = ids.messageId ?? metadata?.message_id ?? `fixture-${String(raw.event_type)}`
  const ts = ids.timestamp ?? metadata?.timestamp
  if (ts !== undefined) out.timestamp = ts
  for (const [k, v] of Object.entries(ctxt ?? {})) out[`_context_${k}`] = v
  return out
}

export function envelope(message: Record<string, unknown>, env: 'v1' | 'v2'): string {
  return env === 'v1' ? JSON.stringify(message) : JSON.stringify({'oslo.message': JSON.stringify(message), 'oslo.version': '2.0'})
}

export function loadWireFixtures(): WireFixture[] {
  const index = JSON.parse(readFileSync(join(FIXTURE_DIR, 'minicloud', 'INDEX.json'), 'utf8')) as Record<string, {exchange: string; routing_key: string}>
  return walk(FIXTURE_DIR)
    .sort()
    .map((path) => {
      const file = relative(FIXTURE_DIR, path)
      const text = readFileSync(path, 'utf8')
      const json = JSON.parse(text) as Record<string, unknown>
      if (typeof json['oslo.message'] === 'string') {
        const inner = JSON.parse(json['oslo.message']) as {event_type: string}
        const meta = index[file.split('/').pop() ?? '']
        return {bodies: [{envelope: 'v2' as const, text}], eventType: inner.event_type, exchange: meta?.exchange ?? exchangeFor(inner.event_type), file, routingKey: meta?.routing_key ?? 'notifications.info'}
      }
      const eventType = String(json.event_type)
      const message = toWireMessage(json)
      const priority = String(message.priority).toLowerCase()
      const topic = eventType.startsWith('instance.') ? 'versioned_notifications' : 'notifications'
      return {
        bodies: [
          {envelope: 'v1' as const, text: envelope(message, 'v1')},
          {envelope: 'v2' as const, text: envelope(message, 'v2')},
        ],
        eventType,
        exchange: exchangeFor(eventType),
        file,
        routingKey: `${topic}.${priority}`,
      }
    })
}

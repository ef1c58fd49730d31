/**
 * oslo.messaging's notification wire format, as a `messagingv2` (or `messaging`) notifier puts it on
 * RabbitMQ: the message dict (`message_id`, `publisher_id`, `event_type`, `priority`, `payload`,
 * `timestamp`, `_unique_id` and the request context flattened into `_context_*` keys), wrapped in
 * the 2.0 envelope `{"oslo.version": "2.0", "oslo.message": "<json>"}` (v2) or sent raw (v1), on the
 * service's control exchange with routing key `<topic>.<priority>`.
 * Sources: oslo_messaging/notify/notifier.py `_notify`, _drivers/common.py `serialize_msg`,
 * _drivers/impl_rabbit.py `notify_send`; AMQP properties as captured from the minicloud (Zed).
 */
import {randomUUID} from 'node:crypto'

/** The notification topics OpenStack publishes on (`[oslo_messaging_notifications] topics`, nova's versioned topic). */
export type NotificationTopic = 'notifications' | 'versioned_notifications'

export type NotificationPriority = 'ERROR' | 'INFO'

/** Which formats to publish (nova's `[notifications] notification_format`; other services only have legacy). */
export type NotificationFormat = 'both' | 'legacy' | 'versioned'

/** `v2` = driver `messagingv2` (the oslo 2.0 envelope), `v1` = driver `messaging` (the raw message). */
export type NotificationEnvelope = 'v1' | 'v2'

/** One notification before it is put on the wire. */
export interface OsloNotification {
  /** The request context, flattened into `_context_<key>` entries on the wire. */
  context: Record<string, unknown>
  eventType: string
  exchange: string
  payload: unknown
  priority: NotificationPriority
  publisherId: string
  /** Epoch ms. */
  timestamp: number
  topic: NotificationTopic
}

/** The AMQP message properties oslo.messaging's rabbit driver sets (captured from the minicloud). */
export const OSLO_AMQP_PROPERTIES = {
  contentEncoding: 'utf-8',
  contentType: 'application/json',
  deliveryMode: 2,
  headers: {},
  priority: 0,
} as const

/** How oslo declares a notification exchange (topic; `amqp_durable_queues` and `amqp_auto_delete` default False). */
export const OSLO_EXCHANGE_OPTIONS = {autoDelete: false, durable: false} as const

/** `notifications.info`, `versioned_notifications.error`, … */
export function routingKey(n: Pick<OsloNotification, 'priority' | 'topic'>): string {
  return `${n.topic}.${n.priority.toLowerCase()}`
}

/** `str(timeutils.utcnow())`: `2026-11-22 03:03:57.942360` (space, microseconds, no zone). */
export function osloTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.(\d{3})Z$/, '.$1000')
}

/** The message dict oslo sends (before the envelope). */
export function wireMessage(n: OsloNotification, ids: {messageId?: string; uniqueId?: string} = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    event_type: n.eventType,
    message_id: ids.messageId ?? randomUUID(),
    payload: n.payload,
    priority: n.priority,
    publisher_id: n.publisherId,
    timestamp: osloTimestamp(n.timestamp),
    _unique_id: ids.uniqueId ?? randomUUID().replaceAll('-', ''),
  }
  for (const [k, v] of Object.entries(n.context)) out[`_context_${k}`] = v
  return out
}

/** The AMQP body: the 2.0 envelope around the JSON message (v2), or the message itself (v1). */
export function encodeBody(message: Record<string, unknown>, envelope: NotificationEnvelope): Buffer {
  if (envelope === 'v1') return Buffer.from(JSON.stringify(message), 'utf8')
  return Buffer.from(JSON.stringify({'oslo.version': '2.0', 'oslo.message': JSON.stringify(message)}), 'utf8')
}

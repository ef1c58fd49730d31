/**
 * `listen`'s own topology (DESIGN §4, anchors §4): a durable quorum queue bound to every OpenStack
 * notification exchange with `notifications.info|error` (and on `nova` also
 * `versioned_notifications.info|error`), plus its dead-letter queue. Exchanges belong to OpenStack:
 * they are checked passively and a missing one is reported, never created (a guessed declaration
 * with other flags would close the channel, 406). oslo's shared queues are never consumed.
 */
import type amqp from 'amqplib'

import {ConfigError} from '../errors.js'
import {existingExchanges} from './connection.js'

export interface ListenTopology {
  deadLetterQueue: string
  /**
   * Opt-in: declare the exchanges with oslo's flags (topic, auto_delete false, durable = oslo's
   * `amqp_durable_queues`) instead of only checking them. oslo's exchanges are not durable by
   * default, so after a broker restart they exist again only when each service next publishes;
   * declaring them at reconnect binds the queue before that first message. Only safe when the
   * flags are the deployment's: a mismatch makes OpenStack's own declaration fail (406).
   */
  declareExchanges?: {durable: boolean}
  /** x-delivery-limit: deliveries before the broker itself dead-letters a message (crash loops). */
  deliveryLimit: number
  exchanges: readonly string[]
  queue: string
}

export interface Binding {
  exchange: string
  routingKey: string
}

export interface TopologyReport {
  bound: Binding[]
  /** Exchanges that do not exist (yet): not bound, rechecked later. */
  missing: string[]
  /** Set when the queue exists with other arguments: it is used as it is. */
  queueMismatch?: string
}

const OSLO_QUEUE = /^(versioned_)?notifications\.(audit|debug|info|warn|warning|error|critical|sample)$/

/** Refuse oslo.messaging's shared queues: consuming them steals Ceilometer's messages. */
export function assertOwnQueue(name: string, key = 'listen.queue'): void {
  if (name.trim() === '') throw new ConfigError(key, 'is empty', 'queue: concertim-os.notifications')
  if (OSLO_QUEUE.test(name)) {
    throw new ConfigError(key, `'${name}' is oslo.messaging's shared queue: consuming it takes messages away from Ceilometer and every other consumer; name a queue of concertim-os's own`, 'queue: concertim-os.notifications')
  }
}

/** The bindings of the queue to the exchanges that exist. */
export function bindingsFor(exchanges: readonly string[]): Binding[] {
  const out: Binding[] = []
  for (const exchange of exchanges) {
    out.push({exchange, routingKey: 'notifications.info'}, {exchange, routingKey: 'notifications.error'})
    if (exchange === 'nova') out.push({exchange, routingKey: 'versioned_notifications.info'}, {exchange, routingKey: 'versioned_notifications.error'})
  }
  return out
}

/** The main queue's arguments: quorum, dead-lettering to our queue through the default exchange. */
export function queueArguments(t: ListenTopology): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': t.deadLetterQueue,
    'x-delivery-limit': t.deliveryLimit,
    'x-queue-type': 'quorum',
  }
}

export const DEAD_LETTER_ARGUMENTS = {'x-queue-type': 'quorum'} as const

/** Assert a queue on a throwaway channel; a 406 (exists with other arguments) falls back to a passive check. */
async function ensureQueue(conn: amqp.ChannelModel, name: string, args: Record<string, unknown>): Promise<string | undefined> {
  const ch = await conn.createChannel()
  ch.on('error', () => {
    /* a refused declaration closes this channel; handled below */
  })
  try {
    await ch.assertQueue(name, {arguments: args, durable: true})
    await ch.close()
    return undefined
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    if (!/PRECONDITION_FAILED|inequivalent/i.test(message)) throw error
    const check = await conn.createChannel()
    check.on('error', () => undefined)
    await check.checkQueue(name)
    await check.close()
    return message
  }
}

/** Declare the queues, bind to the exchanges that exist, report the missing ones. */
export async function declareTopology(conn: amqp.ChannelModel, t: ListenTopology): Promise<TopologyReport> {
  assertOwnQueue(t.queue)
  assertOwnQueue(t.deadLetterQueue, 'listen.dead_letter_queue')
  if (t.declareExchanges) await declareExchanges(conn, t.exchanges, t.declareExchanges.durable)
  const present = await existingExchanges(conn, t.exchanges)
  const missing = t.exchanges.filter((e) => !present[e])
  await ensureQueue(conn, t.deadLetterQueue, {...DEAD_LETTER_ARGUMENTS})
  const queueMismatch = await ensureQueue(conn, t.queue, queueArguments(t))
  const bound = await bind(conn, t.queue, t.exchanges.filter((e) => present[e]))
  return {bound, missing, queueMismatch}
}

/** Declare exchanges as oslo does; one that exists with other flags is left as it is (its own channel closes). */
async function declareExchanges(conn: amqp.ChannelModel, names: readonly string[], durable: boolean): Promise<void> {
  for (const name of names) {
    const ch = await conn.createChannel()
    ch.on('error', () => undefined)
    try {
      await ch.assertExchange(name, 'topic', {autoDelete: false, durable})
      await ch.close()
    } catch {
      /* exists with other flags (406): OpenStack's declaration stands */
    }
  }
}

/** Bind the queue to exchanges (that exist). */
export async function bind(conn: amqp.ChannelModel, queue: string, exchanges: readonly string[]): Promise<Binding[]> {
  const bindings = bindingsFor(exchanges)
  if (bindings.length === 0) return bindings
  const ch = await conn.createChannel()
  ch.on('error', () => undefined)
  try {
    for (const b of bindings) await ch.bindQueue(queue, b.exchange, b.routingKey)
  } finally {
    await ch.close().catch(() => undefined)
  }
  return bindings
}

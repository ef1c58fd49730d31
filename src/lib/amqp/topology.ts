/**
 * `listen`'s own topology (DESIGN §4, anchors §4): a durable quorum queue bound to every OpenStack
 * notification exchange with `notifications.info|error` (and on `nova` also
 * `versioned_notifications.info|error`), plus its dead-letter queue. Exchanges belong to OpenStack:
 * they are checked passively and a missing one is reported, never created (a guessed declaration
 * with other flags would close the channel, 406). oslo's shared queues are never consumed.
 */
import type amqp from 'amqplib'

import {AppError, ConfigError} from '../errors.js'
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
  /** x-max-length of the dead-letter queue (0 or absent: no bound; the oldest are dropped). */
  deadLetterMaxLength?: number
  /** x-delivery-limit: deliveries before the broker itself dead-letters a message (crash loops). */
  deliveryLimit: number
  exchanges: readonly string[]
  /**
   * x-max-length of the queue (0 or absent: no bound): while listen is stopped it would grow without
   * limit. What overflows is dropped (`drop-head`: the oldest, dead-lettered) or refused to the
   * publisher (`reject-publish`); `sync` repairs what is lost either way.
   */
  maxLength?: number
  overflow?: 'drop-head' | 'reject-publish'
  queue: string
}

export interface Binding {
  exchange: string
  routingKey: string
}

export interface TopologyReport {
  bound: Binding[]
  /**
   * Exchanges that exist with other flags than `declareExchanges` says (the 406 of our declaration):
   * OpenStack's own declaration would fail the same way after a broker restart, once they were
   * declared our way, and every notification on them be dropped.
   */
  flagMismatch: string[]
  /** Exchanges that do not exist (yet): not bound, rechecked later. */
  missing: string[]
}

/**
 * The queue exists with other arguments than the configuration asks for (406 PRECONDITION_FAILED):
 * RabbitMQ cannot change a queue's arguments. The message says how to migrate.
 */
export class QueueArgumentsError extends AppError {
  constructor(queue: string, key: string, detail: string) {
    super(
      `queue '${queue}' exists with other arguments than listen's configuration asks for (${detail}); RabbitMQ cannot change the arguments of a queue`,
      {
        code: 'E_QUEUE_ARGUMENTS',
        hint: `either stop every listen, delete the queue (rabbitmqctl delete_queue '${queue}': the messages in it are lost), start listen (it declares the queue anew) and run \`concertim-os sync\`; or keep the queue as it is: set ${key} to its present value (0 for none) and bound it with a policy instead (rabbitmqctl set_policy concertim-os-bound '^${queue.replaceAll('.', String.raw`\.`)}$' '{"max-length":100000,"overflow":"drop-head"}' --apply-to queues). See the README, listen, "Queue bounds".`,
      },
    )
    this.name = 'QueueArgumentsError'
  }
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

/** The main queue's arguments: quorum, dead-lettering to our queue through the default exchange, bounded. */
export function queueArguments(t: ListenTopology): Record<string, unknown> {
  return {
    'x-dead-letter-exchange': '',
    'x-dead-letter-routing-key': t.deadLetterQueue,
    'x-delivery-limit': t.deliveryLimit,
    ...((t.maxLength ?? 0) > 0 ? {'x-max-length': t.maxLength, 'x-overflow': t.overflow ?? 'drop-head'} : {}),
    'x-queue-type': 'quorum',
  }
}

/** The dead-letter queue's arguments: quorum, bounded (the oldest dropped: it has no dead-letter exchange). */
export function deadLetterArguments(t: ListenTopology): Record<string, unknown> {
  return {...((t.deadLetterMaxLength ?? 0) > 0 ? {'x-max-length': t.deadLetterMaxLength, 'x-overflow': 'drop-head'} : {}), 'x-queue-type': 'quorum'}
}

/** The AMQP reply code of a refused operation (amqplib puts it on the error). */
export function replyCode(error: unknown): number | undefined {
  const code = (error as {code?: unknown} | null)?.code
  return typeof code === 'number' ? code : undefined
}

/** Assert a queue on a throwaway channel; a 406 (exists with other arguments) is a `QueueArgumentsError`. */
async function ensureQueue(conn: amqp.ChannelModel, name: string, args: Record<string, unknown>, key: string): Promise<void> {
  const ch = await conn.createChannel()
  ch.on('error', () => {
    /* a refused declaration closes this channel; handled below */
  })
  try {
    await ch.assertQueue(name, {arguments: args, durable: true})
    await ch.close()
  } catch (error) {
    if (replyCode(error) !== 406) throw error
    const detail = (error instanceof Error ? error.message : String(error)).replace(/^Operation failed: QueueDeclare; /, '')
    throw new QueueArgumentsError(name, key, detail)
  }
}

/**
 * Declare the queues, bind to the exchanges that exist, report the missing ones. With
 * `declareExchanges`, an exchange that exists is checked against our flags first: one that differs
 * (406) is reported in `flagMismatch` and never declared by us (the caller stops declaring it).
 */
export async function declareTopology(conn: amqp.ChannelModel, t: ListenTopology): Promise<TopologyReport> {
  assertOwnQueue(t.queue)
  assertOwnQueue(t.deadLetterQueue, 'listen.dead_letter_queue')
  const flagMismatch = t.declareExchanges ? await declareExchanges(conn, t.exchanges, t.declareExchanges.durable) : []
  const present = await existingExchanges(conn, t.exchanges)
  const missing = t.exchanges.filter((e) => !present[e])
  await ensureQueue(conn, t.queue, queueArguments(t), 'listen.max_length (and listen.overflow, listen.delivery_limit)')
  await ensureQueue(conn, t.deadLetterQueue, deadLetterArguments(t), 'listen.dead_letter_max_length')
  const bound = await bind(conn, t.queue, t.exchanges.filter((e) => present[e]))
  return {bound, flagMismatch, missing}
}

/** Declare exchanges as oslo does; those that exist with other flags (406) are left as they are and returned. */
async function declareExchanges(conn: amqp.ChannelModel, names: readonly string[], durable: boolean): Promise<string[]> {
  const mismatch: string[] = []
  for (const name of names) {
    const ch = await conn.createChannel()
    ch.on('error', () => undefined)
    try {
      await ch.assertExchange(name, 'topic', {autoDelete: false, durable})
      await ch.close()
    } catch (error) {
      if (replyCode(error) === 406) mismatch.push(name)
      else throw error
    }
  }
  return mismatch
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

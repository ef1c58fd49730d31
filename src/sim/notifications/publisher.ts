/**
 * Publishes the simulated cloud's notifications on RabbitMQ as OpenStack's oslo.messaging notifier
 * does: every `change` event of the world becomes the notifications of the service that made it,
 * in order, on a confirm channel. Exchanges are declared as oslo declares them (topic, not durable,
 * not auto-deleted) and, like oslo's `_publish_and_creates_default_queue`, the default queue named
 * after each routing key so that nothing is lost before a consumer binds.
 * A broker failure never crashes the simulator: the notifications of that moment are counted as
 * dropped, `lastError` keeps the reason, and the next change reconnects (at most once a second).
 */
import amqp from 'amqplib'

import type {World, WorldChange} from '../world.js'
import {DEFAULT_EXCHANGES, type NotificationOptions, notificationsFor, type ServiceExchanges} from './events.js'
import {encodeBody, type NotificationEnvelope, type NotificationFormat, OSLO_AMQP_PROPERTIES, OSLO_EXCHANGE_OPTIONS, type OsloNotification, routingKey, wireMessage} from './oslo.js'

export interface PublisherOptions {
  /** Declare the oslo default queues (`notifications.info`, …) bound to each exchange; default true. */
  declareDefaultQueues?: boolean
  envelope?: NotificationEnvelope
  /** Override control exchanges (e.g. `{cinder: 'cinder'}` for a cloud that sets `control_exchange = cinder`). */
  exchanges?: Partial<ServiceExchanges>
  format?: NotificationFormat
  glanceUrl?: string
  /** `amqp://user:pass@host:port/vhost` */
  url: string
}

export interface PublisherStats {
  confirmed: number
  /** Notifications not delivered because the broker was unreachable or refused them. */
  dropped: number
  lastError: string | null
  published: number
}

export class NotificationPublisher {
  readonly options: NotificationOptions & {declareDefaultQueues: boolean; envelope: NotificationEnvelope}
  private channel?: amqp.ConfirmChannel
  private connection?: amqp.ChannelModel
  private readonly declared = new Set<string>()
  private lastAttempt = 0
  private readonly listener = (change: WorldChange): void => {
    this.enqueue(change)
  }
  private readonly counters: PublisherStats = {confirmed: 0, dropped: 0, lastError: null, published: 0}
  private stopped = false
  private tail: Promise<void> = Promise.resolve()

  constructor(
    private readonly world: World,
    private readonly url: string,
    opts: Omit<PublisherOptions, 'url'> = {},
  ) {
    this.options = {
      declareDefaultQueues: opts.declareDefaultQueues ?? true,
      envelope: opts.envelope ?? 'v2',
      exchanges: {...DEFAULT_EXCHANGES, ...opts.exchanges},
      format: opts.format ?? 'both',
      glanceUrl: opts.glanceUrl ?? 'http://127.0.0.1:9292',
    }
  }

  /** Connect (a failure is recorded, not thrown) and start publishing every change of the world. */
  async start(): Promise<void> {
    this.world.events.on('change', this.listener)
    await this.ensureChannel()
  }

  /** Wait until every notification of the changes so far is confirmed (or dropped). */
  async flush(): Promise<void> {
    await this.tail
  }

  stats(): PublisherStats {
    return {...this.counters}
  }

  async stop(): Promise<void> {
    this.world.events.off('change', this.listener)
    await this.tail
    this.stopped = true
    const conn = this.connection
    this.connection = undefined
    this.channel = undefined
    await conn?.close().catch(() => undefined)
  }

  private enqueue(change: WorldChange): void {
    if (this.stopped) return
    const notifications = notificationsFor(this.world, change, this.options)
    this.tail = this.tail.then(() => this.publishAll(notifications)).catch((error: unknown) => this.fail(error, notifications.length))
  }

  private async publishAll(notifications: OsloNotification[]): Promise<void> {
    if (notifications.length === 0) return
    const ch = await this.ensureChannel()
    if (ch === undefined) {
      this.counters.dropped += notifications.length
      return
    }
    for (const n of notifications) {
       
      await this.declare(ch, n)
      const body = encodeBody(wireMessage(n), this.options.envelope)
      ch.publish(n.exchange, routingKey(n), body, {...OSLO_AMQP_PROPERTIES, headers: {}})
      this.counters.published++
    }
    await ch.waitForConfirms()
    this.counters.confirmed += notifications.length
  }

  private async declare(ch: amqp.ConfirmChannel, n: OsloNotification): Promise<void> {
    const key = routingKey(n)
    if (!this.declared.has(n.exchange)) {
      await ch.assertExchange(n.exchange, 'topic', OSLO_EXCHANGE_OPTIONS)
      this.declared.add(n.exchange)
    }
    if (this.options.declareDefaultQueues && !this.declared.has(`${n.exchange}\u0000${key}`)) {
      await ch.assertQueue(key, {autoDelete: false, durable: false})
      await ch.bindQueue(key, n.exchange, key)
      this.declared.add(`${n.exchange}\u0000${key}`)
    }
  }

  private async ensureChannel(): Promise<amqp.ConfirmChannel | undefined> {
    if (this.channel) return this.channel
    if (this.stopped || Date.now() - this.lastAttempt < 1000) return undefined
    this.lastAttempt = Date.now()
    try {
      const conn = await amqp.connect(this.url, {timeout: 5000})
      conn.on('error', (error: Error) => {
        this.counters.lastError = error.message
      })
      conn.on('close', () => {
        if (this.connection === conn) {
          this.connection = undefined
          this.channel = undefined
          this.declared.clear()
        }
      })
      const ch = await conn.createConfirmChannel()
      ch.on('error', (error: Error) => {
        this.counters.lastError = error.message
      })
      ch.on('close', () => {
        if (this.channel === ch) {
          this.channel = undefined
          this.declared.clear()
        }
      })
      this.connection = conn
      this.channel = ch
      return ch
    } catch (error) {
      this.counters.lastError = error instanceof Error ? error.message : String(error)
      return undefined
    }
  }

  private fail(error: unknown, count: number): void {
    this.counters.lastError = error instanceof Error ? error.message : String(error)
    this.counters.dropped += count
    const ch = this.channel
    this.channel = undefined
    this.declared.clear()
    void ch?.close().catch(() => undefined)
  }
}

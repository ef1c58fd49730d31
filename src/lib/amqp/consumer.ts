/**
 * The resident, recovering consumer of `listen`'s queue (ecosystem §4). amqplib's built-in recovery
 * reconnects after a lost connection and re-runs `setup`, which re-declares the topology and
 * consumes again; a channel the broker closes while the connection stays up (a refused operation,
 * `consumer_timeout`, the queue deleted, a consumer cancel) is reopened here — amqplib does not.
 * Acks go only to the channel a message came on: after a reconnect, the old deliveries cannot be
 * acked and the broker redelivers them (idempotent reconcile; duplicates are dropped by message id).
 * Exchanges missing at start are rechecked periodically and bound when they appear.
 */
import amqp, {type ConfirmChannel, type ConsumeMessage} from 'amqplib'

import type {Delivery} from '../listen/dispatcher.js'
import type {Logger} from '../output/logger.js'
import type {AmqpTarget} from './connection.js'
import {existingExchanges} from './connection.js'
import {bind, declareTopology, type ListenTopology} from './topology.js'

export interface ConsumerOptions {
  /** Reopen a broker-closed channel after this long (doubling up to 30 s while it keeps failing). */
  channelRetryMs?: number
  /** Shown in the broker's connection list. */
  connectionName: string
  /**
   * Recheck missing exchanges this often (ms; default 5 s); 0 = never. oslo declares its exchanges
   * non-durable: after a broker restart they exist again only once each service publishes, and
   * what is published before they are bound again reaches only oslo's own queues.
   */
  exchangeRecheckMs?: number
  /** Give up starting after this many failed connection attempts (systemd restarts us). */
  initialMaxRetries?: number
  logger: Logger
  onDelivery(delivery: Delivery): void
  /** Recovery gave up: the process cannot do its job. */
  onFatal(error: Error): void
  prefetch: number
  /** Reconnect backoff (ms). */
  reconnect?: {initialDelay?: number; maxDelay?: number}
  target: AmqpTarget
  topology: ListenTopology
}

export interface ConsumerStatus {
  channelRecoveries: number
  connected: boolean
  consuming: boolean
  missingExchanges: string[]
  reconnects: number
}

interface OpenChannel {
  ch: ConfirmChannel
  closed: boolean
  consumerTag?: string
  model: amqp.ChannelModel
}

export class NotificationConsumer {
  private channel?: OpenChannel
  private channelFailures = 0
  private conn?: Awaited<ReturnType<typeof connectRecovering>>
  private connects = 0
  private missing: string[] = []
  private model?: amqp.ChannelModel
  private recheckTimer?: NodeJS.Timeout
  private readonly counts = {channelRecoveries: 0}
  private reopenTimer?: NodeJS.Timeout
  private stopping = false

  constructor(private readonly o: ConsumerOptions) {}

  status(): ConsumerStatus {
    return {
      channelRecoveries: this.counts.channelRecoveries,
      connected: this.model !== undefined,
      consuming: !this.stopping && this.channel !== undefined && !this.channel.closed && this.channel.consumerTag !== undefined,
      missingExchanges: [...this.missing],
      reconnects: Math.max(0, this.connects - 1),
    }
  }

  /** Connect, declare, consume. Rejects when the broker stays unreachable (`initialMaxRetries`). */
  async start(): Promise<void> {
    const {logger} = this.o
    const conn = await connectRecovering(this.o, async (model) => {
      this.model = model
      this.connects++
      await this.openChannel(model)
    })
    this.conn = conn
    conn.on('error', (err: Error) => logger.warn({err}, 'RabbitMQ connection error'))
    conn.on('disconnect', (err: Error) => {
      this.model = undefined
      logger.warn({err}, 'RabbitMQ connection lost; reconnecting')
    })
    conn.on('reconnect-scheduled', (info: {attempt: number; delay: number}) => logger.info({attempt: info.attempt, delayMs: info.delay}, 'reconnect scheduled'))
    conn.on('connect-failed', (err: Error) => logger.warn({err}, 'reconnect failed'))
    conn.on('connect', () => logger.info({reconnects: Math.max(0, this.connects - 1)}, 'connected to RabbitMQ'))
    conn.on('reconnect-failed', (err: Error) => this.o.onFatal(err))
    conn.on('blocked', (reason: string) => logger.warn({reason}, 'broker blocked the connection (resource alarm)'))
    conn.on('handler-error', (err: Error, event: string) => logger.error({err, event}, 'amqp event handler failed'))
    if ((this.o.exchangeRecheckMs ?? 5000) > 0) {
      this.recheckTimer = setInterval(() => this.recheckExchanges(), this.o.exchangeRecheckMs ?? 5000)
      this.recheckTimer.unref()
    }
  }

  /** Stop new deliveries (basic.cancel); deliveries already received are still acked. */
  async stopConsuming(): Promise<void> {
    this.stopping = true
    clearTimeout(this.reopenTimer)
    clearInterval(this.recheckTimer)
    const c = this.channel
    if (c && !c.closed && c.consumerTag !== undefined) {
      await c.ch.cancel(c.consumerTag).catch(() => undefined)
    }
  }

  /** Close the channel (which flushes pending acks), then the connection; unacked messages return to the queue. */
  async close(): Promise<void> {
    this.stopping = true
    clearTimeout(this.reopenTimer)
    clearInterval(this.recheckTimer)
    const c = this.channel
    this.channel = undefined
    if (c && !c.closed) await c.ch.close().catch(() => undefined)
    await this.conn?.close().catch(() => undefined)
    this.model = undefined
  }

  private async openChannel(model: amqp.ChannelModel): Promise<void> {
    const {logger, topology} = this.o
    const report = await declareTopology(model, topology)
    this.missing = report.missing
    if (report.missing.length > 0) logger.warn({missing: report.missing}, 'notification exchanges missing (not created; rechecked later)')
    if (report.queueMismatch) logger.warn({queue: topology.queue, reason: report.queueMismatch}, 'queue exists with other arguments; using it as it is')
    const ch = await model.createConfirmChannel()
    const open: OpenChannel = {ch, closed: false, model}
    ch.on('error', (err: Error) => logger.warn({err}, 'channel closed by the broker'))
    ch.on('close', () => {
      open.closed = true
      if (this.channel !== open) return
      this.channel = undefined
      if (!this.stopping && this.model === model) this.scheduleReopen(model)
    })
    await ch.prefetch(this.o.prefetch)
    this.channel = open
    const ok = await ch.consume(topology.queue, (msg) => {
      if (msg === null) {
        logger.warn({queue: topology.queue}, 'consumer cancelled by the broker; reopening')
        if (!open.closed) void ch.close().catch(() => undefined)
        return
      }
      this.o.onDelivery(this.delivery(open, msg))
    })
    open.consumerTag = ok.consumerTag
    this.channelFailures = 0
    logger.info({bindings: report.bound.length, prefetch: this.o.prefetch, queue: topology.queue}, 'consuming')
  }

  private scheduleReopen(model: amqp.ChannelModel): void {
    const base = this.o.channelRetryMs ?? 1000
    const delay = Math.min(30_000, base * 2 ** this.channelFailures)
    this.reopenTimer = setTimeout(() => {
      if (this.stopping || this.model !== model || this.channel !== undefined) return
      this.openChannel(model).then(
        () => {
          this.counts.channelRecoveries++
          this.o.logger.info('channel recovered')
        },
        (error: unknown) => {
          this.channelFailures++
          this.o.logger.warn({err: error}, 'channel reopen failed')
          if (!this.stopping && this.model === model && this.channel === undefined) this.scheduleReopen(model)
        },
      )
    }, delay)
  }

  private recheckExchanges(): void {
    const model = this.model
    if (this.missing.length === 0 || model === undefined || this.stopping) return
    const check = async () => {
      const present = await existingExchanges(model, this.missing)
      const appeared = this.missing.filter((e) => present[e])
      if (appeared.length === 0) return
      await bind(model, this.o.topology.queue, appeared)
      this.missing = this.missing.filter((e) => !present[e])
      this.o.logger.info({exchanges: appeared}, 'exchanges appeared: bound')
    }
    check().catch((error: unknown) => this.o.logger.warn({err: error}, 'exchange recheck failed'))
  }

  private delivery(open: OpenChannel, msg: ConsumeMessage): Delivery {
    const dlq = this.o.topology.deadLetterQueue
    let settled = false
    const usable = () => !settled && !open.closed && this.channel === open
    return {
      ack: () => {
        if (!usable()) return false
        settled = true
        open.ch.ack(msg)
        return true
      },
      body: msg.content,
      async deadLetter(reason: string): Promise<boolean> {
        if (!usable()) return false
        const headers = {
          ...msg.properties.headers,
          'x-concertim-os-exchange': msg.fields.exchange,
          'x-concertim-os-failed-at': new Date().toISOString(),
          'x-concertim-os-reason': reason,
          'x-concertim-os-routing-key': msg.fields.routingKey,
        }
        open.ch.sendToQueue(dlq, msg.content, {contentEncoding: msg.properties.contentEncoding, contentType: msg.properties.contentType, headers, persistent: true})
        await open.ch.waitForConfirms()
        if (!usable()) return false
        settled = true
        open.ch.ack(msg)
        return true
      },
      redelivered: msg.fields.redelivered,
    }
  }
}

async function connectRecovering(o: ConsumerOptions, setup: (model: amqp.ChannelModel) => Promise<void>) {
  return amqp.connect(o.target.url, {
    ...o.target.socketOptions,
    clientProperties: {connection_name: o.connectionName},
    recovery: {
      initialDelay: o.reconnect?.initialDelay ?? 200,
      initialMaxRetries: o.initialMaxRetries ?? 5,
      maxDelay: o.reconnect?.maxDelay ?? 10_000,
      maxRetries: Number.POSITIVE_INFINITY,
      setup,
    },
  })
}

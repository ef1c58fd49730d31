/**
 * The resident, recovering consumer of `listen`'s queue (ecosystem §4). amqplib's built-in recovery
 * reconnects after a lost connection and re-runs `setup`, which re-declares the topology and
 * consumes again; a channel the broker closes while the connection stays up (a refused operation,
 * `consumer_timeout`, the queue deleted, a consumer cancel) is reopened here — amqplib does not.
 * Acks go only to the channel a message came on: after a reconnect, the old deliveries cannot be
 * acked and the broker redelivers them (idempotent reconcile; duplicates are dropped by message id).
 * Exchanges missing at start are rechecked periodically and bound when they appear.
 *
 * What listen may have missed is said through `onGap`: after a reconnect, a reopened channel, an
 * exchange bound late (oslo's exchanges are not durable: after a broker restart they come back when
 * a service publishes, and what it publishes before they are bound is not ours) — the service then
 * runs a full reconcile. The raw connection has an `error` listener from the moment recovery hands it
 * over, set-up included (amqplib binds its own only after `setup`: a broker error during set-up would
 * otherwise be an uncaught exception). The queue's consumers are counted (a passive declare) before
 * consuming and periodically: another listener on the queue is reported (`onOtherConsumers`).
 */
import amqp, {type ConfirmChannel, type ConsumeMessage} from 'amqplib'

import type {Delivery} from '../listen/dispatcher.js'
import type {Logger} from '../output/logger.js'
import {AppError} from '../errors.js'
import type {AmqpTarget} from './connection.js'
import {existingExchanges, withConnection} from './connection.js'
import {bind, declareTopology, type ListenTopology, QueueArgumentsError} from './topology.js'

/** Other consumers are on the queue and the caller asked to be the only one. */
export class OtherConsumersError extends AppError {
  constructor(
    readonly queue: string,
    readonly count: number,
  ) {
    super(`${count} other consumer${count === 1 ? ' is' : 's are'} already on queue '${queue}': another listen runs against it`, {
      code: 'E_OTHER_CONSUMERS',
      hint: "with the file store only one listen may consume a queue (its watermarks and payload states are this process's own): stop the other one, or use store.type: redis to run several (see the README, listen, \"Scaling out\")",
    })
    this.name = 'OtherConsumersError'
  }
}

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
  /** Count the queue's consumers this often (ms; 0 = only at start). */
  consumerCheckMs?: number
  /** Give up starting after this many failed connection attempts (systemd restarts us). */
  initialMaxRetries?: number
  logger: Logger
  onDelivery(delivery: Delivery): void
  /** Recovery gave up, or the topology cannot be declared as configured: the process cannot do its job. */
  onFatal(error: Error): void
  /** Something may have been missed (a reconnect, a reopened channel, an exchange bound late). */
  onGap?: (reason: string) => void
  /** The number of other consumers on the queue changed (checked at start and every `consumerCheckMs`). */
  onOtherConsumers?: (count: number) => void
  /** Refuse to start when another consumer is on the queue (`OtherConsumersError`). */
  refuseOtherConsumers?: boolean
  /** Test seam: runs first in every connection's set-up. */
  beforeSetup?: (model: amqp.ChannelModel, connects: number) => Promise<void>
  prefetch: number
  /** Reconnect backoff (ms). */
  reconnect?: {initialDelay?: number; maxDelay?: number}
  target: AmqpTarget
  topology: ListenTopology
}

export interface ConsumerStatus {
  /** Notification exchanges bound to the queue (those of the topology that are not missing). */
  boundExchanges: number
  channelRecoveries: number
  connected: boolean
  consuming: boolean
  /** Exchanges that exist with other flags than listen.declare_exchanges_durable says (see `TopologyReport`). */
  exchangeFlagMismatch: string[]
  missingExchanges: string[]
  /** Other consumers on the queue at the last count. */
  otherConsumers: number
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
  private connectedOnce = false
  private connects = 0
  private consumerTimer?: NodeJS.Timeout
  private flagMismatch: string[] = []
  private missing: string[] = []
  private others = 0
  private model?: amqp.ChannelModel
  private recheckTimer?: NodeJS.Timeout
  private readonly counts = {channelRecoveries: 0}
  private reopenTimer?: NodeJS.Timeout
  private stopping = false

  constructor(private readonly o: ConsumerOptions) {}

  status(): ConsumerStatus {
    return {
      boundExchanges: this.o.topology.exchanges.length - this.missing.length,
      channelRecoveries: this.counts.channelRecoveries,
      connected: this.model !== undefined,
      consuming: !this.stopping && this.channel !== undefined && !this.channel.closed && this.channel.consumerTag !== undefined,
      exchangeFlagMismatch: [...this.flagMismatch],
      missingExchanges: [...this.missing],
      otherConsumers: this.others,
      reconnects: Math.max(0, this.connects - 1),
    }
  }

  /**
   * Connect, declare, consume. Rejects when the broker stays unreachable (`initialMaxRetries`), when
   * the queue exists with other arguments (`QueueArgumentsError`), or when another consumer is on the
   * queue and `refuseOtherConsumers` (`OtherConsumersError`).
   */
  async start(): Promise<void> {
    const {logger} = this.o
    await this.preflight()
    const conn = await connectRecovering(this.o, async (model: amqp.ChannelModel) => {
      // amqplib listens for the connection's errors only once set-up is done: until then, ours
      // (an 'error' without a listener is an uncaught exception). Afterwards amqplib's forwards them.
      let settingUp = true
      model.on('error', (err: Error) => {
        if (settingUp) logger.warn({err}, 'RabbitMQ connection error during set-up')
      })
      this.model = model
      this.connects++
      try {
        await this.o.beforeSetup?.(model, this.connects)
        await this.openChannel(model)
      } catch (error) {
        if (this.model === model) this.model = undefined
        // A configuration the broker refuses will not get better by reconnecting.
        if (error instanceof QueueArgumentsError && this.connectedOnce) this.o.onFatal(error)
        throw error
      } finally {
        settingUp = false
      }
      if (this.connectedOnce) this.o.onGap?.('reconnected to RabbitMQ')
      this.connectedOnce = true
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
    if ((this.o.exchangeRecheckMs ?? 1000) > 0) {
      this.recheckTimer = setInterval(() => this.recheckExchanges(), this.o.exchangeRecheckMs ?? 1000)
      this.recheckTimer.unref()
    }
    if ((this.o.consumerCheckMs ?? 0) > 0) {
      this.consumerTimer = setInterval(() => this.countConsumers(), this.o.consumerCheckMs)
      this.consumerTimer.unref()
    }
  }

  /**
   * Before the resident connection: declare the topology and count the queue's consumers on a
   * short connection, so that a refused declaration or another listener ends the start at once with
   * a clear error. A broker that cannot be reached is left to the recovering connection's retries.
   */
  private async preflight(): Promise<void> {
    let others: number
    try {
      others = await withConnection(this.o.target, async (conn) => {
        await declareTopology(conn, this.topology())
        return consumersOn(conn, this.o.topology.queue)
      })
    } catch (error) {
      if (error instanceof AppError) throw error
      this.o.logger.debug({err: error}, 'preflight check not possible; connecting with retries')
      return
    }
    this.noteOthers(others)
    if (others > 0 && this.o.refuseOtherConsumers === true) throw new OtherConsumersError(this.o.topology.queue, others)
  }

  /** The topology to declare: without declaring exchanges once their flags proved not to be OpenStack's. */
  private topology(): ListenTopology {
    if (this.flagMismatch.length === 0 || this.o.topology.declareExchanges === undefined) return this.o.topology
    const {declareExchanges: _ignored, ...rest} = this.o.topology
    return rest
  }

  private noteOthers(count: number): void {
    if (count === this.others) return
    this.others = count
    this.o.onOtherConsumers?.(count)
  }

  private countConsumers(): void {
    const model = this.model
    if (model === undefined || this.stopping) return
    const consuming = this.channel?.consumerTag !== undefined && !this.channel.closed ? 1 : 0
    consumersOn(model, this.o.topology.queue).then(
      (n) => this.noteOthers(Math.max(0, n - consuming)),
      (error: unknown) => this.o.logger.debug({err: error}, 'consumer count failed'),
    )
  }

  /** Stop new deliveries (basic.cancel); deliveries already received are still acked. */
  async stopConsuming(): Promise<void> {
    this.stopping = true
    clearTimeout(this.reopenTimer)
    clearInterval(this.recheckTimer)
    clearInterval(this.consumerTimer)
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
    clearInterval(this.consumerTimer)
    const c = this.channel
    this.channel = undefined
    if (c && !c.closed) await c.ch.close().catch(() => undefined)
    await this.conn?.close().catch(() => undefined)
    this.model = undefined
  }

  private async openChannel(model: amqp.ChannelModel): Promise<void> {
    const {logger, topology} = this.o
    const report = await declareTopology(model, this.topology())
    this.missing = report.missing
    if (report.missing.length > 0) logger.warn({missing: report.missing}, 'notification exchanges missing (not created; rechecked later)')
    if (report.flagMismatch.length > 0) {
      this.flagMismatch = [...new Set([...this.flagMismatch, ...report.flagMismatch])]
      logger.error(
        {exchanges: this.flagMismatch},
        `listen.declare_exchanges_durable (${String(topology.declareExchanges?.durable)}) does not match how OpenStack declared these exchanges: were they declared our way after a broker restart, OpenStack's own declaration would fail (406) and every notification on them be dropped. listen no longer declares them; set listen.declare_exchanges_durable to oslo's amqp_durable_queues (${String(!topology.declareExchanges?.durable)} here) or remove it`,
      )
    }
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
    this.countConsumers()
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
          this.o.onGap?.('channel reopened')
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
      // What was published on them before they were bound did not reach our queue.
      this.o.onGap?.(`exchanges bound late: ${appeared.join(', ')}`)
    }
    check().catch((error: unknown) => this.o.logger.warn({err: error}, 'exchange recheck failed'))
  }

  private delivery(open: OpenChannel, msg: ConsumeMessage): Delivery {
    const dlq = this.o.topology.deadLetterQueue
    const content = ownBytes(msg.content)
    let settled = false
    const usable = () => !settled && !open.closed && this.channel === open
    return {
      ack: () => {
        if (!usable()) return false
        settled = true
        open.ch.ack(msg)
        return true
      },
      body: content,
      async deadLetter(reason: string): Promise<boolean> {
        if (!usable()) return false
        const headers = {
          ...msg.properties.headers,
          'x-concertim-os-exchange': msg.fields.exchange,
          'x-concertim-os-failed-at': new Date().toISOString(),
          'x-concertim-os-reason': reason,
          'x-concertim-os-routing-key': msg.fields.routingKey,
        }
        open.ch.sendToQueue(dlq, content, {contentEncoding: msg.properties.contentEncoding, contentType: msg.properties.contentType, headers, persistent: true})
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

/**
 * A message's body in memory of its own. amqplib hands out a single-frame body as a slice of the
 * socket's read chunk (up to 64 KiB), so holding a 3 KiB notification until it is settled (up to
 * `prefetch` of them) kept its whole chunk alive: ~40 MB of buffers at a backlog of 500.
 */
export function ownBytes(body: Buffer): Buffer {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) return body
  const own = Buffer.allocUnsafeSlow(body.byteLength)
  body.copy(own)
  return own
}

/** Consumers on a queue (a passive declare on a throwaway channel; 0 when the queue does not exist). */
async function consumersOn(conn: amqp.ChannelModel, queue: string): Promise<number> {
  const ch = await conn.createChannel()
  ch.on('error', () => undefined)
  try {
    const ok = await ch.checkQueue(queue)
    await ch.close().catch(() => undefined)
    return ok.consumerCount
  } catch {
    return 0
  }
}

async function connectRecovering(o: ConsumerOptions, setup: (model: amqp.ChannelModel) => Promise<void>) {
  return amqp.connect(o.target.url, {
    ...o.target.socketOptions,
    clientProperties: {connection_name: o.connectionName},
    recovery: {
      initialDelay: o.reconnect?.initialDelay ?? 100,
      initialMaxRetries: o.initialMaxRetries ?? 5,
      maxDelay: o.reconnect?.maxDelay ?? 2000,
      maxRetries: Number.POSITIVE_INFINITY,
      setup,
    },
  })
}

/**
 * `listen` assembled: the recovering consumer feeds the dispatcher; the health endpoint and the
 * periodic summary line report on both; `stop` is the clean shutdown of DESIGN §4: stop consuming,
 * finish in-flight work (bounded by the drain timeout), ack, close the channel, then the connection.
 */
import type {AmqpTarget} from '../amqp/connection.js'
import {NotificationConsumer} from '../amqp/consumer.js'
import type {ListenTopology} from '../amqp/topology.js'
import type {Logger} from '../output/logger.js'
import {Dispatcher, type DispatcherOptions} from './dispatcher.js'
import {type HealthReport, type HealthServer, startHealthServer} from './health.js'
import type {BackoffOptions, ReconcileEntity} from './policy.js'
import {ListenStats} from './stats.js'
import type {Watermarks} from './watermarks.js'

export interface ListenServiceOptions {
  /** What an entity's reconcile writes (reconciles writing one rack run one at a time); see `Dispatcher`. */
  claim?: DispatcherOptions['claim']
  /** Entities reconciled at once. */
  concurrency?: number
  connectionName: string
  deadLetterMalformed: boolean
  debounceMs: number
  /** Bound on finishing in-flight work at shutdown (ms). */
  drainTimeoutMs: number
  exchangeRecheckMs?: number
  healthHost?: string
  /** Serve /healthz on this port (0 = any free port; undefined = no server). */
  healthPort?: number
  initialMaxRetries?: number
  logger: Logger
  maxAttempts: number
  prefetch: number
  reconcile: ReconcileEntity
  reconnect?: {initialDelay?: number; maxDelay?: number}
  retry: BackoffOptions
  /** Log the summary line this often (ms); 0 = only at shutdown. */
  summaryIntervalMs: number
  target: AmqpTarget
  topology: ListenTopology
  watermarks: Watermarks
}

export interface StopResult {
  /** Messages left unacked for redelivery. */
  abandoned: number
  summary: Record<string, number>
}

export class ListenService {
  readonly consumer: NotificationConsumer
  readonly dispatcher: Dispatcher
  /** Rejects when the service cannot go on (recovery gave up). */
  readonly failed: Promise<never>
  readonly stats = new ListenStats()
  private fail!: (error: Error) => void
  private health?: HealthServer
  private stopped?: Promise<StopResult>
  private summaryTimer?: NodeJS.Timeout

  constructor(private readonly o: ListenServiceOptions) {
    this.failed = new Promise<never>((_, reject) => {
      this.fail = reject
    })
    this.failed.catch(() => undefined)
    this.dispatcher = new Dispatcher({
      ...(o.claim === undefined ? {} : {claim: o.claim}),
      concurrency: o.concurrency,
      deadLetterMalformed: o.deadLetterMalformed,
      debounceMs: o.debounceMs,
      logger: o.logger,
      maxAttempts: o.maxAttempts,
      reconcile: o.reconcile,
      retry: o.retry,
      stats: this.stats,
      watermarks: o.watermarks,
    })
    this.consumer = new NotificationConsumer({
      connectionName: o.connectionName,
      exchangeRecheckMs: o.exchangeRecheckMs,
      initialMaxRetries: o.initialMaxRetries,
      logger: o.logger,
      onDelivery: (d) => this.dispatcher.receive(d),
      onFatal: (error) => this.fail(error),
      prefetch: o.prefetch,
      reconnect: o.reconnect,
      target: o.target,
      topology: o.topology,
    })
  }

  /** The health endpoint's port, when it runs. */
  get healthPort(): number | undefined {
    return this.health?.port
  }

  report(): HealthReport {
    const s = this.consumer.status()
    return {...s, inFlight: this.dispatcher.inFlight, queue: this.o.topology.queue, ...this.stats.summary()}
  }

  async start(): Promise<void> {
    if (this.o.healthPort !== undefined) this.health = await startHealthServer(this.o.healthPort, this.o.healthHost ?? '127.0.0.1', () => this.report())
    try {
      await this.consumer.start()
    } catch (error) {
      await this.health?.close()
      throw error
    }
    if (this.o.summaryIntervalMs > 0) {
      this.summaryTimer = setInterval(() => this.o.logger.info(this.stats.summary(), 'summary'), this.o.summaryIntervalMs)
      this.summaryTimer.unref()
    }
  }

  /** Clean shutdown (idempotent). */
  async stop(): Promise<StopResult> {
    this.stopped ??= this.doStop()
    return this.stopped
  }

  private async doStop(): Promise<StopResult> {
    const {logger} = this.o
    clearInterval(this.summaryTimer)
    logger.info({inFlight: this.dispatcher.inFlight}, 'stopping: no new deliveries, finishing in-flight work')
    await this.consumer.stopConsuming()
    const abandoned = await this.dispatcher.drain(this.o.drainTimeoutMs)
    await this.consumer.close()
    await this.health?.close()
    const summary = this.stats.summary()
    logger.info({...summary, leftForRedelivery: abandoned}, 'stopped')
    return {abandoned, summary}
  }
}

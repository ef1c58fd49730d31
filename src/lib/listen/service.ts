/**
 * `listen` assembled: the recovering consumer feeds the dispatcher; the health endpoint and the
 * periodic summary line report on both; `stop` is the clean shutdown of DESIGN §4: stop consuming,
 * finish in-flight work (bounded by the drain timeout), ack, close the channel, then the connection.
 *
 * Gaps — a start, a reconnect, a reopened channel, exchanges bound late, messages given up — may
 * have lost a change: each asks for a full reconcile (`resync`, the engine's `sync` under the sync
 * run lock), coalesced, at most one every `minIntervalMs` (as a controller relists after a watch
 * gap). Other consumers on the queue: refused at start (`otherConsumers: 'refuse'`, the file store);
 * appearing later, entity states are read from the servers instead of taken from payloads.
 */
import type {AmqpTarget} from '../amqp/connection.js'
import {type ConsumerOptions, NotificationConsumer} from '../amqp/consumer.js'
import type {ListenTopology} from '../amqp/topology.js'
import type {Logger} from '../output/logger.js'
import {Dispatcher, type DispatcherOptions} from './dispatcher.js'
import {type HealthReport, type HealthServer, startHealthServer} from './health.js'
import type {BackoffOptions, ReconcileEntity, ReconcileHint} from './policy.js'
import {ListenStats} from './stats.js'
import type {Watermarks} from './watermarks.js'

export interface ListenServiceOptions {
  /** Test seam: runs first in every connection's set-up (see `ConsumerOptions.beforeSetup`). */
  beforeSetup?: ConsumerOptions['beforeSetup']
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
  /** Longest a message is held unacked, retries included (ms). */
  maxHoldMs?: number
  /** Count the queue's consumers this often (ms; 0 = at start only). */
  consumerCheckMs?: number
  /**
   * Other consumers on the queue: `refuse` (one listener per queue: the file store) refuses to start
   * beside one, and when one appears later stops trusting payload states (reads the servers);
   * `allowed` (the redis store: shared watermarks) only reports them.
   */
  otherConsumers?: 'allowed' | 'refuse'
  prefetch: number
  reconcile: ReconcileEntity
  /** The full reconcile run after a gap; `skipped` when another run holds the sync lock. */
  resync?: {minIntervalMs: number; run(reason: string): Promise<'done' | 'skipped'>; settleMs?: number}
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
  /** Payload states are not used (another consumer appeared on a one-listener queue). */
  private readServers = false
  private readonly resyncState: {lastEnd: number; reasons: Set<string>; running: boolean; timer?: NodeJS.Timeout} = {lastEnd: Number.NEGATIVE_INFINITY, reasons: new Set(), running: false}
  private stopping = false
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
      ...(o.maxHoldMs === undefined ? {} : {maxHoldMs: o.maxHoldMs}),
      onGap: (reason) => this.requestResync(reason),
      reconcile: async (ref, hint) => o.reconcile(ref, this.readServers ? withoutPayloadState(hint) : hint),
      retry: o.retry,
      stats: this.stats,
      watermarks: o.watermarks,
    })
    this.consumer = new NotificationConsumer({
      ...(o.beforeSetup === undefined ? {} : {beforeSetup: o.beforeSetup}),
      connectionName: o.connectionName,
      consumerCheckMs: o.consumerCheckMs,
      exchangeRecheckMs: o.exchangeRecheckMs,
      initialMaxRetries: o.initialMaxRetries,
      logger: o.logger,
      onDelivery: (d) => this.dispatcher.receive(d),
      onFatal: (error) => this.fail(error),
      onGap: (reason) => this.requestResync(reason),
      onOtherConsumers: (count) => this.otherConsumers(count),
      prefetch: o.prefetch,
      refuseOtherConsumers: o.otherConsumers === 'refuse',
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
    return {...s, inFlight: this.dispatcher.inFlight, payloadStates: !this.readServers, queue: this.o.topology.queue, ...this.stats.summary()}
  }

  /** A change may have been missed: run a full reconcile soon (coalesced, rate-limited). */
  requestResync(reason: string): void {
    const {logger, resync} = this.o
    if (resync === undefined) {
      logger.warn({reason}, 'listen may have missed a change: the next sync repairs it')
      return
    }
    if (this.stopping) return
    this.resyncState.reasons.add(reason)
    this.scheduleResync()
  }

  private scheduleResync(): void {
    const st = this.resyncState
    const resync = this.o.resync
    if (resync === undefined || st.running || st.timer !== undefined || this.stopping) return
    const wait = Math.max(resync.settleMs ?? 2000, st.lastEnd + resync.minIntervalMs - performance.now())
    st.timer = setTimeout(() => {
      st.timer = undefined
      void this.runResync()
    }, wait)
    st.timer.unref()
  }

  private async runResync(): Promise<void> {
    const st = this.resyncState
    const resync = this.o.resync
    if (resync === undefined || this.stopping) return
    const reasons = [...st.reasons]
    st.reasons.clear()
    st.running = true
    this.stats.counters.resyncs++
    this.o.logger.info({reasons}, 'listen may have missed a change: running a full reconcile (sync)')
    try {
      const r = await resync.run(reasons.join('; '))
      if (r === 'skipped') this.o.logger.info('another sync holds the lock: the full reconcile is left to it')
    } catch (error) {
      this.stats.counters.resyncsFailed++
      this.o.logger.error({err: error}, 'the full reconcile after a gap failed; retried later')
      for (const r of reasons) st.reasons.add(r)
    } finally {
      st.running = false
      st.lastEnd = performance.now()
      if (st.reasons.size > 0) this.scheduleResync()
    }
  }

  private otherConsumers(count: number): void {
    const {logger} = this.o
    if (count === 0) return
    if (this.o.otherConsumers !== 'refuse') {
      logger.info({otherConsumers: count, queue: this.o.topology.queue}, 'other listeners share the queue')
      return
    }
    if (!this.readServers) {
      this.readServers = true
      logger.error(
        {otherConsumers: count, queue: this.o.topology.queue},
        "another consumer appeared on listen's queue: with the file store each listener's watermarks are its own, so from now on entity states are read from OpenStack, never taken from notifications (an older one could be written last); stop the other listener, or use store.type: redis",
      )
    }
  }

  async start(): Promise<void> {
    if (this.o.healthPort !== undefined) this.health = await startHealthServer(this.o.healthPort, this.o.healthHost ?? '127.0.0.1', () => this.report())
    try {
      await this.consumer.start()
    } catch (error) {
      await this.health?.close()
      throw error
    }
    this.requestResync('started (what happened while listen was not running is not known)')
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
    this.stopping = true
    clearTimeout(this.resyncState.timer)
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

/** A hint without the entity's state from the payload (a deletion is kept: it is final). */
function withoutPayloadState(hint: ReconcileHint): ReconcileHint {
  return hint.payloadState === undefined || hint.payloadState.deleted ? hint : {eventTypes: hint.eventTypes}
}

/**
 * The delivery loop: every message is decoded and interpreted; what is not about an entity is
 * settled at once (acked, or dead-lettered when malformed); events about one entity are held for a
 * short debounce and reconciled together, one reconcile at a time per entity; the messages are
 * acked only after the engine applied the change (or proved it irrelevant). Failures are retried with
 * backoff, within bounds: a failure of the event counts towards `maxAttempts`, an outage does not;
 * nothing is held longer than `maxHoldMs` (below the broker's `consumer_timeout`). Given up, the
 * messages go to the dead-letter queue with the reason, and `onGap` says that a state may have been
 * missed (the service runs a full reconcile, `sync`, once it can).
 */
import type {Logger} from '../output/logger.js'
import {decodeBody, entityKey, type EntityRef, interpret} from '../events/index.js'
import {advanceMark, backoffDelay, type BackoffOptions, deadLetterReason, type HeldEvent, heldTooLongReason, hintFor, isStale, isTransient, type ReconcileEntity, retryDecision} from './policy.js'
import {claimFor, RackLocks, type WriteClaim} from './rack-locks.js'
import type {ListenStats} from './stats.js'
import type {Watermarks} from './watermarks.js'

/** One message as the consumer hands it over; settled exactly once. */
export interface Delivery {
  /** Acknowledge; false when its channel is gone (the broker will redeliver it). */
  ack(): boolean
  readonly body: Buffer
  /** Copy to the dead-letter queue with the reason, then ack; false when that was not possible. */
  deadLetter(reason: string): Promise<boolean>
  readonly redelivered: boolean
}

export interface DispatcherOptions {
  /**
   * What an entity's reconcile writes (see `claimFor`): reconciles that may write the same rack run
   * one at a time. Default: `claimFor` without the view store (every entity of a project in turn).
   */
  claim?: (ref: EntityRef, projectId: string | undefined) => Promise<WriteClaim>
  /** Entities reconciled at once (the others wait their turn, their messages unacked). */
  concurrency?: number
  /** Dead-letter bodies that are not notifications (else ack and count them). */
  deadLetterMalformed: boolean
  debounceMs: number
  logger: Logger
  /** Failed attempts (outages excluded) before the messages are dead-lettered. */
  maxAttempts: number
  /** Longest (ms) a message is held unacked, retries included, before it is dead-lettered (default 10 min). */
  maxHoldMs?: number
  /** Messages were given up (dead-lettered) without their change applied: a full reconcile is due. */
  onGap?: (reason: string) => void
  reconcile: ReconcileEntity
  retry: BackoffOptions
  stats: ListenStats
  watermarks: Watermarks
}

interface Held extends HeldEvent {
  delivery: Delivery
  receivedAt: number
}

interface EntityWork {
  key: string
  pending: Held[]
  ref: EntityRef
  running: boolean
  timer?: NodeJS.Timeout
}

/** Default of `maxHoldMs`: 10 min, a third of RabbitMQ's default `consumer_timeout`. */
export const DEFAULT_MAX_HOLD_MS = 600_000

export class Dispatcher {
  private readonly entities = new Map<string, EntityWork>()
  private readonly recent = new Map<string, true>()
  private seq = 0
  private stopping = false
  private readonly wakers = new Set<() => void>()
  private readonly settledWaiters = new Set<() => void>()
  private held = 0
  private running = 0
  private readonly ready: EntityWork[] = []
  private readonly locks = new RackLocks()

  constructor(private readonly o: DispatcherOptions) {}

  /** Messages held (received, not yet settled). */
  get inFlight(): number {
    return this.held
  }

  receive(delivery: Delivery): void {
    const {logger, stats} = this.o
    const receivedAt = performance.now()
    stats.counters.received++
    const decoded = decodeBody(delivery.body)
    if (!decoded.ok) {
      stats.counters.malformed++
      logger.warn({reason: decoded.reason}, 'malformed message')
      if (this.o.deadLetterMalformed) this.deadLetterNow(delivery, `malformed: ${decoded.reason}`, receivedAt)
      else this.ack(delivery, receivedAt)
      return
    }
    const i = interpret(decoded.message)
    if (i.kind !== 'entity') {
      if (i.kind === 'malformed') {
        stats.counters.malformed++
        logger.warn({eventType: i.eventType, reason: i.reason}, 'malformed notification')
        if (this.o.deadLetterMalformed) {
          this.deadLetterNow(delivery, `malformed: ${i.reason}`, receivedAt)
          return
        }
      } else {
        stats.counters[i.kind]++
        logger.debug({eventType: i.eventType, reason: i.reason}, i.kind === 'unknown' ? 'unknown event type' : 'event ignored')
      }
      this.ack(delivery, receivedAt)
      return
    }
    if (i.messageId !== undefined && this.recent.has(i.messageId)) {
      stats.counters.duplicate++
      logger.debug({eventType: i.eventType, messageId: i.messageId}, 'duplicate delivery of an applied event')
      this.ack(delivery, receivedAt)
      return
    }
    const key = entityKey(i.ref)
    if (isStale(i, this.o.watermarks.peek(key))) {
      stats.counters.stale++
      logger.debug({entity: key, eventType: i.eventType}, 'older than the state applied: skipped')
      this.ack(delivery, receivedAt)
      return
    }
    let work = this.entities.get(key)
    if (work === undefined) {
      work = {key, pending: [], ref: i.ref, running: false}
      this.entities.set(key, work)
    }
    work.pending.push({delivery, event: i, receivedAt, seq: this.seq++})
    this.held++
    this.schedule(work)
  }

  /**
   * Stop: reconcile what is waiting for its debounce now, let running reconciles finish and ack,
   * give up waiting out outages (those messages stay unacked and come back), within `timeoutMs`.
   * Resolves with the number of messages left for redelivery.
   */
  async drain(timeoutMs: number): Promise<number> {
    this.stopping = true
    for (const wake of this.wakers) wake()
    for (const work of this.entities.values()) {
      if (work.timer !== undefined && !work.running) {
        clearTimeout(work.timer)
        work.timer = undefined
        this.start(work)
      }
    }
    const deadline = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref())
    await Promise.race([this.whenIdle(), deadline])
    const left = this.held
    this.o.stats.counters.abandoned += left
    return this.o.stats.counters.abandoned
  }

  /** Resolves when nothing is held (tests, drain). */
  async whenIdle(): Promise<void> {
    while (this.held > 0 || this.entities.size > 0) {
      await new Promise<void>((resolve) => this.settledWaiters.add(resolve))
    }
  }

  private ack(delivery: Delivery, receivedAt: number): void {
    if (!delivery.ack()) this.o.stats.counters.ackLost++
    this.o.stats.latency(performance.now() - receivedAt)
  }

  private deadLetterNow(delivery: Delivery, reason: string, receivedAt: number): void {
    delivery.deadLetter(reason).then(
      (ok) => {
        if (ok) this.o.stats.counters.deadLettered++
        else this.o.stats.counters.ackLost++
        this.o.stats.latency(performance.now() - receivedAt)
      },
      (error: unknown) => this.o.logger.error({err: error}, 'dead-lettering failed'),
    )
  }

  private schedule(work: EntityWork): void {
    if (work.running || work.timer !== undefined) return
    if (this.stopping) {
      this.start(work)
      return
    }
    work.timer = setTimeout(() => {
      work.timer = undefined
      this.start(work)
    }, this.o.debounceMs)
  }

  private start(work: EntityWork): void {
    work.running = true
    if (this.running >= (this.o.concurrency ?? Number.POSITIVE_INFINITY)) {
      this.ready.push(work)
      return
    }
    this.launch(work)
  }

  private launch(work: EntityWork): void {
    this.running++
    this.run(work)
      .catch((error: unknown) => this.o.logger.error({entity: work.key, err: error}, 'delivery loop error'))
      .finally(() => {
        this.running--
        const next = this.ready.shift()
        if (next !== undefined) this.launch(next)
        work.running = false
        if (work.pending.length > 0 && !this.stopping) this.schedule(work)
        else if (work.pending.length > 0) this.start(work)
        else if (work.timer === undefined) this.entities.delete(work.key)
        this.notifySettled()
      })
  }

  private async run(work: EntityWork): Promise<void> {
    const {logger, stats, watermarks} = this.o
    let batch: Held[] = []
    let failures = 0
    let outages = 0
    for (;;) {
      batch = batch.concat(work.pending.splice(0))
      const mark = await watermarks.get(work.key).catch((error: unknown) => {
        logger.warn({entity: work.key, err: error}, 'watermark not readable; using this process\'s')
        return watermarks.peek(work.key)
      })
      const live: Held[] = []
      for (const h of batch) {
        if (isStale(h.event, mark)) {
          stats.counters.stale++
          this.settle(() => this.ack(h.delivery, h.receivedAt))
        } else live.push(h)
      }
      batch = live
      if (batch.length === 0) return
      const hint = hintFor(batch, mark)
      const projectId = batch.find((h) => h.event.projectId !== undefined)?.event.projectId
      try {
        // A burst that also reconciles other entities (a volume's servers, in other racks) claims the whole project.
        const claim = this.o.claim === undefined || hint.related !== undefined ? claimFor(work.ref, projectId) : await this.o.claim(work.ref, projectId)
        const outcome = await this.locks.run(claim, async () => {
          stats.counters.reconciles++
          return this.o.reconcile(work.ref, hint)
        })
        const next = advanceMark(mark, batch)
        if (next !== undefined) {
          await watermarks.set(work.key, next).catch((error: unknown) => logger.warn({entity: work.key, err: error}, 'watermark not saved'))
        }
        for (const h of batch) {
          if (outcome.applied) stats.counters.applied++
          else stats.counters.irrelevant++
          if (h.event.messageId !== undefined) this.remember(h.event.messageId)
          this.settle(() => this.ack(h.delivery, h.receivedAt))
        }
        logger.debug({applied: outcome.applied, entity: work.key, events: hint.eventTypes, payloadState: hint.payloadState !== undefined}, 'reconciled')
        return
      } catch (error) {
        stats.counters.failed++
        const outage = isTransient(error)
        if (outage) outages++
        else failures++
        const delay = backoffDelay(outage ? outages : failures, this.o.retry)
        const heldMs = performance.now() - Math.min(...batch.map((h) => h.receivedAt))
        const decision = retryDecision({delayMs: delay, failures, heldMs, outage}, {maxAttempts: this.o.maxAttempts, maxHoldMs: this.o.maxHoldMs ?? DEFAULT_MAX_HOLD_MS})
        if (decision !== 'retry') {
          const reason = decision === 'attempts' ? deadLetterReason(error, failures) : heldTooLongReason(error, heldMs, failures + outages)
          logger.error({entity: work.key, err: error, events: hint.eventTypes, heldMs: Math.round(heldMs)}, decision === 'attempts' ? 'dead-lettering after repeated failures' : 'dead-lettering: not applied within listen.max_hold_ms')
          await Promise.all(
            batch.map(async (h) => {
              const ok = await h.delivery.deadLetter(reason).catch(() => false)
              if (ok) stats.counters.deadLettered++
              else stats.counters.ackLost++
              this.settle(() => stats.latency(performance.now() - h.receivedAt))
            }),
          )
          this.o.onGap?.(`${work.key}: ${reason}`)
          return
        }
        logger.warn({attempt: outage ? outages : failures, delayMs: delay, entity: work.key, err: error, outage}, outage ? 'outage: waiting, messages kept' : 'reconcile failed: retrying')
        if (this.stopping || !(await this.sleep(delay))) {
          // Shutting down: leave them unacked; the broker gives them back when the channel closes.
          logger.info({entity: work.key, messages: batch.length}, 'left unacked for redelivery')
          stats.counters.abandoned += batch.length
          this.held -= batch.length
          return
        }
      }
    }
  }

  private settle(fn: () => void): void {
    fn()
    this.held--
  }

  private remember(messageId: string): void {
    this.recent.set(messageId, true)
    if (this.recent.size > 50_000) {
      const first = this.recent.keys().next()
      if (!first.done) this.recent.delete(first.value)
    }
  }

  /** Sleep; false when woken by `drain`. */
  private async sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clearTimeout(timer)
        this.wakers.delete(wake)
        resolve(false)
      }
      const timer = setTimeout(() => {
        this.wakers.delete(wake)
        resolve(true)
      }, ms)
      this.wakers.add(wake)
    })
  }

  private notifySettled(): void {
    for (const w of this.settledWaiters) w()
    this.settledWaiters.clear()
  }
}

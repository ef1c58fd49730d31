/**
 * The decisions of the delivery loop, as pure functions: how long to wait before a retry, which
 * failures are an outage to wait out (nothing is lost, nothing is dead-lettered) and which count
 * towards the dead-letter limit, which held events are stale, and what one coalesced burst asks
 * the reconcile engine to do.
 */
import type {EntityRef, Interpretation, PayloadState} from '../events/index.js'
import {failureKind} from '../model/problem.js'

export type EntityEvent = Extract<Interpretation, {kind: 'entity'}>

/** What the reconcile engine is told about one entity (the entity itself is the level to reach). */
export interface ReconcileHint {
  /** The event types of the burst, oldest first (for logs and reports). */
  eventTypes: string[]
  /** The entity's state from the newest event of the burst, when it carried all of it. */
  payloadState?: PayloadState
  /** Other entities the burst's events change (every event's, deduplicated): reconciled after it, read afresh. */
  related?: EntityRef[]
}

export interface ReconcileOutcome {
  /** False when the event was proven irrelevant (nothing Concertim shows changed or is managed). */
  applied: boolean
}

/** Reconcile one entity: observe it (or take the payload state), desire, plan, apply. Idempotent. */
export type ReconcileEntity = (ref: EntityRef, hint: ReconcileHint) => Promise<ReconcileOutcome>

export interface BackoffOptions {
  baseMs: number
  factor?: number
  /** ± this fraction of the delay, drawn from `random`. */
  jitter?: number
  maxMs: number
}

/** Exponential backoff with jitter: attempt 1 → base, then ×factor, capped at max. */
export function backoffDelay(attempt: number, o: BackoffOptions, random: () => number = Math.random): number {
  const factor = o.factor ?? 2
  const jitter = o.jitter ?? 0.2
  const base = Math.min(o.maxMs, o.baseMs * factor ** Math.max(0, attempt - 1))
  const spread = base * jitter
  return Math.max(0, Math.min(o.maxMs, Math.round(base - spread + random() * 2 * spread)))
}

/**
 * An outage (the system is down, overloaded or unreachable) rather than a problem with this event,
 * by the error's type (`failureKind`: network failures, timeouts, 408/425/429/5xx), a view-store
 * lock held by another writer (`ELOCKED`), or an error that says so (`transient`, e.g. an
 * observation an outage left incomplete). Outages do not count towards the dead-letter limit; like
 * every failure they are retried only within the dispatcher's time bound.
 */
export function isTransient(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as {cause?: unknown}).cause, depth++) {
    const x = e as {code?: unknown; transient?: unknown}
    if (x.transient === true) return true
    if (x.transient === false) return false
    if (x.code === 'ELOCKED') return true
  }
  return failureKind(err) !== 'refused'
}

/** One event held for an entity, with its arrival order. */
export interface HeldEvent {
  event: EntityEvent
  seq: number
}

export interface Watermark {
  /** The entity was deleted: a payload state can only be older news (an id is never reused). */
  deleted: boolean
  /** Version (µs) of the newest event applied. */
  version: number
}

/** Strictly older than the last applied event: it can only take the entity back in time. */
export function isStale(event: EntityEvent, mark: undefined | Watermark): boolean {
  return mark !== undefined && event.version !== undefined && event.version < mark.version
}

/** The newest held event: by version when every event has one, else by arrival. */
export function newestOf(batch: readonly HeldEvent[]): HeldEvent {
  const ordered = batch.every((h) => h.event.version !== undefined)
  let best = batch[0]
  for (const h of batch) {
    const newer = ordered ? (h.event.version as number) > (best.event.version as number) || ((h.event.version as number) === (best.event.version as number) && h.seq > best.seq) : h.seq > best.seq
    if (newer) best = h
  }
  return best
}

/**
 * What a burst asks of the engine. A deletion anywhere in it wins (deletion is final). Otherwise the
 * newest event's payload state is used when the events can be ordered and the entity was not deleted
 * before; in every other case the engine fetches the entity (level-triggered: always right).
 */
export function hintFor(batch: readonly HeldEvent[], mark: undefined | Watermark): ReconcileHint {
  const sorted = [...batch].sort((a, b) => a.seq - b.seq)
  const eventTypes = sorted.map((h) => h.event.eventType)
  const related = relatedOf(sorted)
  const base = related.length > 0 ? {eventTypes, related} : {eventTypes}
  const deletion = batch.find((h) => h.event.state?.deleted === true)
  if (deletion) return {...base, payloadState: deletion.event.state}
  if (mark?.deleted) return base
  const newest = newestOf(batch)
  const ordered = batch.length === 1 || batch.every((h) => h.event.version !== undefined)
  return ordered && newest.event.state !== undefined ? {...base, payloadState: newest.event.state} : base
}

/**
 * Every entity the events of a burst name besides their own, once each. A detach's `.end` no longer
 * names the server (cinder lists the attachments left); its `.start` does: a burst holding both
 * reconciles the server.
 */
function relatedOf(batch: readonly HeldEvent[]): EntityRef[] {
  const out = new Map<string, EntityRef>()
  for (const h of batch) for (const r of h.event.related ?? []) out.set(`${r.kind}:${r.id}`, r)
  return [...out.values()]
}

/** The watermark after a burst was applied. */
export function advanceMark(mark: undefined | Watermark, batch: readonly HeldEvent[]): undefined | Watermark {
  let version = mark?.version
  for (const h of batch) if (h.event.version !== undefined && (version === undefined || h.event.version > version)) version = h.event.version
  const deleted = (mark?.deleted ?? false) || batch.some((h) => h.event.state?.deleted === true)
  if (version === undefined) return deleted ? {deleted, version: 0} : undefined
  return {deleted, version}
}

/** Bounds on retrying one burst (count and total time). */
export interface RetryBounds {
  /** Failed attempts (outages excluded) before the messages are dead-lettered. */
  maxAttempts: number
  /**
   * Longest a delivery is held unacked (ms, from its arrival) before it is given up — dead-lettered
   * with the reason, whatever the failure. Well below the broker's `consumer_timeout` (30 min by
   * default), which would otherwise close the channel and have every delivery in hand redelivered.
   */
  maxHoldMs: number
}

/**
 * After a failed attempt: retry after `delayMs`, or give up (pure). A failure of the event counts
 * towards `maxAttempts`; any failure, outages included, is given up when the next attempt would come
 * later than `maxHoldMs` after the oldest message's arrival.
 */
export function retryDecision(a: {delayMs: number; failures: number; heldMs: number; outage: boolean}, b: RetryBounds): 'attempts' | 'retry' | 'time' {
  if (!a.outage && a.failures >= b.maxAttempts) return 'attempts'
  if (a.heldMs + a.delayMs >= b.maxHoldMs) return 'time'
  return 'retry'
}

/** The dead-letter reason of a burst given up for time. */
export function heldTooLongReason(err: unknown, heldMs: number, attempts: number): string {
  const msg = err instanceof Error ? err.message : String(err)
  return `not applied within ${Math.round(heldMs / 1000)} s (${attempts} attempt${attempts === 1 ? '' : 's'}; sync repairs it): ${msg.replaceAll(/\s+/g, ' ').slice(0, 500)}`
}

/** A one-line reason for the dead-letter queue. */
export function deadLetterReason(err: unknown, attempts: number): string {
  const msg = err instanceof Error ? err.message : String(err)
  return `reconcile failed ${attempts} time${attempts === 1 ? '' : 's'}: ${msg.replaceAll(/\s+/g, ' ').slice(0, 500)}`
}

/**
 * What a notification means to concertim-os: the one entity it is about, how new it is, and — when
 * the payload carries the entity's whole state — that state in the same shape `observe` produces.
 */
import type {Network, Server, Volume} from '../model/cloud.js'

/** The entities a notification can be about (a superset of `Scope`: Keystone also deletes users). */
export type EntityKind = 'network' | 'project' | 'server' | 'stack' | 'user' | 'volume'

export interface EntityRef {
  id: string
  kind: EntityKind
}

/** `server:<id>`: the key bursts are coalesced and watermarks are kept by. */
export function entityKey(ref: EntityRef): string {
  return `${ref.kind}:${ref.id}`
}

/** The families of notifications `listen` acts on, by the service that sends them. */
export type Family = 'cinder' | 'heat' | 'keystone' | 'neutron' | 'nova-legacy' | 'nova-versioned'

/**
 * The entity's state as carried by the payload, in `observe`'s record shape. `unknown` names the
 * record fields the payload does not carry (they hold a neutral value); the engine may fetch them.
 */
export type PayloadState =
  | {deleted: true; kind: EntityKind}
  | {deleted: false; kind: 'network'; record: Network; unknown: readonly string[]}
  | {deleted: false; kind: 'server'; record: Server; unknown: readonly string[]}
  | {deleted: false; kind: 'volume'; record: Volume; unknown: readonly string[]}

/** One notification as oslo.messaging put it on the wire, envelope removed. */
export interface OsloMessage {
  /** The request context (`_context_*` keys without the prefix). */
  context: Record<string, unknown>
  eventType: string
  messageId?: string
  payload: unknown
  priority?: string
  publisherId?: string
  /** oslo's `timestamp` in microseconds since the epoch (UTC), when the message had a valid one. */
  timestampUs?: number
}

export type Decoded =
  | {envelope: 'v1' | 'v2'; message: OsloMessage; ok: true}
  | {ok: false; reason: string}

/** What `interpret` makes of a message. */
export type Interpretation =
  | {
      action: string
      eventType: string
      family: Family
      kind: 'entity'
      messageId?: string
      /**
       * The project the entity belongs to, when the payload names it (heat `tenant_id`, nova
       * `tenant_id`, cinder `tenant_id`, neutron `project_id`): what `listen` serializes rack writes by.
       */
      projectId?: string
      ref: EntityRef
      /**
       * Other entities the event changes, to be reconciled after `ref` by a read (never from this
       * payload): the servers a cinder volume attach/detach names, whose devices list their volumes.
       */
      related?: EntityRef[]
      /** Present when the payload carries the entity's full state (or its deletion). */
      state?: PayloadState
      /** Ordering of events about one entity (µs); absent when the message carries no time. */
      version?: number
    }
  /** A family we know, an event that changes nothing we show (`*.exists`, `subnet.*`, …). */
  | {eventType: string; kind: 'ignored'; reason: string}
  /** A known event whose payload lacks what identifies the entity. */
  | {eventType: string; kind: 'malformed'; reason: string}
  /** An event type of no family we handle. */
  | {eventType: string; kind: 'unknown'; reason: string}

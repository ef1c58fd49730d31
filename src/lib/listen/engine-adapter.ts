/**
 * The reconcile engine as `listen`'s `ReconcileEntity`: one entity, same desire/plan/apply as
 * `sync`. The engine reports failed writes and incomplete observations in its result instead of
 * throwing; here they become errors, so that the messages are not acked: an outage (Concertim or
 * OpenStack down, 5xx, timeouts) is waited out, anything else counts towards dead-lettering.
 */
import type {EntityRef} from '../events/index.js'
import type {Scope} from '../model/scope.js'
import type {PayloadEntity} from '../reconcile/observe/index.js'
import type {Logger} from '../output/logger.js'
import type {ReconcileEntity, ReconcileHint} from './policy.js'

/** What `listen` needs of `ReconcileEngine.reconcile`'s result. */
export interface EngineOutcome {
  applied: boolean
  irrelevant: boolean
  problems: readonly string[]
  results: ReadonlyArray<{error?: string; key: string; kind: string; object: string; ok: boolean}>
}

export interface EntityEngine {
  noteKeystoneDeletion(kind: 'project' | 'user', id: string, event: string): Promise<void>
  reconcile(scope: Scope, opts?: {payload?: PayloadEntity}): Promise<EngineOutcome>
}

export class ReconcileFailure extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
  ) {
    super(message)
    this.name = 'ReconcileFailure'
  }
}

const OUTAGE = /\b(408|425|429|500|502|503|504)\b|ECONN(REFUSED|RESET|ABORTED)|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|socket hang up|timed? ?out|deadline|unreachable|unavailable/i

/** A failure text that names an outage rather than a problem with the object. */
export function describesOutage(text: string): boolean {
  return OUTAGE.test(text)
}

/** Observation problems that do not make the written state wrong (the engine carries on). */
const HARMLESS_PROBLEM = /^Kill Bill could not be read/

/** The engine's result → ok, or the failure to retry (pure). */
export function judgeOutcome(outcome: EngineOutcome): ReconcileFailure | undefined {
  const failed = outcome.results.filter((r) => !r.ok)
  if (failed.length > 0) {
    const detail = failed.map((r) => `${r.kind} ${r.key}: ${r.error ?? 'failed'}`).join('; ')
    return new ReconcileFailure(`${failed.length} write${failed.length > 1 ? 's' : ''} failed: ${detail}`, failed.every((r) => describesOutage(r.error ?? '')))
  }
  const problems = outcome.problems.filter((p) => !HARMLESS_PROBLEM.test(p))
  // The entity could not be observed in full: what was planned may be wrong; wait and retry.
  if (problems.length > 0) return new ReconcileFailure(`observation incomplete: ${problems.join('; ')}`, true)
  return undefined
}

export interface EngineReconcilerOptions {
  /**
   * A stack's top-level stack id (itself for a top-level stack; null when Heat no longer has it): a
   * nested stack's event (a group's member stack) is its top-level stack's, whose rack is written —
   * and within whose scope the plan deletes. Without it the engine still observes the top-level
   * stack but plans its deletions within the nested stack's scope.
   */
  topLevelStack?: (stackId: string) => Promise<null | string>
  /**
   * Let an entity's state from its notification stand in for a GET. Safe only when one
   * process handles all the events of an entity (watermarks in this process): with several
   * listeners on one queue (the redis store), two of them may hold an older and a newer event of
   * one entity at once, and the older payload could be written last — a GET is always current.
   */
  payloadState?: boolean
}

export function engineReconciler(engine: EntityEngine, logger: Logger, opts: EngineReconcilerOptions = {}): ReconcileEntity {
  return async (ref: EntityRef, hint: ReconcileHint) => {
    const event = hint.eventTypes.at(-1) ?? ''
    if (ref.kind === 'user') {
      // Concertim users are not matched to Keystone users by the engine: the deletion is logged and
      // noted in the view (`view dump` shows it next to the Concertim user still linked to it).
      logger.info({event, userId: ref.id}, 'keystone user deleted')
      await engine.noteKeystoneDeletion('user', ref.id, event)
      return {applied: true}
    }
    if (ref.kind === 'project' && hint.payloadState?.deleted) {
      logger.info({event, projectId: ref.id}, 'keystone project deleted')
      await engine.noteKeystoneDeletion('project', ref.id, event)
    }
    // An entity's state from its notification (versioned nova, cinder, neutron) stands in for a GET
    // (the engine reads the entity anyway whenever the plan needs more than the device's update).
    const state = hint.payloadState
    const payload: PayloadEntity | undefined =
      opts.payloadState === true && state !== undefined && !state.deleted && state.kind === ref.kind ? {kind: state.kind, record: state.record, unknown: state.unknown} as PayloadEntity : undefined
    const id = ref.kind === 'stack' && opts.topLevelStack !== undefined ? ((await opts.topLevelStack(ref.id)) ?? ref.id) : ref.id
    const outcome = await engine.reconcile({id, kind: ref.kind}, payload === undefined ? {} : {payload})
    const failure = judgeOutcome(outcome)
    if (failure) throw failure
    // The entities the events also changed (a volume's servers): each read afresh and reconciled.
    // A failure fails the burst (retried as a whole: reconciles are idempotent).
    let applied = outcome.applied
    for (const other of hint.related ?? []) {
      if (other.kind === 'user' || (other.kind === ref.kind && other.id === ref.id)) continue
      const more = await engine.reconcile({id: other.id, kind: other.kind})
      const otherFailure = judgeOutcome(more)
      if (otherFailure) throw new ReconcileFailure(`${other.kind} ${other.id}: ${otherFailure.message}`, otherFailure.transient)
      applied ||= more.applied
    }
    return {applied}
  }
}

/**
 * `topLevelStack` over Heat (`GET /stacks/{id}` up the `parent` chain). A stack's place in its tree
 * never changes, so each answer is kept (bounded); a stack Heat does not have is asked again.
 */
export function heatTopLevelStack(find: (stackId: string) => Promise<null | {id: string}>, max = 10_000): (stackId: string) => Promise<null | string> {
  const known = new Map<string, string>()
  return async (stackId) => {
    const hit = known.get(stackId)
    if (hit !== undefined) return hit
    const top = await find(stackId)
    if (top === null) return null
    if (known.size >= max) known.delete(known.keys().next().value as string)
    known.set(stackId, top.id)
    return top.id
  }
}

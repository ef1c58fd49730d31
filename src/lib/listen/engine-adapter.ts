/**
 * The reconcile engine as `listen`'s `ReconcileEntity`: one entity, same desire/plan/apply as
 * `sync`. The engine reports failed writes and incomplete observations in its result instead of
 * throwing; here they become errors, so that the messages are not acked: an outage (Concertim or
 * OpenStack down, 5xx, timeouts) is retried (within the dispatcher's time bound), anything else
 * counts towards dead-lettering. Only what concerns the entity's own plan holds its messages: a
 * sibling stack Heat cannot read does not keep a healthy server's event from being acked.
 */
import type {EntityRef} from '../events/index.js'
import type {FailureKind, ObservationProblem} from '../model/problem.js'
import type {Scope} from '../model/scope.js'
import type {PayloadEntity} from '../reconcile/observe/index.js'
import type {Logger} from '../output/logger.js'
import type {ReconcileEntity, ReconcileHint} from './policy.js'

/** What `listen` needs of `ReconcileEngine.reconcile`'s result. */
export interface EngineOutcome {
  applied: boolean
  irrelevant: boolean
  /** What the observation could not read, typed. */
  observationProblems?: readonly ObservationProblem[]
  /** Keys the plan could not decide about (their state unknown): left as they are. */
  plan?: {kept: readonly string[]}
  problems: readonly string[]
  results: ReadonlyArray<{error?: string; failure?: FailureKind; key: string; kind: string; object: string; ok: boolean}>
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

/**
 * Whether an observation problem concerns the entity's own plan (pure). A project's plan is
 * everything in it; a stack's, the stack itself (any problem not about another object); a server's,
 * volume's or network's, its device — concerned only when the plan could not decide about it (its
 * key kept, e.g. a stack of its project that may own it could not be read). Kill Bill never is: the
 * rack gets a provisional order id and the written state stays right.
 */
export function concernsEntity(problem: ObservationProblem, scope: Scope, kept: readonly string[]): boolean {
  if (problem.part === 'billing') return false
  switch (scope.kind) {
    case 'all':
    case 'project': {
      return true
    }
    case 'stack': {
      return problem.subject === undefined || problem.subject === scope.id
    }
    default: {
      return kept.includes(`device:${scope.id}`)
    }
  }
}

const passes = (kind: FailureKind | undefined): boolean => kind === 'outage' || kind === 'partial'

/**
 * The engine's result → ok, or the failure to retry (pure). Failed writes and the observation
 * problems that concern the entity (see `concernsEntity`) fail it; the failure is transient (an
 * outage: retried without counting towards `max_attempts`) only when every one of them is, by type.
 */
export function judgeOutcome(outcome: EngineOutcome, scope: Scope): ReconcileFailure | undefined {
  const failed = outcome.results.filter((r) => !r.ok)
  const kept = outcome.plan?.kept ?? []
  const problems = (outcome.observationProblems ?? []).filter((p) => concernsEntity(p, scope, kept))
  if (failed.length === 0 && problems.length === 0) return undefined
  const parts: string[] = []
  if (failed.length > 0) parts.push(`${failed.length} write${failed.length > 1 ? 's' : ''} failed: ${failed.map((r) => `${r.kind} ${r.key}: ${r.error ?? 'failed'}`).join('; ')}`)
  // The entity could not be observed in full: what was planned for it may be wrong; retry.
  if (problems.length > 0) parts.push(`observation incomplete: ${problems.map((p) => p.message).join('; ')}`)
  const transient = failed.every((r) => passes(r.failure)) && problems.every((p) => passes(p.kind))
  return new ReconcileFailure(parts.join('; '), transient)
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
    const failure = judgeOutcome(outcome, {id, kind: ref.kind} as Scope)
    if (failure) throw failure
    // The entities the events also changed (a volume's servers): each read afresh and reconciled.
    // A failure fails the burst (retried as a whole: reconciles are idempotent).
    let applied = outcome.applied
    for (const other of hint.related ?? []) {
      if (other.kind === 'user' || (other.kind === ref.kind && other.id === ref.id)) continue
      const more = await engine.reconcile({id: other.id, kind: other.kind})
      const otherFailure = judgeOutcome(more, {id: other.id, kind: other.kind} as Scope)
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

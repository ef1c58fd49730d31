/**
 * Why something could not be read or written, typed (never guessed from a message's text): an
 * outage of the system (unreachable, timeouts, 408/425/429/5xx) passes; anything else (a refusal, a
 * bad answer) will not go away by waiting. `listen` decides on these what to retry and for how long.
 */

/**
 * - `outage`: the system is down, overloaded or unreachable (network errors, timeouts, 408/425/429/5xx).
 * - `partial`: it answered, but not in full (nova with a cell down).
 * - `refused`: anything else (4xx, a malformed answer, a bug): waiting will not fix it.
 */
export type FailureKind = 'outage' | 'partial' | 'refused'

/** The part of an observation a problem left unknown. */
export type ObservedPart = 'billing' | 'flavors' | 'networks' | 'projects' | 'servers' | 'stack' | 'stacks' | 'volumes'

/** Something an observation could not read: the rest was read, and nothing of this part is deleted. */
export interface ObservationProblem {
  kind: FailureKind
  /** For people and logs (what `sync` prints). */
  message: string
  part: ObservedPart
  /** The one object it is about (a Heat stack whose resources could not be read), when it is one. */
  subject?: string
  /** The system that failed (`nova`, `heat`, …), when known. */
  system?: string
}

const TRANSIENT_CODES = new Set(['EAI_AGAIN', 'ECONNABORTED', 'ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EPIPE', 'ETIMEDOUT', 'UND_ERR_SOCKET'])

/**
 * An error's kind, from its type: a `failure` it carries, `HttpError`'s `kind` (network, timeout,
 * deadline) and `status`, a Node error `code`, along its `cause` chain. Unknown errors are `refused` (never waited out).
 */
export function failureKind(err: unknown): FailureKind {
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 5; e = (e as {cause?: unknown}).cause, depth++) {
    const x = e as {code?: unknown; failure?: unknown; kind?: unknown; status?: unknown}
    if (x.failure === 'outage' || x.failure === 'partial' || x.failure === 'refused') return x.failure
    if (x.kind === 'network' || x.kind === 'timeout' || x.kind === 'deadline') return 'outage'
    if (typeof x.status === 'number') return x.status === 408 || x.status === 425 || x.status === 429 || x.status >= 500 ? 'outage' : 'refused'
    if (typeof x.code === 'string' && TRANSIENT_CODES.has(x.code)) return 'outage'
  }
  return 'refused'
}

/** A problem from the error that caused it. */
export function problemOf(part: ObservedPart, error: unknown, message: string, subject?: string): ObservationProblem {
  const system = error !== null && typeof error === 'object' && typeof (error as {system?: unknown}).system === 'string' ? (error as {system: string}).system : undefined
  return {kind: failureKind(error), message, part, ...(subject === undefined ? {} : {subject}), ...(system === undefined ? {} : {system})}
}

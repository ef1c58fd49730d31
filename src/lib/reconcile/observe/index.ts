/**
 * observe(scope, clients, options) → what the cloud, Concertim and Kill Bill say (reads only).
 *
 * Everything is read concurrently and to the last page. A cloud listing that fails does not abort
 * the observation: that part is marked incomplete (so that `plan` deletes nothing of it) and the
 * reason is given in `problems`. Concertim is different: without its full state nothing can be
 * planned safely (a create could duplicate), so a failed Concertim read ends the observation.
 *
 * Heat is the costly system: a stack's resources (with nested ones) and outputs are one call each.
 * They are read only for stacks of projects linked to a Concertim team, and only when the stack
 * changed since they were last read (`stackCache`, kept by the engine in the view store, keyed by
 * the update time and status of the stack and of each of its nested stacks — a scaling signal
 * updates only the group's nested stack): a stack tree that did not change has the same resources.
 * A tree that is *_IN_PROGRESS is always read again (its key does not change while Heat works).
 */
import {observeAll} from './all.js'
import {observeScoped} from './entity.js'
import type {ObserveClients, ObserveOptions, Observation} from './types.js'

export {completeFromDevice} from './entity.js'
export {isStackCacheEntry, membershipOf, NESTED_DEPTH, stackVersion, topLevelStack} from './heat-membership.js'
export type {ConcertimReader, Observation, ObserveClients, ObserveOptions, PayloadEntity, StackCacheEntry} from './types.js'

/** Observe everything (scope `all`) or what one entity needs. */
export async function observe(clients: ObserveClients, options: ObserveOptions): Promise<Observation> {
  return options.scope.kind === 'all' ? observeAll(clients, options) : observeScoped(clients, options)
}

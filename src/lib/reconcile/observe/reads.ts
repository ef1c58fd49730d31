/**
 * Reads both observations share: a cloud listing that may fail (its part is then incomplete),
 * Concertim's teams, templates and racks, and the Kill Bill subscriptions of stacks.
 */
import {type ObservationProblem, type ObservedPart, problemOf} from '../../model/problem.js'
import pLimit from 'p-limit'

import {HttpError} from '../../http/errors.js'
import {AuthenticationError, EndpointNotFoundError} from '../../openstack/errors.js'
import {STACK_ID_FIELD} from '../../killbill/types.js'
import type {BillingState} from '../../model/billing.js'
import type {ConcertimRack, ConcertimTeam, ConcertimTemplate} from '../../model/concertim.js'
import {toConcertimTeam, toConcertimTemplate, toConcertimRack} from '../../concertim/to-model.js'
import type {ConcertimReader, ObserveClients} from './types.js'

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/**
 * A failure that says OpenStack cannot be read at all, not that one listing went wrong: Keystone
 * refused the credentials, a service is not in the catalog, or a system could not be reached in
 * time (connection refused, TLS, timeout, deadline). Nothing is planned from such a read: the
 * observation ends with this one error (exit 1, its root cause named once), dry-run or not.
 */
export function isUnreadable(error: unknown): boolean {
  if (error instanceof AuthenticationError || error instanceof EndpointNotFoundError) return true
  return error instanceof HttpError && (error.kind === 'network' || error.kind === 'tls' || error.kind === 'timeout' || error.kind === 'deadline')
}

const LISTED_PART: Readonly<Record<string, ObservedPart>> = {'cinder volume': 'volumes', 'heat stack': 'stacks', 'keystone project': 'projects', 'neutron network': 'networks', 'nova flavor': 'flavors'}

/** A listing that may fail: its items, or [] and a problem (an unreadable system ends the observation). */
export async function listing<T>(what: string, problems: ObservationProblem[], fn: () => Promise<T[]>): Promise<{complete: boolean; items: T[]}> {
  try {
    return {complete: true, items: await fn()}
  } catch (error) {
    if (isUnreadable(error)) throw error
    problems.push(problemOf(LISTED_PART[what] ?? 'stacks', error, `the ${what} listing failed: ${message(error)}`))
    return {complete: false, items: []}
  }
}

export interface ConcertimBase {
  racks: ConcertimRack[]
  teams: ConcertimTeam[]
  templates: ConcertimTemplate[]
}

export async function readConcertimBase(c: ConcertimReader): Promise<ConcertimBase> {
  const [teams, templates, racks] = await Promise.all([c.teams(), c.templates(), c.racks()])
  return {racks: racks.map((r) => toConcertimRack(r)), teams: teams.map((t) => toConcertimTeam(t)), templates: templates.map((t) => toConcertimTemplate(t))}
}

/**
 * Stack id → ids of its ACTIVE Kill Bill subscriptions. One search for every custom field
 * `openstack_stack_id` (or one per stack when scoped); a subscription is fetched (to see its state)
 * only when the answer is not already what the rack carries.
 */
export async function readBilling(
  kb: NonNullable<ObserveClients['killbill']>,
  stackIds: readonly string[] | 'all',
  orderOf: ReadonlyMap<string, null | string>,
  concurrency: number,
  problems: ObservationProblem[],
): Promise<BillingState> {
  try {
    const fields =
      stackIds === 'all'
        ? await kb.findCustomFields({name: STACK_ID_FIELD, objectType: 'SUBSCRIPTION'}, 1000)
        : (await Promise.all(stackIds.map(async (id) => kb.findCustomFields({name: STACK_ID_FIELD, objectType: 'SUBSCRIPTION', value: id}, 1000)))).flat()
    const tagged = new Map<string, Set<string>>()
    for (const f of fields) {
      if (f.objectId === undefined || f.value === '') continue
      const set = tagged.get(f.value) ?? new Set<string>()
      set.add(f.objectId)
      tagged.set(f.value, set)
    }
    const limit = pLimit(concurrency)
    const out = new Map<string, readonly string[]>()
    await Promise.all(
      [...tagged].map(async ([stackId, ids]) =>
        limit(async () => {
          const list = [...ids].sort()
          if (list.length === 1 && orderOf.get(stackId) === list[0]) {
            out.set(stackId, list)
            return
          }
          const subs = await Promise.all(list.map(async (id) => kb.subscription(id)))
          out.set(
            stackId,
            subs.filter((s) => s !== null && (s.state === undefined || s.state === 'ACTIVE')).map((s) => (s as {subscriptionId: string}).subscriptionId),
          )
        }),
      ),
    )
    return {enabled: true, subscriptionsByStack: out}
  } catch (error) {
    problems.push(problemOf('billing', error, `Kill Bill could not be read (${message(error)}): new racks get a provisional order id until it can`))
    return {enabled: true, subscriptionsByStack: new Map()}
  }
}

/**
 * The one decision on deleting a Concertim object whose cloud object no longer appears (DESIGN §3),
 * pure and total over its evidence. Nothing else in the tool decides a deletion: the engine gathers
 * the evidence (listings, direct GETs, the token's reach), the baseline records what the decision
 * says about misses, `apply` carries out what it allows.
 *
 * The rules, in order:
 * 1. provenance — a rack holding a device we did not make is never deleted (the caller passes only
 *    objects carrying our metadata);
 * 2. existence — an object the cloud still shows (in a listing, or a direct GET answering 200) is
 *    never deleted, and its misses start again from zero;
 * 3. completeness — nothing is deleted, and no miss is counted, unless every listing that would show
 *    the object was complete and consistent (a listing a direct GET proved wrong this run deletes
 *    only on a 404);
 * 4. reach — a 404 proves absence only from a token proven to see every project (a token without
 *    the admin role gets 404s for other projects' objects);
 * 5. confirmation — a direct GET answered 404, or (full syncs only) the GET could not answer and the
 *    previous complete sync missed the object too;
 * 6. only a full, complete sync counts a miss; a one-entity reconcile (listen) deletes only on a 404.
 * The caps (per plan, and across listen's deletions in a time window) come after, over all decisions.
 */
import type {Blocked, DirectAnswer, MissEffect} from '../../model/plan.js'

export type {DirectAnswer, MissEffect} from '../../model/plan.js'

export interface DeletionEvidence {
  /** What a direct GET of the cloud object said; `not-asked` before one was made. */
  direct: DirectAnswer
  /**
   * Why the listings that would show the object cannot prove its absence (incomplete, a partial
   * record, or found inconsistent by a direct GET this run); null when they can.
   */
  incomplete: null | string
  /**
   * The listing that missed the object missed others that a direct GET found this run: its silence
   * proves nothing (only a 404 deletes, and no miss is counted).
   */
  inconsistent?: boolean
  /** The object appears in this run's listings (it exists, it is only no longer shown here). */
  listed: boolean
  /** Consecutive complete full syncs that missed the object before this run. */
  misses: number
  /** A full sync (`all`) or one entity's reconcile (`entity`, listen). */
  scope: 'all' | 'entity'
  /** The OpenStack token is proven to see every project (its 404s mean "gone"). */
  seesAllProjects: boolean
  /** Racks only: devices in the rack that this tool did not make. */
  unmanagedContents?: number
}

export interface DeletionDecision {
  /** A direct GET would settle it: ask one, then decide again with its answer. */
  ask: boolean
  /** Why it is not deleted now; absent when it is deleted. */
  blocked?: Blocked
  /** What the baseline does with the object's miss count. */
  misses: MissEffect
}

const withhold = (code: Blocked['code'], message: string, misses: MissEffect, ask = false): DeletionDecision => ({ask, blocked: {code, message}, misses})

export function decide(what: string, e: DeletionEvidence): DeletionDecision {
  const full = e.scope === 'all'
  if ((e.unmanagedContents ?? 0) > 0) {
    return withhold('unmanaged-contents', `the rack holds ${e.unmanagedContents} device(s) not made from the cloud; deleting it would destroy them`, 'keep')
  }
  if (e.listed) return withhold('exists', `${what} is still in the cloud, only no longer shown here; left as it is`, 'reset')
  if (e.direct === 'exists') return withhold('exists', `${what} is missing from the listing, but a direct GET found it; left as it is`, 'reset')
  if (e.incomplete !== null) return withhold('incomplete', `not deleted: ${e.incomplete}`, 'keep')
  if (!e.seesAllProjects) {
    return withhold('visibility', `not deleted: the OpenStack token is not proven to see every project (no admin role), so a 404 may only mean it cannot see ${what}`, 'keep')
  }
  if (e.inconsistent === true) {
    return e.direct === 'gone'
      ? {ask: false, misses: 'keep'}
      : withhold('incomplete', `not deleted: the listing that missed ${what} missed objects that still exist`, 'keep', e.direct === 'not-asked')
  }
  // A miss is counted only by a full sync whose listings were complete.
  const miss: MissEffect = full ? 'count' : 'keep'
  switch (e.direct) {
    case 'gone': {
      return {ask: false, misses: miss}
    }
    case 'not-asked': {
      return withhold('unconfirmed', `${what} is missing from a complete listing; waiting for a 404 from a direct GET`, miss, true)
    }
    case 'unknown': {
      if (full && e.misses >= 1) return {ask: false, misses: miss}
      return withhold(
        'unconfirmed',
        full
          ? `${what} is missing from a complete listing and a direct GET could not tell; deleted if the next complete sync misses it too`
          : `${what}: a direct GET could not tell whether it is gone; left for the next sync`,
        miss,
      )
    }
  }
}

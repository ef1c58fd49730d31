/**
 * One rack's key is reconciled at a time (DESIGN §2, §4). Two entities whose reconciles write the
 * same rack must not run at once: a stack's first event and its server's first event would both see
 * no rack and both POST it. What a reconcile writes is known only roughly before it observes, so the
 * claim is by what is known:
 * - an entity whose device the view store places in a rack: that rack (exclusive) within its project
 *   (shared) — device updates of different racks run side by side;
 * - a stack, a project, an entity whose rack is not known yet (a new server: its stack's rack, or the
 *   project's stand-alone rack, may have to be created): the whole project (exclusive);
 * - no project known: the entity alone.
 * Locks are fair (first come, first served): a project-wide claim is not starved by rack claims.
 * They serialize within one process; several listeners on one queue rely on Concertim's unique
 * `order_id` and the next reconcile.
 */
import type {EntityKind} from '../events/index.js'
import type {ViewStore} from '../store/types.js'

export interface WriteClaim {
  /** The project whose racks the reconcile may write: shared with `rack`, else exclusive. */
  project?: string
  /** The one rack key the reconcile writes (`rack:<stack id>`, `rack:project:<id>`, or the entity key when no project is known). */
  rack?: string
}

/** What an entity's reconcile claims (pure). `knownRack`: the rack key the view store gives its device. */
export function claimFor(ref: {id: string; kind: EntityKind}, projectId: string | undefined, knownRack?: string): WriteClaim {
  if (ref.kind === 'user') return {}
  const project = ref.kind === 'project' ? ref.id : projectId
  if (project === undefined) return {rack: `${ref.kind}:${ref.id}`}
  if (ref.kind === 'stack' || ref.kind === 'project' || knownRack === undefined) return {project}
  return {project, rack: knownRack}
}

/**
 * `claimFor` with the rack the view store gives an entity's device (`device:<id>` → `rackKey`). A
 * store that cannot be read makes the claim project-wide (the safe side).
 */
export function viewStoreClaim(store: Pick<ViewStore, 'get'>): (ref: {id: string; kind: EntityKind}, projectId: string | undefined) => Promise<WriteClaim> {
  return async (ref, projectId) => {
    if (ref.kind !== 'server' && ref.kind !== 'volume' && ref.kind !== 'network') return claimFor(ref, projectId)
    const key = `device:${ref.id}`
    const entry = (await store.get([key]).catch(() => undefined))?.get(key)
    return claimFor(ref, projectId, typeof entry?.rackKey === 'string' ? entry.rackKey : undefined)
  }
}

/** A fair readers–writer lock. */
class FairLock {
  private readers = 0
  private writer = false
  private readonly waiting: Array<{exclusive: boolean; grant: () => void}> = []

  get idle(): boolean {
    return !this.writer && this.readers === 0 && this.waiting.length === 0
  }

  async acquire(exclusive: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.free(exclusive)) {
      this.take(exclusive)
      return
    }
    await new Promise<void>((grant) => this.waiting.push({exclusive, grant}))
  }

  release(exclusive: boolean): void {
    if (exclusive) this.writer = false
    else this.readers--
    while (this.waiting.length > 0 && this.free(this.waiting[0].exclusive)) {
      const next = this.waiting.shift() as {exclusive: boolean; grant: () => void}
      this.take(next.exclusive)
      next.grant()
    }
  }

  private free(exclusive: boolean): boolean {
    return exclusive ? !this.writer && this.readers === 0 : !this.writer
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.writer = true
    else this.readers++
  }
}

export class RackLocks {
  private readonly projects = new Map<string, FairLock>()
  private readonly racks = new Map<string, FairLock>()

  /** Run `fn` holding the claim (project first, then rack: one order, no deadlock). */
  async run<T>(claim: WriteClaim, fn: () => Promise<T>): Promise<T> {
    const held: Array<[Map<string, FairLock>, string, boolean]> = []
    if (claim.project !== undefined) held.push([this.projects, claim.project, claim.rack === undefined])
    if (claim.rack !== undefined) held.push([this.racks, claim.rack, true])
    for (const [map, key, exclusive] of held) {
      let lock = map.get(key)
      if (lock === undefined) {
        lock = new FairLock()
        map.set(key, lock)
      }
      await lock.acquire(exclusive)
    }
    try {
      return await fn()
    } finally {
      for (const [map, key, exclusive] of held.reverse()) {
        const lock = map.get(key) as FairLock
        lock.release(exclusive)
        if (lock.idle) map.delete(key)
      }
    }
  }
}

/**
 * After a cloud action is accepted, the affected entity is reconciled into Concertim at once (the
 * engine's scoped reconcile, as `listen` does for a notification), so the app shows the new status
 * without waiting for `listen` or the next `sync`. Requests for one entity share a run: one that
 * arrives while the entity is being reconciled waits for one more run after it (which sees its
 * action), never starts a second one beside it. Runs are bounded in number and the request waits
 * at most `waitMs`: the action was accepted either way, and the reconcile goes on.
 */
import pLimit, {type LimitFunction} from 'p-limit'

import type {Scope} from '../model/scope.js'

export interface ReconcileNote {
  /** A short reason when not `done`. */
  message?: string
  state: 'done' | 'failed' | 'pending'
}

interface Slot {
  queued?: Promise<ReconcileNote>
  running?: Promise<ReconcileNote>
}

const keyOf = (scope: Scope): string => (scope.kind === 'all' ? 'all' : `${scope.kind}:${scope.id}`)

export class AfterActionReconciler {
  private readonly limit: LimitFunction
  private readonly slots = new Map<string, Slot>()

  constructor(
    private readonly run: (scope: Scope) => Promise<ReconcileNote>,
    private readonly opts: {concurrency: number; waitMs: number},
  ) {
    this.limit = pLimit(opts.concurrency)
  }

  /** Reconcile the scope; `pending` when it did not finish within `waitMs` (it goes on). */
  async reconcile(scope: Scope): Promise<ReconcileNote> {
    const run = this.schedule(scope)
    let timer: NodeJS.Timeout | undefined
    const pending = new Promise<ReconcileNote>((resolve) => {
      timer = setTimeout(() => resolve({message: `still running after ${this.opts.waitMs} ms`, state: 'pending'}), this.opts.waitMs)
    })
    try {
      return await Promise.race([run, pending])
    } finally {
      clearTimeout(timer)
    }
  }

  /** Runs in progress or queued (diagnostics, shutdown). */
  get active(): number {
    return this.slots.size
  }

  private schedule(scope: Scope): Promise<ReconcileNote> {
    const key = keyOf(scope)
    const slot = this.slots.get(key) ?? {}
    this.slots.set(key, slot)
    if (slot.queued !== undefined) return slot.queued
    const start = async (): Promise<ReconcileNote> => {
      slot.queued = undefined
      const p = this.limit(async () => this.run(scope)).catch((error: unknown) => ({message: error instanceof Error ? error.message : String(error), state: 'failed' as const}))
      slot.running = p
      try {
        return await p
      } finally {
        if (slot.running === p) slot.running = undefined
        if (slot.running === undefined && slot.queued === undefined) this.slots.delete(key)
      }
    }
    if (slot.running === undefined) return start()
    slot.queued = slot.running.then(start, start)
    return slot.queued
  }
}

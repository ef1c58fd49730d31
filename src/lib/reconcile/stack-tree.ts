/**
 * Heat stacks as trees: a ResourceGroup's or AutoScalingGroup's members live in nested stacks
 * (`parent` set), and Concertim shows one rack per top-level stack. Pure.
 *
 * A scaling signal updates only the group's nested stack: the top-level stack's `updated_time` and
 * status stay as they were. What a top-level stack owns therefore changes whenever any stack of its
 * tree changes, so its version folds in the versions of its nested stacks (the listing with
 * `show_nested=true` gives them, with `parent`).
 */
import type {HeatStack} from '../openstack/types.js'

type Versioned = Pick<HeatStack, 'creation_time' | 'id' | 'parent' | 'stack_status' | 'updated_time'>

/** One stack's own version: `updated_time` (or `creation_time`) and `stack_status`. */
export function ownVersion(s: Pick<HeatStack, 'creation_time' | 'stack_status' | 'updated_time'>): string {
  return `${s.updated_time ?? s.creation_time ?? ''}|${s.stack_status}`
}

/** `CREATE_IN_PROGRESS`, `UPDATE_IN_PROGRESS`, …: what Heat owns is changing under our eyes. */
export function isInProgress(status: string): boolean {
  return status.endsWith('_IN_PROGRESS')
}

const isTop = (s: Pick<HeatStack, 'parent'>): boolean => s.parent === undefined || s.parent === null || s.parent === ''

/** Each listed stack's top-level stack id (itself for a top-level stack; undefined when a parent is not listed). */
export function topLevelIds(stacks: readonly Pick<HeatStack, 'id' | 'parent'>[]): Map<string, string | undefined> {
  const parentOf = new Map(stacks.map((s) => [s.id, isTop(s) ? null : (s.parent as string)]))
  const out = new Map<string, string | undefined>()
  for (const s of stacks) {
    let id: string = s.id
    let top: string | undefined
    for (let depth = 0; depth < 64; depth++) {
      const parent = parentOf.get(id)
      if (parent === undefined) break
      if (parent === null) {
        top = id
        break
      }
      id = parent
    }
    out.set(s.id, top)
  }
  return out
}

export interface TreeVersion {
  /** Some stack of the tree is *_IN_PROGRESS: its resources are not settled (never reuse a cache). */
  inProgress: boolean
  /** The top-level stack's own version, then each nested stack's `id=version`, sorted. */
  version: string
}

/** The version of every top-level stack's tree, from a listing with nested stacks (`show_nested=true`). */
export function treeVersions(stacks: readonly Versioned[]): Map<string, TreeVersion> {
  const tops = topLevelIds(stacks)
  const nested = new Map<string, string[]>()
  const inProgress = new Map<string, boolean>()
  for (const s of stacks) {
    const top = tops.get(s.id)
    if (top === undefined) continue
    if (isInProgress(s.stack_status)) inProgress.set(top, true)
    if (top === s.id) continue
    const list = nested.get(top) ?? []
    list.push(`${s.id}=${ownVersion(s)}`)
    nested.set(top, list)
  }
  const out = new Map<string, TreeVersion>()
  for (const s of stacks) {
    if (!isTop(s)) continue
    const parts = (nested.get(s.id) ?? []).sort()
    out.set(s.id, {inProgress: inProgress.get(s.id) === true, version: [ownVersion(s), ...parts].join(' ')})
  }
  return out
}

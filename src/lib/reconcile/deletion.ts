/**
 * Deletion safety (DESIGN §3), the one place where a bug destroys an operator's data:
 * 1. provenance — only racks and devices carrying our metadata are candidates (the caller passes
 *    only those); a rack holding a device that is not ours is never deleted (recursive delete);
 * 2. completeness — nothing is deleted unless the listings that prove absence were complete and no
 *    record was partial;
 * 3. confirmation — a direct GET answered 404 (`confirmedGone`), or the previous complete sync
 *    missed the object too (baseline `misses` ≥ 1);
 * 4. the cap — more deletes than `maxDeletes` blocks them all (`deletionCapExceeded`).
 */
import type {Baseline} from '../model/baseline.js'
import type {ConcertimDevice, ConcertimRack} from '../model/concertim.js'
import type {DesiredCompleteness} from '../model/desired.js'
import type {Blocked, DeviceDelete, PendingConfirmation, RackDelete} from '../model/plan.js'

export interface RackCandidate {
  cloudId: string
  /** Devices in the rack (all of them, ours or not). */
  contents: readonly ConcertimDevice[]
  key: string
  kind: 'stack' | 'standalone'
  rack: ConcertimRack
  unmanagedContents: number
}

export interface DeviceCandidate {
  cloudId: string
  device: ConcertimDevice
  key: string
  /** The stack id of the device's rack, if any. */
  stackId: null | string
}

export interface DeletionInput {
  allowMassDelete: boolean
  baseline: Baseline
  complete: DesiredCompleteness
  confirmedGone: ReadonlySet<string>
  devices: readonly DeviceCandidate[]
  /** Managed racks + managed devices in Concertim (for the default cap). */
  managedCount: number
  maxDeletes?: number
  racks: readonly RackCandidate[]
}

export interface DeletionPlan {
  actions: (DeviceDelete | RackDelete)[]
  capExceeded: boolean
  maxDeletes: number
  pending: PendingConfirmation[]
}

/** 10% of the managed objects, at least 5. */
export function defaultMaxDeletes(managedCount: number): number {
  return Math.max(5, Math.floor(managedCount / 10))
}

function missedBefore(baseline: Baseline, key: string): boolean {
  return Object.hasOwn(baseline.entries, key) && baseline.entries[key].misses >= 1
}

const CLOUD_KIND = {Instance: 'server', Network: 'network', Volume: 'volume'} as const
const LISTING = {Instance: 'servers', Network: 'networks', Volume: 'volumes'} as const

function rackIncomplete(c: RackCandidate, complete: DesiredCompleteness): null | string {
  if (!complete.stacks) return 'the Heat stack listing was incomplete'
  if (c.kind === 'standalone' && !complete.servers) return 'the server listing was incomplete or had partial records'
  return null
}

function deviceIncomplete(c: DeviceCandidate, complete: DesiredCompleteness, unknownResources: ReadonlySet<string>): null | string {
  const listing = LISTING[c.device.type]
  if (!complete[listing]) return `the ${listing} listing was incomplete or had partial records`
  if (!complete.stacks) return 'the Heat stack listing was incomplete'
  if (c.stackId !== null && unknownResources.has(c.stackId)) return `the resources of stack ${c.stackId} could not all be listed`
  return null
}

export function planDeletions(input: DeletionInput): DeletionPlan {
  const actions: (DeviceDelete | RackDelete)[] = []
  const pending: PendingConfirmation[] = []
  const unknownResources = new Set(input.complete.stacksWithUnknownResources)

  const confirm = (key: string, cloudId: string, cloudKind: PendingConfirmation['cloudKind'], what: string): Blocked | undefined => {
    if (input.confirmedGone.has(cloudId) || missedBefore(input.baseline, key)) return undefined
    pending.push({cloudId, cloudKind, key})
    return {code: 'unconfirmed', message: `${what} is missing from a complete listing; waiting for a 404 from a direct GET or a second complete sync`}
  }

  for (const c of input.devices) {
    const what = `${c.device.type.toLowerCase()} ${c.cloudId}`
    const incomplete = deviceIncomplete(c, input.complete, unknownResources)
    const blocked: Blocked | undefined =
      incomplete === null ? confirm(c.key, c.cloudId, CLOUD_KIND[c.device.type], what) : {code: 'incomplete', message: `not deleted: ${incomplete}`}
    actions.push({
      ...(blocked === undefined ? {} : {blocked}),
      body: null,
      changes: {},
      cloudId: c.cloudId,
      concertimId: c.device.id,
      key: c.key,
      kind: 'delete',
      name: c.device.name,
      object: 'device',
      reason: `${what} is gone from the cloud`,
    })
  }

  for (const c of input.racks) {
    const what = c.kind === 'stack' ? `stack ${c.cloudId}` : `the stand-alone servers of project ${c.cloudId}`
    const incomplete = rackIncomplete(c, input.complete)
    let blocked: Blocked | undefined
    if (incomplete !== null) blocked = {code: 'incomplete', message: `not deleted: ${incomplete}`}
    else if (c.unmanagedContents > 0) {
      blocked = {
        code: 'unmanaged-contents',
        message: `the rack holds ${c.unmanagedContents} device(s) not made from the cloud; deleting it would destroy them`,
      }
    } else blocked = confirm(c.key, c.cloudId, c.kind === 'stack' ? 'stack' : 'project', what)
    const n = c.contents.length
    actions.push({
      ...(blocked === undefined ? {} : {blocked}),
      body: null,
      changes: {},
      cloudId: c.cloudId,
      concertimId: c.rack.id,
      key: c.key,
      kind: 'delete',
      name: c.rack.name,
      object: 'rack',
      reason: `${c.kind === 'stack' ? `${what} is gone` : `${what} are no longer shown`}${n > 0 ? ` (the rack and its ${n} device(s))` : ''}`,
    })
  }

  const maxDeletes = input.maxDeletes ?? defaultMaxDeletes(input.managedCount)
  const going = actions.filter((a) => a.blocked === undefined)
  const capExceeded = going.length > maxDeletes
  if (capExceeded && !input.allowMassDelete) {
    for (const a of going) {
      a.blocked = {code: 'cap', message: `${going.length} deletes planned, more than the cap of ${maxDeletes}; none is done without --allow-mass-delete`}
    }
  }
  return {actions, capExceeded, maxDeletes, pending}
}

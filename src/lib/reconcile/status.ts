/**
 * OpenStack states → Concertim statuses (original-service §3.7, with the fixes of §10).
 *
 * Every map returns a status the Concertim object type accepts (concertim-api §4.4, §4.6). A value the
 * map does not know gives FAILED and `unknown` set to the value, so that the caller reports it once.
 */
import type {InstanceStatus, NetworkStatus, RackStatus, VolumeStatus} from '../model/concertim.js'
import type {Server} from '../model/cloud.js'

export interface Mapped<S extends string> {
  status: S
  /** The value no table knew (FAILED was given). */
  unknown?: string
}

function lookup<S extends string>(table: ReadonlyMap<string, S>, value: null | string | undefined, failed: S): Mapped<S> {
  const v = value ?? ''
  const hit = table.get(v) ?? table.get(v.toLowerCase())
  return hit === undefined ? {status: failed, unknown: v} : {status: hit}
}

// ---------------------------------------------------------------------------------------------
// Heat stack → rack

const HEAT_COMPLETE: Readonly<Record<string, RackStatus>> = {
  ADOPT: 'ACTIVE',
  CHECK: 'ACTIVE',
  CREATE: 'ACTIVE',
  /** Heat shows DELETE_COMPLETE only briefly: the stack is going away. */
  DELETE: 'IN_PROGRESS',
  /** INIT_COMPLETE: the stack row exists, its create has not started. */
  INIT: 'IN_PROGRESS',
  RESTORE: 'ACTIVE',
  RESUME: 'ACTIVE',
  /**
   * ROLLBACK_COMPLETE: the stack is back to the state it had before the failed operation, which for
   * an update is the previous, working stack. ACTIVE (the failure reason is kept in the
   * `stack_status_reason` metadata). A rolled-back *create* leaves an empty stack; ACTIVE still says
   * "nothing is going on and nothing is broken", and its rack holds no devices.
   */
  ROLLBACK: 'ACTIVE',
  SNAPSHOT: 'ACTIVE',
  SUSPEND: 'STOPPED',
  UPDATE: 'ACTIVE',
}

/** Heat `stack_status` (`<ACTION>_<STATUS>`) → rack status. */
export function rackStatus(stackStatus: null | string | undefined): Mapped<RackStatus> {
  const v = (stackStatus ?? '').toUpperCase()
  const m = /^([A-Z]+)_(COMPLETE|FAILED|IN_PROGRESS)$/.exec(v)
  const action = m?.[1]
  if (m === null || action === undefined || !Object.hasOwn(HEAT_COMPLETE, action)) {
    return {status: 'FAILED', unknown: stackStatus ?? ''}
  }
  if (m[2] === 'IN_PROGRESS') return {status: 'IN_PROGRESS'}
  if (m[2] === 'FAILED') return {status: 'FAILED'}
  return {status: HEAT_COMPLETE[action]}
}

// ---------------------------------------------------------------------------------------------
// Nova server → Instance device (IN_PROGRESS FAILED ACTIVE STOPPED SUSPENDED)

const VM_STATE = new Map<string, InstanceStatus>([
  ['active', 'ACTIVE'],
  ['building', 'IN_PROGRESS'],
  /** `deleted` is seen only until the record disappears. */
  ['deleted', 'IN_PROGRESS'],
  ['error', 'FAILED'],
  /** Paused: frozen in memory. Concertim has no PAUSED; SUSPENDED is the closest allowed status. */
  ['paused', 'SUSPENDED'],
  /** Rescue mode: the server runs (from a rescue image). */
  ['rescued', 'ACTIVE'],
  /** Resized, waiting for confirm or revert: it runs. */
  ['resized', 'ACTIVE'],
  /** Shelved: off, and (offloaded) off its host; unshelve starts it again. */
  ['shelved', 'STOPPED'],
  ['shelved_offloaded', 'STOPPED'],
  /** Soft-deleted: gone unless restored within the reclaim interval — no action should be offered. */
  ['soft-delete', 'IN_PROGRESS'],
  ['soft_deleted', 'IN_PROGRESS'],
  ['stopped', 'STOPPED'],
  ['suspended', 'SUSPENDED'],
])

/** Nova `status` (what non-admin views show) when `vm_state` is not visible. */
const NOVA_STATUS = new Map<string, InstanceStatus>([
  ['ACTIVE', 'ACTIVE'],
  ['BUILD', 'IN_PROGRESS'],
  ['DELETED', 'IN_PROGRESS'],
  ['ERROR', 'FAILED'],
  ['HARD_REBOOT', 'IN_PROGRESS'],
  ['MIGRATING', 'IN_PROGRESS'],
  ['PASSWORD', 'IN_PROGRESS'],
  ['PAUSED', 'SUSPENDED'],
  ['REBOOT', 'IN_PROGRESS'],
  ['REBUILD', 'IN_PROGRESS'],
  ['RESCUE', 'ACTIVE'],
  ['RESIZE', 'IN_PROGRESS'],
  ['REVERT_RESIZE', 'IN_PROGRESS'],
  ['SHELVED', 'STOPPED'],
  ['SHELVED_OFFLOADED', 'STOPPED'],
  ['SHUTOFF', 'STOPPED'],
  ['SOFT_DELETED', 'IN_PROGRESS'],
  ['SUSPENDED', 'SUSPENDED'],
  ['VERIFY_RESIZE', 'ACTIVE'],
])

/**
 * A server's status: its `vm_state` (as the original), except that a task under way (`task_state`
 * set: powering-off, rebooting, resize_migrating, deleting, …) gives IN_PROGRESS unless the server
 * is in error. Without `vm_state` (non-admin view), nova's `status`.
 */
export function serverStatus(server: Pick<Server, 'status' | 'taskState' | 'vmState'>): Mapped<InstanceStatus> {
  const mapped =
    server.vmState === null || server.vmState === ''
      ? lookup(NOVA_STATUS, server.status.toUpperCase(), 'FAILED')
      : lookup(VM_STATE, server.vmState, 'FAILED')
  if (mapped.unknown === undefined && mapped.status !== 'FAILED' && server.taskState !== null && server.taskState !== '') {
    return {status: 'IN_PROGRESS'}
  }
  return mapped
}

// ---------------------------------------------------------------------------------------------
// Cinder volume → Volume device (IN_PROGRESS FAILED ACTIVE AVAILABLE)

const CINDER = new Map<string, VolumeStatus>([
  ['attaching', 'IN_PROGRESS'],
  ['available', 'AVAILABLE'],
  ['awaiting-transfer', 'IN_PROGRESS'],
  ['backing-up', 'IN_PROGRESS'],
  ['creating', 'IN_PROGRESS'],
  ['deleting', 'IN_PROGRESS'],
  ['detaching', 'IN_PROGRESS'],
  ['downloading', 'IN_PROGRESS'],
  ['error', 'FAILED'],
  ['error_backing-up', 'FAILED'],
  ['error_deleting', 'FAILED'],
  ['error_extending', 'FAILED'],
  ['error_managing', 'FAILED'],
  ['error_restoring', 'FAILED'],
  ['extending', 'IN_PROGRESS'],
  ['in-use', 'ACTIVE'],
  ['maintenance', 'IN_PROGRESS'],
  ['managing', 'IN_PROGRESS'],
  ['reserved', 'IN_PROGRESS'],
  ['restoring-backup', 'IN_PROGRESS'],
  ['retyping', 'IN_PROGRESS'],
  ['uploading', 'IN_PROGRESS'],
])

export function volumeStatus(status: null | string | undefined): Mapped<VolumeStatus> {
  return lookup(CINDER, status, 'FAILED')
}

// ---------------------------------------------------------------------------------------------
// Neutron network → Network device (IN_PROGRESS FAILED ACTIVE STOPPED)

const NEUTRON = new Map<string, NetworkStatus>([
  ['ACTIVE', 'ACTIVE'],
  ['BUILD', 'IN_PROGRESS'],
  /** DOWN: administratively down or not wired; Network allows STOPPED. */
  ['DOWN', 'STOPPED'],
  ['ERROR', 'FAILED'],
])

export function networkStatus(status: null | string | undefined): Mapped<NetworkStatus> {
  return lookup(NEUTRON, (status ?? '').toUpperCase(), 'FAILED')
}

/**
 * `POST /update_status/<type>/<id>`: the power and destroy buttons of the Concertim app, run with
 * the caller's own OpenStack credentials (OpenStack's policies decide what the caller may do).
 *
 * - instances: on → os-start, off → os-stop, suspend, resume, destroy → DELETE;
 * - volumes: destroy → DELETE (os-force_delete for an admin token: Cinder allows it admins only),
 *   detach → Nova's detach of every attachment (Cinder's own os-detach only edits Cinder's records
 *   and leaves the volume attached to the server: the original's defect);
 * - networks: destroy → dissociate the floating IPs of the network's ports, remove its router
 *   interfaces, delete its other ports, then the network (the original dissociated every floating
 *   IP of the routers, other networks' too);
 * - racks: suspend / resume / destroy of the Heat stack.
 *
 * Safe to repeat (the app's retry, a double click): an action whose effect is already there
 * (a stopped server asked to stop: Nova's 409; a destroyed server: 404) is a success that says so.
 * A 404 counts as "already gone" only when the configured admin cannot see the object either: a
 * server of another project answers 404 to the caller's token too, and that stays a 404.
 */
import {HttpError} from '../http/index.js'
import type {Scope} from '../model/scope.js'
import type {NovaServerAction} from '../openstack/nova.js'
import {ActionRefused} from './errors.js'
import type {CloudClients} from './sessions.js'

export const STATUS_ACTIONS = {
  instances: ['on', 'off', 'suspend', 'resume', 'destroy'],
  networks: ['destroy'],
  racks: ['suspend', 'resume', 'destroy'],
  volumes: ['destroy', 'detach'],
} as const

export type TargetType = keyof typeof STATUS_ACTIONS
export type StatusChange = {[T in TargetType]: {action: (typeof STATUS_ACTIONS)[T][number]; type: T}}[TargetType]

/** The change a type and an action name (pure); an unknown one is refused with 406, as the app expects. */
export function statusChangeOf(type: string, action: string): StatusChange {
  if (!Object.hasOwn(STATUS_ACTIONS, type)) {
    throw new ActionRefused(406, 'InvalidAPICall', `unknown object type '${type}': one of ${Object.keys(STATUS_ACTIONS).join(', ')}`)
  }
  const allowed: readonly string[] = STATUS_ACTIONS[type as TargetType]
  if (!allowed.includes(action)) {
    throw new ActionRefused(406, 'InvalidAPICall', `'${action}' is not an action on ${type}: one of ${allowed.join(', ')}`)
  }
  return {action, type} as StatusChange
}

/** What Concertim shows for the object: the scope the engine reconciles after the action (pure). */
export function scopeOfTarget(type: TargetType, id: string): Scope {
  switch (type) {
    case 'instances': {
      return {id, kind: 'server'}
    }
    case 'networks': {
      return {id, kind: 'network'}
    }
    case 'racks': {
      return {id, kind: 'stack'}
    }
    case 'volumes': {
      return {id, kind: 'volume'}
    }
  }
}

export interface StatusChangeOutcome {
  /** The effect was there before: nothing was asked of OpenStack (or it said so). */
  already?: 'done' | 'gone'
  requestIds: string[]
  /** What was asked of OpenStack, in order (e.g. `remove router interface r1 port p1`). */
  steps: string[]
  submitted: boolean
}

/** Whether the configured admin sees an object (the "already gone" check of a 404). */
export interface AdminLookup {
  exists(type: TargetType, id: string): Promise<boolean>
}

const NOVA_ACTION: Record<'off' | 'on' | 'resume' | 'suspend', {call: NovaServerAction; status: string}> = {
  off: {call: 'os-stop', status: 'SHUTOFF'},
  on: {call: 'os-start', status: 'ACTIVE'},
  resume: {call: 'resume', status: 'ACTIVE'},
  suspend: {call: 'suspend', status: 'SUSPENDED'},
}

const isStatus = (error: unknown, status: number): error is HttpError => error instanceof HttpError && error.status === status

/** Run a status change on the object `id` with the caller's clients. */
export async function performStatusChange(change: StatusChange, id: string, user: CloudClients, admin: AdminLookup): Promise<StatusChangeOutcome> {
  const gone = async (error: HttpError): Promise<StatusChangeOutcome> => {
    if (await admin.exists(change.type, id)) throw error
    return {already: 'gone', requestIds: [], steps: [], submitted: false}
  }
  switch (change.type) {
    case 'instances': {
      if (change.action === 'destroy') {
        try {
          return {requestIds: await user.nova.deleteServer(id), steps: [`delete server ${id}`], submitted: true}
        } catch (error) {
          if (isStatus(error, 404)) return gone(error)
          throw error
        }
      }
      const {call, status} = NOVA_ACTION[change.action]
      try {
        return {requestIds: await user.nova.serverAction(id, call), steps: [`${call} server ${id}`], submitted: true}
      } catch (error) {
        // 409: not in a state that allows it — fine if it is already in the state asked for.
        if (isStatus(error, 409)) {
          const server = await user.nova.getServer(id)
          if (server?.status === status) return {already: 'done', requestIds: [], steps: [], submitted: false}
        }
        throw error
      }
    }
    case 'volumes': {
      return change.action === 'destroy' ? destroyVolume(id, user, gone) : detachVolume(id, user)
    }
    case 'networks': {
      return destroyNetwork(id, user, admin)
    }
    case 'racks': {
      const stack = await user.heat.findStack(id)
      if (stack === null) {
        if (await admin.exists('racks', id)) throw new ActionRefused(404, 'NotFound', `stack ${id} could not be found with these credentials (it belongs to a project they are not scoped to)`)
        return {already: 'gone', requestIds: [], steps: [], submitted: false}
      }
      const ref = {id: stack.id, stack_name: stack.stack_name}
      if (change.action === 'destroy') {
        if (stack.stack_status === 'DELETE_COMPLETE') return {already: 'gone', requestIds: [], steps: [], submitted: false}
        return {requestIds: await user.heat.deleteStack(ref), steps: [`delete stack ${stack.stack_name} ${stack.id}`], submitted: true}
      }
      if (stack.stack_status === `${change.action.toUpperCase()}_COMPLETE`) return {already: 'done', requestIds: [], steps: [], submitted: false}
      return {requestIds: await user.heat.stackAction(ref, change.action), steps: [`${change.action} stack ${stack.stack_name} ${stack.id}`], submitted: true}
    }
  }
}

async function destroyVolume(id: string, user: CloudClients, gone: (e: HttpError) => Promise<StatusChangeOutcome>): Promise<StatusChangeOutcome> {
  const force = (await user.keystone.roles()).some((r) => r.toLowerCase() === 'admin')
  try {
    return {requestIds: await user.cinder.deleteVolume(id, {force}), steps: [`${force ? 'force-delete' : 'delete'} volume ${id}`], submitted: true}
  } catch (error) {
    if (isStatus(error, 404)) return gone(error)
    throw error
  }
}

async function detachVolume(id: string, user: CloudClients): Promise<StatusChangeOutcome> {
  const volume = await user.cinder.getVolume(id)
  if (volume === null) throw new ActionRefused(404, 'NotFound', `volume ${id} could not be found with these credentials`)
  const servers = [...new Set((volume.attachments ?? []).map((a) => a.server_id))]
  if (servers.length === 0) return {already: 'done', requestIds: [], steps: [], submitted: false}
  const requestIds: string[] = []
  const steps: string[] = []
  for (const serverId of servers) {
    try {
      requestIds.push(...(await user.nova.detachVolume(serverId, id)))
      steps.push(`detach volume ${id} from server ${serverId}`)
    } catch (error) {
      // Detached meanwhile (or the server is gone): nothing left to do for that attachment.
      if (!isStatus(error, 404)) throw error
    }
  }
  return {requestIds, steps, submitted: steps.length > 0, ...(steps.length === 0 ? {already: 'done' as const} : {})}
}

async function destroyNetwork(id: string, user: CloudClients, admin: AdminLookup): Promise<StatusChangeOutcome> {
  const network = await user.neutron.getNetwork(id)
  if (network === null) {
    if (await admin.exists('networks', id)) throw new ActionRefused(404, 'NotFound', `network ${id} could not be found with these credentials (it belongs to a project they are not scoped to)`)
    return {already: 'gone', requestIds: [], steps: [], submitted: false}
  }
  const requestIds: string[] = []
  const steps: string[] = []
  const ports = await user.neutron.listPorts({networkId: id})
  const interfaces = ports.filter((p) => p.device_owner === 'network:router_interface')
  // DHCP ports go with the network; a router's gateway port is the router's, not this network's to remove.
  const others = ports.filter((p) => p.device_owner !== 'network:router_interface' && p.device_owner !== 'network:dhcp' && p.device_owner !== 'network:router_gateway')
  for (const port of others) {
    for (const fip of await user.neutron.listFloatingIps({portId: port.id})) {
      requestIds.push(...(await user.neutron.disassociateFloatingIp(fip.id)))
      steps.push(`dissociate floating IP ${fip.floating_ip_address} from port ${port.id}`)
    }
  }
  for (const port of interfaces) {
    try {
      requestIds.push(...(await user.neutron.removeRouterInterface(port.device_id, port.id)))
      steps.push(`remove router ${port.device_id} interface port ${port.id}`)
    } catch (error) {
      if (!isStatus(error, 404)) throw error
    }
  }
  for (const port of others) {
    if (await user.neutron.deletePort(port.id)) steps.push(`delete port ${port.id}`)
  }
  try {
    requestIds.push(...(await user.neutron.deleteNetwork(id)))
    steps.push(`delete network ${id}`)
  } catch (error) {
    if (!isStatus(error, 404)) throw error
  }
  return {requestIds, steps, submitted: true}
}

/**
 * Neutron's resource notifications (neutron/api/v2/base.py): `network.create|update|delete.start`
 * with the request body, `.end` with `{"network": view}` (delete: `{"network_id", "network"}`), and
 * `subnet.create.*` for the subnet a created network gets; publisher `network.<host>`, topic
 * `notifications`, exchange `neutron`.
 */
import type {Network, NetworkChange, World} from '../world.js'
import {networkView, subnetView} from '../openstack/neutron.js'
import type {OsloNotification} from './oslo.js'
import {osloContext} from './request-context.js'

const PUBLISHER = 'network.controller'

export function neutronNotifications(world: World, change: NetworkChange, exchange: string): OsloNotification[] {
  const context = osloContext(world, change, {tenant_id: change.projectId, tenant_name: change.projectName, tenant: change.projectId})
  const out: OsloNotification[] = []
  const push = (eventType: string, payload: unknown) => out.push({context, eventType, exchange, payload, priority: 'INFO', publisherId: PUBLISHER, timestamp: change.timestamp, topic: 'notifications'})
  const n = (change.after ?? change.before) as Network
  if (change.action === 'create') {
    push('network.create.start', {network: {admin_state_up: n.adminStateUp, name: n.name, shared: n.shared}})
    push('network.create.end', {network: networkView(n)})
    for (const s of change.subnets) {
      push('subnet.create.start', {subnet: {cidr: s.cidr, ip_version: s.ipVersion, name: s.name, network_id: s.networkId}})
      push('subnet.create.end', {subnet: subnetView(s)})
    }
  } else if (change.action === 'update') {
    const before = change.before as Network
    const body: Record<string, unknown> = {}
    if (before.name !== n.name) body.name = n.name
    if (before.adminStateUp !== n.adminStateUp) body.admin_state_up = n.adminStateUp
    if (before.shared !== n.shared) body.shared = n.shared
    if (before.description !== n.description) body.description = n.description
    push('network.update.start', {id: n.id, network: body})
    push('network.update.end', {network: networkView(n)})
  } else if (change.action === 'delete') {
    push('network.delete.start', {network_id: n.id})
    push('network.delete.end', {network: networkView(n), network_id: n.id})
  }
  return out
}

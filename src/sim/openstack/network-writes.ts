/**
 * Simulated Neutron's ports, floating IPs, router interfaces, network delete and quotas, as
 * Neutron answers them: ports are the servers' fixed addresses (device_owner `compute:nova`) and
 * the routers' interfaces (`network:router_interface`); `DELETE /ports/{id}` (204) takes the
 * address off its server; `PUT /floatingips/{id}` with `port_id: null` dissociates (200);
 * `PUT /routers/{id}/remove_router_interface` (200; 409 while a floating IP needs it; 404 when the
 * router has no such interface); `DELETE /networks/{id}` (204; 409 `NetworkInUse` while ports
 * other than DHCP's remain). A non-admin sees and changes only its project's. The network delete
 * goes through CloudChanges, so Neutron's notifications follow.
 */
import {randomUUID} from 'node:crypto'

import type {SimApp, SimHandler, SimReply, SimRequest} from '../http-app.js'
import type {FloatingIp, World} from '../world.js'
import {isoSeconds, type RequestContext, type ServiceOptions} from './context.js'

type Guard = (h: (r: SimRequest, ctx: RequestContext) => SimReply) => SimHandler

export const NEUTRON_DEFAULT_QUOTA = {floatingip: 50, network: 100, port: 500, rbac_policy: 10, router: 10, security_group: 10, security_group_rule: 100, subnet: 100, subnetpool: -1}

interface PortRecord {
  device_id: string
  device_owner: string
  fixed_ips: {ip_address: string; subnet_id: string}[]
  id: string
  mac_address: string
  name: string
  network_id: string
  project_id: string
  status: string
  tenant_id: string
}

export function addNeutronWriteRoutes(app: SimApp, world: World, opts: ServiceOptions, guard: Guard): void {
  const changes = () => {
    if (opts.changes === undefined) throw new Error('the simulator was started without CloudChanges')
    return opts.changes
  }
  const withId = (reply: SimReply): SimReply => ({...reply, headers: {...reply.headers, 'x-openstack-request-id': `req-${randomUUID()}`}})
  const mine = (projectId: string, ctx: RequestContext) => ctx.isAdmin || projectId === ctx.project.id

  const ports = (): PortRecord[] => {
    const out: PortRecord[] = []
    for (const s of world.servers.values()) {
      for (const a of s.addresses) {
        if (a.type !== 'fixed') continue
        const subnet = world.networks.get(a.networkId)?.subnetIds[0] ?? ''
        out.push({device_id: s.id, device_owner: 'compute:nova', fixed_ips: [{ip_address: a.addr, subnet_id: subnet}], id: a.portId, mac_address: a.mac, name: '', network_id: a.networkId, project_id: s.projectId, status: 'ACTIVE', tenant_id: s.projectId})
      }
    }
    for (const p of world.routerPorts.values()) {
      out.push({device_id: p.routerId, device_owner: 'network:router_interface', fixed_ips: [{ip_address: p.ip, subnet_id: p.subnetId}], id: p.id, mac_address: 'fa:16:3e:00:00:01', name: '', network_id: p.networkId, project_id: p.projectId, status: 'ACTIVE', tenant_id: p.projectId})
    }
    return out
  }
  const fipView = (f: FloatingIp) => ({
    created_at: isoSeconds(world.now()),
    fixed_ip_address: f.fixedIp,
    floating_ip_address: f.address,
    id: f.id,
    port_id: f.portId,
    project_id: f.projectId,
    router_id: f.routerId,
    status: f.portId === null ? 'DOWN' : 'ACTIVE',
    tenant_id: f.projectId,
  })

  app.route('GET', '/v2.0/ports', guard((r, ctx) => {
    const q = r.query
    const items = ports().filter(
      (p) =>
        mine(p.project_id, ctx) &&
        (q.getAll('network_id').length === 0 || q.getAll('network_id').includes(p.network_id)) &&
        (q.getAll('device_id').length === 0 || q.getAll('device_id').includes(p.device_id)) &&
        (q.getAll('device_owner').length === 0 || q.getAll('device_owner').includes(p.device_owner)),
    )
    return {body: {ports: items}, status: 200}
  }))
  app.route('DELETE', '/v2.0/ports/:id', guard((r, ctx) => {
    const port = ports().find((p) => p.id === r.params.id)
    if (port === undefined || !mine(port.project_id, ctx)) return neutronError(404, 'PortNotFound', `Port ${r.params.id} could not be found.`)
    if (port.device_owner === 'network:router_interface') {
      return neutronError(409, 'L3PortInUse', `Port ${port.id} cannot be deleted directly via the port API: has device owner network:router_interface.`)
    }
    const server = world.servers.get(port.device_id)
    if (server) {
      server.addresses = server.addresses.filter((a) => a.portId !== port.id)
      server.updatedAt = world.now()
    }
    for (const f of world.floatingIps.values()) {
      if (f.portId === port.id) Object.assign(f, {fixedIp: null, portId: null, routerId: null})
    }
    return withId({status: 204})
  }))

  app.route('GET', '/v2.0/floatingips', guard((r, ctx) => {
    const portIds = r.query.getAll('port_id')
    const routerIds = r.query.getAll('router_id')
    const items = [...world.floatingIps.values()].filter(
      (f) => mine(f.projectId, ctx) && (portIds.length === 0 || portIds.includes(f.portId ?? '')) && (routerIds.length === 0 || routerIds.includes(f.routerId ?? '')),
    )
    return {body: {floatingips: items.map(fipView)}, status: 200}
  }))
  app.route('PUT', '/v2.0/floatingips/:id', guard((r, ctx) => {
    const f = world.floatingIps.get(r.params.id)
    if (f === undefined || !mine(f.projectId, ctx)) return neutronError(404, 'FloatingIPNotFound', `Floating IP ${r.params.id} could not be found`)
    const patch = (r.body as {floatingip?: {port_id?: unknown}} | null)?.floatingip
    if (patch === undefined || !('port_id' in patch)) return neutronError(400, 'HTTPBadRequest', 'Bad floatingip request: port_id is required.')
    if (patch.port_id === null) {
      for (const s of world.servers.values()) s.addresses = s.addresses.filter((a) => !(a.type === 'floating' && a.addr === f.address))
      Object.assign(f, {fixedIp: null, portId: null, routerId: null})
    }
    return withId({body: {floatingip: fipView(f)}, status: 200})
  }))

  app.route('PUT', '/v2.0/routers/:id/remove_router_interface', guard((r, ctx) => {
    const portId = (r.body as {port_id?: unknown} | null)?.port_id
    const port = [...world.routerPorts.values()].find((p) => p.routerId === r.params.id && p.id === portId)
    if (port === undefined || !mine(port.projectId, ctx)) {
      return neutronError(404, 'RouterInterfaceNotFound', `Router ${r.params.id} does not have an interface with id ${String(portId)}`)
    }
    const needed = [...world.floatingIps.values()].some((f) => f.routerId === r.params.id && f.portId !== null && ports().some((p) => p.id === f.portId && p.network_id === port.networkId))
    if (needed) {
      return neutronError(409, 'RouterInterfaceInUseByFloatingIP', `Router interface for subnet ${port.subnetId} on router ${r.params.id} cannot be deleted, as it is required by one or more floating IPs.`)
    }
    world.routerPorts.delete(port.id)
    return withId({body: {id: r.params.id, port_id: port.id, project_id: port.projectId, subnet_id: port.subnetId, subnet_ids: [port.subnetId], tenant_id: port.projectId}, status: 200})
  }))

  app.route('DELETE', '/v2.0/networks/:id', guard((r, ctx) => {
    const n = world.networks.get(r.params.id)
    if (n === undefined || !mine(n.projectId, ctx)) return neutronError(404, 'NetworkNotFound', `Network ${r.params.id} could not be found.`)
    if (ports().some((p) => p.network_id === n.id)) {
      return neutronError(409, 'NetworkInUse', `Unable to complete operation on network ${n.id}. There are one or more ports still in use on the network.`)
    }
    changes().deleteNetwork(n.id)
    return withId({status: 204})
  }))

  app.route('GET', '/v2.0/quotas/:project', guard((r, ctx) => {
    if (!ctx.isAdmin && r.params.project !== ctx.project.id) return neutronError(403, 'HTTPForbidden', 'Non-admin is not authorized to access quotas for another tenant')
    return {body: {quota: {...NEUTRON_DEFAULT_QUOTA}}, status: 200}
  }))
}

function neutronError(code: number, type: string, message: string): SimReply {
  return {body: {NeutronError: {detail: '', message, type}}, status: code}
}

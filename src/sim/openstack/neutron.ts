/**
 * Simulated Neutron (networking API v2.0): networks and subnets with neutron's filters
 * (`project_id`/`tenant_id`, `id`, `name`, `shared`), `fields=`, native pagination by id
 * (`limit`/`marker`, `networks_links` with `next` when more remain and `previous` when a marker was
 * given; an unknown marker is a 404), and show. Admins see every project's networks; others see
 * their own and shared ones. Errors are `{"NeutronError": {"type", "message", "detail"}}`.
 */
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import {byId, pageAfter, positionAfter, type Table} from '../table.js'
import {addNeutronWriteRoutes} from './network-writes.js'
import type {Network, Subnet, World} from '../world.js'
import {authed, baseUrl, isoSeconds, type RequestContext, type ServiceOptions, truthy} from './context.js'

export function createNeutronApp(world: World, opts: ServiceOptions): SimApp {
  const app = new SimApp('neutron', opts.faults)
  const guard = (h: (r: SimRequest, ctx: RequestContext) => SimReply) => authed(world, 'neutron', opts, h)
  app.route('GET', '/', (r) => ({body: {versions: [{id: 'v2.0', links: [{href: `${baseUrl(r)}/v2.0/`, rel: 'self'}], status: 'CURRENT'}]}, status: 200}))
  app.route('GET', '/v2.0', (r) => ({
    body: {resources: ['network', 'subnet'].map((n) => ({links: [{href: `${baseUrl(r)}/v2.0/${n}s`, rel: 'self'}], name: n, collection: `${n}s`}))},
    status: 200,
  }))

  const visibleNetwork = (n: Network, ctx: RequestContext) => ctx.isAdmin || n.projectId === ctx.project.id || n.shared
  const collection = <T extends {id: string; name: string; projectId: string}>(key: string, kind: string, table: Table<T>, visible: (t: T, ctx: RequestContext) => boolean, view: (t: T) => Record<string, unknown>) =>
    guard((r, ctx) => {
      const q = r.query
      const projects = [...q.getAll('project_id'), ...q.getAll('tenant_id')]
      const ids = q.getAll('id')
      const names = q.getAll('name')
      const shared = q.get('shared')
      const networkIds = q.getAll('network_id')
      const items = table.all().filter((t) => {
        if (!visible(t, ctx)) return false
        if (projects.length > 0 && !projects.includes(t.projectId)) return false
        if (ids.length > 0 && !ids.includes(t.id)) return false
        if (names.length > 0 && !names.includes(t.name)) return false
        const rec = t as unknown as {networkId?: string; shared?: boolean}
        if (shared !== null && rec.shared !== truthy(shared)) return false
        if (networkIds.length > 0 && !networkIds.includes(rec.networkId ?? '')) return false
        return true
      })
      const limitRaw = q.get('limit')
      let limit = Number.MAX_SAFE_INTEGER
      if (limitRaw !== null) {
        const n = Number(limitRaw)
        if (!Number.isInteger(n)) return neutronError(400, 'HTTPBadRequest', `Bad limit request: Limit must be an integer 0 or greater and not '${limitRaw}'.`)
        if (n > 0) limit = n
      }
      const markerId = q.get('marker')
      let marker: T | undefined
      if (markerId !== null && limitRaw !== null) {
        marker = table.get(markerId)
        if (marker === undefined) return neutronError(404, `${kind}NotFound`, `${kind} ${markerId} could not be found.`)
      }
      const page = pageAfter(items, table.compare, marker, limit)
      const fields = q.getAll('fields')
      const base = baseUrl(r)
      const body: Record<string, unknown> = {[key]: page.items.map((t) => pick(view(t), fields))}
      if (limitRaw !== null) {
        const links: {href: string; rel: string}[] = []
        const at = (m: string, reverse: boolean) => {
          const p = new URLSearchParams(q)
          p.set('limit', String(limit))
          p.set('marker', m)
          if (reverse) p.set('page_reverse', 'True')
          else p.delete('page_reverse')
          return `${base}${r.path}?${p.toString()}`
        }
        if (page.more && page.items.length > 0) links.push({href: at(page.items.at(-1)?.id ?? '', false), rel: 'next'})
        if (markerId !== null && page.items.length > 0) links.push({href: at(page.items[0].id, true), rel: 'previous'})
        body[`${key}_links`] = links
      }
      return {body, status: 200}
    })
  const show = <T extends {id: string}>(key: string, kind: string, table: Table<T>, visible: (t: T, ctx: RequestContext) => boolean, view: (t: T) => Record<string, unknown>) =>
    guard((r, ctx) => {
      const t = table.get(r.params.id)
      if (t === undefined || !visible(t, ctx)) return neutronError(404, `${kind}NotFound`, `${kind} ${r.params.id} could not be found.`)
      return {body: {[key]: pick(view(t), r.query.getAll('fields'))}, status: 200}
    })
  const visibleSubnet = (s: Subnet, ctx: RequestContext) => {
    const n = world.networks.get(s.networkId)
    return ctx.isAdmin || s.projectId === ctx.project.id || (n !== undefined && n.shared)
  }
  app.route('GET', '/v2.0/networks', collection('networks', 'Network', world.networks, visibleNetwork, networkView))
  app.route('GET', '/v2.0/networks/:id', show('network', 'Network', world.networks, visibleNetwork, networkView))
  app.route('GET', '/v2.0/subnets', collection('subnets', 'Subnet', world.subnets, visibleSubnet, subnetView))
  app.route('GET', '/v2.0/subnets/:id', show('subnet', 'Subnet', world.subnets, visibleSubnet, subnetView))
  app.pageOf = (r) => {
    if (!/^\/v2\.0\/(networks|subnets)$/.test(r.path)) return undefined
    const markerId = r.query.get('marker')
    if (markerId === null) return 1
    const limit = Number(r.query.get('limit')) || 1
    const items: {id: string}[] = r.path.endsWith('networks') ? world.networks.all() : world.subnets.all()
    return 1 + Math.ceil(positionAfter(items, byId, {id: markerId}) / limit)
  }
  addNeutronWriteRoutes(app, world, opts, guard)
  app.notFound(() => neutronError(404, 'HTTPNotFound', 'The resource could not be found.'))
  return app
}

export function networkView(n: Network): Record<string, unknown> {
  return {
    admin_state_up: n.adminStateUp,
    availability_zone_hints: [],
    availability_zones: n.availabilityZones,
    created_at: isoSeconds(n.createdAt),
    description: n.description,
    id: n.id,
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    mtu: n.mtu,
    name: n.name,
    port_security_enabled: n.portSecurityEnabled,
    project_id: n.projectId,
    'provider:network_type': n.networkType,
    'provider:physical_network': n.physicalNetwork,
    'provider:segmentation_id': n.segmentationId,
    revision_number: n.revisionNumber,
    'router:external': n.external,
    shared: n.shared,
    status: n.status,
    subnets: n.subnetIds,
    tags: n.tags,
    tenant_id: n.projectId,
    updated_at: isoSeconds(n.updatedAt),
  }
}

export function subnetView(s: Subnet): Record<string, unknown> {
  return {
    allocation_pools: s.allocationPools,
    cidr: s.cidr,
    created_at: isoSeconds(s.createdAt),
    description: s.description,
    dns_nameservers: [],
    enable_dhcp: s.enableDhcp,
    gateway_ip: s.gatewayIp,
    host_routes: [],
    id: s.id,
    ip_version: s.ipVersion,
    ipv6_address_mode: null,
    ipv6_ra_mode: null,
    name: s.name,
    network_id: s.networkId,
    project_id: s.projectId,
    revision_number: s.revisionNumber,
    service_types: [],
    subnetpool_id: null,
    tags: [],
    tenant_id: s.projectId,
    updated_at: isoSeconds(s.updatedAt),
  }
}

function pick(view: Record<string, unknown>, fields: string[]): Record<string, unknown> {
  if (fields.length === 0) return view
  return Object.fromEntries(fields.filter((f) => f in view).map((f) => [f, view[f]]))
}

function neutronError(code: number, type: string, message: string): SimReply {
  return {body: {NeutronError: {detail: '', message, type}}, status: code}
}

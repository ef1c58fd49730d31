/**
 * Simulated Nova (compute API v2.1 with microversions up to 2.100): server and flavor listings with
 * nova's paging (`limit`/`marker`, `[api] max_limit` 1000, `servers_links` next when a page is full,
 * 400 on an unknown marker), the view of each microversion (embedded flavor from 2.47, …),
 * admin-only attributes for admins, `changes-since` with deleted servers, server groups, and the
 * down-cell behaviour: with the fault on, servers of cell2 vanish from listings before 2.69 and come
 * back as partial records (status UNKNOWN) from 2.69.
 */
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import {badRequest, forbidden, notFound} from './faults.js'
import {hostIdOf} from '../provisioning.js'
import {addNovaWriteRoutes} from './nova-writes.js'
import {pageAfter, positionAfter} from '../table.js'
import type {Flavor, Server, World} from '../world.js'
import {authed, baseUrl, header, isoMicros, isoSeconds, parseTime, type RequestContext, type ServiceOptions, tokenContext, truthy} from './context.js'

export const NOVA_MAX_LIMIT = 1000
const MAX_VERSION: [number, number] = [2, 100]

type Microversion = [number, number]

export function createNovaApp(world: World, opts: ServiceOptions): SimApp {
  const app = new SimApp('nova', opts.faults)
  const guard = (h: (r: SimRequest, ctx: RequestContext, mv: Microversion) => SimReply) =>
    authed(world, 'nova', opts, (r, ctx) => {
      const mv = microversionOf(r)
      if (mv === undefined) {
        const asked = header(r, 'openstack-api-version') ?? header(r, 'x-openstack-nova-api-version') ?? ''
        const v = asked.replace(/^.*compute\s+/i, '').trim()
        return withVersionText({body: {computeFault: {code: 406, message: `Version ${v} is not supported by the API. Minimum is 2.1 and maximum is ${MAX_VERSION.join('.')}.`}}, status: 406}, v)
      }
      return withVersion(h(r, ctx, mv), mv)
    })
  const versionDoc = (r: SimRequest) => ({
    id: 'v2.1',
    links: [{href: `${baseUrl(r)}/v2.1/`, rel: 'self'}],
    'media-types': [{base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1'}],
    min_version: '2.1',
    status: 'CURRENT',
    updated: '2013-07-23T11:33:21Z',
    version: MAX_VERSION.join('.'),
  })
  app.route('GET', '/', (r) => ({
    body: {
      versions: [
        {id: 'v2.0', links: [{href: `${baseUrl(r)}/v2/`, rel: 'self'}], min_version: '', status: 'SUPPORTED', updated: '2011-01-21T11:33:21Z', version: ''},
        {...versionDoc(r), 'media-types': undefined},
      ],
    },
    status: 200,
  }))
  app.route('GET', '/v2.1', (r) => withVersion({body: {version: versionDoc(r)}, status: 200}, microversionOf(r) ?? [2, 1]))

  app.pageOf = (r) => pageOfListing(world, opts, r)

  const listServers = (detail: boolean) =>
    guard((r, ctx, mv) => {
      const q = r.query
      const limitRaw = q.get('limit')
      let limit = NOVA_MAX_LIMIT
      if (limitRaw !== null) {
        if (!/^-?\d+$/.test(limitRaw)) return badRequest(`Invalid input for query parameters limit. Value: ${limitRaw}. '${limitRaw}' does not match '^[0-9]*$'`)
        limit = Math.min(Number(limitRaw), NOVA_MAX_LIMIT)
        if (limit < 0) return badRequest(`Invalid input for query parameters limit. Value: ${limitRaw}. '${limitRaw}' does not match '^[0-9]*$'`)
      }
      const allTenants = q.has('all_tenants') && truthy(q.get('all_tenants'))
      if (allTenants && !ctx.isAdmin) return forbidden('Policy doesn\'t allow os_compute_api:servers:detail:get_all_tenants to be performed.')
      let projectId: string | null = ctx.project.id
      if (allTenants) projectId = q.get('project_id') ?? q.get('tenant_id')
      const changesSince = parseTime(q.get('changes-since'))
      if (q.has('changes-since') && changesSince === undefined) return badRequest(`Invalid input for query parameters changes-since. Value: ${q.get('changes-since') ?? ''}. '${q.get('changes-since') ?? ''}' is not a 'date-time'`)
      let items: Server[] = projectId === null ? world.servers.all() : world.servers.partition(projectId)
      if (changesSince !== undefined) {
        const dead = [...world.serverTombstones.values()].filter((s) => projectId === null || s.projectId === projectId)
        items = [...items, ...dead].filter((s) => s.updatedAt >= changesSince).sort(world.servers.compare)
      }
      const filters = serverFilters(q)
      if (filters.length > 0) items = items.filter((s) => filters.every((f) => f(s)))
      const downCell = opts.faults?.get('nova')?.novaDownCell === true
      if (downCell && !atLeast(mv, [2, 69])) items = items.filter((s) => s.cell !== 'cell2')
      const hidden = opts.faults?.get('nova')?.hideFromListings
      if (hidden !== undefined && hidden.length > 0) items = items.filter((s) => !hidden.includes(s.id))
      const markerId = q.get('marker')
      let marker: Server | undefined
      if (markerId !== null) {
        marker = world.servers.get(markerId) ?? world.serverTombstones.get(markerId)
        if (marker === undefined) return badRequest(`marker [${markerId}] not found`)
      }
      const page = pageAfter(items, world.servers.compare, marker, limit)
      const base = baseUrl(r)
      const servers = page.items.map((s) =>
        downCell && s.cell === 'cell2' ? partialServer(base, s) : detail ? serverView(world, base, s, ctx, mv) : {id: s.id, links: serverLinks(base, s), name: s.name},
      )
      const body: Record<string, unknown> = {servers}
      if (limit > 0 && page.items.length === limit) {
        const next = new URLSearchParams(q)
        next.set('limit', String(limit))
        next.set('marker', page.items.at(-1)?.id ?? '')
        body.servers_links = [{href: `${base}${r.path}?${next.toString()}`, rel: 'next'}]
      }
      return {body, status: 200}
    })
  app.route('GET', '/v2.1/servers/detail', listServers(true))
  app.route('GET', '/v2.1/servers', listServers(false))
  app.route('GET', '/v2.1/servers/:id', guard((r, ctx, mv) => {
    const s = world.servers.get(r.params.id)
    if (s === undefined || (!ctx.isAdmin && s.projectId !== ctx.project.id)) return notFound(`Instance ${r.params.id} could not be found.`)
    if (opts.faults?.get('nova')?.novaDownCell && s.cell === 'cell2') {
      if (!atLeast(mv, [2, 69])) return {body: {computeFault: {code: 503, message: 'NovaException: Cell cell2 is not responding and hence server details could not be fetched.'}}, status: 503}
      return {body: {server: downCellServer(world, baseUrl(r), s, mv)}, status: 200}
    }
    const view = serverView(world, baseUrl(r), s, ctx, mv)
    // GET /servers/{id} only (not listings): the server's groups from 2.71.
    if (atLeast(mv, [2, 71])) view.server_groups = s.serverGroupId ? [s.serverGroupId] : []
    return {body: {server: view}, status: 200}
  }))

  const listFlavors = (detail: boolean) =>
    guard((r, _ctx, mv) => {
      const q = r.query
      const limit = Math.min(Number(q.get('limit') ?? NOVA_MAX_LIMIT), NOVA_MAX_LIMIT)
      if (!Number.isInteger(limit) || limit < 0) return badRequest(`Invalid input for query parameters limit. Value: ${q.get('limit') ?? ''}.`)
      const markerId = q.get('marker')
      let marker: Flavor | undefined
      if (markerId !== null) {
        marker = world.flavors.get(markerId)
        if (marker === undefined) return badRequest(`marker [${markerId}] not found`)
      }
      const base = baseUrl(r)
      const page = pageAfter(world.flavors.all(), world.flavors.compare, marker, limit)
      const body: Record<string, unknown> = {flavors: page.items.map((f) => (detail ? flavorView(base, f, mv) : {description: atLeast(mv, [2, 55]) ? f.description : undefined, id: f.id, links: flavorLinks(base, f), name: f.name}))}
      if (limit > 0 && page.items.length === limit) {
        const next = new URLSearchParams(q)
        next.set('limit', String(limit))
        next.set('marker', page.items.at(-1)?.id ?? '')
        body.flavors_links = [{href: `${base}${r.path}?${next.toString()}`, rel: 'next'}]
      }
      return {body, status: 200}
    })
  app.route('GET', '/v2.1/flavors/detail', listFlavors(true))
  app.route('GET', '/v2.1/flavors', listFlavors(false))
  app.route('GET', '/v2.1/flavors/:id/os-extra_specs', guard((r) => {
    const f = world.flavors.get(r.params.id)
    if (f === undefined) return notFound(`Flavor ${r.params.id} could not be found.`)
    return {body: {extra_specs: f.extraSpecs}, status: 200}
  }))
  app.route('GET', '/v2.1/flavors/:id', guard((r, _ctx, mv) => {
    const f = world.flavors.get(r.params.id)
    if (f === undefined) return notFound(`Flavor ${r.params.id} could not be found.`)
    return {body: {flavor: flavorView(baseUrl(r), f, mv)}, status: 200}
  }))

  app.route('GET', '/v2.1/os-server-groups/:id', guard((r, ctx, mv) => {
    const g = world.serverGroups.get(r.params.id)
    if (g === undefined || (!ctx.isAdmin && g.projectId !== ctx.project.id)) return notFound(`Server group ${r.params.id} could not be found.`)
    const view: Record<string, unknown> = {id: g.id, members: g.members, name: g.name, project_id: g.projectId, user_id: g.userId}
    if (atLeast(mv, [2, 64])) Object.assign(view, {policy: g.policy, rules: {}})
    else Object.assign(view, {metadata: {}, policies: [g.policy]})
    return {body: {server_group: view}, status: 200}
  }))

  addNovaWriteRoutes(app, world, opts, guard)

  app.notFound(() => ({body: {itemNotFound: {code: 404, message: 'The resource could not be found.'}}, status: 404}))
  return app
}

/**
 * Which page of a listing a request asks for (1-based), for `failListingAfterPages`: 1 without a
 * marker, else 1 + (records up to the marker in the listed order) / limit.
 */
function pageOfListing(world: World, opts: ServiceOptions, r: SimRequest): number | undefined {
  if (!/^\/v2\.1\/(servers|flavors)(\/detail)?$/.test(r.path)) return undefined
  const markerId = r.query.get('marker')
  if (markerId === null) return 1
  const limit = Math.min(Number(r.query.get('limit')) || NOVA_MAX_LIMIT, NOVA_MAX_LIMIT)
  if (r.path.includes('/flavors')) {
    const f = world.flavors.get(markerId)
    return f === undefined ? 2 : 1 + Math.ceil(positionAfter(world.flavors.all(), world.flavors.compare, f) / limit)
  }
  const marker = world.servers.get(markerId) ?? world.serverTombstones.get(markerId)
  if (marker === undefined) return 2
  let projectId: string | null
  if (r.query.has('all_tenants') && truthy(r.query.get('all_tenants'))) projectId = r.query.get('project_id') ?? r.query.get('tenant_id')
  else projectId = tokenContext(world, header(r, 'x-auth-token'), opts.faults, 'nova')?.project.id ?? null
  const items = projectId === null ? world.servers.all() : world.servers.partition(projectId)
  return 1 + Math.ceil(positionAfter(items, world.servers.compare, marker) / limit)
}

function microversionOf(r: SimRequest): Microversion | undefined {
  const modern = header(r, 'openstack-api-version')
  const legacy = header(r, 'x-openstack-nova-api-version')
  let raw: string | undefined
  if (modern) {
    const m = /(?:^|,)\s*compute\s+(\S+)/i.exec(modern)
    raw = m?.[1]
  } else raw = legacy
  if (raw === undefined) return [2, 1]
  if (raw.toLowerCase() === 'latest') return MAX_VERSION
  const m = /^(\d+)\.(\d+)$/.exec(raw.trim())
  if (!m) return undefined
  const v: Microversion = [Number(m[1]), Number(m[2])]
  if (!atLeast(v, [2, 1]) || !atLeast(MAX_VERSION, v)) return undefined
  return v
}

function atLeast(v: Microversion, min: Microversion): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1])
}

function withVersion(reply: SimReply, mv: Microversion): SimReply {
  return withVersionText(reply, mv.join('.'))
}

/** nova's microversion response headers (a refused version is echoed as asked). */
function withVersionText(reply: SimReply, v: string): SimReply {
  return {
    ...reply,
    headers: {...reply.headers, 'OpenStack-API-Version': `compute ${v}`, Vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version', 'X-OpenStack-Nova-API-Version': v},
  }
}

const STATUS: Record<string, string> = {
  active: 'ACTIVE',
  building: 'BUILD',
  deleted: 'DELETED',
  error: 'ERROR',
  paused: 'PAUSED',
  rescued: 'RESCUE',
  resized: 'VERIFY_RESIZE',
  shelved: 'SHELVED',
  shelved_offloaded: 'SHELVED_OFFLOADED',
  'soft-delete': 'SOFT_DELETED',
  stopped: 'SHUTOFF',
  suspended: 'SUSPENDED',
}

/** nova/api/openstack/common.py `_STATE_MAP`, the parts a simulated server can reach. */
export function apiStatus(s: Server): string {
  const task = s.taskState
  if (s.vmState === 'active' && task) {
    if (task === 'rebooting' || task === 'reboot_pending' || task === 'reboot_started') return 'REBOOT'
    if (task.startsWith('resize_')) return 'RESIZE'
    if (task === 'rebuilding') return 'REBUILD'
    if (task === 'migrating') return 'MIGRATING'
  }
  return STATUS[s.vmState] ?? 'UNKNOWN'
}

function serverFilters(q: URLSearchParams): ((s: Server) => boolean)[] {
  const out: ((s: Server) => boolean)[] = []
  const status = q.get('status')
  if (status) out.push((s) => apiStatus(s) === status.toUpperCase())
  const vm = q.get('vm_state')
  if (vm) out.push((s) => s.vmState === vm)
  const name = q.get('name')
  if (name) {
    const re = safeRegExp(name)
    out.push((s) => re.test(s.name))
  }
  const host = q.get('host')
  if (host) out.push((s) => s.host === host)
  const flavor = q.get('flavor')
  if (flavor) out.push((s) => s.flavorId === flavor)
  const uuid = q.get('uuid')
  if (uuid) out.push((s) => s.id === uuid)
  if (q.has('user_id')) out.push((s) => s.userId === q.get('user_id'))
  return out
}

function safeRegExp(s: string): RegExp {
  try {
    return new RegExp(s)
  } catch {
    return new RegExp(s.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`))
  }
}

function serverLinks(base: string, s: Server): {href: string; rel: string}[] {
  return [
    {href: `${base}/v2.1/servers/${s.id}`, rel: 'self'},
    {href: `${base}/servers/${s.id}`, rel: 'bookmark'},
  ]
}

function flavorLinks(base: string, f: Flavor): {href: string; rel: string}[] {
  return [
    {href: `${base}/v2.1/flavors/${f.id}`, rel: 'self'},
    {href: `${base}/flavors/${f.id}`, rel: 'bookmark'},
  ]
}

function addressesOf(s: Server): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {}
  for (const a of s.addresses) {
    ;(out[a.network] ??= []).push({addr: a.addr, 'OS-EXT-IPS-MAC:mac_addr': a.mac, 'OS-EXT-IPS:type': a.type, version: a.version})
  }
  return out
}

function serverView(world: World, base: string, s: Server, ctx: RequestContext, mv: Microversion): Record<string, unknown> {
  const flavor = world.flavors.get(s.flavorId)
  const admin = ctx.isAdmin
  const v: Record<string, unknown> = {
    accessIPv4: '',
    accessIPv6: '',
    addresses: addressesOf(s),
    config_drive: '',
    created: isoSeconds(s.createdAt),
    flavor: atLeast(mv, [2, 47])
      ? {disk: flavor?.disk ?? 0, ephemeral: flavor?.ephemeral ?? 0, extra_specs: flavor?.extraSpecs ?? {}, original_name: flavor?.name ?? '', ram: flavor?.ram ?? 0, swap: flavor?.swap ?? 0, vcpus: flavor?.vcpus ?? 0}
      : {id: s.flavorId, links: [{href: `${base}/flavors/${s.flavorId}`, rel: 'bookmark'}]},
    hostId: hostIdOf(s.projectId, s.host),
    id: s.id,
    image: {id: s.imageId, links: [{href: `${base}/images/${s.imageId}`, rel: 'bookmark'}], ...(atLeast(mv, [2, 98]) ? {properties: {architecture: 'x86_64'}} : {})},
    key_name: s.keyName,
    links: serverLinks(base, s),
    metadata: s.metadata,
    name: s.name,
    'OS-DCF:diskConfig': 'MANUAL',
    'OS-EXT-AZ:availability_zone': s.availabilityZone,
    'OS-EXT-STS:power_state': s.powerState,
    'OS-EXT-STS:task_state': s.taskState,
    'OS-EXT-STS:vm_state': s.vmState,
    'os-extended-volumes:volumes_attached': s.volumeIds.map((id) => (atLeast(mv, [2, 3]) ? {delete_on_termination: false, id} : {id})),
    'OS-SRV-USG:launched_at': s.launchedAt === null ? null : isoMicros(s.launchedAt),
    'OS-SRV-USG:terminated_at': s.terminatedAt === null ? null : isoMicros(s.terminatedAt),
    progress: 0,
    security_groups: s.addresses.length > 0 ? [{name: 'default'}] : [],
    status: apiStatus(s),
    tenant_id: s.projectId,
    updated: isoSeconds(s.updatedAt),
    user_id: s.userId,
  }
  if (s.fault && (s.vmState === 'error' || s.vmState === 'building')) v.fault = {code: s.fault.code, created: isoSeconds(s.fault.created), message: s.fault.message, ...(admin ? {details: s.fault.details} : {})}
  if (admin) {
    v['OS-EXT-SRV-ATTR:host'] = s.host
    v['OS-EXT-SRV-ATTR:hypervisor_hostname'] = s.host
    v['OS-EXT-SRV-ATTR:instance_name'] = s.instanceName
    if (atLeast(mv, [2, 3])) {
      Object.assign(v, {
        'OS-EXT-SRV-ATTR:hostname': s.hostname,
        'OS-EXT-SRV-ATTR:kernel_id': '',
        'OS-EXT-SRV-ATTR:launch_index': 0,
        'OS-EXT-SRV-ATTR:ramdisk_id': '',
        'OS-EXT-SRV-ATTR:reservation_id': s.reservationId,
        'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
        'OS-EXT-SRV-ATTR:user_data': null,
      })
    }
    if (atLeast(mv, [2, 16])) v.host_status = s.host ? 'UP' : ''
  } else if (atLeast(mv, [2, 90])) v['OS-EXT-SRV-ATTR:hostname'] = s.hostname
  if (atLeast(mv, [2, 9])) v.locked = s.locked
  if (atLeast(mv, [2, 19])) v.description = s.description ?? ''
  if (atLeast(mv, [2, 26])) v.tags = s.tags
  if (atLeast(mv, [2, 63])) v.trusted_image_certificates = null
  if (atLeast(mv, [2, 73])) v.locked_reason = s.locked ? 'locked by admin' : ''
  if (atLeast(mv, [2, 96])) v.pinned_availability_zone = s.availabilityZone
  if (atLeast(mv, [2, 100])) v.scheduler_hints = s.serverGroupId ? {group: s.serverGroupId} : {}
  return v
}

/** The record of a server in a down cell, in a listing (api-ref servers.inc, 2.69+). */
function partialServer(base: string, s: Server): Record<string, unknown> {
  return {created: isoSeconds(s.createdAt), id: s.id, links: serverLinks(base, s), status: 'UNKNOWN', tenant_id: s.projectId}
}

/** `GET /servers/{id}` of a server in a down cell (2.69+): what the API database still knows. */
function downCellServer(world: World, base: string, s: Server, mv: Microversion): Record<string, unknown> {
  const f = world.flavors.get(s.flavorId)
  return {
    ...partialServer(base, s),
    flavor: atLeast(mv, [2, 47]) ? {disk: f?.disk ?? 0, ephemeral: f?.ephemeral ?? 0, extra_specs: f?.extraSpecs ?? {}, original_name: f?.name ?? '', ram: f?.ram ?? 0, swap: f?.swap ?? 0, vcpus: f?.vcpus ?? 0} : {id: s.flavorId, links: []},
    image: {id: s.imageId, links: [{href: `${base}/images/${s.imageId}`, rel: 'bookmark'}]},
    'OS-EXT-AZ:availability_zone': s.availabilityZone,
    'OS-EXT-STS:power_state': 0,
    server_groups: s.serverGroupId ? [s.serverGroupId] : [],
    user_id: s.userId,
  }
}

function flavorView(base: string, f: Flavor, mv: Microversion): Record<string, unknown> {
  const v: Record<string, unknown> = {
    disk: f.disk,
    id: f.id,
    links: flavorLinks(base, f),
    name: f.name,
    'OS-FLV-DISABLED:disabled': f.disabled,
    'OS-FLV-EXT-DATA:ephemeral': f.ephemeral,
    'os-flavor-access:is_public': f.isPublic,
    ram: f.ram,
    rxtx_factor: f.rxtxFactor,
    swap: atLeast(mv, [2, 75]) ? f.swap : f.swap === 0 ? '' : f.swap,
    vcpus: f.vcpus,
  }
  if (atLeast(mv, [2, 55])) v.description = f.description
  if (atLeast(mv, [2, 61])) v.extra_specs = f.extraSpecs
  return v
}

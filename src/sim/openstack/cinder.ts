/**
 * Simulated Cinder (block storage API v3, `/v3/{project_id}`, microversions to 3.70): volume
 * listings with `all_tenants` (admins), `project_id`, `limit`/`marker`/`offset`, `osapi_max_limit`
 * 1000 and `volumes_links` next when a page is full; volume show; the view of each microversion
 * and the admin-only attributes. Errors are Cinder's `{"itemNotFound": {...}}` family.
 */
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import {badRequest, notFound} from './faults.js'
import {pageAfter, positionAfter} from '../table.js'
import {addCinderWriteRoutes} from './block-storage-writes.js'
import type {Volume, World} from '../world.js'
import {authed, baseUrl, header, isoMicros, type RequestContext, type ServiceOptions, truthy} from './context.js'

export const CINDER_MAX_LIMIT = 1000
const MAX: [number, number] = [3, 70]

type Microversion = [number, number]

export function createCinderApp(world: World, opts: ServiceOptions): SimApp {
  const app = new SimApp('cinder', opts.faults)
  const guard = (h: (r: SimRequest, ctx: RequestContext, mv: Microversion) => SimReply) =>
    authed(world, 'cinder', opts, (r, ctx) => {
      const mv = microversionOf(r)
      if (mv === undefined) return {body: {computeFault: {code: 406, message: `Version ${header(r, 'openstack-api-version') ?? ''} is not supported by the API. Minimum is 3.0 and maximum is ${MAX.join('.')}.`}}, status: 406}
      if (r.params.project !== ctx.project.id)
        return badRequest(`Malformed request URL: URL's project_id '${r.params.project}' doesn't match Context's project_id '${ctx.project.id}'`)
      const reply = h(r, ctx, mv)
      return {...reply, headers: {...reply.headers, 'OpenStack-API-Version': `volume ${mv.join('.')}`, Vary: 'OpenStack-API-Version'}}
    })
  const versions = (r: SimRequest) => [
    {
      id: 'v3.0',
      links: [{href: `${baseUrl(r)}/v3/`, rel: 'self'}],
      'media-types': [{base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3'}],
      min_version: '3.0',
      status: 'CURRENT',
      updated: '2022-08-31T00:00:00Z',
      version: MAX.join('.'),
    },
  ]
  app.route('GET', '/', (r) => ({body: {versions: versions(r)}, status: 300}))
  app.route('GET', '/v3', (r) => ({body: {versions: versions(r)}, status: 200}))

  const list = (detail: boolean) =>
    guard((r, ctx, mv) => {
      const q = r.query
      const allTenants = q.has('all_tenants') && truthy(q.get('all_tenants')) && ctx.isAdmin
      const projectId = allTenants ? q.get('project_id') : ctx.project.id
      let items = projectId === null ? world.volumes.all() : world.volumes.partition(projectId)
      const status = q.get('status')
      const name = q.get('name')
      if (status !== null || name !== null) items = items.filter((v) => (status === null || v.status === status) && (name === null || v.name === name))
      let limit = CINDER_MAX_LIMIT
      const limitRaw = q.get('limit')
      if (limitRaw !== null) {
        const n = Number(limitRaw)
        if (!Number.isInteger(n) || n < 0) return badRequest('limit param must be an integer')
        limit = Math.min(n, CINDER_MAX_LIMIT)
      }
      const markerId = q.get('marker')
      let marker: Volume | undefined
      if (markerId !== null) {
        marker = world.volumes.get(markerId)
        if (marker === undefined) return notFound(`Marker ${markerId} could not be found.`)
      }
      const offsetRaw = q.get('offset')
      const offset = offsetRaw === null ? 0 : Number(offsetRaw)
      if (!Number.isInteger(offset) || offset < 0) return badRequest('offset param must be an integer')
      const page = pageAfter(offset > 0 ? items.slice(offset) : items, world.volumes.compare, marker, limit)
      const base = baseUrl(r)
      const body: Record<string, unknown> = {volumes: page.items.map((v) => (detail ? volumeView(base, v, ctx, mv) : {id: v.id, links: volumeLinks(base, v), name: v.name}))}
      if (limit > 0 && page.items.length === limit) {
        const next = new URLSearchParams(q)
        next.delete('offset')
        next.set('limit', String(limit))
        next.set('marker', page.items.at(-1)?.id ?? '')
        body.volumes_links = [{href: `${base}${r.path}?${next.toString()}`, rel: 'next'}]
      }
      if (atLeast(mv, [3, 45]) && truthy(q.get('with_count'))) body.count = items.length
      return {body, status: 200}
    })
  app.route('GET', '/v3/:project/volumes/detail', list(true))
  app.route('GET', '/v3/:project/volumes', list(false))
  app.route('GET', '/v3/:project/volumes/:id', guard((r, ctx, mv) => {
    const v = world.volumes.get(r.params.id)
    if (v === undefined || (!ctx.isAdmin && v.projectId !== ctx.project.id)) return notFound(`Volume ${r.params.id} could not be found.`)
    return {body: {volume: volumeView(baseUrl(r), v, ctx, mv)}, status: 200}
  }))
  app.pageOf = (r) => {
    if (!/^\/v3\/[^/]+\/volumes(\/detail)?$/.test(r.path)) return undefined
    const markerId = r.query.get('marker')
    if (markerId === null) return 1
    const limit = Math.min(Number(r.query.get('limit')) || CINDER_MAX_LIMIT, CINDER_MAX_LIMIT)
    const marker = world.volumes.get(markerId)
    if (marker === undefined) return 2
    const items = r.query.has('all_tenants') && !r.query.has('project_id') ? world.volumes.all() : world.volumes.partition(marker.projectId)
    return 1 + Math.ceil(positionAfter(items, world.volumes.compare, marker) / limit)
  }
  addCinderWriteRoutes(app, world, opts, guard)
  app.notFound(() => notFound('The resource could not be found.'))
  return app
}

function microversionOf(r: SimRequest): Microversion | undefined {
  const raw = header(r, 'openstack-api-version')
  if (raw === undefined) return [3, 0]
  const m = /volume\s+(\S+)/i.exec(raw)
  if (!m) return [3, 0]
  if (m[1].toLowerCase() === 'latest') return MAX
  const v = /^(\d+)\.(\d+)$/.exec(m[1])
  if (!v) return undefined
  const mv: Microversion = [Number(v[1]), Number(v[2])]
  return atLeast(mv, [3, 0]) && atLeast(MAX, mv) ? mv : undefined
}

function atLeast(v: Microversion, min: Microversion): boolean {
  return v[0] > min[0] || (v[0] === min[0] && v[1] >= min[1])
}

function volumeLinks(base: string, v: Volume): {href: string; rel: string}[] {
  return [
    {href: `${base}/v3/${v.projectId}/volumes/${v.id}`, rel: 'self'},
    {href: `${base}/${v.projectId}/volumes/${v.id}`, rel: 'bookmark'},
  ]
}

function volumeView(base: string, v: Volume, ctx: RequestContext, mv: Microversion): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attachments: v.attachments.map((a) => ({
      attached_at: isoMicros(a.attachedAt),
      attachment_id: a.attachmentId,
      device: a.device,
      host_name: a.hostName,
      id: v.id,
      server_id: a.serverId,
      volume_id: v.id,
    })),
    availability_zone: v.availabilityZone,
    bootable: String(v.bootable),
    consistencygroup_id: null,
    created_at: isoMicros(v.createdAt),
    description: v.description,
    encrypted: v.encrypted,
    id: v.id,
    links: volumeLinks(base, v),
    metadata: v.metadata,
    multiattach: v.multiattach,
    name: v.name,
    'os-vol-tenant-attr:tenant_id': v.projectId,
    replication_status: null,
    size: v.size,
    snapshot_id: null,
    source_volid: null,
    status: v.status,
    updated_at: v.updatedAt === null ? null : isoMicros(v.updatedAt),
    user_id: v.userId,
    volume_type: v.volumeType,
  }
  if (ctx.isAdmin) {
    Object.assign(out, {migration_status: null, 'os-vol-host-attr:host': v.host, 'os-vol-mig-status-attr:migstat': null, 'os-vol-mig-status-attr:name_id': null})
    if (atLeast(mv, [3, 21])) out.provider_id = null
    if (atLeast(mv, [3, 61])) out.cluster_name = null
  }
  if (atLeast(mv, [3, 13])) out.group_id = null
  if (atLeast(mv, [3, 48])) {
    out.service_uuid = ctx.isAdmin ? null : undefined
    out.shared_targets = null
  }
  if (atLeast(mv, [3, 63])) out.volume_type_id = v.volumeTypeId
  if (atLeast(mv, [3, 65])) out.consumes_quota = true
  return out
}

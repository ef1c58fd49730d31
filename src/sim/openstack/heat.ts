/**
 * Simulated Heat (orchestration API v1, `/v1/{project_id}`): stack listing (`global_tenant` for
 * admins, `show_nested`, `limit`/`marker` with a next link when a page is full — an unknown marker
 * restarts from the beginning, as Heat's paginate_query does with a missing marker row), stack
 * show, the 302 redirects of stack lookups by name or id alone, resources with `nested_depth`
 * (resource groups expand into their nested stack), and outputs. Errors are Heat's fault shape.
 */
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import {pageAfter, positionAfter} from '../table.js'
import {addHeatWriteRoutes} from './orchestration-writes.js'
import type {Stack, StackResource, World} from '../world.js'
import {authed, baseUrl, isoPlain, isoSeconds, type RequestContext, type ServiceOptions, truthy} from './context.js'

export function createHeatApp(world: World, opts: ServiceOptions): SimApp {
  const app = new SimApp('heat', opts.faults)
  const guard = (h: (r: SimRequest, ctx: RequestContext) => SimReply) =>
    authed(world, 'heat', opts, (r, ctx) => {
      if (r.params.project !== ctx.project.id) return heatError(403, 'Forbidden', 'Forbidden', 'You are not authorized to complete this action.', 'Forbidden')
      return h(r, ctx)
    })
  app.route('GET', '/', (r) => ({body: {versions: [{id: 'v1.0', links: [{href: `${baseUrl(r)}/v1/`, rel: 'self'}], status: 'CURRENT'}]}, status: 300}))

  const visible = (s: Stack | undefined, ctx: RequestContext): s is Stack => s !== undefined && (ctx.isAdmin || s.projectId === ctx.project.id)
  const lookup = (nameOrId: string, ctx: RequestContext): Stack | undefined => {
    const byId = world.stacks.get(nameOrId)
    if (visible(byId, ctx)) return byId
    return world.stacks.partition(ctx.project.id).find((s) => s.name === nameOrId)
  }
  const identified = (h: (r: SimRequest, ctx: RequestContext, s: Stack) => SimReply) =>
    guard((r, ctx) => {
      const s = world.stacks.get(r.params.id)
      if (!visible(s, ctx) || s.name !== r.params.name) return notFound(`The Stack (${r.params.name}) could not be found.`)
      return h(r, ctx, s)
    })
  const redirect = (suffix: string) =>
    guard((r, ctx) => {
      const s = lookup(r.params.stack, ctx)
      if (s === undefined) return notFound(`The Stack (${r.params.stack}) could not be found.`)
      const location = `${baseUrl(r)}/v1/${r.params.project}/stacks/${encodeURIComponent(s.name)}/${s.id}${suffix}${r.query.size > 0 ? `?${r.query.toString()}` : ''}`
      return {
        body: {code: '302 Found', message: `The resource was found at <a href="${location}">${location}</a>;\nyou should be redirected automatically.\n\n`, title: 'Found'},
        headers: {Location: location},
        status: 302,
      }
    })

  app.route('GET', '/v1/:project/stacks', guard((r, ctx) => {
    const q = r.query
    for (const name of ['global_tenant', 'show_nested', 'with_count', 'show_deleted', 'show_hidden']) {
      const raw = q.get(name)
      if (raw !== null && !/^(true|false)$/i.test(raw))
        return heatError(400, 'Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.', `Unrecognized value "${raw}" for "${name}", acceptable values are: true, false.`, 'HTTPBadRequest')
    }
    const global = truthy(q.get('global_tenant'))
    if (global && !ctx.isAdmin) return heatError(403, 'Forbidden', 'Forbidden', 'Access was denied to this resource.', 'Forbidden')
    let items = global ? world.stacks.all() : world.stacks.partition(ctx.project.id)
    const nested = truthy(q.get('show_nested'))
    const status = q.getAll('status')
    const name = q.getAll('name')
    const tenant = q.get('tenant')
    if (!nested || status.length > 0 || name.length > 0 || tenant)
      items = items.filter((s) => (nested || s.parentId === null) && (status.length === 0 || status.includes(s.status.split('_').slice(1).join('_')) || status.includes(s.status)) && (name.length === 0 || name.includes(s.name)) && (!tenant || s.projectId === tenant))
    const hidden = opts.faults?.get('heat')?.hideFromListings
    if (hidden !== undefined && hidden.length > 0) items = items.filter((s) => !hidden.includes(s.id))
    const limitRaw = q.get('limit')
    let limit = Number.MAX_SAFE_INTEGER
    if (limitRaw !== null) {
      limit = Number(limitRaw)
      if (!Number.isInteger(limit) || limit < 0) return heatError(400, 'Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.', `Only integer is acceptable by 'limit'.`, 'HTTPBadRequest')
    }
    const markerId = q.get('marker')
    const marker = markerId === null ? undefined : world.stacks.get(markerId)
    const page = pageAfter(items, world.stacks.compare, marker, limit)
    const base = baseUrl(r)
    const body: Record<string, unknown> = {stacks: page.items.map((s) => stackSummary(base, s, ctx.isAdmin))}
    if (limitRaw !== null && page.items.length === limit && limit > 0) {
      const next = new URLSearchParams(q)
      next.set('marker', page.items.at(-1)?.id ?? '')
      body.links = [{href: `${base}${r.path}?${next.toString()}`, rel: 'next'}]
    }
    if (truthy(q.get('with_count'))) body.count = items.length
    return {body, status: 200}
  }))
  app.route('GET', '/v1/:project/stacks/:stack/resources', redirect('/resources'))
  app.route('GET', '/v1/:project/stacks/:stack/outputs', redirect('/outputs'))
  addHeatWriteRoutes(app, opts, identified)
  app.route('GET', '/v1/:project/stacks/:name/:id', identified((r, _ctx, s) => ({body: {stack: stackDetail(baseUrl(r), s)}, status: 200})))
  app.route('GET', '/v1/:project/stacks/:stack', redirect(''))
  app.route('GET', '/v1/:project/stacks/:name/:id/resources', identified((r, ctx, s) => {
    const depthRaw = r.query.get('nested_depth') ?? '0'
    const depth = Number(depthRaw)
    if (!Number.isInteger(depth) || depth < 0) return heatError(400, 'Bad Request', 'The server could not comply with the request since it is either malformed or otherwise incorrect.', `Only integer is acceptable by 'nested_depth'.`, 'HTTPBadRequest')
    const out: unknown[] = []
    collectResources(world, baseUrl(r), r.params.project, s, Math.min(depth, 5), null, out, ctx)
    return {body: {resources: out}, status: 200}
  }))
  app.route('GET', '/v1/:project/stacks/:name/:id/resources/:resource', identified((r, _ctx, s) => {
    const res = s.resources.find((x) => x.name === r.params.resource)
    if (res === undefined) return notFound(`The Resource (${r.params.resource}) could not be found in Stack ${s.name}.`)
    return {body: {resource: {...resourceView(baseUrl(r), r.params.project, s, res, null, world.stacks.get(res.physicalId)?.name), attributes: {}, description: '', metadata: {}}}, status: 200}
  }))
  app.route('GET', '/v1/:project/stacks/:name/:id/outputs', identified((_r, _ctx, s) => ({body: {outputs: s.outputs.map((o) => ({description: o.description, output_key: o.key}))}, status: 200})))
  app.route('GET', '/v1/:project/stacks/:name/:id/outputs/:key', identified((r, _ctx, s) => {
    const o = s.outputs.find((x) => x.key === r.params.key)
    if (o === undefined) return notFound(`Specified output key ${r.params.key} not found.`)
    return {body: {output: {description: o.description, output_key: o.key, output_value: o.value, ...(o.error ? {output_error: o.error} : {})}}, status: 200}
  }))

  app.pageOf = (r) => {
    if (!/^\/v1\/[^/]+\/stacks$/.test(r.path)) return undefined
    const marker = world.stacks.get(r.query.get('marker') ?? '')
    const limit = Number(r.query.get('limit')) || Number.MAX_SAFE_INTEGER
    return marker === undefined ? 1 : 1 + Math.ceil(positionAfter(world.stacks.all(), world.stacks.compare, marker) / limit)
  }
  app.notFound(() => notFound('The resource could not be found.'))
  return app
}

function collectResources(world: World, base: string, project: string, s: Stack, depth: number, parent: string | null, out: unknown[], ctx: RequestContext): void {
  for (const res of s.resources) {
    out.push(resourceView(base, project, s, res, parent, world.stacks.get(res.physicalId)?.name))
    if (depth > 0 && res.type === 'OS::Heat::ResourceGroup') {
      const nested = world.stacks.get(res.physicalId)
      if (nested && (ctx.isAdmin || nested.projectId === ctx.project.id)) collectResources(world, base, project, nested, depth - 1, res.name, out, ctx)
    }
  }
}

function stackLink(base: string, s: Stack): string {
  return `${base}/v1/${s.projectId}/stacks/${encodeURIComponent(s.name)}/${s.id}`
}

function stackSummary(base: string, s: Stack, admin: boolean): Record<string, unknown> {
  return {
    creation_time: isoSeconds(s.createdAt),
    deletion_time: s.deletedAt === null ? null : isoSeconds(s.deletedAt),
    description: s.description,
    id: s.id,
    links: [{href: stackLink(base, s), rel: 'self'}],
    parent: s.parentId,
    ...(admin ? {project: s.projectId} : {}),
    stack_name: s.name,
    stack_owner: s.owner,
    stack_status: s.status,
    stack_status_reason: s.statusReason,
    stack_user_project_id: s.stackUserProjectId,
    tags: s.tags,
    updated_time: s.updatedAt === null ? null : isoSeconds(s.updatedAt),
  }
}

function stackDetail(base: string, s: Stack): Record<string, unknown> {
  const {project: _project, ...summary} = stackSummary(base, s, false)
  return {
    ...summary,
    capabilities: [],
    disable_rollback: s.disableRollback,
    notification_topics: [],
    outputs: s.outputs.map((o) => ({description: o.description, output_key: o.key, output_value: o.value, ...(o.error ? {output_error: o.error} : {})})),
    parameters: s.parameters,
    template_description: s.description,
    timeout_mins: s.timeoutMins,
  }
}

function resourceView(base: string, project: string, s: Stack, res: StackResource, parent: string | null, nestedName?: string): Record<string, unknown> {
  const stack = `${base}/v1/${project}/stacks/${encodeURIComponent(s.name)}/${s.id}`
  const links = [
    {href: `${stack}/resources/${encodeURIComponent(res.name)}`, rel: 'self'},
    {href: stack, rel: 'stack'},
  ]
  if (nestedName !== undefined) links.push({href: `${base}/v1/${project}/stacks/${encodeURIComponent(nestedName)}/${res.physicalId}`, rel: 'nested'})
  return {
    creation_time: isoPlain(res.createdAt),
    links,
    logical_resource_id: res.name,
    ...(parent === null ? {} : {parent_resource: parent}),
    physical_resource_id: res.physicalId,
    required_by: res.requiredBy,
    resource_name: res.name,
    resource_status: res.status,
    resource_status_reason: res.statusReason,
    resource_type: res.type,
    updated_time: isoPlain(res.updatedAt),
  }
}

function heatError(code: number, title: string, explanation: string, message: string, type: string): SimReply {
  return {body: {code, error: {message, traceback: null, type}, explanation, title}, status: code}
}

function notFound(message: string): SimReply {
  return heatError(404, 'Not Found', 'The resource could not be found.', message, 'EntityNotFound')
}

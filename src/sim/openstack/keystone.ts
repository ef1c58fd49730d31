/**
 * Simulated Keystone v3: password (and token) authentication with project scope, fernet-like
 * tokens in `X-Subject-Token` with an expiry, token validation, the service catalog, and the
 * identity listings `doctor` and `python3-openstackclient` use. Error bodies are Keystone's
 * `{"error": {"code", "message", "title"}}`.
 */
import {randomBytes, randomUUID} from 'node:crypto'

import type {Faults} from '../faults.js'
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import type {Domain, Project, Role, Token, User, World} from '../world.js'
import {catalogFor, type OpenStackService} from './catalog.js'
import {baseUrl, header, type RequestContext, tokenContext, truthy} from './context.js'

export interface KeystoneOptions {
  /** Root URLs of the simulated services, for the catalog (read at token time). */
  endpoints: () => Partial<Record<OpenStackService, string>>
  faults?: Faults
}

const TITLES: Record<number, string> = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict'}

export function createKeystoneApp(world: World, opts: KeystoneOptions): SimApp {
  const app = new SimApp('keystone', opts.faults)
  app.defaultHeaders.Vary = 'X-Auth-Token'
  const version = (r: SimRequest) => ({
    id: 'v3.14',
    links: [{href: `${baseUrl(r)}/v3/`, rel: 'self'}],
    'media-types': [{base: 'application/json', type: 'application/vnd.openstack.identity-v3+json'}],
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
  })
  app.route('GET', '/', (r) => ({body: {versions: {values: [version(r)]}}, headers: {Location: `${baseUrl(r)}/v3/`}, status: 300}))
  app.route('GET', '/v3', (r) => ({body: {version: version(r)}, status: 200}))

  app.route('POST', '/v3/auth/tokens', (r) => issueToken(world, opts, r))

  const caller = (r: SimRequest): RequestContext | undefined => tokenContext(world, header(r, 'x-auth-token'), opts.faults, 'keystone')
  const guarded = (handler: (r: SimRequest, ctx: RequestContext) => SimReply, adminOnly?: string) => (r: SimRequest) => {
    const ctx = caller(r)
    if (ctx === undefined) return error(401, 'The request you have made requires authentication.', r)
    if (adminOnly && !ctx.isAdmin) return error(403, `You are not authorized to perform the requested action: ${adminOnly}.`)
    return handler(r, ctx)
  }

  app.route('GET', '/v3/auth/tokens', guarded((r) => {
    const subject = header(r, 'x-subject-token')
    const ctx = tokenContext(world, subject, opts.faults, 'keystone')
    if (ctx === undefined || subject === undefined) return error(404, `Could not find token: ${subject ?? ''}.`)
    return {body: tokenBody(world, opts, ctx.token, ['password'], !r.query.has('nocatalog')), headers: {'X-Subject-Token': subject}, status: 200}
  }))
  app.route('DELETE', '/v3/auth/tokens', guarded((r) => {
    const subject = header(r, 'x-subject-token')
    if (subject === undefined || !world.tokens.delete(subject)) return error(404, `Could not find token: ${subject ?? ''}.`)
    return {status: 204}
  }))
  app.route('GET', '/v3/auth/catalog', guarded((r: SimRequest, ctx) => ({body: {catalog: catalogFor(opts.endpoints(), ctx.project.id), links: {self: `${baseUrl(r)}/v3/auth/catalog`}}, status: 200})))
  app.route('GET', '/v3/auth/projects', guarded((r, ctx) => {
    const projects = [...world.projects.values()].filter((p) => world.rolesOn(ctx.user.id, p.id).length > 0)
    return list(r, 'projects', projects.map((p) => projectView(r, p)))
  }))

  app.route('GET', '/v3/projects', guarded((r) => {
    const q = r.query
    const projects = [...world.projects.values()].filter(
      (p) =>
        (!q.has('name') || p.name === q.get('name')) &&
        (!q.has('domain_id') || p.domainId === q.get('domain_id')) &&
        (!q.has('enabled') || p.enabled === truthy(q.get('enabled'))) &&
        (!q.has('is_domain') || !truthy(q.get('is_domain'))),
    )
    return list(r, 'projects', projects.map((p) => projectView(r, p)))
  }, 'identity:list_projects'))
  app.route('GET', '/v3/projects/:id', guarded((r, ctx) => {
    const p = world.projects.get(r.params.id)
    if (p === undefined || (!ctx.isAdmin && p.id !== ctx.project.id)) return error(404, `Could not find project: ${r.params.id}.`)
    return {body: {project: projectView(r, p)}, status: 200}
  }))

  app.route('GET', '/v3/users', guarded((r) => {
    const q = r.query
    const users = [...world.users.values()].filter((u) => (!q.has('name') || u.name === q.get('name')) && (!q.has('domain_id') || u.domainId === q.get('domain_id')))
    return list(r, 'users', users.map((u) => userView(r, u)))
  }, 'identity:list_users'))
  app.route('GET', '/v3/users/:id', guarded((r, ctx) => {
    const u = world.users.get(r.params.id)
    if (u === undefined || (!ctx.isAdmin && u.id !== ctx.user.id)) return error(404, `Could not find user: ${r.params.id}.`)
    return {body: {user: userView(r, u)}, status: 200}
  }))
  app.route('GET', '/v3/users/:id/projects', guarded((r, ctx) => {
    if (!ctx.isAdmin && r.params.id !== ctx.user.id) return error(403, 'You are not authorized to perform the requested action: identity:list_user_projects.')
    if (!world.users.has(r.params.id)) return error(404, `Could not find user: ${r.params.id}.`)
    const projects = [...world.projects.values()].filter((p) => world.rolesOn(r.params.id, p.id).length > 0)
    return list(r, 'projects', projects.map((p) => projectView(r, p)))
  }))

  app.route('GET', '/v3/roles', guarded((r) => {
    const name = r.query.get('name')
    const roles = [...world.roles.values()].filter((x) => name === null || x.name === name)
    return list(r, 'roles', roles.map((x) => roleView(r, x)))
  }, 'identity:list_roles'))
  app.route('GET', '/v3/roles/:id', guarded((r) => {
    const x = world.roles.get(r.params.id)
    if (x === undefined) return error(404, `Could not find role: ${r.params.id}.`)
    return {body: {role: roleView(r, x)}, status: 200}
  }, 'identity:get_role'))

  app.route('GET', '/v3/domains', guarded((r) => {
    const name = r.query.get('name')
    const domains = [...world.domains.values()].filter((d) => name === null || d.name === name)
    return list(r, 'domains', domains.map((d) => domainView(r, d)))
  }, 'identity:list_domains'))
  app.route('GET', '/v3/domains/:id', guarded((r) => {
    const d = world.domains.get(r.params.id)
    if (d === undefined) return error(404, `Could not find domain: ${r.params.id}.`)
    return {body: {domain: domainView(r, d)}, status: 200}
  }, 'identity:get_domain'))

  app.route('GET', '/v3/role_assignments', guarded((r, ctx) => {
    const q = r.query
    const userId = q.get('user.id')
    const projectId = q.get('scope.project.id')
    const roleId = q.get('role.id')
    if (!ctx.isAdmin && userId !== ctx.user.id) return error(403, 'You are not authorized to perform the requested action: identity:list_role_assignments.')
    const names = q.has('include_names') && truthy(q.get('include_names'))
    const base = baseUrl(r)
    const out = world.assignments
      .filter((a) => (userId === null || a.userId === userId) && (projectId === null || a.projectId === projectId) && (roleId === null || a.roleId === roleId))
      .map((a) => {
        const role = world.roles.get(a.roleId)
        const user = world.users.get(a.userId)
        const project = world.projects.get(a.projectId)
        const domainOf = (id: string) => ({id, name: world.domains.get(id)?.name ?? id})
        return {
          links: {assignment: `${base}/v3/projects/${a.projectId}/users/${a.userId}/roles/${a.roleId}`},
          role: names ? {id: a.roleId, name: role?.name ?? ''} : {id: a.roleId},
          scope: {project: names && project ? {domain: domainOf(project.domainId), id: a.projectId, name: project.name} : {id: a.projectId}},
          user: names && user ? {domain: domainOf(user.domainId), id: a.userId, name: user.name} : {id: a.userId},
        }
      })
    return {body: {links: {next: null, previous: null, self: `${base}${r.path}`}, role_assignments: out}, status: 200}
  }))

  // ---- identity writes (admin only, as Keystone's default policy) ------------------------------
  app.route('POST', '/v3/users', guarded((r) => {
    const u = objectOf(r.body, 'user')
    if (u === undefined) return error(400, "Invalid input for field 'user': None is not of type 'object'")
    if (typeof u.name !== 'string' || u.name.trim() === '') return error(400, "Invalid input for field 'name': 'name' is a required property")
    const domainId = typeof u.domain_id === 'string' ? u.domain_id : 'default'
    if (!world.domains.has(domainId)) return error(404, `Could not find domain: ${domainId}.`)
    if (world.userByName(domainId, u.name) !== undefined) return error(409, `Conflict occurred attempting to store user - Duplicate entry found with name ${u.name} at domain ID ${domainId}.`)
    const password = typeof u.password === 'string' ? u.password : null
    const policy = world.passwordPolicy
    if (password !== null && policy !== undefined && !policy.regex.test(password)) return error(400, `Password validation error: The password does not meet the requirements: ${policy.description}.`)
    const user = world.addUser({
      defaultProjectId: typeof u.default_project_id === 'string' ? u.default_project_id : null,
      description: typeof u.description === 'string' ? u.description : '',
      domainId,
      email: typeof u.email === 'string' ? u.email : null,
      enabled: u.enabled !== false,
      id: hexId(),
      name: u.name,
      password: password ?? '',
    })
    return {body: {user: userView(r, user)}, status: 201}
  }, 'identity:create_user'))
  // PATCH /v3/users/{id}: the fields given change (email and password are what serve's PATCH /user sends).
  app.route('PATCH', '/v3/users/:id', guarded((r) => {
    const u = objectOf(r.body, 'user')
    if (u === undefined) return error(400, "Invalid input for field 'user': None is not of type 'object'")
    const user = world.users.get(r.params.id)
    if (user === undefined) return error(404, `Could not find user: ${r.params.id}.`)
    if (typeof u.email === 'string') user.email = u.email
    if (typeof u.password === 'string') user.password = u.password
    if (typeof u.description === 'string') user.description = u.description
    if (typeof u.enabled === 'boolean') user.enabled = u.enabled
    return {body: {user: userView(r, user)}, status: 200}
  }, 'identity:update_user'))
  app.route('DELETE', '/v3/users/:id', guarded((r) => (world.removeUser(r.params.id) ? {status: 204} : error(404, `Could not find user: ${r.params.id}.`)), 'identity:delete_user'))

  app.route('POST', '/v3/projects', guarded((r) => {
    const p = objectOf(r.body, 'project')
    if (p === undefined) return error(400, "Invalid input for field 'project': None is not of type 'object'")
    if (typeof p.name !== 'string' || p.name.trim() === '') return error(400, "Invalid input for field 'name': 'name' is a required property")
    const domainId = typeof p.domain_id === 'string' ? p.domain_id : 'default'
    if (!world.domains.has(domainId)) return error(404, `Could not find domain: ${domainId}.`)
    if (world.projectByName(domainId, p.name) !== undefined) return error(409, `Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is ${p.name}, project id ${hexId()}.`)
    const project = world.addProject({description: typeof p.description === 'string' ? p.description : '', domainId, enabled: p.enabled !== false, id: hexId(), name: p.name, tags: []})
    return {body: {project: projectView(r, project)}, status: 201}
  }, 'identity:create_project'))
  app.route('DELETE', '/v3/projects/:id', guarded((r) => (world.removeProject(r.params.id) ? {status: 204} : error(404, `Could not find project: ${r.params.id}.`)), 'identity:delete_project'))

  const grantTarget = (r: SimRequest): {reply: SimReply} | {assignment: {projectId: string; roleId: string; userId: string}} => {
    const {project, role, user} = r.params
    if (!world.roles.has(role)) return {reply: error(404, `Could not find role: ${role}.`)}
    if (!world.projects.has(project)) return {reply: error(404, `Could not find project: ${project}.`)}
    if (!world.users.has(user)) return {reply: error(404, `Could not find user: ${user}.`)}
    return {assignment: {projectId: project, roleId: role, userId: user}}
  }
  const grantPath = '/v3/projects/:project/users/:user/roles/:role'
  app.route('PUT', grantPath, guarded((r) => {
    const t = grantTarget(r)
    if ('reply' in t) return t.reply
    world.assign(t.assignment)
    return {status: 204}
  }, 'identity:create_grant'))
  const held = (a: {projectId: string; roleId: string; userId: string}) => world.rolesOn(a.userId, a.projectId).some((x) => x.id === a.roleId)
  const noAssignment = (r: SimRequest) => error(404, `Could not find role assignment with role: ${r.params.role}, user or group: ${r.params.user}, project, domain, or system: ${r.params.project}.`)
  app.route('HEAD', grantPath, guarded((r) => {
    const t = grantTarget(r)
    if ('reply' in t) return t.reply
    return held(t.assignment) ? {status: 204} : noAssignment(r)
  }, 'identity:check_grant'))
  app.route('DELETE', grantPath, guarded((r) => {
    const t = grantTarget(r)
    if ('reply' in t) return t.reply
    if (!held(t.assignment)) return noAssignment(r)
    world.revoke(t.assignment)
    return {status: 204}
  }, 'identity:revoke_grant'))

  app.notFound(() => error(404, 'The resource could not be found.'))
  return app
}

function issueToken(world: World, opts: KeystoneOptions, r: SimRequest): SimReply {
  const body = r.body as {auth?: AuthBody} | undefined
  const auth = body?.auth
  const methods = auth?.identity?.methods
  if (!auth || !Array.isArray(methods) || methods.length === 0) return error(400, "Expecting to find identity in auth. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
  let user: User | undefined
  if (methods.includes('password')) {
    const pu = auth.identity?.password?.user
    if (!pu || typeof pu.password !== 'string') return error(400, "Expecting to find password in user. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.")
    if (pu.id) user = world.users.get(pu.id)
    else if (pu.name) {
      const domainId = domainIdOf(world, pu.domain)
      if (domainId === undefined) return error(401, 'The request you have made requires authentication.', r)
      user = world.userByName(domainId, pu.name)
    } else return error(400, 'Expecting to find id or name in user.')
    if (user === undefined || user.password !== pu.password || !user.enabled) return error(401, 'The request you have made requires authentication.', r)
  } else if (methods.includes('token')) {
    const ctx = tokenContext(world, auth.identity?.token?.id, opts.faults, 'keystone')
    if (ctx === undefined) return error(401, 'The request you have made requires authentication.', r)
    user = ctx.user
  } else return error(401, 'The request you have made requires authentication.', r)

  let project: Project | undefined
  const sp = auth.scope?.project
  if (sp) {
    if (sp.id) project = world.projects.get(sp.id)
    else if (sp.name) {
      const domainId = domainIdOf(world, sp.domain)
      project = domainId === undefined ? undefined : world.projectByName(domainId, sp.name)
    }
    if (project === undefined) return error(401, 'The request you have made requires authentication.', r)
  } else if (user.defaultProjectId) project = world.projects.get(user.defaultProjectId)
  if (project === undefined) return error(401, 'The request you have made requires authentication.', r)
  if (world.rolesOn(user.id, project.id).length === 0) return error(401, 'The request you have made requires authentication.', r)

  const now = world.now()
  const token: Token = {expiresAt: now + world.tokenTtlSec * 1000, id: `gAAAAAB${randomBytes(132).toString('base64url')}`, issuedAt: now, projectId: project.id, userId: user.id}
  world.tokens.set(token.id, token)
  return {body: tokenBody(world, opts, token, methods, !r.query.has('nocatalog')), headers: {'X-Subject-Token': token.id}, status: 201}
}

interface AuthBody {
  identity?: {
    methods?: string[]
    password?: {user?: {domain?: {id?: string; name?: string}; id?: string; name?: string; password?: unknown}}
    token?: {id?: string}
  }
  scope?: {project?: {domain?: {id?: string; name?: string}; id?: string; name?: string}}
}

function domainIdOf(world: World, d: {id?: string; name?: string} | undefined): string | undefined {
  if (d?.id) return world.domains.has(d.id) ? d.id : undefined
  if (d?.name) return [...world.domains.values()].find((x) => x.name === d.name)?.id
  return undefined
}

function tokenBody(world: World, opts: KeystoneOptions, token: Token, methods: string[], withCatalog: boolean): unknown {
  const user = world.users.get(token.userId) as User
  const project = world.projects.get(token.projectId) as Project
  const domain = (id: string) => ({id, name: world.domains.get(id)?.name ?? id})
  const fmt = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
  return {
    token: {
      audit_ids: [randomBytes(16).toString('base64url').slice(0, 22)],
      ...(withCatalog ? {catalog: catalogFor(opts.endpoints(), project.id)} : {}),
      expires_at: fmt(token.expiresAt),
      is_domain: false,
      issued_at: fmt(token.issuedAt),
      methods,
      project: {domain: domain(project.domainId), id: project.id, name: project.name},
      roles: world.rolesOn(user.id, project.id).map((x) => ({id: x.id, name: x.name})),
      user: {domain: domain(user.domainId), id: user.id, name: user.name, password_expires_at: null},
    },
  }
}

function list(r: SimRequest, key: string, items: unknown[]): SimReply {
  return {body: {[key]: items, links: {next: null, previous: null, self: `${baseUrl(r)}${r.path}`}}, status: 200}
}

function projectView(r: SimRequest, p: Project): unknown {
  return {
    description: p.description,
    domain_id: p.domainId,
    enabled: p.enabled,
    id: p.id,
    is_domain: false,
    links: {self: `${baseUrl(r)}/v3/projects/${p.id}`},
    name: p.name,
    options: {},
    parent_id: p.domainId,
    tags: p.tags,
  }
}

function userView(r: SimRequest, u: User): unknown {
  return {
    ...(u.defaultProjectId ? {default_project_id: u.defaultProjectId} : {}),
    ...(u.description ? {description: u.description} : {}),
    domain_id: u.domainId,
    ...(u.email ? {email: u.email} : {}),
    enabled: u.enabled,
    id: u.id,
    links: {self: `${baseUrl(r)}/v3/users/${u.id}`},
    name: u.name,
    options: {},
    password_expires_at: null,
  }
}

function roleView(r: SimRequest, x: Role): unknown {
  return {description: null, domain_id: null, id: x.id, links: {self: `${baseUrl(r)}/v3/roles/${x.id}`}, name: x.name, options: {immutable: ['admin', 'member', 'reader'].includes(x.name)}}
}

function domainView(r: SimRequest, d: Domain): unknown {
  return {description: d.description, enabled: d.enabled, id: d.id, links: {self: `${baseUrl(r)}/v3/domains/${d.id}`}, name: d.name, options: {}, tags: []}
}

function error(code: number, message: string, r?: SimRequest): SimReply {
  // Keystone names itself in every 401 (keystone/server/flask/application.py).
  const headers: Record<string, string> = code === 401 && r ? {'WWW-Authenticate': `Keystone uri="${baseUrl(r)}/v3"`} : {}
  return {body: {error: {code, message, title: TITLES[code] ?? 'Error'}}, headers, status: code}
}

function objectOf(body: unknown, key: string): Record<string, unknown> | undefined {
  const v = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[key] : undefined
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined
}

function hexId(): string {
  return randomUUID().replaceAll('-', '')
}

/**
 * Keystone v3: one password-authenticated, project-scoped token shared by every OpenStack client,
 * the service catalog, and the authenticated request path all the clients use.
 *
 * - the token comes from `X-Subject-Token`; it is kept and renewed before it expires (a margin,
 *   default 5 min, never more than half the token's lifetime), measured on our clock from the
 *   lifetime Keystone gave it, so clock skew between us and Keystone does not matter;
 * - a 401 from any service renews the token and repeats the request once;
 * - any number of concurrent requests that find the token expired or rejected share ONE re-auth.
 */
import {HttpClient, type HttpContext, HttpError, type HttpResponse, type RequestOptions} from '../http/index.js'
import {silentLogger} from '../output/logger.js'
import {registerSecret, registerSessionSecret} from '../output/redact.js'
import {endpointUrl, forProject, normaliseOverrides, selectEndpoint, type ServiceType, SYSTEM_OF} from './catalog.js'
import type {DomainRef, KeystoneAuth, KeystoneProjectRef, KeystoneUserRef} from './config-section.js'
import {AuthenticationError, KeystoneBadRequestError, KeystoneConflictError, KeystoneForbiddenError, KeystoneNotFoundError, type KeystoneWriteError} from './errors.js'
import {collectPages, type QueryParams} from './paging.js'
import type {
  CatalogService,
  EndpointInterface,
  KeystoneCollectionLinks,
  KeystoneProject,
  KeystoneRole,
  KeystoneRoleAssignment,
  KeystoneTokenBody,
  KeystoneUser,
  NewKeystoneProject,
  NewKeystoneUser,
} from './types.js'

export {type DomainRef, type KeystoneAuth, keystoneAuthFromConfig, type KeystoneProjectRef, type KeystoneUserRef} from './config-section.js'

export const DEFAULT_RENEW_MARGIN_MS = 5 * 60_000

export interface KeystoneSessionOptions {
  auth: KeystoneAuth
  /** Milliseconds since the epoch; tests move time with it. */
  clock?: () => number
  /** Service type (or alias) → URL used instead of the catalog's. */
  endpointOverrides?: Record<string, string>
  interface?: EndpointInterface
  region?: string
  /** Renew this long before expiry (default 5 min; at most half the token's lifetime). */
  renewMarginMs?: number
  /**
   * Register the password for redaction for the life of the process (default). `serve` holds a
   * session per app user and registers theirs for the session's life instead (a bounded set).
   */
  registerPassword?: boolean
}

export interface KeystoneToken {
  readonly body: KeystoneTokenBody
  /** When we consider it expired, on our clock (ms). */
  readonly expiresAt: number
  /** The token itself: a secret, registered for redaction. */
  readonly id: string
  /** When we start renewing it, on our clock (ms). */
  readonly renewAt: number
}

/** Who and where the token is for. */
export interface TokenScope {
  expiresAt: string
  projectDomainId: string
  projectId: string
  projectName: string
  roles: string[]
  userDomainId: string
  userId: string
  userName: string
}

/** A Keystone list; `truncated` when Keystone's `list_limit` cut it short (it is then incomplete). */
export interface KeystoneListing<T> {
  items: T[]
  truncated: boolean
}

/** A request to a service: `url` is relative to the service's endpoint (or absolute). */
export type ServiceRequestOptions = RequestOptions

/** Keystone's root URL (without `/v3`) from an auth URL given with or without the version. */
export function identityRoot(authUrl: string): string {
  return authUrl.replace(/\/+$/, '').replace(/\/v(3|2\.0)$/, '')
}

function describeDomain(d: DomainRef): string {
  return 'id' in d ? `domain id '${d.id}'` : `domain '${d.name}'`
}

function describeUser(u: KeystoneUserRef): string {
  return 'id' in u ? `user id '${u.id}'` : `user '${u.name}' (${describeDomain(u.domain)})`
}

function describeProject(p: KeystoneProjectRef): string {
  return 'id' in p ? `project id '${p.id}'` : `project '${p.name}' (${describeDomain(p.domain)})`
}

export class KeystoneSession {
  /** Times a token was obtained (diagnostics, tests). */
  authCount = 0
  readonly identityRoot: string
  private readonly clients = new Map<string, HttpClient>()
  private readonly clock: () => number
  private current?: KeystoneToken
  private inflight?: Promise<KeystoneToken>
  /** The last token Keystone issued to this session (masked in output until replaced or expired). */
  private issued?: string
  private readonly overrides: Partial<Record<ServiceType, string>>

  constructor(
    private readonly options: KeystoneSessionOptions,
    private readonly ctx: HttpContext = {},
  ) {
    this.identityRoot = identityRoot(options.auth.authUrl)
    this.clock = options.clock ?? Date.now
    this.overrides = normaliseOverrides(options.endpointOverrides)
    if (options.registerPassword !== false) registerSecret(options.auth.password)
  }

  /** The catalog of the current token. */
  async catalog(): Promise<CatalogService[]> {
    return (await this.token()).body.catalog ?? []
  }

  /** The URL of a service: the override if configured, else the catalog's for our interface and region. */
  async endpoint(serviceType: ServiceType): Promise<string> {
    return this.endpointFor(await this.token(), serviceType)
  }

  /** Every project in Keystone (`GET /v3/projects`, following `links.next`). */
  async listProjects(filter: {domain_id?: string; enabled?: boolean; name?: string} = {}): Promise<KeystoneListing<KeystoneProject>> {
    return this.keystoneList<KeystoneProject>('projects', filter)
  }

  /** Every role (`GET /v3/roles`, following `links.next`). */
  async listRoles(filter: {name?: string} = {}): Promise<KeystoneListing<KeystoneRole>> {
    return this.keystoneList<KeystoneRole>('roles', filter)
  }

  /** Users with this exact name (in any domain unless one is given). */
  async findUsersByName(name: string, domainId?: string): Promise<KeystoneUser[]> {
    return (await this.keystoneList<KeystoneUser>('users', {domain_id: domainId, name})).items
  }

  /** Every user (of one domain when given), following `links.next`. */
  async listUsers(filter: {domain_id?: string; name?: string} = {}): Promise<KeystoneListing<KeystoneUser>> {
    return this.keystoneList<KeystoneUser>('users', filter)
  }

  /** Projects with this exact name in the domain (at most one: Keystone keeps names unique per domain). */
  async findProjectsByName(name: string, domainId: string): Promise<KeystoneProject[]> {
    return (await this.keystoneList<KeystoneProject>('projects', {domain_id: domainId, name})).items
  }

  // -------------------------------------------------------------------------------------------
  // Identity writes (and the single-object reads they pair with). Failures are typed: 409
  // KeystoneConflictError, 403 KeystoneForbiddenError, 404 KeystoneNotFoundError, 400
  // KeystoneBadRequestError; anything else stays an HttpError.

  /** The user, or null when Keystone has none with this id. */
  async getUser(id: string): Promise<KeystoneUser | null> {
    const res = await this.request<{user: KeystoneUser}>('identity', {accept: [404], url: `v3/users/${enc(id)}`})
    return res.status === 404 ? null : res.data.user
  }

  /** `POST /v3/users`. The password is registered for redaction before anything is sent. */
  async createUser(user: NewKeystoneUser): Promise<KeystoneUser> {
    if (user.password !== undefined) registerSecret(user.password)
    const what = `create user '${user.name}' in domain '${user.domain_id}'`
    return (await this.write<{user: KeystoneUser}>(what, {body: {user}, method: 'POST', url: 'v3/users'})).data.user
  }

  /** `DELETE /v3/users/{id}`: false when it was already gone. */
  async deleteUser(id: string): Promise<boolean> {
    return this.remove(`delete user ${id}`, `v3/users/${enc(id)}`)
  }

  /** The project, or null when Keystone has none with this id. */
  async getProject(id: string): Promise<KeystoneProject | null> {
    const res = await this.request<{project: KeystoneProject}>('identity', {accept: [404], url: `v3/projects/${enc(id)}`})
    return res.status === 404 ? null : res.data.project
  }

  /** `POST /v3/projects`. */
  async createProject(project: NewKeystoneProject): Promise<KeystoneProject> {
    const what = `create project '${project.name}' in domain '${project.domain_id}'`
    return (await this.write<{project: KeystoneProject}>(what, {body: {project}, method: 'POST', url: 'v3/projects'})).data.project
  }

  /** `DELETE /v3/projects/{id}` (its role assignments go with it): false when it was already gone. */
  async deleteProject(id: string): Promise<boolean> {
    return this.remove(`delete project ${id}`, `v3/projects/${enc(id)}`)
  }

  /** `PUT /v3/projects/{p}/users/{u}/roles/{r}`: granting a role the user already has changes nothing. */
  async grantProjectRole(projectId: string, userId: string, roleId: string): Promise<void> {
    await this.write(`grant role ${roleId} to user ${userId} on project ${projectId}`, {method: 'PUT', url: grantPath(projectId, userId, roleId)})
  }

  /** `HEAD /v3/projects/{p}/users/{u}/roles/{r}`: whether the user holds the role on the project. */
  async checkProjectRole(projectId: string, userId: string, roleId: string): Promise<boolean> {
    const res = await this.request('identity', {accept: [404], method: 'HEAD', url: grantPath(projectId, userId, roleId)})
    return res.status !== 404
  }

  /** `DELETE /v3/projects/{p}/users/{u}/roles/{r}`: false when the user did not hold it. */
  async revokeProjectRole(projectId: string, userId: string, roleId: string): Promise<boolean> {
    return this.remove(`revoke role ${roleId} from user ${userId} on project ${projectId}`, grantPath(projectId, userId, roleId))
  }

  /** `GET /v3/role_assignments` with Keystone's filters (`user.id`, `scope.project.id`, `role.id`). */
  async listRoleAssignments(filter: {projectId?: string; roleId?: string; userId?: string}): Promise<KeystoneRoleAssignment[]> {
    const params: QueryParams = {'role.id': filter.roleId, 'scope.project.id': filter.projectId, 'user.id': filter.userId}
    const {items} = await collectPages<KeystoneRoleAssignment>({system: 'keystone', what: 'role_assignments'}, params, async (p) => {
      const res = await this.request<{links?: KeystoneCollectionLinks; role_assignments?: KeystoneRoleAssignment[]}>('identity', {params: p, url: 'v3/role_assignments'})
      return {items: res.data.role_assignments ?? [], next: res.data.links?.next}
    })
    return items
  }

  async projectId(): Promise<string> {
    return (await this.scope()).projectId
  }

  async roles(): Promise<string[]> {
    return (await this.scope()).roles
  }

  async userId(): Promise<string> {
    return (await this.scope()).userId
  }

  /** The project, user and roles of the token. */
  async scope(): Promise<TokenScope> {
    const {body} = await this.token()
    // authenticate() guarantees a project.
    const project = body.project as NonNullable<KeystoneTokenBody['project']>
    return {
      expiresAt: body.expires_at,
      projectDomainId: project.domain.id,
      projectId: project.id,
      projectName: project.name,
      roles: (body.roles ?? []).map((r) => r.name),
      userDomainId: body.user.domain.id,
      userId: body.user.id,
      userName: body.user.name,
    }
  }

  /**
   * Send a request to a service with the token. A 401 renews the token (one re-auth however many
   * requests were refused) and repeats the request once; a second 401 is an `AuthenticationError`.
   */
  async request<T = unknown>(serviceType: ServiceType, opts: ServiceRequestOptions): Promise<HttpResponse<T>> {
    const http = this.client(SYSTEM_OF[serviceType])
    const send = async (token: KeystoneToken): Promise<HttpResponse<T>> =>
      http.request<T>({
        ...opts,
        headers: {...opts.headers, 'X-Auth-Token': token.id},
        url: endpointUrl(this.endpointFor(token, serviceType), opts.url),
      })
    const used = await this.token()
    try {
      return await send(used)
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 401)) throw error
      ;(this.ctx.logger ?? silentLogger).info({system: error.system}, 'token refused; renewing it and repeating the request once')
      const fresh = await this.renewRejected(used)
      try {
        return await send(fresh)
      } catch (retryError) {
        if (retryError instanceof HttpError && retryError.status === 401) {
          throw new AuthenticationError(
            `${retryError.system} refused a freshly issued Keystone token (${retryError.method} ${retryError.url})${retryError.serverMessage ? `: ${retryError.serverMessage}` : ''}`,
            {
              cause: retryError,
              hint: `check that ${retryError.system} validates tokens against the same Keystone (its [keystone_authtoken] section) and that the user has the roles it requires`,
              serverMessage: retryError.serverMessage,
              status: 401,
            },
          )
        }
        throw retryError
      }
    }
  }

  /** A valid token: the kept one, or a new one (one request to Keystone however many callers ask at once). */
  async token(): Promise<KeystoneToken> {
    const current = this.current
    if (current !== undefined && this.clock() < current.renewAt) return current
    return this.reauthenticate()
  }

  private async authenticate(): Promise<KeystoneToken> {
    const {auth} = this.options
    const url = endpointUrl(this.identityRoot, 'v3/auth/tokens')
    const user = 'id' in auth.user ? {id: auth.user.id, password: auth.password} : {domain: auth.user.domain, name: auth.user.name, password: auth.password}
    const body = {auth: {identity: {methods: ['password'], password: {user}}, scope: {project: auth.project}}}
    const who = `${describeUser(auth.user)} for ${describeProject(auth.project)}`
    let res: HttpResponse<{token?: KeystoneTokenBody}>
    try {
      res = await this.client('keystone').post<{token?: KeystoneTokenBody}>(url, body, {idempotent: true, readOnly: true})
    } catch (error) {
      if (error instanceof HttpError && error.kind === 'status') {
        const said = error.serverMessage ? `: ${error.serverMessage}` : ''
        if (error.status === 401 || error.status === 403) {
          throw new AuthenticationError(`keystone at ${this.identityRoot} refused the credentials of ${who}${said}`, {
            cause: error,
            hint: 'check openstack.username (or user_id), the password, user_domain_name, project_name/project_id and project_domain_name, and that the user has a role on that project',
            serverMessage: error.serverMessage,
            status: error.status,
          })
        }
        if (error.status === 404) {
          throw new AuthenticationError(`keystone: ${url} does not exist (HTTP 404)${said}`, {
            cause: error,
            hint: 'openstack.auth_url must be the Keystone URL, e.g. http://keystone:5000/v3 (with or without /v3)',
            serverMessage: error.serverMessage,
            status: 404,
          })
        }
      }
      throw error
    }
    const id = res.headers['x-subject-token']
    const token = res.data?.token
    if (!id || token === undefined) {
      throw new AuthenticationError(`keystone at ${this.identityRoot} answered HTTP ${res.status} without a token (no X-Subject-Token header or no token body)`, {
        hint: 'openstack.auth_url must point at Keystone v3 itself, not at a proxy page or another service',
      })
    }
    if (token.project === undefined) {
      throw new AuthenticationError(`keystone issued a token for ${who} that is not scoped to a project`, {
        hint: 'give the project with project_id, or project_name and project_domain_name',
      })
    }
    this.authCount++
    const kept = this.keep(id, token)
    // Masked while it lives (its lifetime as measured on our clock) or until the next one replaces it.
    registerSessionSecret(id, {expiresAt: Date.now() + (kept.expiresAt - this.clock()), replaces: this.issued})
    this.issued = id
    return kept
  }

  private client(system: string): HttpClient {
    let client = this.clients.get(system)
    if (client === undefined) {
      client = new HttpClient({...this.ctx, system})
      this.clients.set(system, client)
    }
    return client
  }

  private endpointFor(token: KeystoneToken, serviceType: ServiceType): string {
    const override = this.overrides[serviceType]
    if (override !== undefined) return forProject(override, token.body.project?.id, serviceType)
    // Keystone itself is reached at the configured auth_url: catalogs often list a v2.0 identity URL.
    if (serviceType === 'identity') return this.identityRoot
    return selectEndpoint(token.body.catalog ?? [], {interface: this.options.interface ?? 'public', region: this.options.region, serviceType})
  }

  private keep(id: string, body: KeystoneTokenBody): KeystoneToken {
    const received = this.clock()
    const expires = Date.parse(body.expires_at)
    const issued = body.issued_at === undefined ? Number.NaN : Date.parse(body.issued_at)
    const lifetime = Number.isNaN(issued) || Number.isNaN(expires) || expires <= issued ? undefined : expires - issued
    const expiresAt = lifetime === undefined ? (Number.isNaN(expires) ? received + 3_600_000 : expires) : received + lifetime
    const margin = Math.min(this.options.renewMarginMs ?? DEFAULT_RENEW_MARGIN_MS, (expiresAt - received) / 2)
    const token: KeystoneToken = {body, expiresAt, id, renewAt: expiresAt - margin}
    this.current = token
    return token
  }

  private async keystoneList<T>(collection: 'projects' | 'roles' | 'users', filter: QueryParams): Promise<KeystoneListing<T>> {
    let truncated = false
    const {items} = await collectPages<T>({system: 'keystone', what: collection}, filter, async (params) => {
      const res = await this.request<{links?: KeystoneCollectionLinks; truncated?: boolean} & Record<string, unknown>>('identity', {params, url: `v3/${collection}`})
      if (res.data.truncated === true) truncated = true
      return {items: (res.data[collection] as T[] | undefined) ?? [], next: res.data.links?.next}
    })
    return {items, truncated}
  }

  /** A Keystone write; its refusals become typed errors naming what was asked. */
  private async write<T = unknown>(what: string, opts: ServiceRequestOptions): Promise<HttpResponse<T>> {
    try {
      return await this.request<T>('identity', opts)
    } catch (error) {
      throw keystoneWriteError(error, what)
    }
  }

  private async remove(what: string, url: string): Promise<boolean> {
    const res = await this.write(what, {accept: [404], method: 'DELETE', url})
    return res.status !== 404
  }

  private async reauthenticate(): Promise<KeystoneToken> {
    this.inflight ??= this.authenticate().finally(() => {
      this.inflight = undefined
    })
    return this.inflight
  }

  /** After a service refused `used`: a newer token if another request already got one, else one re-auth. */
  private async renewRejected(used: KeystoneToken): Promise<KeystoneToken> {
    if (this.current !== undefined && this.current !== used) return this.token()
    this.current = undefined
    return this.reauthenticate()
  }
}

function enc(id: string): string {
  return encodeURIComponent(id)
}

function grantPath(projectId: string, userId: string, roleId: string): string {
  return `v3/projects/${enc(projectId)}/users/${enc(userId)}/roles/${enc(roleId)}`
}

/** An HttpError of a Keystone write as its typed error (others unchanged). */
export function keystoneWriteError(error: unknown, what: string): unknown {
  if (!(error instanceof HttpError) || error.kind !== 'status' || error.status === undefined) return error
  const said = error.serverMessage ? `: ${error.serverMessage}` : ''
  const opts = {cause: error, serverMessage: error.serverMessage, status: error.status}
  const message = `keystone refused to ${what} (HTTP ${error.status})${said}`
  let typed: KeystoneWriteError | undefined
  switch (error.status) {
    case 400: {
      typed = new KeystoneBadRequestError(message, {...opts, code: 'E_KEYSTONE_BAD_REQUEST', exitCode: 2, hint: 'Keystone refused the request as invalid; if it names the password, choose one that meets its security_compliance policy'})
      break
    }
    case 403: {
      typed = new KeystoneForbiddenError(message, {...opts, code: 'E_KEYSTONE_FORBIDDEN', hint: 'the configured OpenStack user needs the admin role (identity writes are admin-only in the default policy)'})
      break
    }
    case 404: {
      typed = new KeystoneNotFoundError(message, {...opts, code: 'E_KEYSTONE_NOT_FOUND'})
      break
    }
    case 409: {
      typed = new KeystoneConflictError(message, {...opts, code: 'E_KEYSTONE_CONFLICT', hint: 'the name is taken in that domain'})
      break
    }
  }
  return typed ?? error
}

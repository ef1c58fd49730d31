/**
 * What every simulated OpenStack service does before its own work, as keystonemiddleware's
 * auth_token does in front of the real ones: validate `X-Auth-Token` against Keystone's tokens
 * (expiry, the `expireTokens` fault) and build the request context (user, project, roles, admin).
 * Plus the few formatting rules the services share (timestamps, base URL, limits).
 */
import type {CloudChanges} from '../changes.js'
import type {Faults, SimSystem} from '../faults.js'
import type {SimHandler, SimReply, SimRequest} from '../http-app.js'
import type {Project, Role, Token, User, World} from '../world.js'

export interface RequestContext {
  isAdmin: boolean
  project: Project
  roles: Role[]
  token: Token
  user: User
}

export interface ServiceOptions {
  /** The changes the write endpoints make (each followed by the notifications OpenStack publishes). */
  changes?: CloudChanges
  faults?: Faults
  /** The Keystone URL for `WWW-Authenticate` (set once the servers listen). */
  keystoneUrl: () => string
}

export type AuthedHandler = (r: SimRequest, ctx: RequestContext) => Promise<SimReply> | SimReply

/** Resolve a token (undefined when unknown, expired, or every token is expired by a fault). */
export function tokenContext(world: World, tokenId: string | undefined, faults: Faults | undefined, system: SimSystem): RequestContext | undefined {
  if (!tokenId) return undefined
  const token = world.tokens.get(tokenId)
  if (token === undefined) return undefined
  if (token.expiresAt <= world.now() || faults?.get(system)?.expireTokens) return undefined
  const user = world.users.get(token.userId)
  const project = world.projects.get(token.projectId)
  if (user === undefined || project === undefined || !user.enabled) return undefined
  const roles = world.rolesOn(user.id, project.id)
  return {isAdmin: roles.some((r) => r.name === 'admin'), project, roles, token, user}
}

/** Wrap a handler so that it runs only with a valid token; 401 as keystonemiddleware answers otherwise. */
export function authed(world: World, system: SimSystem, opts: ServiceOptions, handler: AuthedHandler): SimHandler {
  return (r) => {
    const ctx = tokenContext(world, header(r, 'x-auth-token'), opts.faults, system)
    if (ctx === undefined) return middlewareUnauthorized(opts.keystoneUrl())
    return handler(r, ctx)
  }
}

/** keystonemiddleware's 401 (the same for nova, cinder, neutron, heat, gnocchi, cloudkitty). */
export function middlewareUnauthorized(keystoneUrl: string): SimReply {
  return {
    body: {error: {code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized'}},
    headers: {'WWW-Authenticate': `Keystone uri="${keystoneUrl}"`},
    status: 401,
  }
}

export function header(r: SimRequest, name: string): string | undefined {
  const v = r.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** `http://host:port` as the client addressed it (links in responses point back to the caller's view). */
export function baseUrl(r: SimRequest): string {
  return `http://${header(r, 'host') ?? '127.0.0.1'}`
}

/** `2013-09-03T04:01:32Z` (nova `created`, heat stacks, neutron). */
export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** `2013-09-23T13:53:12.774549` (nova launched_at, cinder created_at): microseconds, no zone. */
export function isoMicros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000')
}

/** `2015-06-25T14:59:53` (heat resources): seconds, no zone. */
export function isoPlain(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '')
}

/** Parse an ISO-8601 timestamp (zone-less means UTC) or epoch seconds; undefined when invalid. */
export function parseTime(raw: string | null): number | undefined {
  if (raw === null || raw === '') return undefined
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw) * 1000
  const withZone = /(Z|[+-]\d\d:?\d\d)$/.test(raw) || !raw.includes('T') ? raw : `${raw}Z`
  const t = Date.parse(withZone)
  return Number.isNaN(t) ? undefined : t
}

/** True for OpenStack's truthy query strings (`1, t, true, on, y, yes`); a bare flag counts as true. */
export function truthy(raw: string | null): boolean {
  if (raw === null) return false
  return raw === '' || ['1', 'on', 't', 'true', 'y', 'yes'].includes(raw.toLowerCase())
}

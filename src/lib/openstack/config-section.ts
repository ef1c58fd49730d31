/**
 * The `openstack` section of our configuration → Keystone credentials and client options.
 *
 * It keeps the original service's keys and their meaning (reference/original-service.md §5.1):
 * every key of AUTHENTICATION_MAPPING maps to one auth argument, in the order the section lists
 * them (a later key overrides an earlier one, as in the original's dict loop); the first accepted
 * set wins, and as in keystoneauth an id beats a name (user_id over username, project_id over a
 * project name). New here: plain `project_name` (the original ignored it, but it only counts when
 * no project id is given, so old files behave as before), `user_domain_id`, `project_domain_id`,
 * `interface`, `region_name`, `endpoint_overrides`, `compute_microversion`, `page_size` and
 * `token_renew_margin_seconds`. The original's Keystone v2 sets (username + tenant) are served by
 * v3 in the `default` domain, which is where v2 put every user and tenant.
 */
import {ConfigError} from '../errors.js'
import {registerSecret} from '../output/redact.js'
import type {EndpointInterface} from './types.js'

export type DomainRef = {id: string} | {name: string}

/** Who authenticates: a user id, or a user name in a domain. */
export type KeystoneUserRef = {domain: DomainRef; name: string} | {id: string}

/** Which project the token is scoped to: its id, or its name in a domain. */
export type KeystoneProjectRef = {domain: DomainRef; name: string} | {id: string}

export interface KeystoneAuth {
  /** Keystone's URL, with or without the trailing `/v3`. */
  authUrl: string
  password: string
  project: KeystoneProjectRef
  user: KeystoneUserRef
}

/** Options of the OpenStack clients that come from the same section. */
export interface OpenStackOptions {
  computeMicroversion?: string
  endpointOverrides: Record<string, string>
  interface: EndpointInterface
  pageSize?: number
  region?: string
  renewMarginMs?: number
}

type AuthArg =
  | 'authUrl'
  | 'password'
  | 'projectDomainId'
  | 'projectDomainName'
  | 'projectId'
  | 'projectName'
  | 'tenantId'
  | 'tenantName'
  | 'userDomainId'
  | 'userDomainName'
  | 'userId'
  | 'username'

/** Config key → auth argument: the original's AUTHENTICATION_MAPPING plus the new keys. */
const MAPPING: Record<string, AuthArg> = {
  admin_project_id: 'projectId',
  admin_project_name: 'projectName',
  admin_tenant_id: 'tenantId',
  admin_tenant_name: 'tenantName',
  admin_user_id: 'userId',
  admin_user_password: 'password',
  admin_username: 'username',
  auth_url: 'authUrl',
  password: 'password',
  project_domain_id: 'projectDomainId',
  project_domain_name: 'projectDomainName',
  project_id: 'projectId',
  project_name: 'projectName',
  user_domain_id: 'userDomainId',
  user_domain_name: 'userDomainName',
  user_id: 'userId',
  username: 'username',
}

const ACCEPTED_SETS =
  'user_id + password + project_id; username + user_domain_name + password + project_id; ' +
  'username + user_domain_name + password + project_name + project_domain_name; user_id + password + project_name + project_domain_name ' +
  '(admin_* spellings and *_domain_id accepted too)'

const EXAMPLE = 'openstack: {auth_url: "http://keystone:5000/v3", username: admin, password_file: /etc/concertim-os/os-password, user_domain_name: Default, project_name: admin, project_domain_name: Default}'

function scalar(section: Record<string, unknown>, key: string): string | undefined {
  const v = section[key]
  if (v === undefined || v === null) return undefined
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (typeof v !== 'string') throw new ConfigError(`openstack.${key}`, `must be a string, not ${Array.isArray(v) ? 'a list' : typeof v}`, EXAMPLE)
  const s = v.trim()
  return s === '' ? undefined : s
}

function domainOf(id: string | undefined, name: string | undefined): DomainRef | undefined {
  if (id !== undefined) return {id}
  if (name !== undefined) return {name}
  return undefined
}

/** Map the `openstack` config section to Keystone v3 password credentials, as the original service did. */
export function keystoneAuthFromConfig(section: Record<string, unknown>): KeystoneAuth {
  const a: Partial<Record<AuthArg, string>> = {}
  for (const key of Object.keys(section)) {
    const arg = MAPPING[key]
    if (arg === undefined) continue
    const value = scalar(section, key)
    if (value !== undefined) a[arg] = value
  }
  if (a.authUrl === undefined) throw new ConfigError('openstack.auth_url', 'is required: the URL of Keystone', 'auth_url: "http://keystone:5000/v3"')
  if (!/^https?:\/\/[^/]+/i.test(a.authUrl)) throw new ConfigError('openstack.auth_url', `is not an http(s) URL: ${a.authUrl}`, 'auth_url: "http://keystone:5000/v3"')
  const present = Object.keys(section).filter((k) => MAPPING[k] !== undefined && scalar(section, k) !== undefined)
  const problem = (why: string): ConfigError =>
    new ConfigError('openstack', `${why}; the keys given are [${present.join(', ')}]; accepted sets: ${ACCEPTED_SETS}`, EXAMPLE)
  if (a.password === undefined) throw problem('no password (password, admin_user_password or password_file)')
  registerSecret(a.password)

  let userDomain = domainOf(a.userDomainId, a.userDomainName)
  let projectDomain = domainOf(a.projectDomainId, a.projectDomainName)
  let projectId = a.projectId
  let projectName = a.projectName
  // The original's v2 sets (username + tenant_id / tenant_name), reached only when no v3 set fits.
  const v3Project = projectId !== undefined || (projectName !== undefined && projectDomain !== undefined)
  const v3User = a.userId !== undefined || (a.username !== undefined && userDomain !== undefined)
  if (!(v3Project && v3User) && a.username !== undefined && (a.tenantId !== undefined || a.tenantName !== undefined)) {
    userDomain ??= {id: 'default'}
    if (projectId === undefined && a.tenantId !== undefined) projectId = a.tenantId
    if (projectId === undefined && projectName === undefined) {
      projectName = a.tenantName
      projectDomain ??= {id: 'default'}
    }
  }

  let user: KeystoneUserRef
  if (a.userId !== undefined) user = {id: a.userId}
  else if (a.username !== undefined && userDomain !== undefined) user = {domain: userDomain, name: a.username}
  else if (a.username === undefined) throw problem('no user (user_id or username)')
  else throw problem(`user '${a.username}' is given by name without its domain (user_domain_name or user_domain_id)`)

  let project: KeystoneProjectRef
  if (projectId !== undefined) project = {id: projectId}
  else if (projectName !== undefined && projectDomain !== undefined) project = {domain: projectDomain, name: projectName}
  else if (projectName === undefined) throw problem('no project (project_id or project_name)')
  else throw problem(`project '${projectName}' is given by name without its domain (project_domain_name or project_domain_id)`)

  return {authUrl: a.authUrl, password: a.password, project, user}
}

const INTERFACES: Record<string, EndpointInterface> = {
  admin: 'admin',
  adminurl: 'admin',
  internal: 'internal',
  internalurl: 'internal',
  public: 'public',
  publicurl: 'public',
}

/** The non-credential options of the same section. */
export function openStackOptionsFromConfig(section: Record<string, unknown>): OpenStackOptions {
  const iface = scalar(section, 'interface')
  const normalised = iface === undefined ? 'public' : INTERFACES[iface.toLowerCase()]
  if (normalised === undefined) throw new ConfigError('openstack.interface', `must be public, internal or admin, not '${iface}'`, 'interface: internal')

  const endpointOverrides: Record<string, string> = {}
  const overrides = section.endpoint_overrides
  if (overrides !== undefined && overrides !== null) {
    if (typeof overrides !== 'object' || Array.isArray(overrides)) {
      throw new ConfigError('openstack.endpoint_overrides', 'must be a map of service type to URL', 'endpoint_overrides: {compute: "https://nova.example:8774/v2.1"}')
    }
    for (const [type, url] of Object.entries(overrides as Record<string, unknown>)) {
      if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
        throw new ConfigError(`openstack.endpoint_overrides.${type}`, 'must be an http(s) URL', `endpoint_overrides: {${type}: "https://host:port/path"}`)
      }
      endpointOverrides[type] = url
    }
  }

  const micro = scalar(section, 'compute_microversion')
  if (micro !== undefined && !/^2\.\d+$/.test(micro)) throw new ConfigError('openstack.compute_microversion', `must look like 2.N, not '${micro}'`, 'compute_microversion: "2.73"')

  return {
    computeMicroversion: micro,
    endpointOverrides,
    interface: normalised,
    pageSize: positiveInt(section, 'page_size', 1000),
    region: scalar(section, 'region_name'),
    renewMarginMs: secondsToMs(positiveInt(section, 'token_renew_margin_seconds', 86_400)),
  }
}

function positiveInt(section: Record<string, unknown>, key: string, max: number): number | undefined {
  const v = scalar(section, key)
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 1 || n > max) throw new ConfigError(`openstack.${key}`, `must be a whole number from 1 to ${max}, not '${v}'`, `${key}: 500`)
  return n
}

function secondsToMs(s: number | undefined): number | undefined {
  return s === undefined ? undefined : s * 1000
}

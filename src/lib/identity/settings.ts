/**
 * The `identity:` configuration as the identity functions use it, and the names they give Keystone
 * objects (the original's `CM_<login>` / `CM_<team>`, with a configurable, optional prefix).
 */
import type {Config} from '../config/index.js'

export interface ServiceGrant {
  /** Only when billing is on. */
  billingOnly: boolean
  role: string
  user: string
  userDomainId: string
}

export interface IdentitySettings {
  /** Kill Bill accounts are made for teams (`billing_platform: killbill` with a `killbill:` section). */
  billing: boolean
  domainId: string
  grants: ServiceGrant[]
  projectDescription: string
  projectPrefix: string
  userDescription: string
  userPrefix: string
}

export const DEFAULT_IDENTITY_SETTINGS: IdentitySettings = {
  billing: false,
  domainId: 'default',
  grants: [
    {billingOnly: false, role: 'admin', user: 'admin', userDomainId: 'default'},
    {billingOnly: false, role: 'watcher', user: 'concertim', userDomainId: 'default'},
    {billingOnly: true, role: 'rating', user: 'cloudkitty', userDomainId: 'default'},
  ],
  projectDescription: 'Concertim Managed Project',
  projectPrefix: 'CM_',
  userDescription: 'Concertim Managed User',
  userPrefix: 'CM_',
}

export function identitySettings(config: Pick<Config, 'billing_platform' | 'identity' | 'killbill'>): IdentitySettings {
  const i = config.identity
  return {
    billing: config.killbill !== undefined && config.killbill !== null,
    domainId: i.domain_id,
    grants: i.project_grants.map((g) => ({billingOnly: g.billing_only === true, role: g.role, user: g.user, userDomainId: g.user_domain_id ?? 'default'})),
    projectDescription: i.project_description,
    projectPrefix: i.project_prefix,
    userDescription: i.user_description,
    userPrefix: i.user_prefix,
  }
}

/** The service grants that apply (the billing-only ones only when billing is on). */
export function activeGrants(s: IdentitySettings): ServiceGrant[] {
  return s.grants.filter((g) => s.billing || !g.billingOnly)
}

export function keystoneUserName(s: Pick<IdentitySettings, 'userPrefix'>, login: string): string {
  return `${s.userPrefix}${login}`
}

export function keystoneProjectName(s: Pick<IdentitySettings, 'projectPrefix'>, team: string): string {
  return `${s.projectPrefix}${team}`
}

/** The single-user team the Concertim app makes for a user after sign-up. */
export function ownTeamName(login: string): string {
  return `${login}_team`
}

/** Concertim's own rule for a login (concertim-api.md §4.3): what is not one cannot be a user. */
export function loginProblem(login: string): string | undefined {
  if (login === '') return 'is empty'
  if (login.length > 80) return 'is longer than 80 characters'
  if (!/^[\w.-]+$/.test(login)) return 'can contain only alphanumeric characters, hyphens, underscores and periods'
  return undefined
}

/**
 * The `cloud_env` of the app's requests → Keystone credentials. The app sends
 * `{auth_url, user_id, password, project_id}`: the acting user's own credentials (or the admin's),
 * so that OpenStack's policies decide what the caller may do. The original service's other
 * spellings (reference/original-service.md §5.1: `username` + `user_domain_name`, `project_name` +
 * `project_domain_name`, the `admin_*` keys) are accepted too. Nothing here echoes the password.
 */
import {AppError} from '../errors.js'
import type {KeystoneAuth, KeystoneProjectRef, KeystoneUserRef} from '../openstack/keystone.js'

/** A `cloud_env` that names no usable set of credentials (the caller's mistake: 400). */
export class CloudEnvError extends AppError {
  readonly errorName = 'InvalidCloudEnv'
  readonly httpStatus = 400

  constructor(problem: string) {
    super(`cloud_env ${problem}; send {auth_url, user_id, password, project_id} (or username + user_domain_name instead of user_id, project_name + project_domain_name instead of project_id)`, {
      code: 'E_CLOUD_ENV',
    })
  }
}

const ALIASES: Record<string, string> = {
  admin_project_id: 'project_id',
  admin_project_name: 'project_name',
  admin_tenant_id: 'project_id',
  admin_tenant_name: 'project_name',
  admin_user_id: 'user_id',
  admin_user_password: 'password',
  admin_username: 'username',
}

function text(env: Record<string, unknown>, key: string): string | undefined {
  for (const [k, v] of Object.entries(env)) {
    if ((ALIASES[k] ?? k) !== key) continue
    if (typeof v === 'string' && v.trim() !== '') return v.trim()
    if (typeof v === 'number') return String(v)
  }
  return undefined
}

/** Keystone v3 password credentials from a `cloud_env` object (pure). */
export function keystoneAuthFromCloudEnv(env: Record<string, unknown>): KeystoneAuth {
  const authUrl = text(env, 'auth_url')
  if (authUrl === undefined) throw new CloudEnvError('has no auth_url')
  if (!/^https?:\/\/[^/]+/i.test(authUrl)) throw new CloudEnvError('auth_url is not an http(s) URL')
  const password = typeof env.password === 'string' && env.password !== '' ? env.password : text(env, 'password')
  if (password === undefined) throw new CloudEnvError('has no password')
  const userDomain = text(env, 'user_domain_id') === undefined ? text(env, 'user_domain_name') : undefined
  const projectDomainId = text(env, 'project_domain_id')
  const projectDomainName = text(env, 'project_domain_name')
  let user: KeystoneUserRef
  const userId = text(env, 'user_id')
  const username = text(env, 'username')
  if (userId !== undefined) user = {id: userId}
  else if (username !== undefined) {
    const domainId = text(env, 'user_domain_id')
    if (domainId === undefined && userDomain === undefined) throw new CloudEnvError('gives username without user_domain_name or user_domain_id')
    user = {domain: domainId === undefined ? {name: userDomain as string} : {id: domainId}, name: username}
  } else throw new CloudEnvError('names no user (user_id, or username with user_domain_name)')
  let project: KeystoneProjectRef
  const projectId = text(env, 'project_id')
  const projectName = text(env, 'project_name')
  if (projectId !== undefined) project = {id: projectId}
  else if (projectName !== undefined) {
    if (projectDomainId === undefined && projectDomainName === undefined) throw new CloudEnvError('gives project_name without project_domain_name or project_domain_id')
    project = {domain: projectDomainId === undefined ? {name: projectDomainName as string} : {id: projectDomainId}, name: projectName}
  } else throw new CloudEnvError('names no project (project_id, or project_name with project_domain_name)')
  return {authUrl, password, project, user}
}

/**
 * The `IdentityService` of `serve` over the identity library (src/lib/identity): `POST /user`,
 * `POST /team` and `POST /team_role` are its `ensureCloudUser`, `ensureCloudTeam` and
 * `grantTeamRole` (found and adopted when they exist, made with rollback when not); the others are
 * single Keystone/Kill Bill calls, each a no-op when already done. It acts with the configured
 * admin's Keystone session (the app sends the admin's `cloud_env` for these calls), and removes or
 * changes only users and projects made for Concertim (the configured prefix), never others.
 */
import {HttpError} from '../http/index.js'
import {type IdentityClients, IdentityInputError, NameTakenError, RefusedError, StepFailedError, ensureCloudTeam, ensureCloudUser, grantTeamRole} from '../identity/index.js'
import {closeTeamAccount} from '../killbill/accounts.js'
import {ApiError, errorReply} from './errors.js'
import type {IdentityService} from './ports.js'
import {ServiceRefusal} from './ports.js'

/** The library's failures → the statuses the app expects (what the caller must fix is 4xx; an outage is the cause's). */
async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if (error instanceof NameTakenError) throw new ServiceRefusal(409, 'NameTaken', error.message)
    if (error instanceof IdentityInputError) throw new ServiceRefusal(400, 'InvalidArgument', error.message)
    if (error instanceof RefusedError) throw new ServiceRefusal(409, 'Refused', error.message)
    if (error instanceof StepFailedError) {
      const cause = error.cause instanceof StepFailedError ? error.cause.cause : error.cause
      const {body, status} = errorReply(cause instanceof NameTakenError ? new ServiceRefusal(409, 'NameTaken', cause.message) : cause)
      throw new ApiError(status, body.error, error.message)
    }
    throw error
  }
}

export function libraryIdentityService(c: IdentityClients): IdentityService {
  const {keystone, settings} = c.dir
  const ours = (name: string, prefix: string) => prefix === '' || name.startsWith(prefix)
  return {
    async changeRole(req) {
      await mapped(async () => grantTeamRole(c, {projectId: req.projectId, role: req.newRole, userId: req.userId}))
      if (req.currentRole !== req.newRole) await keystone.revokeProjectRole(req.projectId, req.userId, (await c.dir.role(req.currentRole)).id)
    },
    async createTeam(req) {
      const r = await mapped(async () => ensureCloudTeam(c, {billingAcctId: req.billingAcctId, name: req.name, projectId: req.projectId}))
      if (r.projectId === undefined) throw new ApiError(500, 'InternalError', `the team ${req.name} has no project after its steps ran`)
      return {billingAcctId: r.accountId ?? '', projectId: r.projectId}
    },
    async createUser(req) {
      const r = await mapped(async () => ensureCloudUser(c, {email: req.email, login: req.username, password: req.password}))
      if (r.userId === undefined) throw new ApiError(500, 'InternalError', `the user ${req.username} has no Keystone id after its steps ran`)
      return {userCloudId: r.userId, username: req.username}
    },
    async deleteTeam(req) {
      if (req.billingAcctId !== undefined && c.killbill !== undefined) {
        try {
          await closeTeamAccount(c.killbill, req.billingAcctId)
        } catch (error) {
          if (!(error instanceof HttpError && error.status === 404)) throw error
        }
      }
      if (req.projectId === undefined) return
      const project = await keystone.getProject(req.projectId)
      if (project === null) return
      if (!ours(project.name, settings.projectPrefix)) throw new ServiceRefusal(409, 'Refused', `project ${req.projectId} (${project.name}) was not made for Concertim (no ${settings.projectPrefix} prefix): not deleted`)
      await keystone.deleteProject(req.projectId)
    },
    async deleteUser(req) {
      const user = await keystone.getUser(req.cloudUserId)
      if (user === null) return
      if (!ours(user.name, settings.userPrefix)) throw new ServiceRefusal(409, 'Refused', `user ${req.cloudUserId} (${user.name}) was not made for Concertim (no ${settings.userPrefix} prefix): not deleted`)
      await keystone.deleteUser(req.cloudUserId)
    },
    async grantRole(req) {
      await mapped(async () => grantTeamRole(c, req))
    },
    async revokeRole(req) {
      await keystone.revokeProjectRole(req.projectId, req.userId, (await c.dir.role(req.role)).id)
    },
    async updateUser(req) {
      const user = await keystone.getUser(req.cloudUserId)
      if (user === null) throw new ServiceRefusal(404, 'NotFound', `Keystone has no user ${req.cloudUserId}`)
      if (!ours(user.name, settings.userPrefix)) throw new ServiceRefusal(409, 'Refused', `user ${req.cloudUserId} (${user.name}) was not made for Concertim: not changed`)
      const patch: Record<string, string> = {}
      if (req.email !== undefined) patch.email = req.email
      if (req.password !== undefined) patch.password = req.password
      await keystone.request('identity', {body: {user: patch}, method: 'PATCH', url: `v3/users/${encodeURIComponent(req.cloudUserId)}`})
      return {updated: Object.keys(patch).map((k) => ['cloud_user', req.cloudUserId, k] as [string, string, string])}
    },
  }
}

/**
 * `users delete LOGIN [--team NAME --delete-team]`: the reverse of `users create` (the original's
 * `DELETE /user` and `DELETE /team`, which removed without looking). Only what is ours is removed
 * (our description, or linked from Concertim); refused (exit 2) while the user is the only admin of
 * a project with servers, or while the team's project has servers or stacks, unless forced. The
 * team's Kill Bill account is closed, never deleted. Concertim's links to what was removed are
 * cleared, so that `users create --pending` can make them again.
 *
 * Every check is made before the first write: a refusal writes nothing.
 */
import type {Team, User} from '../concertim/types.js'
import {accountsOfProject} from '../killbill/accounts.js'
import type {OpenStack} from '../openstack/index.js'
import type {KeystoneProject, KeystoneUser} from '../openstack/types.js'
import {closest} from '../suggest.js'
import type {IdentityClients} from './apply.js'
import {IdentityInputError, RefusedError} from './errors.js'
import {keystoneProjectName, keystoneUserName} from './settings.js'

export interface DeleteIdentityInput {
  /** Also remove the team's project and close its Kill Bill account. */
  deleteTeam?: boolean
  dryRun?: boolean
  /** Remove even when servers or stacks depend on it. */
  force?: boolean
  login: string
  team?: string
}

export interface Removal {
  id?: string
  object: string
  state: 'absent' | 'closed' | 'deleted' | 'to close' | 'to delete' | 'to unlink' | 'unlinked'
}

export interface DeleteIdentityResult {
  dryRun: boolean
  login: string
  removals: Removal[]
  team?: string
}

/** Nova and Heat, to see what depends on a project. */
export type CloudReader = Pick<OpenStack, 'heat' | 'nova'>

export async function deleteIdentity(c: IdentityClients, cloud: CloudReader, input: DeleteIdentityInput): Promise<DeleteIdentityResult> {
  const concertim = c.concertim
  if (concertim === undefined) throw new Error('internal: a Concertim client is needed')
  const s = c.dir.settings
  const {keystone} = c.dir
  const users = await concertim.users()
  const cUser = users.find((u) => u.login === input.login)
  const teams = input.team === undefined ? [] : await concertim.teams()
  const cTeam = input.team === undefined ? undefined : findTeam(teams, input.team)

  // The Keystone user: Concertim's link, else ours by name.
  const kUser = await findUser(c, cUser, input.login, users)
  if (cUser === undefined && kUser === undefined) {
    const guess = closest(input.login, users.map((u) => u.login))
    throw new IdentityInputError(`neither Concertim nor Keystone (user ${keystoneUserName(s, input.login)}) knows '${input.login}'`, guess === undefined ? 'check the login' : `did you mean '${guess}'?`, 'E_UNKNOWN_LOGIN')
  }
  const kProject = cTeam === undefined ? undefined : await findProject(c, cTeam, teams)

  // Checks, all before the first write.
  if (cTeam !== undefined && kProject !== undefined && !input.force) {
    const [servers, stacks] = await Promise.all([cloud.nova.listServers({projectId: kProject.id}), cloud.heat.listStacks({projectId: kProject.id})])
    if (servers.servers.length > 0 || stacks.length > 0) {
      throw new RefusedError(`team ${cTeam.name}'s project ${kProject.name} still has ${servers.servers.length} server(s) and ${stacks.length} stack(s)`, 'delete its racks in Concertim first, or give --force to remove the project anyway (its servers are left without a project)')
    }
  }
  if (kUser !== undefined && !input.force) await refuseLastAdmin(c, cloud, kUser, kProject?.id)

  const removals: Removal[] = []
  const dry = input.dryRun === true
  let accountId: string | undefined
  if (cTeam !== undefined && input.deleteTeam) {
    if (c.killbill !== undefined && s.billing) {
      const tagged = kProject === undefined ? [] : await accountsOfProject(c.killbill, kProject.id)
      accountId = cTeam.billing_acct_id ?? tagged[0] ?? undefined
    }
    if (accountId !== undefined && c.killbill !== undefined) {
      if (!dry) await c.killbill.closeAccount(accountId, {comment: 'Deleted via concertim-os users delete', reason: 'Deleted'})
      removals.push({id: accountId, object: `Kill Bill account of team ${cTeam.name}`, state: dry ? 'to close' : 'closed'})
    }
    if (kProject !== undefined) {
      if (!dry) await keystone.deleteProject(kProject.id)
      removals.push({id: kProject.id, object: `Keystone project ${kProject.name}`, state: dry ? 'to delete' : 'deleted'})
    } else removals.push({object: `Keystone project ${keystoneProjectName(s, cTeam.name)}`, state: 'absent'})
    if (cTeam.project_id !== null || cTeam.billing_acct_id !== null) {
      if (!dry) await concertim.updateTeam(cTeam.id, {billing_acct_id: null, project_id: null})
      removals.push({id: cTeam.id, object: `Concertim team ${cTeam.name}'s project_id and billing_acct_id`, state: dry ? 'to unlink' : 'unlinked'})
    }
  }
  if (kUser !== undefined) {
    if (!dry) await keystone.deleteUser(kUser.id)
    removals.push({id: kUser.id, object: `Keystone user ${kUser.name}`, state: dry ? 'to delete' : 'deleted'})
  } else removals.push({object: `Keystone user ${keystoneUserName(s, input.login)}`, state: 'absent'})
  if (cUser !== undefined && typeof cUser.cloud_user_id === 'string' && cUser.cloud_user_id !== '' && (kUser === undefined || cUser.cloud_user_id === kUser.id)) {
    if (!dry) await concertim.updateUser(cUser.id, {cloud_user_id: null})
    removals.push({id: cUser.id, object: `Concertim user ${cUser.login}'s cloud_user_id`, state: dry ? 'to unlink' : 'unlinked'})
  }
  return {dryRun: dry, login: input.login, removals, team: cTeam?.name}
}

/** The user's Keystone user, if there is one we may remove; one that is not ours is refused. */
async function findUser(c: IdentityClients, cUser: undefined | User, login: string, users: User[]): Promise<KeystoneUser | undefined> {
  const s = c.dir.settings
  const link = cUser?.cloud_user_id
  if (typeof link === 'string' && link !== '') {
    const linked = await c.dir.userById(link)
    if (linked !== null) return linked
  }
  const byName = await c.dir.userByName(keystoneUserName(s, login))
  if (byName === undefined) return undefined
  const linkedElsewhere = users.some((u) => u.cloud_user_id === byName.id)
  if (byName.description !== s.userDescription && !linkedElsewhere) {
    throw new RefusedError(`Keystone user ${byName.name} (${byName.id}) was not made for Concertim (its description is not '${s.userDescription}' and no Concertim user links to it)`, 'it is never removed by concertim-os; remove it with the openstack CLI if it must go')
  }
  return byName
}

async function findProject(c: IdentityClients, team: Team, teams: Team[]): Promise<KeystoneProject | undefined> {
  const s = c.dir.settings
  if (team.project_id !== null && team.project_id !== '') {
    const linked = await c.dir.projectById(team.project_id)
    if (linked !== null) return linked
  }
  const byName = await c.dir.projectByName(keystoneProjectName(s, team.name))
  if (byName === undefined) return undefined
  if (byName.description !== s.projectDescription && !teams.some((t) => t.project_id === byName.id)) {
    throw new RefusedError(`Keystone project ${byName.name} (${byName.id}) was not made for Concertim`, 'it is never removed by concertim-os; remove it with the openstack CLI if it must go')
  }
  return byName
}

/** Refuse while the user is the only admin (service users aside) of a project that has servers. */
async function refuseLastAdmin(c: IdentityClients, cloud: CloudReader, user: KeystoneUser, goingProjectId?: string): Promise<void> {
  const admin = await c.dir.role('admin')
  const grants = await c.dir.resolvedGrants()
  const service = new Set(grants.map((g) => g.userId))
  for (const a of await c.dir.keystone.listRoleAssignments({roleId: admin.id, userId: user.id})) {
    const projectId = a.scope?.project?.id
    if (projectId === undefined || projectId === goingProjectId) continue
    const admins = await c.dir.keystone.listRoleAssignments({projectId, roleId: admin.id})
    if (admins.some((x) => x.user !== undefined && x.user.id !== user.id && !service.has(x.user.id))) continue
    const {servers} = await cloud.nova.listServers({projectId})
    if (servers.length > 0) {
      throw new RefusedError(`Keystone user ${user.name} is the only admin of project ${projectId}, which has ${servers.length} server(s)`, 'make another user admin of that team first, or give --force')
    }
  }
}

function findTeam(teams: Team[], name: string): Team {
  const team = teams.find((t) => t.name === name)
  if (team !== undefined) return team
  const guess = closest(name, teams.map((t) => t.name))
  throw new IdentityInputError(`Concertim has no team '${name}'`, guess === undefined ? 'check the team name' : `did you mean '${guess}'?`, 'E_UNKNOWN_TEAM')
}

/**
 * Reading what exists of an identity (no writes): the Keystone user and project Concertim links to,
 * else ours by name (a name held by an object that is not ours is reported, never adopted), the role
 * assignments on the project, and (billing) the team's Kill Bill account.
 */
import {accountsOfProject} from '../killbill/accounts.js'
import type {KillBillClient} from '../killbill/client.js'
import type {KeystoneDirectory} from './directory.js'
import {keystoneProjectName, keystoneUserName} from './settings.js'
import {assignmentKey, type KeystoneObject, type TeamObservation, type UserObservation} from './steps.js'

export interface UserToObserve {
  /** The Concertim user, when Concertim drives (the CLI). */
  concertimUser?: {cloud_user_id?: null | string; id: string}
  login: string
}

/** Ours: made for Concertim (our description), or linked from Concertim. */
function isOurs(o: KeystoneObject, description: string, linked: ReadonlySet<string>): boolean {
  return o.description === description || linked.has(o.id)
}

/**
 * `linkedIds`: the Keystone user ids Concertim's users link to (a linked user is ours whatever its
 * description).
 */
export async function observeUser(dir: KeystoneDirectory, u: UserToObserve, linkedIds: ReadonlySet<string> = new Set()): Promise<UserObservation> {
  const s = dir.settings
  const keystoneName = keystoneUserName(s, u.login)
  const obs: UserObservation = {concertimUser: u.concertimUser, keystoneName}
  const link = u.concertimUser?.cloud_user_id
  if (link !== undefined && link !== null && link !== '') {
    const linked = await dir.userById(link)
    if (linked !== null) {
      obs.found = linked
      return obs
    }
  }
  const byName = await dir.userByName(keystoneName)
  if (byName !== undefined) {
    if (isOurs(byName, s.userDescription, linkedIds)) obs.found = byName
    else obs.foreign = byName
  }
  return obs
}

export interface TeamToObserve {
  billing_acct_id: null | string
  id?: string
  name: string
  project_id: null | string
}

export interface TeamLookups {
  /** Bulk runs: every account tagged with a project, read once (`accountsByProject`). */
  accountsByProject?: ReadonlyMap<string, string[]>
  killbill?: KillBillClient
  /** The Keystone project ids Concertim's teams link to. */
  linkedProjectIds?: ReadonlySet<string>
}

export async function observeTeam(dir: KeystoneDirectory, team: TeamToObserve, lookups: TeamLookups = {}): Promise<TeamObservation> {
  const s = dir.settings
  const keystoneName = keystoneProjectName(s, team.name)
  const obs: TeamObservation = {assignments: new Set(), grants: await dir.resolvedGrants(), keystoneName, team}
  if (team.project_id !== null && team.project_id !== '') {
    const linked = await dir.projectById(team.project_id)
    if (linked !== null) obs.found = linked
  }
  if (obs.found === undefined) {
    const byName = await dir.projectByName(keystoneName)
    if (byName !== undefined) {
      if (isOurs(byName, s.projectDescription, lookups.linkedProjectIds ?? new Set())) obs.found = byName
      else obs.foreign = byName
    }
  }
  if (obs.found === undefined) return obs
  const projectId = obs.found.id
  for (const a of await dir.keystone.listRoleAssignments({projectId})) {
    if (a.user !== undefined) obs.assignments.add(assignmentKey(a.user.id, a.role.id))
  }
  if (s.billing && lookups.killbill !== undefined) obs.account = await accountOf(lookups.killbill, team, projectId, lookups.accountsByProject)
  return obs
}

/** The team's account: tagged with the project (the team's own first), else the one the team links to, untagged. */
async function accountOf(kb: KillBillClient, team: TeamToObserve, projectId: string, index?: ReadonlyMap<string, string[]>): Promise<TeamObservation['account']> {
  const tagged = index === undefined ? await accountsOfProject(kb, projectId) : (index.get(projectId) ?? [])
  const own = team.billing_acct_id
  if (own !== null && own !== '' && tagged.includes(own)) return {id: own, tagged: true}
  if (tagged.length > 0) return {id: tagged[0], tagged: true}
  if (own !== null && own !== '' && (await kb.account(own)) !== null) return {id: own, tagged: false}
  // What a run that crashed between creating the account and tagging it left: keyed by the project.
  const keyed = await kb.accountByExternalKey(projectId)
  return keyed === null ? undefined : {id: keyed.accountId, tagged: false}
}

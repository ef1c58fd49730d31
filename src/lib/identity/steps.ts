/**
 * The plan of an identity: the steps that make one Concertim user's (or team's) cloud identity, each
 * with what it finds — a value, printable (`--dry-run`) and testable, made by pure functions from
 * what was read (`observe.ts`), carried out by `apply.ts`.
 */
import {NameTakenError} from './errors.js'
import {activeGrants, type IdentitySettings} from './settings.js'

export type StepKind =
  | 'concertim-team-link'
  | 'concertim-user-link'
  | 'keystone-project'
  | 'keystone-user'
  | 'killbill-account'
  | 'killbill-tag'
  | 'member-role'
  | 'project-grant'

/** Before: what the plan found. After: what the run did. */
export type StepState = 'adopted' | 'created' | 'exists' | 'granted' | 'linked' | 'tagged' | 'to create' | 'to grant' | 'to link' | 'to tag'

export interface Step {
  /** The id of the object, when known. */
  id?: string
  kind: StepKind
  /** keystone-user / keystone-project: the Keystone name. */
  name?: string
  /** What it is, for people: "Keystone user CM_alice", "role watcher of concertim on CM_alice_team". */
  object: string
  /** project-grant / member-role: the role and who gets it (`userId` absent: the user being made). */
  role?: {id: string; name: string; userId?: string}
  state: StepState
}

export interface KeystoneObject {
  description?: null | string
  id: string
  name: string
}

/** What was read about one user. */
export interface UserObservation {
  /** The Concertim user (absent when the caller is not Concertim-driven, e.g. the API's POST /user). */
  concertimUser?: {cloud_user_id?: null | string; id: string}
  /** The Keystone user to use: the one Concertim links to, else ours by name. */
  found?: KeystoneObject
  /** The name is held by a user that is not ours. */
  foreign?: KeystoneObject
  keystoneName: string
}

export interface ResolvedGrant {
  roleId: string
  roleName: string
  userId: string
  userName: string
}

/** What was read about one team. */
export interface TeamObservation {
  /** Billing: the team's account and whether it carries `project_cloud_id` = the project. */
  account?: {id: string; tagged: boolean}
  /** Role assignments on the found project: `userId/roleId`. */
  assignments: Set<string>
  found?: KeystoneObject
  foreign?: KeystoneObject
  grants: ResolvedGrant[]
  keystoneName: string
  /** `id` absent: no Concertim team to link (the API's POST /team, where the app stores the ids itself). */
  team: {billing_acct_id: null | string; id?: string; name: string; project_id: null | string}
}

export function assignmentKey(userId: string, roleId: string): string {
  return `${userId}/${roleId}`
}

/** The steps of a user: its Keystone user, then Concertim's link to it. Throws NameTakenError. */
export function planUser(obs: UserObservation, s: IdentitySettings): Step[] {
  if (obs.found === undefined && obs.foreign !== undefined) throw new NameTakenError('user', obs.foreign.name, obs.foreign.id, s.domainId, s.userDescription)
  const steps: Step[] = [
    obs.found === undefined
      ? {kind: 'keystone-user', name: obs.keystoneName, object: `Keystone user ${obs.keystoneName}`, state: 'to create'}
      : {id: obs.found.id, kind: 'keystone-user', name: obs.found.name, object: `Keystone user ${obs.found.name}`, state: 'exists'},
  ]
  if (obs.concertimUser !== undefined) {
    const linked = obs.found !== undefined && obs.concertimUser.cloud_user_id === obs.found.id
    steps.push({id: obs.concertimUser.id, kind: 'concertim-user-link', object: `Concertim user's cloud_user_id`, state: linked ? 'exists' : 'to link'})
  }
  return steps
}

/**
 * The steps of a team: its project, the service grants, (billing) its Kill Bill account tagged with
 * the project, then Concertim's links. Throws NameTakenError.
 */
export function planTeam(obs: TeamObservation, s: IdentitySettings): Step[] {
  if (obs.found === undefined && obs.foreign !== undefined) throw new NameTakenError('project', obs.foreign.name, obs.foreign.id, s.domainId, s.projectDescription)
  const name = obs.found?.name ?? obs.keystoneName
  const steps: Step[] = [
    obs.found === undefined
      ? {kind: 'keystone-project', name, object: `Keystone project ${name}`, state: 'to create'}
      : {id: obs.found.id, kind: 'keystone-project', name, object: `Keystone project ${name}`, state: 'exists'},
  ]
  for (const g of obs.grants) {
    const held = obs.found !== undefined && obs.assignments.has(assignmentKey(g.userId, g.roleId))
    steps.push({kind: 'project-grant', object: `role ${g.roleName} of ${g.userName} on ${name}`, role: {id: g.roleId, name: g.roleName, userId: g.userId}, state: held ? 'exists' : 'to grant'})
  }
  if (s.billing) {
    steps.push(
      obs.account === undefined
        ? {kind: 'killbill-account', object: `Kill Bill account of team ${obs.team.name}`, state: 'to create'}
        : {id: obs.account.id, kind: 'killbill-account', object: `Kill Bill account of team ${obs.team.name}`, state: 'exists'},
    )
    if (obs.account?.tagged !== true) steps.push({id: obs.account?.id, kind: 'killbill-tag', object: `Kill Bill custom field project_cloud_id`, state: 'to tag'})
  }
  if (obs.team.id === undefined) return steps
  const linked = obs.found !== undefined && obs.team.project_id === obs.found.id && (!s.billing || (obs.account !== undefined && obs.team.billing_acct_id === obs.account.id))
  steps.push({id: obs.team.id, kind: 'concertim-team-link', object: `Concertim team's project_id${s.billing ? ' and billing_acct_id' : ''}`, state: linked ? 'exists' : 'to link'})
  return steps
}

/** The step that gives a user its role on a team's project (`held`: the assignment exists). */
export function planMembership(role: {id: string; name: string}, projectName: string, held: boolean): Step {
  return {kind: 'member-role', object: `role ${role.name} of the user on ${projectName}`, role: {id: role.id, name: role.name}, state: held ? 'exists' : 'to grant'}
}

/** Steps that write something. */
export function pendingSteps(steps: Step[]): Step[] {
  return steps.filter((st) => st.state.startsWith('to '))
}

/** The service grants of a project, resolved to ids (exported for tests). */
export function grantsFor(s: IdentitySettings, resolve: (user: string, domainId: string) => string, roleId: (name: string) => string): ResolvedGrant[] {
  return activeGrants(s).map((g) => ({roleId: roleId(g.role), roleName: g.role, userId: resolve(g.user, g.userDomainId), userName: g.user}))
}

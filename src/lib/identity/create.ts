/**
 * Making the cloud identity of one Concertim user (and, with a team, of that team): read what exists,
 * plan (a value `--dry-run` prints), then apply with rollback. The building blocks `ensureCloudUser`,
 * `ensureCloudTeam` and `grantTeamRole` take a plain input and give a plain result, for the HTTP API's
 * `POST /user`, `POST /team` and `POST /team_role`, where the app stores the ids itself.
 */
import type {Team, User} from '../concertim/types.js'
import {closest} from '../suggest.js'
import {type IdentityClients, type RunIds, runSteps} from './apply.js'
import {IdentityInputError} from './errors.js'
import {observeTeam, observeUser} from './observe.js'
import {loginProblem, ownTeamName} from './settings.js'
import {assignmentKey, planMembership, planTeam, planUser, type Step} from './steps.js'

export type TeamRoleName = 'admin' | 'member'

export interface CreateIdentityInput {
  dryRun?: boolean
  /** Default: the Concertim user's email. */
  email?: string
  login: string
  /** Called once, and only when the Keystone user must be created. */
  password?: () => Promise<string>
  /** The user's role on the team's project (default member; admin for the own team). */
  role?: TeamRoleName
  /** Also the team: a Concertim team by name, or the user's own `<login>_team`. */
  team?: {name: string} | {own: true}
}

export interface IdentityResult {
  accountId?: string
  dryRun: boolean
  login?: string
  projectId?: string
  /** The steps: as planned (dry run) or as done. */
  steps: Step[]
  team?: string
  userId?: string
  /** Whether this run created the Keystone user (so a generated password was used). */
  userCreated: boolean
}

/** `users create LOGIN [--team NAME | --own-team]`: Keystone, Concertim's links, Kill Bill. */
export async function createIdentity(c: IdentityClients, input: CreateIdentityInput): Promise<IdentityResult> {
  const concertim = required(c.concertim)
  const problem = loginProblem(input.login)
  if (problem !== undefined) throw new IdentityInputError(`login '${input.login}' ${problem}`, 'give the login of a Concertim user')
  const users = await concertim.users()
  const user = findUser(users, input.login)
  const teamName = input.team === undefined ? undefined : 'own' in input.team ? ownTeamName(input.login) : input.team.name
  const teams = teamName === undefined ? [] : await concertim.teams()
  const team = teamName === undefined ? undefined : findTeam(teams, teamName, input.team !== undefined && 'own' in input.team)
  const linkedUsers = new Set(users.map((u) => u.cloud_user_id).filter((id): id is string => typeof id === 'string' && id !== ''))
  const linkedProjects = new Set(teams.map((t) => t.project_id).filter((id): id is string => id !== null && id !== ''))

  const userObs = await observeUser(c.dir, {concertimUser: user, login: input.login}, linkedUsers)
  const steps = planUser(userObs, c.dir.settings)
  if (team !== undefined) {
    const teamObs = await observeTeam(c.dir, team, {killbill: c.killbill, linkedProjectIds: linkedProjects})
    steps.push(...planTeam(teamObs, c.dir.settings))
    const role = await c.dir.role(input.role ?? (input.team !== undefined && 'own' in input.team ? 'admin' : 'member'))
    const held = userObs.found !== undefined && teamObs.found !== undefined && teamObs.assignments.has(assignmentKey(userObs.found.id, role.id))
    steps.push(planMembership(role, teamObs.found?.name ?? teamObs.keystoneName, held))
  }
  const base = {login: input.login, team: team?.name}
  if (input.dryRun) return {...base, dryRun: true, steps, userCreated: false}
  requirePassword(steps, input.password)
  const ids: RunIds = {}
  const done = await runSteps(c, steps, {concertimUserLink: user.cloud_user_id ?? null, email: input.email ?? user.email, password: input.password, teamLinks: team, teamName: team?.name}, ids)
  return {...base, accountId: ids.accountId, dryRun: false, projectId: ids.projectId, steps: done, userCreated: ids.userCreated === true, userId: ids.userId}
}

/** The API's `POST /user`: the Keystone user for a login (found and adopted, or created). */
export async function ensureCloudUser(c: IdentityClients, input: {dryRun?: boolean; email?: string; login: string; password?: string}): Promise<IdentityResult> {
  const obs = await observeUser(c.dir, {login: input.login})
  const steps = planUser(obs, c.dir.settings)
  if (input.dryRun) return {dryRun: true, login: input.login, steps, userCreated: false}
  const password = input.password === undefined ? undefined : async () => input.password as string
  requirePassword(steps, password)
  const ids: RunIds = {}
  const done = await runSteps(c, steps, {email: input.email, password}, ids)
  return {dryRun: false, login: input.login, steps: done, userCreated: ids.userCreated === true, userId: ids.userId}
}

/** The API's `POST /team`: the project, its grants and (billing) the Kill Bill account of a team name. */
export async function ensureCloudTeam(c: IdentityClients, input: {billingAcctId?: string; dryRun?: boolean; name: string; projectId?: string}): Promise<IdentityResult> {
  const team = {billing_acct_id: input.billingAcctId ?? null, name: input.name, project_id: input.projectId ?? null}
  const obs = await observeTeam(c.dir, team, {killbill: c.killbill})
  const steps = planTeam(obs, c.dir.settings)
  if (input.dryRun) return {dryRun: true, steps, team: input.name, userCreated: false}
  const ids: RunIds = {}
  const done = await runSteps(c, steps, {teamName: input.name}, ids)
  return {accountId: ids.accountId, dryRun: false, projectId: ids.projectId, steps: done, team: input.name, userCreated: false}
}

/** The API's `POST /team_role`: the user holds the role on the project (a PUT: nothing happens twice). */
export async function grantTeamRole(c: IdentityClients, input: {projectId: string; role: TeamRoleName | 'watcher'; userId: string}): Promise<IdentityResult> {
  const role = await c.dir.role(input.role)
  const held = await c.dir.keystone.checkProjectRole(input.projectId, input.userId, role.id)
  const steps = await runSteps(c, [planMembership(role, input.projectId, held)], {}, {projectId: input.projectId, userId: input.userId})
  return {dryRun: false, projectId: input.projectId, steps, userCreated: false, userId: input.userId}
}

function requirePassword(steps: Step[], password: unknown): void {
  const creates = steps.find((st) => st.kind === 'keystone-user' && st.state === 'to create')
  if (creates !== undefined && password === undefined) {
    throw new IdentityInputError(`${creates.object} does not exist yet and needs a password`, 'give --password-file FILE, --password-stdin, or --generate-password --password-out FILE')
  }
}

function findUser(users: User[], login: string): User {
  const user = users.find((u) => u.login === login)
  if (user === undefined) {
    const guess = closest(login, users.map((u) => u.login))
    throw new IdentityInputError(`Concertim has no user '${login}'`, guess === undefined ? 'check the login (concertim-os view dump lists the users)' : `did you mean '${guess}'?`, 'E_UNKNOWN_LOGIN')
  }
  if (user.root) throw new IdentityInputError(`'${login}' is a Concertim root user: root users have no cloud identity`, 'give the login of a normal user', 'E_ROOT_USER')
  return user
}

function findTeam(teams: Team[], name: string, own: boolean): Team {
  const team = teams.find((t) => t.name === name)
  if (team !== undefined) return team
  const guess = closest(name, teams.map((t) => t.name))
  const hint = own ? `the Concertim app makes '${name}' after the user's sign-up; use --team NAME for another team` : guess === undefined ? 'teams are made in the Concertim web UI; check the name' : `did you mean '${guess}'?`
  throw new IdentityInputError(`Concertim has no team '${name}'`, hint, 'E_UNKNOWN_TEAM')
}

function required<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('internal: a Concertim client is needed')
  return v
}

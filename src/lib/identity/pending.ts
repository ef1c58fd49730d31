/**
 * `users create --pending`: every Concertim user without a `cloud_user_id` and every team without
 * its `project_id` (or, with billing, its `billing_acct_id`) gets what the app's
 * `CloudServiceConfigCreatedJob` and retried sign-up jobs would have made — the repair and migration
 * path. Each user, team and membership is its own unit: planned from one read of everything
 * (Concertim's users and teams, the domain's Keystone users and projects, the tagged Kill Bill
 * accounts), applied concurrently, rolled back alone when it fails; the others go on.
 *
 * Memberships: Concertim does not show a member's role (concertim-api.md §5.1), so a user gets
 * `admin` on its own `<login>_team` (what the app gives it) and `member` elsewhere, unless it already
 * holds admin or member there.
 */
import pLimit from 'p-limit'

import type {Team, User} from '../concertim/types.js'
import {AppError} from '../errors.js'
import {accountsByProject} from '../killbill/accounts.js'
import {type IdentityClients, type RunIds, runSteps} from './apply.js'
import {IdentityInputError} from './errors.js'
import {observeTeam, observeUser} from './observe.js'
import {ownTeamName} from './settings.js'
import {assignmentKey, pendingSteps, planMembership, planTeam, planUser, type Step} from './steps.js'

export interface PendingInput {
  /** Units applied at once (default 16). */
  concurrency?: number
  dryRun?: boolean
  /** At most this many users and this many teams. */
  limit?: number
  onProgress?: (done: number, total: number) => void
  /** A password for a user whose Keystone user must be created (called just before the creation). */
  password?: (login: string) => Promise<string>
}

export type UnitOutcome = 'done' | 'failed' | 'planned' | 'unchanged'

export interface PendingUnit {
  error?: {code: string; hint?: string; message: string}
  kind: 'membership' | 'team' | 'user'
  /** The login, the team name, or `login → team`. */
  name: string
  outcome: UnitOutcome
  steps: Step[]
}

export interface PendingResult {
  counts: Record<UnitOutcome, number>
  dryRun: boolean
  units: PendingUnit[]
}

const DEFAULT_CONCURRENCY = 16

interface Planned<T> {
  failed?: PendingUnit
  ids: RunIds
  item: T
  steps: Step[]
}

export async function createPending(c: IdentityClients, input: PendingInput = {}): Promise<PendingResult> {
  const concertim = c.concertim
  if (concertim === undefined) throw new Error('internal: a Concertim client is needed')
  const s = c.dir.settings
  const limit = pLimit(input.concurrency ?? DEFAULT_CONCURRENCY)
  const [users, teams] = await Promise.all([concertim.users(), concertim.teams()])
  const blank = (v: null | string | undefined) => v === null || v === undefined || v === ''
  const cap = <T>(xs: T[]) => (input.limit === undefined ? xs : xs.slice(0, input.limit))
  const pendingUsers = cap(users.filter((u) => !u.root && u.status === 'active' && blank(u.cloud_user_id)))
  const pendingTeams = cap(teams.filter((t) => blank(t.project_id) || (s.billing && blank(t.billing_acct_id))))
  const units: PendingUnit[] = []
  if (pendingUsers.length === 0 && pendingTeams.length === 0) return result(units, input.dryRun === true)

  await c.dir.preload()
  const accountIndex = s.billing && c.killbill !== undefined && pendingTeams.length > 0 ? await accountsByProject(c.killbill) : undefined
  const linkedUsers = new Set(users.map((u) => u.cloud_user_id).filter((id): id is string => typeof id === 'string' && id !== ''))
  const linkedProjects = new Set(teams.map((t) => t.project_id).filter((id): id is string => id !== null && id !== ''))

  // Plan every unit from what was read.
  const plannedUsers = await Promise.all(
    pendingUsers.map(async (u) => limit(async () => plan(u, `${u.login}`, 'user', async () => planUser(await observeUser(c.dir, {concertimUser: u, login: u.login}, linkedUsers), s)))),
  )
  const assignmentsOf = new Map<string, Set<string>>()
  const plannedTeams = await Promise.all(
    pendingTeams.map(async (t) =>
      limit(async () =>
        plan(t, t.name, 'team', async () => {
          const obs = await observeTeam(c.dir, t, {accountsByProject: accountIndex, killbill: c.killbill, linkedProjectIds: linkedProjects})
          if (obs.found !== undefined) assignmentsOf.set(obs.found.id, obs.assignments)
          return planTeam(obs, s)
        }),
      ),
    ),
  )
  const needPassword = plannedUsers.filter((p) => p.failed === undefined && p.steps.some((st) => st.kind === 'keystone-user' && st.state === 'to create'))
  if (!input.dryRun && needPassword.length > 0 && input.password === undefined) {
    throw new IdentityInputError(`${needPassword.length} Concertim user(s) need a Keystone user, which needs a password (e.g. ${needPassword[0].item.login})`, 'give --generate-password --password-out FILE (one line per user)')
  }
  const total = plannedUsers.length + plannedTeams.length
  let progressed = 0
  const tick = () => input.onProgress?.(++progressed, total)

  const applyUnit = async <T>(p: Planned<T>, name: string, kind: PendingUnit['kind'], inputs: Parameters<typeof runSteps>[2]): Promise<PendingUnit> => {
    if (p.failed !== undefined) return p.failed
    if (pendingSteps(p.steps).length === 0) return {kind, name, outcome: 'unchanged', steps: p.steps}
    if (input.dryRun) return {kind, name, outcome: 'planned', steps: p.steps}
    try {
      return {kind, name, outcome: 'done', steps: await runSteps(c, p.steps, inputs, p.ids)}
    } catch (error) {
      return failedUnit(kind, name, p.steps, error)
    }
  }
  const password = input.password
  const userUnits = await Promise.all(
    plannedUsers.map(async (p) =>
      limit(async () => {
        const u = p.item
        const unit = await applyUnit(p, u.login, 'user', {concertimUserLink: u.cloud_user_id ?? null, email: u.email, password: password === undefined ? undefined : async () => password(u.login)})
        tick()
        return unit
      }),
    ),
  )
  const teamUnits = await Promise.all(
    plannedTeams.map(async (p) =>
      limit(async () => {
        const unit = await applyUnit(p, p.item.name, 'team', {teamLinks: p.item, teamName: p.item.name})
        tick()
        return unit
      }),
    ),
  )
  units.push(...userUnits, ...teamUnits)

  // Memberships of the users and teams this run dealt with.
  const userIdOf = new Map<string, string | undefined>(users.map((u) => [u.id, blank(u.cloud_user_id) ? undefined : (u.cloud_user_id as string)]))
  // A failed unit's ids are not used: what it made was rolled back (its membership is not attempted).
  for (const [i, p] of plannedUsers.entries()) userIdOf.set(p.item.id, userUnits[i].outcome === 'failed' ? undefined : (p.ids.userId ?? stepId(p.steps, 'keystone-user')))
  const projectOf = new Map<string, {id?: string; name: string; new: boolean}>(teams.map((t) => [t.id, {id: blank(t.project_id) ? undefined : (t.project_id as string), name: t.name, new: false}]))
  for (const [i, p] of plannedTeams.entries()) {
    const step = p.steps.find((st) => st.kind === 'keystone-project')
    const failed = teamUnits[i].outcome === 'failed'
    projectOf.set(p.item.id, {id: failed ? undefined : (p.ids.projectId ?? step?.id), name: step?.name ?? p.item.name, new: p.ids.projectCreated === true || step?.state === 'to create'})
  }
  const teamsById = new Map(teams.map((t) => [t.id, t]))
  const pendingUserIds = new Set(pendingUsers.map((u) => u.id))
  const pendingTeamIds = new Set(pendingTeams.map((t) => t.id))
  const pairs: [User, Team][] = []
  for (const u of users) {
    if (u.root) continue
    for (const r of u.team_roles) {
      const t = teamsById.get(r.team_id)
      if (t !== undefined && (pendingUserIds.has(u.id) || pendingTeamIds.has(t.id))) pairs.push([u, t])
    }
  }
  const [admin, member] = pairs.length === 0 ? [undefined, undefined] : await Promise.all([c.dir.role('admin'), c.dir.role('member')])
  const memberUnits = await Promise.all(
    pairs.map(async ([u, t]) =>
      limit(async (): Promise<PendingUnit | undefined> => {
        const name = `${u.login} → ${t.name}`
        const userId = userIdOf.get(u.id)
        const project = projectOf.get(t.id)
        if (admin === undefined || member === undefined || project === undefined) return undefined
        const role = t.name === ownTeamName(u.login) ? admin : member
        if (!input.dryRun && (userId === undefined || project.id === undefined)) return undefined // its user or team unit failed (reported there)
        try {
          let held = false
          if (userId !== undefined && project.id !== undefined && !project.new) {
            let assignments = assignmentsOf.get(project.id)
            if (assignments === undefined) {
              assignments = new Set((await c.dir.keystone.listRoleAssignments({projectId: project.id})).flatMap((a) => (a.user ? [assignmentKey(a.user.id, a.role.id)] : [])))
              assignmentsOf.set(project.id, assignments)
            }
            held = assignments.has(assignmentKey(userId, role.id)) || (role === member && assignments.has(assignmentKey(userId, admin.id)))
          }
          const steps = [planMembership(role, project.name, held)]
          if (held) return {kind: 'membership', name, outcome: 'unchanged', steps}
          if (input.dryRun) return {kind: 'membership', name, outcome: 'planned', steps}
          return {kind: 'membership', name, outcome: 'done', steps: await runSteps(c, steps, {}, {projectId: project.id, userId})}
        } catch (error) {
          return failedUnit('membership', name, [], error)
        }
      }),
    ),
  )
  units.push(...memberUnits.filter((m): m is PendingUnit => m !== undefined))
  return result(units, input.dryRun === true)

  async function plan<T>(item: T, name: string, kind: PendingUnit['kind'], make: () => Promise<Step[]>): Promise<Planned<T>> {
    try {
      return {ids: {}, item, steps: await make()}
    } catch (error) {
      // A configuration problem (a role or service user Keystone lacks) is every unit's: stop, nothing written yet.
      if (error instanceof IdentityInputError) throw error
      return {failed: failedUnit(kind, name, [], error), ids: {}, item, steps: []}
    }
  }
}

function stepId(steps: Step[], kind: Step['kind']): string | undefined {
  return steps.find((st) => st.kind === kind)?.id
}

function failedUnit(kind: PendingUnit['kind'], name: string, steps: Step[], error: unknown): PendingUnit {
  const e = error as Error & {code?: unknown}
  return {
    error: {code: typeof e.code === 'string' ? e.code : 'E_FAILURE', ...(error instanceof AppError && error.hint !== undefined ? {hint: error.hint} : {}), message: e.message ?? String(error)},
    kind,
    name,
    outcome: 'failed',
    steps,
  }
}

function result(units: PendingUnit[], dryRun: boolean): PendingResult {
  const counts: Record<UnitOutcome, number> = {done: 0, failed: 0, planned: 0, unchanged: 0}
  for (const u of units) counts[u.outcome]++
  return {counts, dryRun, units}
}

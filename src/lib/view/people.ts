import type {Team, User} from '../concertim/index.js'
import type {PeopleSnapshot, TeamRow, UserRow} from './mapping.js'

/** Concertim's teams and (non-root) users as `view dump` shows them. */
export function peopleFromConcertim(teams: readonly Team[], users: readonly User[]): PeopleSnapshot {
  return {
    teams: teams.map((t): TeamRow => ({billingAccountId: t.billing_acct_id ?? null, concertimId: t.id, name: t.name, projectId: t.project_id ?? null})),
    users: users
      .filter((u) => !u.root)
      .map((u): UserRow => ({cloudUserId: u.cloud_user_id ?? null, concertimId: u.id, login: u.login, name: u.name, status: u.status ?? null, teamIds: u.team_roles.map((r) => r.team_id)})),
  }
}

/** The snapshot a sync recorded in the view store (value `people`), if any. */
export function peopleFromStore(values: Record<string, unknown>): PeopleSnapshot | undefined {
  const p = values.people as Partial<PeopleSnapshot> | undefined
  if (!p || !Array.isArray(p.teams) || !Array.isArray(p.users)) return undefined
  return {teams: p.teams, users: p.users}
}

/**
 * `/api/v1/teams` (reference/concertim-api.md §5.2, model rules §4.1).
 */
import type {DeletionJobs} from './deletion-jobs.js'
import {canonicalDecimal} from './money.js'
import {isBlank, ModelErrors} from './model-errors.js'
import {teamJson} from './presenters.js'
import {deleted, forbidden, ok, recordNotFound, routeNotFound, unprocessable, unprocessableContent} from './responses.js'
import {apiRoute, castString, permit, recurse, requireParams, UncaughtError, type ApiContext} from './routing.js'
import type {TeamRecord} from './state.js'

const PERMITTED = ['project_id', 'cost', 'credits', 'billing_acct_id', 'billing_period_start', 'billing_period_end']

export function teamRoutes(ctx: ApiContext, jobs: DeletionJobs): void {
  const {state} = ctx
  apiRoute(ctx, 'GET', '/api/v1/teams', (_r, user) => ok(ctx.abilities.readableTeams(user).map((t) => teamJson(t))))
  ctx.app.route('POST', '/api/v1/teams', routeNotFound)
  ctx.app.route('POST', '/api/v1/teams.json', routeNotFound)
  ctx.app.route('GET', '/api/v1/teams/:id', routeNotFound)

  apiRoute(ctx, ['PATCH', 'PUT'], '/api/v1/teams/:id', (r, user) => {
    const team = state.teams.get(r.params.id)
    if (!team) return recordNotFound(r)
    if (!user.root) return forbidden()
    const required = requireParams(r, 'team')
    if (required.reply) return required.reply
    const result = updateTeam(ctx, team, permit(required.params, PERMITTED))
    return result.errors ? unprocessable(result.errors.asJson()) : ok(teamJson(team))
  })

  apiRoute(ctx, 'DELETE', '/api/v1/teams/:id', (r, user) => {
    const team = state.teams.get(r.params.id)
    if (!team) return recordNotFound(r)
    if (!user.root) return forbidden()
    if (state.rackCountOfTeam(team.id) > 0 && !recurse(r)) return unprocessableContent('Cannot delete team as they have active racks')
    if (!state.cloudServiceConfig) return unprocessable({})
    team.deleted_at = state.now()
    jobs.deleteTeam(team)
    return deleted()
  })
}

/** Assign and validate; writes only when valid (ActiveRecord `update`). */
function updateTeam(ctx: ApiContext, team: TeamRecord, params: Record<string, unknown>): {errors?: ModelErrors} {
  const {state} = ctx
  const next = {...team}
  const errors = new ModelErrors()
  if ('project_id' in params) next.project_id = castString(params.project_id)?.trim() ?? null
  if ('billing_acct_id' in params) next.billing_acct_id = castString(params.billing_acct_id)
  const today = new Date(state.now()).toISOString().slice(0, 10)
  if ('billing_period_start' in params) next.billing_period_start = castDate(params.billing_period_start)
  if ('billing_period_end' in params) next.billing_period_end = castDate(params.billing_period_end)

  for (const key of ['project_id', 'billing_acct_id'] as const) {
    const value = next[key]
    if (value !== null && value.trim() !== '') {
      for (const t of state.teams.values()) {
        if (t.id !== team.id && t[key] === value) {
          errors.taken(key, value)
          break
        }
      }
      errors.maxLength(key, value, 255)
    }
  }
  if ('cost' in params) {
    const n = errors.numericality('cost', params.cost, {allowBlank: true, greaterThanOrEqualTo: 0})
    if (n !== undefined) next.cost = canonicalDecimal(params.cost as number | string) ?? next.cost
    else if (isBlank(params.cost) && !errors.has('cost')) throw new UncaughtError('ActiveRecord::NotNullViolation', 'PG::NotNullViolation: ERROR:  null value in column "cost" of relation "teams" violates not-null constraint')
  }
  if ('credits' in params) {
    errors.presence('credits', params.credits)
    const n = errors.numericality('credits', params.credits, {})
    if (n !== undefined) next.credits = canonicalDecimal(params.credits as number | string) ?? next.credits
  }
  const startChanged = next.billing_period_start !== team.billing_period_start
  const endChanged = next.billing_period_end !== team.billing_period_end
  if (startChanged && next.billing_period_start !== null && next.billing_period_start > today) {
    errors.add('billing_period_start', 'must be today or earlier')
  }
  if (endChanged && next.billing_period_end !== null) {
    if (next.billing_period_end < today) errors.add('billing_period_end', 'must be today or later')
    if (next.billing_period_start !== null && next.billing_period_end <= next.billing_period_start) {
      errors.add('billing_period_end', `must be greater than ${next.billing_period_start}`)
    }
  }
  if ((next.billing_period_start === null) !== (next.billing_period_end === null)) {
    errors.add('billing_period', 'must have a start date and end date, or neither')
  }
  if (!errors.empty) return {errors}
  Object.assign(team, next)
  return {}
}

/** Rails' Date cast: `YYYY-MM-DD` or `YYYY/MM/DD` (and other Date._parse forms); invalid → nil. */
function castDate(v: unknown): string | null {
  if (typeof v !== 'string' || v.trim() === '') return null
  const m = /^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})/.exec(v)
  if (!m) return null
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const date = new Date(Date.UTC(y, mo - 1, d))
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null
  return date.toISOString().slice(0, 10)
}

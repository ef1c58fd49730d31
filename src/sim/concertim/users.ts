/**
 * `/api/v1/users` (reference/concertim-api.md §5.1).
 */
import type {DeletionJobs} from './deletion-jobs.js'
import {ModelErrors} from './model-errors.js'
import {userJson} from './presenters.js'
import {deleted, forbidden, ok, recordNotFound, routeNotFound, unprocessable, unprocessableContent} from './responses.js'
import {apiRoute, castString, recurse, requireParams, UncaughtError, type ApiContext} from './routing.js'

const PERMISSIONS = {
  manage: {chassis: ['superAdmin', 'admin'], devices: ['superAdmin', 'admin'], racks: ['superAdmin', 'admin']},
  move: {chassis: ['superAdmin', 'admin'], devices: ['superAdmin', 'admin'], racks: []},
  view: {chassis: ['superAdmin', 'admin', 'member'], devices: ['superAdmin', 'admin', 'member'], racks: ['superAdmin', 'admin', 'member']},
}

/** Keys root may send; all but `cloud_user_id` are no longer User columns (500 UnknownAttributeError). */
const ROOT_KEYS = ['project_id', 'cloud_user_id', 'cost', 'credits', 'billing_acct_id', 'billing_period_start', 'billing_period_end']

export function userRoutes(ctx: ApiContext, jobs: DeletionJobs): void {
  const {state} = ctx
  apiRoute(ctx, 'GET', '/api/v1/users', (_r, user) => {
    const users = user.root ? [...state.users.values()] : [user]
    return ok(users.map((u) => userJson(state, u, 'list')))
  })
  apiRoute(ctx, 'GET', '/api/v1/users/current', (_r, user) => ok(userJson(state, user, 'single')))
  apiRoute(ctx, 'GET', '/api/v1/users/permissions', () => ok(PERMISSIONS))
  ctx.app.route('GET', '/api/v1/users/:id', routeNotFound)
  ctx.app.route('POST', '/api/v1/users', routeNotFound)

  apiRoute(ctx, ['PATCH', 'PUT'], '/api/v1/users/:id', (r, current) => {
    const target = state.users.get(r.params.id)
    if (!target) return recordNotFound(r)
    if (!current.root && target.id !== current.id) return forbidden()
    const required = requireParams(r, 'user')
    if (required.reply) return required.reply
    if (!current.root) return ok(userJson(state, target, 'single'))
    const params = required.params
    for (const key of Object.keys(params)) {
      if (ROOT_KEYS.includes(key) && key !== 'cloud_user_id') throw new UncaughtError('ActiveModel::UnknownAttributeError', `unknown attribute '${key}' for User.`)
    }
    if ('cloud_user_id' in params) {
      const value = castString(params.cloud_user_id)
      const errors = new ModelErrors()
      if (value !== null && value.trim() !== '') {
        for (const u of state.users.values()) {
          if (u.id !== target.id && u.cloud_user_id === value) {
            errors.taken('cloud_user_id', value)
            break
          }
        }
        errors.maxLength('cloud_user_id', value, 255)
      }
      if (!errors.empty) return unprocessable(errors.asJson())
      target.cloud_user_id = value
    }
    return ok(userJson(state, target, 'single'))
  })

  apiRoute(ctx, 'DELETE', '/api/v1/users/:id', (r, current) => {
    const target = state.users.get(r.params.id)
    if (!target) return recordNotFound(r)
    if (!current.root) return forbidden()
    if (target.root) return forbidden('You are not authorized to delete this user')
    const hasRacks = state.rolesOfUser(target.id).some((role) => state.rackCountOfTeam(role.team_id) > 0)
    if (hasRacks && !recurse(r)) return unprocessableContent('Cannot delete user as they have active racks')
    if (!state.cloudServiceConfig) return unprocessable({})
    target.deleted_at = state.now()
    ctx.sessions.revokeAll(target.id)
    jobs.deleteUser(target)
    return deleted()
  })
}

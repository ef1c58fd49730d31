/**
 * `/api/v1/racks` (reference/concertim-api.md §5.3, model rules §4.4, resizing §6.3).
 */
import {isBlank, ModelErrors, parseNumber, toSentenceOr} from './model-errors.js'
import {castInteger, highestOccupiedU} from './placement.js'
import {rackJson} from './presenters.js'
import {deleted, forbidden, ok, recordNotFound, routeNotFound, unprocessable} from './responses.js'
import {apiRoute, castString, fetchParams, permit, permitHash, recurse, UncaughtError, type ApiContext} from './routing.js'
import type {ConcertimState, JsonObject, RackRecord, UserRecord} from './state.js'

export const RACK_STATUSES = ['IN_PROGRESS', 'FAILED', 'ACTIVE', 'STOPPED']
const NAME_FORMAT = /^[a-zA-Z0-9\-_]*$/

interface RackChanges {
  cost?: unknown
  creation_output?: string | null
  metadata?: JsonObject
  name?: unknown
  network_details?: JsonObject
  order_id?: unknown
  status?: unknown
  u_height?: unknown
}

export function rackRoutes(ctx: ApiContext): void {
  const {abilities, state} = ctx
  ctx.app.route('GET', '/api/v1/racks/new', routeNotFound)
  ctx.app.route('GET', '/api/v1/racks/:id/edit', routeNotFound)
  apiRoute(ctx, 'GET', '/api/v1/racks', (_r, user) => ok(abilities.readableRacks(user).map((rack) => rackJson(state, rack))))

  apiRoute(ctx, 'GET', '/api/v1/racks/:id', (r, user) => {
    const rack = state.racks.get(r.params.id)
    if (!rack) return recordNotFound(r)
    if (!abilities.canReadRack(user, rack)) return forbidden()
    return ok(rackJson(state, rack, true))
  })

  apiRoute(ctx, 'POST', '/api/v1/racks', (r, user) => {
    const fetched = fetchParams(r, 'rack')
    if (fetched.reply) return fetched.reply
    const changes = rackChanges(fetched.params, user)
    const teamId = fetched.params.team_id
    if (!abilities.canCreateRackIn(user, teamId)) return forbidden()
    const team = typeof teamId === 'string' ? state.teams.get(teamId) : undefined
    const last = team ? state.lastRackOfTeam(team.id) : undefined
    const candidate = {
      cost: changes.cost ?? 0,
      creation_output: changes.creation_output ?? null,
      metadata: changes.metadata ?? {},
      name: changes.name ?? defaultName(state, team?.id, last),
      network_details: changes.network_details ?? {},
      order_id: changes.order_id ?? null,
      status: changes.status ?? null,
      u_height: changes.u_height ?? last?.u_height ?? 42,
    }
    const errors = new ModelErrors()
    const template = state.templateByTag('rack')
    errors.mustExist('template', template !== undefined)
    errors.mustExist('team', team !== undefined)
    validateRack(state, errors, candidate, {teamId: team?.id})
    if (state.rackLimit !== undefined && state.racks.size >= state.rackLimit) errors.add('base', `The rack limit of ${state.rackLimit} has been exceeded`)
    if (!errors.empty || !team) return unprocessable(errors.asJson())
    const rack = state.addRack({
      cost: parseNumber(candidate.cost) ?? 0,
      creation_output: candidate.creation_output,
      metadata: candidate.metadata,
      name: String(candidate.name),
      network_details: candidate.network_details,
      order_id: String(candidate.order_id),
      status: String(candidate.status),
      team_id: team.id,
      template_id: template?.id,
      u_height: castInteger(candidate.u_height),
    })
    return ok(rackJson(state, rack))
  })

  apiRoute(ctx, ['PATCH', 'PUT'], '/api/v1/racks/:id', (r, user) => {
    const rack = state.racks.get(r.params.id)
    if (!rack) return recordNotFound(r)
    if (!abilities.canManageRack(user, rack)) return forbidden()
    const fetched = fetchParams(r, 'rack')
    if (fetched.reply) return fetched.reply
    const changes = rackChanges(fetched.params, user)
    const candidate = {
      cost: 'cost' in changes ? changes.cost : rack.cost,
      creation_output: 'creation_output' in changes ? (changes.creation_output ?? null) : rack.creation_output,
      metadata: changes.metadata ?? rack.metadata,
      name: 'name' in changes ? changes.name : rack.name,
      network_details: changes.network_details ?? rack.network_details,
      order_id: 'order_id' in changes ? changes.order_id : rack.order_id,
      status: 'status' in changes ? changes.status : rack.status,
      u_height: 'u_height' in changes ? changes.u_height : rack.u_height,
    }
    const errors = new ModelErrors()
    validateRack(state, errors, candidate, {rack, teamId: rack.team_id})
    if (!errors.empty) return unprocessable(errors.asJson())
    if (isBlank(candidate.cost)) throw new UncaughtError('ActiveRecord::NotNullViolation', 'PG::NotNullViolation: ERROR:  null value in column "cost" of relation "racks" violates not-null constraint')
    state.renameRack(rack, {name: String(candidate.name), order_id: String(candidate.order_id)})
    rack.cost = parseNumber(candidate.cost) ?? rack.cost
    rack.creation_output = candidate.creation_output
    rack.metadata = candidate.metadata
    rack.network_details = candidate.network_details
    rack.status = String(candidate.status)
    rack.u_height = castInteger(candidate.u_height) ?? rack.u_height
    return ok(rackJson(state, rack))
  })

  apiRoute(ctx, 'DELETE', '/api/v1/racks/:id', (r, user) => {
    const rack = state.racks.get(r.params.id)
    if (!rack) return recordNotFound(r)
    if (!abilities.canManageRack(user, rack)) return forbidden()
    if (state.deviceCountOfRack(rack.id) > 0 && !recurse(r)) return unprocessable({errors: 'rack is not empty'})
    state.removeRack(rack.id)
    return deleted()
  })
}

/** Strong parameters of racks: `description` is permitted but not a column (500 on assignment). */
function rackChanges(params: JsonObject, user: UserRecord): RackChanges {
  const keys = ['name', 'description', 'u_height', 'status', 'cost', 'creation_output', ...(user.root ? ['order_id'] : [])]
  const scalars = permit(params, keys)
  if ('description' in scalars) throw new UncaughtError('ActiveModel::UnknownAttributeError', "unknown attribute 'description' for HwRack.")
  const out: RackChanges = {...scalars}
  if ('creation_output' in scalars) out.creation_output = castString(scalars.creation_output)
  const metadata = permitHash(params, 'metadata')
  if (metadata) out.metadata = metadata
  const networkDetails = permitHash(params, 'network_details')
  if (networkDetails) out.network_details = networkDetails
  return out
}

function validateRack(
  state: ConcertimState,
  errors: ModelErrors,
  c: {cost: unknown; metadata: unknown; name: unknown; order_id: unknown; status: unknown; u_height: unknown},
  ctx: {rack?: RackRecord; teamId?: string},
): void {
  const name = castString(c.name)
  errors.presence('name', name)
  if (name !== null && ctx.teamId !== undefined) {
    const other = state.rackByName(ctx.teamId, name)
    if (other && other.id !== ctx.rack?.id) errors.taken('name', name)
  }
  errors.format('name', name, NAME_FORMAT, 'can contain only alphanumeric characters, hyphens and underscores.')
  const height = errors.numericality('u_height', c.u_height, {greaterThan: 0, lessThan: 73, onlyInteger: true})
  if (ctx.rack && height !== undefined) {
    const min = highestOccupiedU(state, ctx.rack.id)
    if (height < min) errors.add('u_height', `must be greater than the highest occupied U (minimum is therefore ${min}).`)
  }
  const status = castString(c.status)
  errors.presence('status', status)
  if (status === null || !RACK_STATUSES.includes(status)) errors.add('status', `must be one of ${toSentenceOr(RACK_STATUSES)}`)
  errors.numericality('cost', c.cost, {allowBlank: true, greaterThanOrEqualTo: 0})
  if (typeof c.metadata !== 'object' || c.metadata === null || Array.isArray(c.metadata)) errors.add('metadata', 'Must be an object')
  const orderId = castString(c.order_id)
  if (errors.presence('order_id', orderId) && orderId !== null) {
    const other = state.rackByOrderId(orderId)
    if (other && other.id !== ctx.rack?.id) errors.taken('order_id', orderId)
  }
}

/** `set_defaults`: the team's last rack name with its trailing number incremented, else `Rack-N`. */
function defaultName(state: ConcertimState, teamId: string | undefined, last: RackRecord | undefined): string {
  if (!last) return `Rack-${(teamId === undefined ? 0 : state.rackCountOfTeam(teamId)) + 1}`
  const m = /(\d+)$/.exec(last.name)
  if (!m) return last.name
  const next = String(Number(m[1]) + 1).padStart(m[1].length, '0')
  return last.name.slice(0, -m[1].length) + next
}

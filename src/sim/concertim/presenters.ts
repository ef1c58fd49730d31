/**
 * The Rabl views and presenters of `/api/v1` (reference/concertim-api.md §5): user, team, rack,
 * template and device JSON, with their list and single-object forms.
 */
import {formatBigDecimal, formatCost} from './money.js'
import {DETAILS_COLUMNS, type ConcertimState, type PlacedDevice, type RackRecord, type TeamRecord, type TemplateRecord, type UserRecord} from './state.js'

export type Form = 'list' | 'single'

export function teamJson(t: TeamRecord): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    project_id: t.project_id,
    billing_acct_id: t.billing_acct_id,
    billing_period_start: t.billing_period_start,
    billing_period_end: t.billing_period_end,
    cost: formatBigDecimal(t.cost),
    credits: formatBigDecimal(t.credits),
  }
}

/**
 * User JSON. `cloud_user_id` is absent for root users. `team_roles` items hold no role; in single-object
 * responses each is wrapped as `{"team_role": {…}}` (Rabl's child root).
 */
export function userJson(state: ConcertimState, u: UserRecord, form: Form): Record<string, unknown> {
  const roles = state.rolesOfUser(u.id).map((r) => ({id: r.id, team_id: r.team_id, user_id: r.user_id}))
  const out: Record<string, unknown> = {id: u.id, login: u.login, name: u.name, email: u.email}
  if (!u.root) out.cloud_user_id = u.cloud_user_id
  out.root = u.root
  out.status = u.deleted_at === null ? 'active' : 'pending deletion'
  out.team_roles = form === 'single' ? roles.map((r) => ({team_role: r})) : roles
  out.fullname = u.name
  return out
}

export function templateJson(t: TemplateRecord): Record<string, unknown> {
  return {
    id: t.id,
    name: t.name,
    description: t.description,
    height: t.height,
    tag: t.tag,
    foreign_id: t.foreign_id,
    vcpus: t.vcpus,
    ram: t.ram,
    disk: t.disk,
  }
}

/** Rack JSON; `devices` (list form, top of the rack first) only on show. */
export function rackJson(state: ConcertimState, rack: RackRecord, withDevices = false): Record<string, unknown> {
  const team = state.teams.get(rack.team_id)
  const out: Record<string, unknown> = {
    id: rack.id,
    name: rack.name,
    u_height: rack.u_height,
    metadata: rack.metadata,
    status: rack.status,
    cost: formatCost(rack.cost),
    network_details: rack.network_details,
    creation_output: rack.creation_output,
    order_id: rack.order_id,
    owner: team ? teamJson(team) : null,
  }
  if (withDevices) out.devices = state.devicesOfRack(rack.id).map((p) => deviceJson(p, 'list'))
  return out
}

/**
 * Device JSON: details flattened into the object; `template` (object) in the full form, `template_id`
 * in the list form (`GET /devices`, the devices of `GET /racks/:id`).
 */
export function deviceJson(p: PlacedDevice, form: 'full' | 'list'): Record<string, unknown> {
  const {device, location, template} = p
  const out: Record<string, unknown> = {
    id: device.id,
    name: device.name,
    description: device.description,
    metadata: device.metadata,
    status: device.status,
    cost: formatCost(device.cost),
    location: {depth: location.u_depth, end_u: location.end_u, facing: location.facing, rack_id: location.rack_id, start_u: location.start_u, type: 'rack'},
    type: device.type,
  }
  if (form === 'full') out.template = templateJson(template)
  else out.template_id = template.id
  for (const col of DETAILS_COLUMNS[device.details_type]) out[col] = device.details[col] ?? null
  return out
}

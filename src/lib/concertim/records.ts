/**
 * From the app's JSON to the typed records of `types.ts`, and from inputs to request bodies.
 *
 * Reading is tolerant of the forms the reference documents (flat device details or the older nested
 * `details` key, §5.6; wrapped or bare `team_roles`, §5.1); writing is exact (§5.3–§5.6 bodies).
 */
import {moneyString} from './money.js'
import {
  type ComputeDetails,
  DETAILS_FIELDS,
  DETAILS_TYPE_OF,
  type Device,
  type DeviceType,
  type DeviceUpdate,
  type JsonObject,
  type JsonValue,
  type Location,
  type NetworkDetails,
  type NewDevice,
  type NewRack,
  type Rack,
  type RackUpdate,
  type Team,
  type TeamRoleRef,
  type TeamUpdate,
  type Template,
  type User,
  type VolumeDetails,
} from './types.js'

type Raw = Record<string, unknown>

function isObject(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v)
}

function jsonObject(v: unknown): JsonObject {
  return isObject(v) ? (v as JsonObject) : {}
}

const TYPE_OF_DETAILS: Record<string, DeviceType> = {
  'Device::ComputeDetails': 'Instance',
  'Device::NetworkDetails': 'Network',
  'Device::VolumeDetails': 'Volume',
}

/** The device type: the STI `type`, else the details class, else guessed from which detail keys are present. */
function deviceTypeOf(raw: Raw, nested: Raw | undefined): DeviceType {
  if (raw.type === 'Instance' || raw.type === 'Network' || raw.type === 'Volume') return raw.type
  const detailsType = nested?.type ?? raw.details_type
  if (typeof detailsType === 'string' && detailsType in TYPE_OF_DETAILS) return TYPE_OF_DETAILS[detailsType]
  const source = nested ?? raw
  if ('mtu' in source || 'admin_state_up' in source) return 'Network'
  if ('volume_type' in source || 'bootable' in source) return 'Volume'
  return 'Instance'
}

function pick(source: Raw, fields: readonly string[]): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {}
  for (const f of fields) out[f] = (source[f] ?? null) as JsonValue
  return out
}

export function toTemplate(raw: unknown): Template {
  const r = raw as Raw
  return {
    description: str(r.description),
    disk: (r.disk ?? null) as null | number,
    foreign_id: str(r.foreign_id),
    height: Number(r.height),
    id: String(r.id),
    name: String(r.name),
    ram: (r.ram ?? null) as null | number,
    tag: str(r.tag),
    vcpus: (r.vcpus ?? null) as null | number,
  }
}

export function toLocation(raw: unknown): Location {
  const r = (isObject(raw) ? raw : {}) as Raw
  return {
    depth: Number(r.depth ?? 2),
    end_u: Number(r.end_u),
    facing: r.facing === 'b' ? 'b' : 'f',
    rack_id: String(r.rack_id),
    start_u: Number(r.start_u),
    type: 'rack',
  }
}

export function toDevice(raw: unknown): Device {
  const r = raw as Raw
  const nested = isObject(r.details) ? r.details : undefined
  const type = deviceTypeOf(r, nested)
  const details = pick(nested ?? r, DETAILS_FIELDS[type])
  const template = isObject(r.template) ? toTemplate(r.template) : undefined
  const common = {
    cost: str(r.cost) ?? '0.00',
    description: str(r.description),
    id: String(r.id),
    location: toLocation(r.location),
    metadata: jsonObject(r.metadata),
    name: String(r.name),
    template_id: String(r.template_id ?? template?.id),
    ...(template === undefined ? {} : {template}),
  }
  switch (type) {
    case 'Instance': {
      return {...common, details: details as unknown as ComputeDetails, status: r.status as never, type}
    }
    case 'Network': {
      return {...common, details: details as unknown as NetworkDetails, status: r.status as never, type}
    }
    case 'Volume': {
      return {...common, details: details as unknown as VolumeDetails, status: r.status as never, type}
    }
  }
}

export function toTeam(raw: unknown): Team {
  const r = raw as Raw
  return {
    billing_acct_id: str(r.billing_acct_id),
    billing_period_end: str(r.billing_period_end),
    billing_period_start: str(r.billing_period_start),
    cost: str(r.cost) ?? '0.0',
    credits: str(r.credits) ?? '0.0',
    id: String(r.id),
    name: String(r.name),
    project_id: str(r.project_id),
  }
}

export function toRack(raw: unknown): Rack {
  const r = raw as Raw
  const rack: Rack = {
    cost: str(r.cost) ?? '0.00',
    creation_output: str(r.creation_output),
    id: String(r.id),
    metadata: jsonObject(r.metadata),
    name: String(r.name),
    network_details: jsonObject(r.network_details),
    order_id: str(r.order_id),
    owner: toTeam(isObject(r.owner) ? r.owner : {}),
    status: r.status as Rack['status'],
    u_height: Number(r.u_height),
  }
  if (Array.isArray(r.devices)) rack.devices = r.devices.map((d) => toDevice(d))
  return rack
}

function toTeamRole(raw: unknown): TeamRoleRef {
  const r = (isObject(raw) && isObject(raw.team_role) ? raw.team_role : raw) as Raw
  return {id: String(r.id), team_id: String(r.team_id), user_id: String(r.user_id)}
}

export function toUser(raw: unknown): User {
  const r = raw as Raw
  const user: User = {
    email: String(r.email ?? ''),
    fullname: String(r.fullname ?? r.name ?? ''),
    id: String(r.id),
    login: String(r.login),
    name: String(r.name ?? ''),
    root: r.root === true,
    status: r.status === 'pending deletion' ? 'pending deletion' : 'active',
    team_roles: Array.isArray(r.team_roles) ? r.team_roles.map((t) => toTeamRole(t)) : [],
  }
  if ('cloud_user_id' in r) user.cloud_user_id = str(r.cloud_user_id)
  return user
}

// ---------------------------------------------------------------------------------------------
// Request bodies

/** Drop undefined values (a key left out is a key not changed). */
function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}

export function rackBody(input: NewRack | RackUpdate): {rack: Raw} {
  const {cost, ...rest} = input
  return {rack: defined({...rest, cost: cost === undefined ? undefined : moneyString(cost)})}
}

export function teamBody(input: TeamUpdate): {team: Raw} {
  const {cost, credits, ...rest} = input
  return {
    team: defined({
      ...rest,
      cost: cost === undefined ? undefined : moneyString(cost),
      credits: credits === undefined ? undefined : moneyString(credits),
    }),
  }
}

/** `POST /api/v1/nodes` (§5.5): `template_id` at the top, the device with its location and typed details. */
export function nodeBody(input: NewDevice): {device: Raw; template_id: string} {
  const {cost, description, details, location, metadata, name, status, template_id: templateId, type} = input
  return {
    device: defined({
      cost: cost === undefined ? undefined : moneyString(cost),
      description,
      // details.type is required for Network and Volume, and harmless for Instance.
      details: {...defined(details), type: DETAILS_TYPE_OF[type]},
      location: defined({facing: location.facing ?? 'f', rack_id: location.rack_id, start_u: location.start_u}),
      metadata,
      name,
      status,
      type,
    }),
    template_id: templateId,
  }
}

export function deviceBody(input: DeviceUpdate): {device: Raw} {
  const {cost, details, location, ...rest} = input
  return {
    device: defined({
      ...rest,
      cost: cost === undefined ? undefined : moneyString(cost),
      // Without `type`: the keys are applied to the existing details row (§5.6.3).
      details: details === undefined ? undefined : defined(details),
      location: location === undefined ? undefined : {facing: location.facing, start_u: location.start_u},
    }),
  }
}

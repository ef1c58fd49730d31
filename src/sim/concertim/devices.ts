/**
 * Devices: `POST /api/v1/nodes` (reference/concertim-api.md §5.5) and `/api/v1/devices` (§5.6), with
 * the device model rules of §4.6. Creation validates Location, then Device, and answers 422 with the
 * first failing record's `errors.details`; updates are not atomic and answer
 * `{"errors": <errors.as_json>}` of the first invalid object.
 */
import type {SimReply} from '../http-app.js'
import {isBlank, ModelErrors, parseNumber, toSentenceOr} from './model-errors.js'
import {MissingRackError, validateLocation, type ValidLocation} from './placement.js'
import {deviceJson} from './presenters.js'
import {deleted, forbidden, ok, paramMissing, recordNotFound, unprocessable} from './responses.js'
import {apiRoute, castString, permit, permitHash, requireParams, UncaughtError, type ApiContext} from './routing.js'
import {isObject} from './sessions.js'
import {
  DETAILS_COLUMNS,
  type ConcertimState,
  type DetailsType,
  type DeviceRecord,
  type DeviceType,
  type JsonObject,
  type PlacedDevice,
  type RackRecord,
  type TemplateRecord,
} from './state.js'

export const DEVICE_STATUSES: Record<DeviceType, readonly string[]> = {
  Instance: ['IN_PROGRESS', 'FAILED', 'ACTIVE', 'STOPPED', 'SUSPENDED'],
  Network: ['IN_PROGRESS', 'FAILED', 'ACTIVE', 'STOPPED'],
  Volume: ['IN_PROGRESS', 'FAILED', 'ACTIVE', 'AVAILABLE'],
}

const DEVICE_TYPES: Record<DeviceType, {detailsMessage: string; tag: null | string; templateMessage: string}> = {
  Instance: {detailsMessage: 'must have compute details', tag: null, templateMessage: 'must use an instance template'},
  Network: {detailsMessage: 'must have network details', tag: 'network', templateMessage: 'must use the network template'},
  Volume: {detailsMessage: 'must have volume details', tag: 'volume', templateMessage: 'must use the volume template'},
}

const DETAILS_TYPE_OF_TYPE: Record<DeviceType, DetailsType> = {
  Instance: 'Device::ComputeDetails',
  Network: 'Device::NetworkDetails',
  Volume: 'Device::VolumeDetails',
}

const SCALAR_KEYS = ['name', 'type', 'description', 'status', 'cost']
const LEGACY_KEYS = ['public_ips', 'private_ips', 'ssh_key', 'login_user']
const NAME_FORMAT = /^[a-zA-Z0-9\-.]*$/

interface DeviceCandidate {
  cost: unknown
  description: unknown
  detailsType: DetailsType | null
  metadata: unknown
  name: unknown
  rack: RackRecord | undefined
  self?: DeviceRecord
  status: unknown
  template: TemplateRecord
  /** undefined: the base class Device (no `type` sent). */
  type: DeviceType | undefined
}

export function deviceRoutes(ctx: ApiContext): void {
  const {abilities, state} = ctx

  apiRoute(ctx, 'POST', '/api/v1/nodes', (r, user) => {
    if (!abilities.canCreateDevices(user)) return forbidden()
    const body = isObject(r.body) ? r.body : {}
    if (isBlank(body.template_id)) return paramMissing('template_id')
    const required = requireParams(r, 'device')
    if (required.reply) return required.reply
    const template = typeof body.template_id === 'string' ? state.templates.get(body.template_id) : undefined
    if (!template) return recordNotFound(r)
    const params = required.params
    const locationParams = permitHash(params, 'location') ?? {}
    const rack = typeof locationParams.rack_id === 'string' ? state.racks.get(locationParams.rack_id) : undefined
    // 1. Location.create!
    const locationErrors = new ModelErrors()
    const location = placeOrThrow(state, locationErrors, {
      facing: 'facing' in locationParams ? locationParams.facing : 'f',
      rack,
      startU: locationParams.start_u,
      uDepth: template.depth,
      uHeight: template.height,
    })
    if (!location) return unprocessable(locationErrors.details())
    // 2. details = details.type.constantize.new(rest)
    const details = detailsFromParams(params)
    // 3. chassis.create_device!
    const type = deviceType(params.type)
    const scalars = permit(params, SCALAR_KEYS)
    const candidate: DeviceCandidate = {
      cost: 'cost' in scalars ? scalars.cost : 0,
      description: scalars.description ?? null,
      detailsType: details.type,
      metadata: permitHash(params, 'metadata') ?? {},
      name: scalars.name ?? null,
      rack,
      status: scalars.status ?? null,
      template,
      type,
    }
    const errors = validateDevice(state, candidate)
    if (state.deviceLimit !== undefined && state.devices.size >= state.deviceLimit) errors.add('base', `The device limit of ${state.deviceLimit} has been exceeded`)
    if (!errors.empty || type === undefined || !rack) return unprocessable(errors.details())
    if (isBlank(candidate.cost)) throw notNull('devices', 'cost')
    // 4. authorize! :update, rack (rolls the transaction back).
    if (!abilities.canManageRack(user, rack)) return forbidden()
    const placed = state.addDevice({
      cost: parseNumber(candidate.cost) ?? 0,
      description: castString(candidate.description),
      details: details.values,
      facing: location.facing,
      metadata: candidate.metadata as JsonObject,
      name: String(candidate.name),
      rack_id: rack.id,
      start_u: location.startU,
      status: String(candidate.status),
      template_id: template.id,
      type,
    })
    return ok(deviceJson(placed, 'full'))
  })

  apiRoute(ctx, 'GET', '/api/v1/devices', (_r, user) => {
    const out: Record<string, unknown>[] = []
    if (user.root) for (const device of state.devices.values()) out.push(deviceJson(state.placed(device), 'list'))
    else for (const rack of abilities.readableRacks(user)) for (const p of state.devicesOfRack(rack.id)) out.push(deviceJson(p, 'list'))
    return ok(out)
  })

  apiRoute(ctx, 'GET', '/api/v1/devices/:id', (r, user) => {
    const device = state.devices.get(r.params.id)
    if (!device) return recordNotFound(r)
    if (!abilities.canReadDevice(user, device)) return forbidden()
    return ok(deviceJson(state.placed(device), 'full'))
  })

  apiRoute(ctx, ['PATCH', 'PUT'], '/api/v1/devices/:id', (r, user) => {
    const device = state.devices.get(r.params.id)
    if (!device) return recordNotFound(r)
    if (!abilities.canManageDevice(user, device)) return forbidden()
    const required = requireParams(r, 'device')
    if (required.reply) return required.reply
    return updateDevice(state, state.placed(device), required.params)
  })

  apiRoute(ctx, 'DELETE', '/api/v1/devices/:id', (r, user) => {
    const device = state.devices.get(r.params.id)
    if (!device) return recordNotFound(r)
    if (!abilities.canManageDevice(user, device)) return forbidden()
    state.removeDevice(device.id)
    return deleted()
  })
}

/** `DeviceServices::Update`: device, then location, then details, each saved on its own. */
function updateDevice(state: ConcertimState, placed: PlacedDevice, params: JsonObject): SimReply {
  const {device, location, template} = placed
  const rack = state.racks.get(location.rack_id)
  const scalars = permit(params, SCALAR_KEYS)
  const detailsParams = permitHash(params, 'details')
  // Details: same (or omitted) type → update the row; another type → the details become nil.
  let detailsType: DetailsType | null = device.details_type
  let detailValues: JsonObject | undefined
  if (detailsParams && Object.keys(detailsParams).length > 0) {
    const {type, ...rest} = detailsParams
    if (type !== undefined && type !== device.details_type) detailsType = null
    else detailValues = checkedDetails(device.details_type, rest)
  } else {
    const legacy = legacyDetails(params)
    if (Object.keys(legacy).length > 0) detailValues = checkedDetails(device.details_type, legacy)
  }
  const newType = 'type' in scalars ? deviceType(scalars.type) : device.type
  const candidate: DeviceCandidate = {
    cost: 'cost' in scalars ? scalars.cost : device.cost,
    description: 'description' in scalars ? scalars.description : device.description,
    detailsType,
    metadata: permitHash(params, 'metadata') ?? device.metadata,
    name: 'name' in scalars ? scalars.name : device.name,
    rack,
    self: device,
    status: 'status' in scalars ? scalars.status : device.status,
    template,
    type: newType,
  }
  const deviceErrors = validateDevice(state, candidate)
  if (detailsType === null) {
    deviceErrors.add('details_type', 'Cannot be changed once a device has been created')
  }
  if (deviceErrors.empty && newType !== undefined) {
    if (isBlank(candidate.cost)) throw notNull('devices', 'cost')
    if (candidate.name !== device.name) state.renameDevice(device, String(candidate.name))
    device.cost = parseNumber(candidate.cost) ?? device.cost
    device.description = castString(candidate.description)
    device.metadata = candidate.metadata as JsonObject
    device.status = String(candidate.status)
    device.type = newType
  }
  // Moving: facing and start_u are both assigned (a missing one becomes nil); rack_id is ignored.
  const locationErrors = new ModelErrors()
  const locationParams = permitHash(params, 'location')
  if (locationParams) {
    const moved = placeOrThrow(state, locationErrors, {
      facing: locationParams.facing ?? null,
      locationId: location.id,
      rack,
      startU: locationParams.start_u ?? null,
      uDepth: location.u_depth,
      uHeight: location.u_height,
    })
    if (moved) {
      location.start_u = moved.startU
      location.end_u = moved.endU
      location.facing = moved.facing
    }
  }
  if (detailValues && detailsType !== null) Object.assign(device.details, detailValues)
  const failed = deviceErrors.empty ? locationErrors : deviceErrors
  if (!failed.empty) return unprocessable({errors: detailsType === null ? detailsChangeErrors(failed, device.details_type) : failed.asJson()})
  return ok(deviceJson(state.placed(device), 'full'))
}

/** The errors of a device whose details were replaced by nil (derived in reference §5.6.3). */
function detailsChangeErrors(errors: ModelErrors, current: DetailsType): Record<string, string[]> {
  const json = errors.asJson()
  const out: Record<string, string[]> = {}
  for (const [k, v] of Object.entries(json)) if (k !== 'details_type') out[k] = v
  out.details = ['must exist', "can't be blank"]
  out.details_type = ['Cannot be changed once a device has been created', DEVICE_TYPES[deviceTypeOf(current)].detailsMessage]
  return out
}

function deviceTypeOf(detailsType: DetailsType): DeviceType {
  return (Object.keys(DETAILS_TYPE_OF_TYPE) as DeviceType[]).find((t) => DETAILS_TYPE_OF_TYPE[t] === detailsType) ?? 'Instance'
}

function placeOrThrow(state: ConcertimState, errors: ModelErrors, c: Parameters<typeof validateLocation>[1]): undefined | ValidLocation {
  try {
    return validateLocation(state, c, errors)
  } catch (error) {
    if (error instanceof MissingRackError) throw new UncaughtError('NoMethodError', error.message)
    throw error
  }
}

/** `type` → the STI class; unknown names raise SubclassNotFound (500); absent → base Device. */
function deviceType(raw: unknown): DeviceType | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined
  const name = String(raw)
  if (name === 'Instance' || name === 'Network' || name === 'Volume') return name
  if (name === 'Device') return undefined
  throw new UncaughtError('ActiveRecord::SubclassNotFound', `Invalid single-table inheritance type: ${name} is not a subclass of Device`)
}

/** The details of a create: `details.type` is required whenever details are given (legacy form otherwise). */
function detailsFromParams(params: JsonObject): {type: DetailsType; values: JsonObject} {
  const details = permitHash(params, 'details')
  if (!details || Object.keys(details).length === 0) {
    return {type: 'Device::ComputeDetails', values: checkedDetails('Device::ComputeDetails', legacyDetails(params))}
  }
  const {type, ...rest} = details
  if (type === undefined || type === null) throw new UncaughtError('NoMethodError', "undefined method `constantize' for nil")
  const name = String(type)
  if (!(name in DETAILS_COLUMNS)) {
    if (/^[A-Z]\w*(::[A-Z]\w*)*$/.test(name)) throw new UncaughtError('NameError', `uninitialized constant ${name}`)
    throw new UncaughtError('NameError', `wrong constant name ${name}`)
  }
  const detailsType = name as DetailsType
  return {type: detailsType, values: checkedDetails(detailsType, rest)}
}

function legacyDetails(params: JsonObject): JsonObject {
  const out: JsonObject = permit(params, LEGACY_KEYS)
  const volumeDetails = permitHash(params, 'volume_details')
  if (volumeDetails) out.volume_details = volumeDetails
  return out
}

/** Assigning unknown attributes to a details row raises UnknownAttributeError (500); values are cast. */
function checkedDetails(type: DetailsType, values: JsonObject): JsonObject {
  const columns = DETAILS_COLUMNS[type]
  const out: JsonObject = {}
  for (const [k, v] of Object.entries(values)) {
    if (!columns.includes(k)) throw new UncaughtError('ActiveModel::UnknownAttributeError', `unknown attribute '${k}' for ${type}.`)
    out[k] = castDetail(k, v)
  }
  return out
}

const BOOLEAN_DETAILS = new Set(['admin_state_up', 'bootable', 'encrypted', 'l2_adjacency', 'port_security_enabled', 'read_only', 'shared'])
const INTEGER_DETAILS = new Set(['mtu', 'size'])

function castDetail(column: string, v: unknown): unknown {
  if (column === 'volume_details') return isObject(v) ? v : (v ?? {})
  if (v === null || v === undefined) return null
  if (BOOLEAN_DETAILS.has(column)) {
    if (v === '') return null
    return !(v === false || v === 0 || (typeof v === 'string' && ['0', 'f', 'F', 'false', 'FALSE', 'False', 'off', 'OFF', 'Off'].includes(v)))
  }
  if (INTEGER_DETAILS.has(column)) {
    const n = parseNumber(v)
    return n === undefined ? null : Math.trunc(n)
  }
  return typeof v === 'string' ? v : String(v)
}

function validateDevice(state: ConcertimState, c: DeviceCandidate): ModelErrors {
  const errors = new ModelErrors()
  const name = castString(c.name)
  if (errors.presence('name', name) && name !== null) {
    errors.maxLength('name', name, 150)
    errors.format('name', name, NAME_FORMAT, 'can contain only alphanumeric characters, dots and hyphens.')
    if (c.rack) {
      const other = state.deviceByName(c.rack.id, name)
      if (other && other.id !== c.self?.id) errors.add('name', 'has already been taken', {error: 'taken'})
    }
  }
  const statuses = c.type === undefined ? [] : DEVICE_STATUSES[c.type]
  const status = castString(c.status)
  errors.presence('status', status)
  if (status === null || !statuses.includes(status)) {
    const message = `must be one of ${toSentenceOr(statuses)}`
    errors.add('status', message)
  }
  errors.numericality('cost', c.cost, {allowBlank: true, greaterThanOrEqualTo: 0})
  if (c.type !== undefined) {
    const rules = DEVICE_TYPES[c.type]
    if (c.detailsType !== null && c.detailsType !== DETAILS_TYPE_OF_TYPE[c.type]) errors.add('details_type', rules.detailsMessage)
    if (c.template.tag !== rules.tag) errors.add('template', rules.templateMessage)
  }
  if (!isObject(c.metadata)) errors.add('metadata', 'Must be an object')
  return errors
}

function notNull(table: string, column: string): UncaughtError {
  return new UncaughtError(
    'ActiveRecord::NotNullViolation',
    `PG::NotNullViolation: ERROR:  null value in column "${column}" of relation "${table}" violates not-null constraint`,
  )
}

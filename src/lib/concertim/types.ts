/**
 * Records of the Concertim app API (reference/concertim-api.md §4, §5), as this client returns them,
 * and the inputs its writes take.
 *
 * Responses are normalised in two places only, both documented: device details, which the app glues
 * flat into the device object (§5.6), are gathered into a typed `details`; and user `team_roles`,
 * which single-object responses wrap as `{"team_role": {…}}`, are unwrapped. Everything else is the
 * app's own JSON: ids are UUID strings, money is a string (§3.2), dates are `YYYY-MM-DD` or null.
 */

export type JsonValue = boolean | JsonValue[] | null | number | string | {[key: string]: JsonValue}
export type JsonObject = {[key: string]: JsonValue}

/** `"f"` front, `"b"` back (§4.6 Location). */
export type Facing = 'b' | 'f'
export type DeviceType = 'Instance' | 'Network' | 'Volume'
export type DetailsType = 'Device::ComputeDetails' | 'Device::NetworkDetails' | 'Device::VolumeDetails'

export type RackStatus = 'ACTIVE' | 'FAILED' | 'IN_PROGRESS' | 'STOPPED'
export type InstanceStatus = 'ACTIVE' | 'FAILED' | 'IN_PROGRESS' | 'STOPPED' | 'SUSPENDED'
export type NetworkStatus = 'ACTIVE' | 'FAILED' | 'IN_PROGRESS' | 'STOPPED'
export type VolumeStatus = 'ACTIVE' | 'AVAILABLE' | 'FAILED' | 'IN_PROGRESS'

export const DETAILS_TYPE_OF: Readonly<Record<DeviceType, DetailsType>> = {
  Instance: 'Device::ComputeDetails',
  Network: 'Device::NetworkDetails',
  Volume: 'Device::VolumeDetails',
}

/** The details columns of each device type (§4.6 "Details tables"), in the app's order. */
export const DETAILS_FIELDS = {
  Instance: ['public_ips', 'private_ips', 'ssh_key', 'login_user', 'volume_details'],
  Network: ['admin_state_up', 'dns_domain', 'l2_adjacency', 'mtu', 'port_security_enabled', 'shared', 'qos_policy'],
  Volume: ['availability_zone', 'bootable', 'encrypted', 'read_only', 'size', 'volume_type'],
} as const satisfies Record<DeviceType, readonly string[]>

/**
 * A money amount to send: a number, or a decimal string such as `"12.50"`. It is always sent as a
 * decimal string (§3.2: the app casts numeric strings; the original service sent strings).
 */
export type Money = number | string

// ---------------------------------------------------------------------------------------------
// Teams and users (§5.1, §5.2)

export interface Team {
  billing_acct_id: string | null
  billing_period_end: string | null
  billing_period_start: string | null
  /** BigDecimal as a string, e.g. `"0.0"`, `"12.0"`. */
  cost: string
  credits: string
  id: string
  name: string
  project_id: string | null
}

export interface TeamUpdate {
  billing_acct_id?: string | null
  /** `YYYY-MM-DD`, or null to clear (start and end must be both set or both null). */
  billing_period_end?: string | null
  billing_period_start?: string | null
  cost?: Money
  credits?: Money
  project_id?: string | null
}

export interface TeamRoleRef {
  id: string
  team_id: string
  user_id: string
}

export type UserStatus = 'active' | 'pending deletion'

export interface User {
  /** Absent (undefined) for root users (§3.2); null when a normal user has none. */
  cloud_user_id?: string | null
  email: string
  fullname: string
  id: string
  login: string
  name: string
  root: boolean
  status: UserStatus
  /** The role itself is not exposed by the app. */
  team_roles: TeamRoleRef[]
}

/**
 * What `PATCH /api/v1/users/:id` can change. Only `cloud_user_id` is still a User column: the other
 * keys the app permits (`project_id`, `cost`, …) moved to Team and give a 500 (§5.1.4).
 */
export interface UserUpdate {
  cloud_user_id: string | null
}

// ---------------------------------------------------------------------------------------------
// Templates (§5.4)

export interface Template {
  description: string | null
  disk: number | null
  foreign_id: string | null
  height: number
  id: string
  name: string
  ram: number | null
  /** `network`, `volume` for the seeded templates; null for instance templates. */
  tag: string | null
  vcpus: number | null
}

export interface TemplateImages {
  front?: string
  rear?: string
}

export interface NewTemplate {
  description?: string
  disk?: number
  foreign_id?: string
  /** 1..6 get default images; taller templates need `images` (§4.5). */
  height: number
  images?: TemplateImages
  name: string
  ram?: number
  tag?: string
  vcpus?: number
  version?: number
}

/** `height`, `tag` and `version` cannot change (§5.4.3). */
export interface TemplateUpdate {
  description?: string | null
  disk?: number | null
  foreign_id?: string | null
  images?: TemplateImages
  name?: string
  ram?: number | null
  vcpus?: number | null
}

// ---------------------------------------------------------------------------------------------
// Racks (§5.3)

export interface Rack {
  cost: string
  creation_output: string | null
  /** Only in `GET /api/v1/racks/:id`, top of the rack first. */
  devices?: Device[]
  id: string
  metadata: JsonObject
  name: string
  network_details: JsonObject
  order_id: string | null
  owner: Team
  status: RackStatus
  u_height: number
}

export interface NewRack {
  cost?: Money
  creation_output?: string
  metadata?: JsonObject
  name?: string
  network_details?: JsonObject
  /** Required and globally unique; only root may set it (§5.3.3). */
  order_id: string
  status: RackStatus
  team_id: string
  /** 1..72; default: the team's last rack height, or 42. */
  u_height?: number
}

/** `metadata` and `network_details` replace the stored objects whole (§5.3.4). */
export interface RackUpdate {
  cost?: Money
  creation_output?: string | null
  metadata?: JsonObject
  name?: string
  network_details?: JsonObject
  order_id?: string
  status?: RackStatus
  u_height?: number
}

// ---------------------------------------------------------------------------------------------
// Devices (§4.6, §5.5, §5.6)

export interface Location {
  depth: number
  end_u: number
  facing: Facing
  rack_id: string
  start_u: number
  type: 'rack'
}

export interface ComputeDetails {
  login_user: string | null
  private_ips: string | null
  public_ips: string | null
  ssh_key: string | null
  /** jsonb: an object, or the Python-repr string the original service wrote. */
  volume_details: JsonValue
}

export interface NetworkDetails {
  admin_state_up: boolean | null
  dns_domain: string | null
  l2_adjacency: boolean | null
  mtu: number | null
  port_security_enabled: boolean | null
  qos_policy: string | null
  shared: boolean | null
}

export interface VolumeDetails {
  availability_zone: string | null
  bootable: boolean | null
  encrypted: boolean | null
  read_only: boolean | null
  size: number | null
  volume_type: string | null
}

interface DeviceCommon {
  /** Two decimals, e.g. `"0.00"`. */
  cost: string
  description: string | null
  id: string
  location: Location
  metadata: JsonObject
  name: string
  /** Full form only (`GET /devices/:id`, `PATCH /devices/:id`, `POST /nodes`). */
  template?: Template
  /** Always set: the list form's `template_id`, or the full form's `template.id`. */
  template_id: string
}

export interface InstanceDevice extends DeviceCommon {
  details: ComputeDetails
  status: InstanceStatus
  type: 'Instance'
}

export interface NetworkDevice extends DeviceCommon {
  details: NetworkDetails
  status: NetworkStatus
  type: 'Network'
}

export interface VolumeDevice extends DeviceCommon {
  details: VolumeDetails
  status: VolumeStatus
  type: 'Volume'
}

export type Device = InstanceDevice | NetworkDevice | VolumeDevice

export interface PlacementInput {
  /** Default `"f"`. */
  facing?: Facing
  rack_id: string
  start_u: number
}

interface NewDeviceCommon {
  cost?: Money
  description?: string
  location: PlacementInput
  metadata?: JsonObject
  /** `[A-Za-z0-9.-]`, at most 150, unique in the rack. */
  name: string
  template_id: string
}

export type NewDevice =
  | (NewDeviceCommon & {details: Partial<ComputeDetails>; status: InstanceStatus; type: 'Instance'})
  | (NewDeviceCommon & {details: Partial<NetworkDetails>; status: NetworkStatus; type: 'Network'})
  | (NewDeviceCommon & {details: Partial<VolumeDetails>; status: VolumeStatus; type: 'Volume'})

/** A move within the same rack: both keys are required, `rack_id` is ignored by the app (§5.6.3). */
export interface DeviceMove {
  facing: Facing
  start_u: number
}

/**
 * A partial device update: only the keys given change (§5.6.3). `details` keys are applied to the
 * existing details row; the details type cannot change. `metadata` replaces the stored object.
 */
export interface DeviceUpdate {
  cost?: Money
  description?: string | null
  details?: Partial<ComputeDetails> | Partial<NetworkDetails> | Partial<VolumeDetails>
  location?: DeviceMove
  metadata?: JsonObject
  name?: string
  status?: InstanceStatus | NetworkStatus | VolumeStatus
}

// ---------------------------------------------------------------------------------------------
// Data source maps and metrics (§5.7, §5.8)

/** `{grid: {cluster: {"device:<id>": "<id>"}}}`. */
export type DataSourceMap = Record<string, Record<string, Record<string, string>>>

export interface MetricStructure {
  format: string
  id: string
  max: null | number
  min: null | number
  name: string
  units: string
}

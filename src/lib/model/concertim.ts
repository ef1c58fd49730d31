/**
 * What Concertim shows, as `observe` reads it (reference/concertim-api.md §4, §5): plain records with
 * the fields the reconcile engine uses. Values are the app's own (metadata may hold the Python-repr
 * strings written by the original service; `plan` decodes them through `PlanOptions.decode`).
 */
import type {JsonObject} from './json.js'

export type DeviceType = 'Instance' | 'Network' | 'Volume'
export type Facing = 'b' | 'f'

/** Valid statuses (§4.4, §4.6). */
export type RackStatus = 'ACTIVE' | 'FAILED' | 'IN_PROGRESS' | 'STOPPED'
export type InstanceStatus = 'ACTIVE' | 'FAILED' | 'IN_PROGRESS' | 'STOPPED' | 'SUSPENDED'
export type NetworkStatus = 'ACTIVE' | 'FAILED' | 'IN_PROGRESS' | 'STOPPED'
export type VolumeStatus = 'ACTIVE' | 'AVAILABLE' | 'FAILED' | 'IN_PROGRESS'
export type DeviceStatus = InstanceStatus | NetworkStatus | VolumeStatus

/** Concertim's rack height limit: `u_height` is 1..72 (§4.4). */
export const MAX_RACK_HEIGHT = 72
/** Device names: at most 150 characters (§4.6). */
export const MAX_DEVICE_NAME = 150
/** Rack and template names: string(255). */
export const MAX_RACK_NAME = 255
export const MAX_TEMPLATE_NAME = 255

export interface ConcertimTeam {
  billingAcctId: null | string
  id: string
  name: string
  /** The OpenStack project of the team. */
  projectId: null | string
}

export interface ConcertimTemplate {
  description: null | string
  disk: null | number
  /** The flavor id, for instance templates. */
  foreignId: null | string
  height: number
  id: string
  name: string
  ram: null | number
  /** `volume`, `network` (seeded), `rack`; null for instance templates. */
  tag: null | string
  vcpus: null | number
}

export interface ConcertimRack {
  creationOutput: null | string
  id: string
  metadata: JsonObject
  name: string
  orderId: null | string
  status: string
  /** `owner.id`. */
  teamId: string
  uHeight: number
}

export interface ConcertimLocation {
  endU: number
  facing: Facing
  startU: number
}

export interface ConcertimDevice {
  description: null | string
  /** The details columns, flat (`public_ips`, `mtu`, `size`, …). */
  details: JsonObject
  id: string
  /** null when the device has no rack location (never for devices we create). */
  location: ConcertimLocation | null
  metadata: JsonObject
  name: string
  rackId: null | string
  status: string
  templateId: null | string
  type: DeviceType
}

export interface ConcertimState {
  devices: readonly ConcertimDevice[]
  racks: readonly ConcertimRack[]
  teams: readonly ConcertimTeam[]
  templates: readonly ConcertimTemplate[]
}

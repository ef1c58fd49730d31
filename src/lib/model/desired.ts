/**
 * What Concertim should show, computed by `desire` from the cloud (pure). Keys are stable and made of
 * cloud ids only, so that they survive the loss of every local file: `template:<flavor id>`,
 * `rack:<stack id>`, `rack:project:<project id>` (stand-alone servers), `device:<cloud id>`.
 */
import type {DeviceStatus, DeviceType, RackStatus} from './concertim.js'
import type {JsonObject, JsonValue} from './json.js'

export type ObjectKind = 'device' | 'rack' | 'template'

export interface DesiredTemplate {
  description: string
  /** null when the flavor has none (Concertim wants > 0 or nothing). */
  disk: null | number
  foreignId: string
  /** `min(floor(vcpus/2)+1, 4)`. Create-only in Concertim. */
  height: number
  key: string
  /** The flavor name (made unique among Concertim templates by `plan`). */
  name: string
  ram: null | number
  vcpus: null | number
}

export type OrderIdSource = 'billing' | 'deterministic'

export interface DesiredRack {
  /** The stack id, or for a stand-alone-servers rack the project id. */
  cloudId: string
  /** False when the rack may be kept up to date but not created (option `requireCmPrefix`). */
  createAllowed: boolean
  creationOutput: string
  key: string
  kind: 'stack' | 'standalone'
  /** Our metadata keys and values (the rest of a rack's metadata is kept as it is). */
  metadata: JsonObject
  /** Valid for Concertim, before per-team de-duplication (done by `plan`). */
  name: string
  orderId: string
  orderIdSource: OrderIdSource
  /** Set when the order id could not be decided (several Kill Bill subscriptions): the rack alone fails. */
  orderIdError?: string
  projectId: string
  status: RackStatus
  /** The Concertim team id. */
  teamId: string
}

export type DesiredTemplateRef = {foreignId: string; kind: 'flavor'; templateKey: string} | {kind: 'tag'; tag: 'network' | 'volume'}

export interface DesiredDevice {
  cloudId: string
  description: string
  /**
   * The details we compute, by Concertim column name. A column we do not know is absent, never null:
   * absent columns are neither compared nor sent.
   */
  details: {[column: string]: JsonValue}
  key: string
  /** Our metadata keys (the rest of a device's metadata is kept). */
  metadata: JsonObject
  /** Valid for Concertim, before per-rack de-duplication (done by `plan`). */
  name: string
  rackKey: string
  status: DeviceStatus
  /** Set when the template cannot be known from the cloud (e.g. the server's flavor is gone). */
  templateError?: string
  template: DesiredTemplateRef
  type: DeviceType
}

/** A value a status map did not know: mapped to FAILED and reported once per value. */
export interface UnknownStatus {
  /** e.g. `heat stack_status`, `nova vm_state`, `cinder status`, `neutron status`. */
  source: string
  value: string
}

/**
 * Whether absence from the cloud state means anything, per kind: the listing was complete and no
 * record of it was partial. Deletion safety (DESIGN §3) reads it.
 */
export interface DesiredCompleteness {
  networks: boolean
  servers: boolean
  stacks: boolean
  /** Stacks whose resource listing failed somewhere: which objects they own is not known in full. */
  stacksWithUnknownResources: readonly string[]
  volumes: boolean
}

export interface DesiredState {
  complete: DesiredCompleteness
  devices: readonly DesiredDevice[]
  /**
   * Keys of objects that exist in the cloud but whose state is not known (partial records): they are
   * neither updated nor deleted.
   */
  keep: readonly string[]
  /**
   * Cloud ids of every server, volume, network and stack the observation saw (partial records
   * included): they exist, so their Concertim objects are never deleted, even when not shown here.
   */
  listed: ReadonlySet<string>
  racks: readonly DesiredRack[]
  templates: readonly DesiredTemplate[]
  unknownStatuses: readonly UnknownStatus[]
}

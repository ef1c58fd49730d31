/**
 * What the cloud says, as `observe` reads it: plain records, one per OpenStack object, with only the
 * fields the reconcile engine uses. Ids are strings. `observe` fills the completeness flags: a listing
 * is complete only when every page of it was read; a record is `partial` when OpenStack returned only
 * part of it (nova microversion ≥ 2.69 down-cell records: id and status `UNKNOWN`, nothing else).
 * Deletion safety (DESIGN §3) depends on both.
 */
import type {JsonValue} from './json.js'

export interface Flavor {
  disk: number
  id: string
  name: string
  /** MB. */
  ram: number
  vcpus: number
}

export interface Project {
  id: string
  name: string
}

/** One Heat output (`GET /stacks/{name}/{id}/outputs/{key}` → `output`). */
export interface StackOutput {
  description: null | string
  /** Set when Heat could not resolve the output. */
  error?: string
  key: string
  value: JsonValue
}

/**
 * The OpenStack objects a stack owns, by id: its own resources plus members of nested
 * `OS::Heat::ResourceGroup` stacks and `OS::Nova::ServerGroup` members (original-service §3.4).
 */
export interface StackMembership {
  networks: readonly string[]
  servers: readonly string[]
  volumes: readonly string[]
}

export interface Stack {
  id: string
  /**
   * Heat is working on the stack or one of its nested stacks (*_IN_PROGRESS): what it owns is not
   * settled (a server it is creating may not be among its resources yet). Absent: not known to be.
   */
  inProgress?: boolean
  name: string
  outputs: readonly StackOutput[]
  /** Heat `stack_owner`: the Keystone user name that created the stack. */
  owner: null | string
  /** `parameters['OS::project_id']` (or `project`). */
  projectId: string
  resources: StackMembership
  /** False when some resource listing of the stack (or a nested stack) failed: membership is not known in full. */
  resourcesComplete: boolean
  /** Heat `stack_status`, e.g. `CREATE_COMPLETE`. */
  status: string
  statusReason: null | string
}

export interface Server {
  fixedIps: readonly string[]
  floatingIps: readonly string[]
  /** `flavor.id` (microversion < 2.47); null when only the embedded flavor is known. */
  flavorId: null | string
  /** `flavor.original_name` (microversion ≥ 2.47), used when `flavorId` is null. */
  flavorName?: null | string
  id: string
  keyName: null | string
  name: string
  /** Keys of `addresses`, in the order nova gives them. */
  networkNames: readonly string[]
  /** A down-cell record: it proves the server exists and nothing else. */
  partial?: boolean
  /** `OS-EXT-STS:power_state` (0 nostate, 1 running, 3 paused, 4 shutdown, 6 crashed, 7 suspended). */
  powerState: null | number
  /** `tenant_id`. */
  projectId: string
  /** nova `status` (ACTIVE, SHUTOFF, …): used when `vmState` is not visible. */
  status: string
  /** `OS-EXT-STS:task_state`. */
  taskState: null | string
  /** `OS-EXT-STS:vm_state`. */
  vmState: null | string
  /** `os-extended-volumes:volumes_attached[*].id`. */
  volumeIds: readonly string[]
}

export interface VolumeAttachment {
  device?: null | string
  serverId: string
}

export interface Volume {
  attachments: readonly VolumeAttachment[]
  availabilityZone: null | string
  /** Cinder sends `"true"`/`"false"`; observe turns it into a boolean. */
  bootable: boolean | null
  encrypted: boolean | null
  id: string
  name: null | string
  partial?: boolean
  projectId: null | string
  /** GB. */
  size: null | number
  status: string
  volumeType: null | string
}

export interface Network {
  adminStateUp: boolean | null
  id: string
  /** null (or absent) when the deployment does not expose the attribute. */
  l2Adjacency?: boolean | null
  mtu?: null | number
  name: string
  partial?: boolean
  portSecurityEnabled?: boolean | null
  projectId: null | string
  shared: boolean | null
  status: string
}

/** One flag per listing: true only when every page of it was read. */
export interface CloudCompleteness {
  flavors: boolean
  networks: boolean
  projects: boolean
  servers: boolean
  stacks: boolean
  volumes: boolean
}

export interface CloudState {
  complete: CloudCompleteness
  flavors: readonly Flavor[]
  networks: readonly Network[]
  projects: readonly Project[]
  servers: readonly Server[]
  stacks: readonly Stack[]
  /**
   * Projects with a stack Heat is working on (*_IN_PROGRESS, itself or a nested stack) beyond those
   * in `stacks` (a scoped observation lists a project's stacks but keeps only the entity's owner).
   */
  stacksInProgressOf?: readonly string[]
  volumes: readonly Volume[]
}

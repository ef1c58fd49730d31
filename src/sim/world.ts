/**
 * The in-memory OpenStack world behind the simulated services: identity, compute, orchestration,
 * block storage, networking, telemetry (Gnocchi) and rating (CloudKitty). Records hold what the
 * real services store; each HTTP service renders them in its own API's shape. Timestamps are epoch
 * milliseconds. Every collection that is listed with paging is a `Table` (O(1) by id, sorted views
 * rebuilt only after inserts/deletes).
 */
import {EventEmitter} from 'node:events'

import {byId, newestFirst, Table} from './table.js'

export interface Domain {
  description: string
  enabled: boolean
  id: string
  name: string
}

export interface Project {
  description: string
  domainId: string
  enabled: boolean
  id: string
  name: string
  tags: string[]
}

export interface User {
  defaultProjectId: string | null
  description: string
  domainId: string
  email: string | null
  enabled: boolean
  id: string
  name: string
  password: string
}

export interface Role {
  id: string
  name: string
}

export interface RoleAssignment {
  projectId: string
  roleId: string
  userId: string
}

export interface Flavor {
  createdAt: number
  description: string | null
  disabled: boolean
  disk: number
  ephemeral: number
  extraSpecs: Record<string, string>
  id: string
  isPublic: boolean
  name: string
  ram: number
  rxtxFactor: number
  swap: number
  vcpus: number
}

export interface ServerAddress {
  addr: string
  mac: string
  /** Network name: the key in nova's `addresses`. */
  network: string
  networkId: string
  portId: string
  type: 'fixed' | 'floating'
  version: 4 | 6
}

/** Nova vm_state values (nova/objects/fields.py). */
export type VmState =
  | 'active'
  | 'building'
  | 'deleted'
  | 'error'
  | 'paused'
  | 'rescued'
  | 'resized'
  | 'shelved'
  | 'shelved_offloaded'
  | 'soft-delete'
  | 'stopped'
  | 'suspended'

/** API integer power states: 0 pending, 1 running, 3 paused, 4 shutdown, 6 crashed, 7 suspended. */
export type PowerState = 0 | 1 | 3 | 4 | 6 | 7

export interface ServerFault {
  code: number
  created: number
  details: string
  message: string
}

export interface Server {
  addresses: ServerAddress[]
  availabilityZone: string
  /** Nova cell the instance lives in; `cell2` records turn partial when the down-cell fault is on. */
  cell: string
  createdAt: number
  deletedAt: number | null
  description: string | null
  fault: ServerFault | null
  flavorId: string
  host: string | null
  hostname: string
  id: string
  imageId: string
  instanceName: string
  keyName: string | null
  launchedAt: number | null
  locked: boolean
  metadata: Record<string, string>
  name: string
  powerState: PowerState
  projectId: string
  reservationId: string
  serverGroupId: string | null
  /** The Heat stack (top-level) that owns this server, if any. */
  stackId: string | null
  tags: string[]
  taskState: string | null
  terminatedAt: number | null
  updatedAt: number
  userId: string
  vmState: VmState
  /** Attached volumes (ids), in attachment order. */
  volumeIds: string[]
}

export interface VolumeAttachment {
  attachedAt: number
  attachmentId: string
  device: string
  hostName: string | null
  serverId: string
}

export interface Volume {
  attachments: VolumeAttachment[]
  availabilityZone: string
  bootable: boolean
  createdAt: number
  description: string | null
  encrypted: boolean
  host: string
  id: string
  metadata: Record<string, string>
  multiattach: boolean
  name: string | null
  projectId: string
  size: number
  stackId: string | null
  status: string
  updatedAt: number | null
  userId: string
  volumeType: string
  volumeTypeId: string
}

export interface Network {
  adminStateUp: boolean
  availabilityZones: string[]
  createdAt: number
  description: string
  external: boolean
  id: string
  mtu: number
  name: string
  networkType: string
  physicalNetwork: string | null
  portSecurityEnabled: boolean
  projectId: string
  revisionNumber: number
  segmentationId: number | null
  shared: boolean
  stackId: string | null
  status: string
  subnetIds: string[]
  tags: string[]
  updatedAt: number
}

export interface Subnet {
  allocationPools: {end: string; start: string}[]
  cidr: string
  createdAt: number
  description: string
  enableDhcp: boolean
  gatewayIp: string
  id: string
  ipVersion: 4 | 6
  name: string
  networkId: string
  projectId: string
  revisionNumber: number
  updatedAt: number
}

export interface StackResource {
  createdAt: number
  name: string
  /** The id of what the resource made (server, volume, network, nested stack, server group). */
  physicalId: string
  requiredBy: string[]
  status: string
  statusReason: string
  type: string
  updatedAt: number
}

export interface StackOutput {
  description: string
  error?: string
  key: string
  value: unknown
}

export interface Stack {
  createdAt: number
  deletedAt: number | null
  description: string
  disableRollback: boolean
  id: string
  name: string
  /** Username of the creator (Heat's `stack_owner`). */
  owner: string
  parameters: Record<string, string>
  /** Parent stack id for nested stacks (resource groups). */
  parentId: string | null
  outputs: StackOutput[]
  projectId: string
  resources: StackResource[]
  status: string
  statusReason: string
  stackUserProjectId: string
  tags: string[] | null
  timeoutMins: number | null
  updatedAt: number | null
  userId: string
}

/** A Nova key pair: it belongs to a user (not a project). */
export interface KeyPair {
  createdAt: number
  fingerprint: string
  name: string
  publicKey: string
  type: 'ssh' | 'x509'
  userId: string
}

/** A router's interface on a network (a Neutron port with device_owner network:router_interface). */
export interface RouterPort {
  id: string
  ip: string
  networkId: string
  projectId: string
  routerId: string
  subnetId: string
}

/** A floating IP; associated when `portId` is set (then reached through `routerId`). */
export interface FloatingIp {
  address: string
  /** The fixed address it maps to. */
  fixedIp: null | string
  id: string
  portId: null | string
  projectId: string
  routerId: null | string
}

export interface ServerGroup {
  id: string
  members: string[]
  name: string
  policy: string
  projectId: string
  userId: string
}

export interface ArchivePolicy {
  aggregationMethods: string[]
  definition: {granularity: number; points: number}[]
  name: string
}

/** How a metric's values are derived (lazily, from time) so that 10,000 servers cost no storage. */
export interface MeasureModel {
  /** Gauges hover around `level`; cumulative counters grow by about `level` per second. */
  kind: 'cumulative' | 'gauge'
  level: number
  seed: number
  /** Relative spread (0 = constant gauge). */
  spread: number
}

export interface GnocchiMetric {
  archivePolicy: string
  createdAt: number
  id: string
  model: MeasureModel
  name: string
  resourceId: string
  unit: string
  /** Measures pushed explicitly (e.g. by a test); they replace the model's values when present. */
  pushed?: Map<number, number>
  /**
   * Seconds between Ceilometer's measures of this metric (its polling interval). Unset: one measure
   * per period, at its start. Shorter than the granularity: several per period, so `mean` averages
   * them and `rate:*` is the change per polling interval, as real Gnocchi computes them.
   */
  pollingS?: number
}

export interface GnocchiResource {
  /** Type-specific attributes (display_name, flavor_id, instance_id, name, …). */
  attributes: Record<string, string | null>
  createdByProjectId: string
  createdByUserId: string
  endedAt: number | null
  id: string
  /** metric name → metric id */
  metrics: Record<string, string>
  projectId: string
  startedAt: number
  type: string
  userId: string
}

export interface Token {
  expiresAt: number
  id: string
  issuedAt: number
  projectId: string
  userId: string
}

export interface RatingPrices {
  /** Price per hour of an instance, by flavor id. */
  instanceHourly: Map<string, number>
  /** Price per GiB-hour of a volume. */
  volumeGibHourly: number
}

/** What a change did to an entity; a notification publisher turns these into OpenStack notifications. */
export type ChangeAction =
  | 'attach'
  | 'create'
  | 'delete'
  | 'detach'
  | 'error'
  | 'pause'
  | 'power_off'
  | 'power_on'
  | 'reboot'
  | 'resize'
  | 'resume'
  | 'shelve'
  | 'suspend'
  | 'unpause'
  | 'unshelve'
  | 'update'

interface ChangeBase<K extends string, E> {
  action: ChangeAction
  after: E | null
  before: E | null
  /** Entity id. */
  id: string
  kind: K
  projectId: string
  projectName: string
  /** Request id shared by every event one API call caused (`req-<uuid>`). */
  requestId: string
  timestamp: number
  userId: string
  userName: string
}

export interface ServerChange extends ChangeBase<'server', Server> {
  /** Flavor before and after (resize changes it). */
  flavor: Flavor
  oldFlavor?: Flavor
  /** The task_state the server passed through while the action ran (e.g. powering-off). */
  transitionalTaskState: string | null
  /** Volume id for attach/detach. */
  volumeId?: string
}

export interface StackChange extends ChangeBase<'stack', Stack> {
  /** Heat action (CREATE, UPDATE, DELETE, …) and the final status. */
  heatAction: string
}

export interface VolumeChange extends ChangeBase<'volume', Volume> {
  /** Server id for attach/detach. */
  serverId?: string
}

export interface NetworkChange extends ChangeBase<'network', Network> {
  subnets: Subnet[]
}

export type WorldChange = NetworkChange | ServerChange | StackChange | VolumeChange

export interface WorldEvents {
  change: [WorldChange]
}

export class World {
  readonly archivePolicies = new Map<string, ArchivePolicy>()
  readonly assignments: RoleAssignment[] = []
  readonly domains = new Map<string, Domain>()
  readonly events = new EventEmitter<WorldEvents>()
  /** Floating IPs by id. */
  readonly floatingIps = new Map<string, FloatingIp>()
  /** Key pairs by `<user id>/<name>`. */
  readonly keyPairs = new Map<string, KeyPair>()
  /** Router interface ports by id. */
  readonly routerPorts = new Map<string, RouterPort>()
  readonly flavors = new Table<Flavor>((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  readonly gnocchiMetrics = new Map<string, GnocchiMetric>()
  /** Per Gnocchi resource type, ascending by id. */
  readonly gnocchiResources = new Map<string, Table<GnocchiResource>>()
  readonly networks = new Table<Network>(byId, (n) => n.projectId)
  readonly projects = new Map<string, Project>()
  readonly rating: RatingPrices = {instanceHourly: new Map(), volumeGibHourly: 0.0002}
  readonly roles = new Map<string, Role>()
  readonly serverGroups = new Map<string, ServerGroup>()
  readonly servers = new Table<Server>(newestFirst, (s) => s.projectId)
  /** Deleted servers kept as tombstones (nova keeps soft-deleted rows: markers and changes-since see them). */
  readonly serverTombstones = new Map<string, Server>()
  readonly stacks = new Table<Stack>(newestFirst, (s) => s.projectId)
  readonly subnets = new Table<Subnet>(byId)
  readonly tokens = new Map<string, Token>()
  tokenTtlSec = 3600
  readonly users = new Map<string, User>()
  readonly volumes = new Table<Volume>(newestFirst, (v) => v.projectId)
  /** Deleted volumes, for rating of the past. */
  readonly volumeTombstones = new Map<string, Volume & {deletedAt: number}>()
  private readonly assignmentIndex = new Map<string, Set<string>>()
  private readonly gnocchiByInstance = new Map<string, GnocchiResource[]>()
  private readonly projectNames = new Map<string, Project>()
  private readonly roleNames = new Map<string, Role>()
  private readonly userNames = new Map<string, User>()

  constructor(readonly now: () => number = Date.now) {}

  addArchivePolicy(p: ArchivePolicy): void {
    this.archivePolicies.set(p.name, p)
  }

  addGnocchiResource(r: GnocchiResource): GnocchiResource {
    this.gnocchiTable(r.type).put(r)
    const instanceId = r.attributes.instance_id
    if (instanceId) {
      let list = this.gnocchiByInstance.get(instanceId)
      if (list === undefined) {
        list = []
        this.gnocchiByInstance.set(instanceId, list)
      }
      list.push(r)
    }
    return r
  }

  addMetric(m: GnocchiMetric): GnocchiMetric {
    this.gnocchiMetrics.set(m.id, m)
    return m
  }

  addProject(p: Project): Project {
    this.projects.set(p.id, p)
    this.projectNames.set(`${p.domainId}/${p.name}`, p)
    return p
  }

  addRole(r: Role): Role {
    this.roles.set(r.id, r)
    this.roleNames.set(r.name, r)
    return r
  }

  addUser(u: User): User {
    this.users.set(u.id, u)
    this.userNames.set(`${u.domainId}/${u.name}`, u)
    return u
  }

  assign(a: RoleAssignment): void {
    const key = `${a.userId}/${a.projectId}`
    let set = this.assignmentIndex.get(key)
    if (set === undefined) {
      set = new Set()
      this.assignmentIndex.set(key, set)
    }
    if (set.has(a.roleId)) return
    set.add(a.roleId)
    this.assignments.push(a)
  }

  /** Take a role away (a token issued afterwards no longer carries it). */
  revoke(a: RoleAssignment): void {
    const set = this.assignmentIndex.get(`${a.userId}/${a.projectId}`)
    if (set === undefined || !set.delete(a.roleId)) return
    const i = this.assignments.findIndex((x) => x.userId === a.userId && x.projectId === a.projectId && x.roleId === a.roleId)
    if (i >= 0) this.assignments.splice(i, 1)
  }

  /** Keystone's `[security_compliance] password_regex` (and its description), when the test sets one. */
  passwordPolicy?: {description: string; regex: RegExp}

  /** Delete a Keystone user and its role assignments (what `DELETE /v3/users/{id}` does). */
  removeUser(id: string): boolean {
    const u = this.users.get(id)
    if (u === undefined) return false
    this.users.delete(id)
    this.userNames.delete(`${u.domainId}/${u.name}`)
    for (const a of this.assignments.filter((x) => x.userId === id)) this.revoke(a)
    return true
  }

  /** Delete a Keystone project and the role assignments on it (what `DELETE /v3/projects/{id}` does). */
  removeProject(id: string): boolean {
    const p = this.projects.get(id)
    if (p === undefined) return false
    this.projects.delete(id)
    this.projectNames.delete(`${p.domainId}/${p.name}`)
    for (const a of this.assignments.filter((x) => x.projectId === id)) this.revoke(a)
    return true
  }

  /** Gnocchi resources whose `instance_id` attribute is this server (disks, NICs). */
  gnocchiOfInstance(instanceId: string): GnocchiResource[] {
    return this.gnocchiByInstance.get(instanceId) ?? []
  }

  gnocchiTable(type: string): Table<GnocchiResource> {
    let t = this.gnocchiResources.get(type)
    if (t === undefined) {
      t = new Table<GnocchiResource>(byId)
      this.gnocchiResources.set(type, t)
    }
    return t
  }

  /** A project by name within a domain (id). */
  projectByName(domainId: string, name: string): Project | undefined {
    return this.projectNames.get(`${domainId}/${name}`)
  }

  roleByName(name: string): Role | undefined {
    return this.roleNames.get(name)
  }

  /** Role ids the user holds on the project. */
  rolesOn(userId: string, projectId: string): Role[] {
    const ids = this.assignmentIndex.get(`${userId}/${projectId}`)
    if (ids === undefined) return []
    return [...ids].map((id) => this.roles.get(id)).filter((r): r is Role => r !== undefined)
  }

  userByName(domainId: string, name: string): User | undefined {
    return this.userNames.get(`${domainId}/${name}`)
  }
}

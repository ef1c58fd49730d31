/**
 * The plan: a value that can be printed, tested and applied (DESIGN §3, Terraform's plan/apply split).
 * Bodies have the shapes of the Concertim client's inputs (`NewTemplate`, `TemplateUpdate`, `NewRack`,
 * `RackUpdate`, `NewDevice`, `DeviceUpdate` in src/lib/concertim/types.ts) so that `apply` passes them
 * through; updates carry only the fields we own that differ.
 */
import type {DeviceStatus, DeviceType, Facing, RackStatus} from './concertim.js'
import type {ObjectKind} from './desired.js'
import type {JsonObject, JsonValue} from './json.js'
import type {Scope} from './scope.js'

export type ActionKind = 'create' | 'delete' | 'update'

export interface FieldChange {
  /** The value in Concertim now (null when absent). */
  from: JsonValue
  /** The value the action writes. */
  to: JsonValue
}

/** Why deletion safety withheld a delete (DESIGN §3). */
export type BlockedCode =
  /** the listings of the scope were incomplete, or a record was partial */
  | 'incomplete'
  /** the rack holds devices we did not make: deleting it would destroy them */
  | 'unmanaged-contents'
  /** neither a 404 from a direct GET nor a miss in the previous complete sync */
  | 'unconfirmed'
  /** more deletes than `maxDeletes` (or than listen's window allows) */
  | 'cap'
  /** the cloud still shows the object (a listing, or a direct GET answering 200) */
  | 'exists'
  /** the OpenStack token is not proven to see every project: its 404s prove nothing */
  | 'visibility'

/** What a direct GET of a deletion candidate's cloud object said. */
export type DirectAnswer =
  /** 404 (or a stack in DELETE_COMPLETE) */
  | 'gone'
  /** 200: it exists */
  | 'exists'
  /** no GET was made (yet) */
  | 'not-asked'
  /** the GET failed (an outage, a refusal), or there is no GET for this kind of object */
  | 'unknown'

/** What a deletion decision does to the object's miss count in the baseline. */
export type MissEffect = 'count' | 'keep' | 'reset'

export interface Blocked {
  code: BlockedCode
  message: string
}

export interface TemplateCreateBody {
  description?: string
  disk?: number
  foreign_id?: string
  height: number
  name: string
  ram?: number
  vcpus?: number
}

export interface TemplateUpdateBody {
  disk?: null | number
  name?: string
  ram?: null | number
  vcpus?: null | number
}

export interface RackCreateBody {
  creation_output?: string
  metadata?: JsonObject
  name?: string
  order_id: string
  status: RackStatus
  team_id: string
  u_height?: number
}

export interface RackUpdateBody {
  creation_output?: null | string
  /** The whole metadata object (Concertim replaces it): ours plus the keys we found there. */
  metadata?: JsonObject
  name?: string
  order_id?: string
  status?: RackStatus
  u_height?: number
}

export interface DeviceCreateBody {
  description?: string
  details: {[column: string]: JsonValue}
  /** `rack_id` is `''` when the rack is created by this plan: `apply` fills it (see `Action.refs`). */
  location: {facing?: Facing; rack_id: string; start_u: number}
  metadata?: JsonObject
  name: string
  status: DeviceStatus
  /** `''` when the template is created by this plan: `apply` fills it (see `Action.refs`). */
  template_id: string
  type: DeviceType
}

export interface DeviceUpdateBody {
  /** Only the columns that changed; without `type` (applied to the existing details row). */
  details?: {[column: string]: JsonValue}
  /** A move within the rack: both keys, as the app requires. */
  location?: {facing: Facing; start_u: number}
  /** The whole metadata object (Concertim replaces it): ours plus the keys we found there. */
  metadata?: JsonObject
  name?: string
  status?: DeviceStatus
}

/**
 * Keys of create actions earlier in the plan whose new Concertim ids `apply` must put into this
 * action's body: `rack` → `location.rack_id`, `template` → `template_id`. If that action failed, this
 * one must be reported failed too ("rack could not be created").
 */
export interface ActionRefs {
  rack?: string
  template?: string
}

interface ActionCommon {
  /** Set when the action cannot be done at all (no template, no room even at 72 U…). Never applied. */
  failed?: string
  blocked?: Blocked
  /** Deletes: the evidence the decision rested on (the direct GET's answer) and its effect on misses. */
  deletion?: {direct: DirectAnswer; misses: MissEffect}
  /** Field → {from, to}: what the action changes (for creates, `from` is null). */
  changes: Readonly<Record<string, FieldChange>>
  cloudId: null | string
  /** The Concertim id of the object; null for creates. */
  concertimId: null | string
  /** The baseline hash of our owned fields once this action succeeded (creates and updates). */
  hash?: string
  key: string
  /** A name for people (the Concertim name, or the one being given). */
  name: string
  reason: string
  refs?: ActionRefs
}

export type TemplateCreate = ActionCommon & {body: null | TemplateCreateBody; kind: 'create'; object: 'template'}
export type TemplateUpdate = ActionCommon & {body: null | TemplateUpdateBody; kind: 'update'; object: 'template'}
export type RackCreate = ActionCommon & {body: null | RackCreateBody; kind: 'create'; object: 'rack'}
export type RackUpdate = ActionCommon & {body: null | RackUpdateBody; kind: 'update'; object: 'rack'}
/** Deletes racks with `?recurse=true`: only when every device in it is ours (else blocked). */
export type RackDelete = ActionCommon & {body: null; kind: 'delete'; object: 'rack'}
/**
 * A device of ours (metadata `openstack_instance_id`) for the same cloud object, in a rack where it
 * does not belong. Concertim cannot move a device between racks: the device is made again in the
 * right rack and this one is deleted by `apply` — only after the action carrying it succeeded, so
 * that the cloud object is never left without a device (a failure in between leaves both: the next
 * run keeps the one in the right rack and deletes this one).
 */
export interface SupersededDevice {
  concertimId: string
  name: string
  rackId: null | string
}

export type DeviceCreate = ActionCommon & {body: DeviceCreateBody | null; kind: 'create'; object: 'device'; supersedes?: readonly SupersededDevice[]}
/** An update with `supersedes` may have an empty body: the device is right, a copy elsewhere goes. */
export type DeviceUpdate = ActionCommon & {body: DeviceUpdateBody | null; kind: 'update'; object: 'device'; supersedes?: readonly SupersededDevice[]}
export type DeviceDelete = ActionCommon & {body: null; kind: 'delete'; object: 'device'}

/**
 * One write. `body` is null for deletes and for failed actions. An action with `failed` or `blocked`
 * set is reported, never applied.
 */
export type Action = DeviceCreate | DeviceDelete | DeviceUpdate | RackCreate | RackDelete | RackUpdate | TemplateCreate | TemplateUpdate

/** Something worth telling the operator that is not a write (height drift, unknown status…). */
export interface Notice {
  key?: string
  message: string
  object?: ObjectKind
}

/** A deletion candidate waiting for confirmation: `observe` may GET it directly and re-plan. */
export interface PendingConfirmation {
  cloudId: string
  /** What to GET: a Heat stack, a Nova server, a Cinder volume, a Neutron network. */
  cloudKind: 'network' | 'server' | 'stack' | 'volume'
  key: string
}

export interface Plan {
  /**
   * Creates and updates in apply order (templates → racks → devices), then deletes (devices → racks).
   * Actions of one phase are independent of each other except through `refs`.
   */
  actions: readonly Action[]
  /** True when more deletes than `maxDeletes` were planned: they are all blocked (`sync` exits 4). */
  deletionCapExceeded: boolean
  /**
   * Listings a direct GET proved wrong this run (it found objects they missed): a problem to report
   * (exit 3); nothing of that kind was deleted on their word.
   */
  inconsistencies: readonly string[]
  /** The cap that applied. */
  maxDeletes: number
  notices: readonly Notice[]
  /** Keys of objects that exist but whose state is unknown (partial records): left as they are. */
  kept: readonly string[]
  /** Every desired object already in agreement (no action needed): key → its Concertim id and owned-fields hash. */
  observed: Readonly<Record<string, ObservedObject>>
  pendingConfirmations: readonly PendingConfirmation[]
  scope: Scope
}

import type {FailureKind} from './problem.js'

export interface ObservedObject {
  concertimId: string
  hash: string
}

/** What `apply` reports for one action it attempted. */
export interface ActionResult {
  /** The id Concertim gave (creates) or the id acted upon. */
  concertimId?: string
  error?: string
  /** Why it failed, typed (an outage passes; a refusal does not). */
  failure?: FailureKind
  key: string
  kind: ActionKind
  object: ObjectKind
  ok: boolean
}

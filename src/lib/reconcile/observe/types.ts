/**
 * What an observation needs (clients, options, the stack cache's entries) and what it gives.
 */
import type {ObservationProblem} from '../../model/problem.js'
import type {ConcertimClient} from '../../concertim/client.js'
import type {KillBillClient} from '../../killbill/client.js'
import type {BillingState} from '../../model/billing.js'
import type {CloudCompleteness, CloudState, Flavor, Network, Server, StackMembership, StackOutput, Volume} from '../../model/cloud.js'
import type {ConcertimState, ConcertimTeam, ConcertimTemplate} from '../../model/concertim.js'
import type {Scope} from '../../model/scope.js'
import type {OpenStack} from '../../openstack/index.js'
import type {Logger} from '../../output/logger.js'
import type {Decode} from '../owned-fields.js'

/** The Concertim reads observe needs (the client, or a test double). */
export type ConcertimReader = Pick<ConcertimClient, 'device' | 'devices' | 'rack' | 'racks' | 'teams' | 'templates'>

export interface ObserveClients {
  concertim: ConcertimReader
  /** Absent when billing is off. */
  killbill?: Pick<KillBillClient, 'findCustomFields' | 'subscription'>
  logger?: Logger
  openstack: Pick<OpenStack, 'cinder' | 'heat' | 'keystone' | 'neutron' | 'nova'>
}

/** An entity's state from a notification (versioned nova, cinder, neutron), and the fields it lacked. */
export type PayloadEntity =
  | {kind: 'network'; record: Network; unknown: readonly string[]}
  | {kind: 'server'; record: Server; unknown: readonly string[]}
  | {kind: 'volume'; record: Volume; unknown: readonly string[]}

/** What a stack's resources and outputs were when last read. */
export interface StackCacheEntry {
  /** The stack's name, status and reason as read with them (absent in entries of older versions). */
  name?: string
  outputs: StackOutput[]
  owner: null | string
  projectId: string
  resources: StackMembership
  status?: string
  statusReason?: null | string
  /** `updated_time` (or `creation_time`) and `stack_status`: when either changes, read again. */
  version: string
}

export interface ObserveOptions {
  /** Heat stacks read at once (and Kill Bill subscriptions). */
  concurrency: number
  /** Decoder of legacy values (rack metadata read to find our racks). */
  decode?: Decode
  /**
   * Scoped observation only: Concertim's teams and templates as recently read (the engine's cache).
   * When given, teams and templates are not read and racks are read one by one by the ids the view
   * store knows, instead of listing everything. Whenever that view might be short (the entity's
   * project has no team in it, a rack the store does not know or that is not what it says, a rack
   * of a team it does not know, a project scope) the full reads are made instead. The observation
   * then says so (`fromCache.concertim`): the caller must re-observe in full before any create, template or
   * rack write or deletion (such a plan may rest on what this view does not show).
   */
  cachedConcertim?: {teams: readonly ConcertimTeam[]; templates: readonly ConcertimTemplate[]}
  /**
   * Scoped observation with `cachedConcertim` only: Nova's flavors as recently listed (the engine's
   * cache). Listed again when the entity's flavor is not among them.
   */
  cachedFlavors?: readonly Flavor[]
  /** The Concertim id the view store knows for a key (scoped observation only): lets it skip the full device listing. */
  knownConcertimId?: (key: string) => Promise<string | undefined>
  /**
   * Scoped observation with `cachedConcertim` only: the stack the view store says owns a device's
   * cloud object. When the stack cache confirms it, the stack is taken from the cache (no Heat
   * listing, no fresh read, no Kill Bill search) and the observation says so (`fromCache`).
   */
  knownOwnerStack?: (key: string) => Promise<string | undefined>
  /**
   * Scoped observation of a server, volume or network with `cachedConcertim` only: the entity as a
   * notification's payload carried it (listen), used instead of a GET. The fields it does not carry
   * (`unknown`: a server's floating IPs, a volume's type…) are taken from its device as Concertim
   * shows it; when there is no such device, or it lacks them, the entity is read after all. The
   * observation then says so (`fromCache`).
   */
  payload?: PayloadEntity
  /** Also list Keystone projects (needed for the `CM_` prefix rule). */
  projects?: boolean
  /** What the resources and outputs of these stacks were when last read (from the view store), by stack id. */
  loadStackCache?: (stackIds: readonly string[]) => Promise<ReadonlyMap<string, StackCacheEntry>>
  scope: Scope
}

export interface Observation {
  billing: BillingState
  cloud: CloudState
  concertim: ConcertimState
  /** Cloud ids a direct GET answered 404 for (scoped observation of an entity that is gone). */
  confirmedGone: Set<string>
  /** Why some part is not known in full (each is also why nothing of that part is deleted). */
  problems: ObservationProblem[]
  /** The stack cache after this observation: entries read now, plus reused ones. */
  stackCache: Map<string, StackCacheEntry>
  /** Heat stacks whose resources were read this time (the others came from the cache). */
  stacksRead: number
  /**
   * Present when some of it came from stand-ins for reads, and which: teams and templates from
   * `cachedConcertim` (only the racks concerned were read), flavors from `cachedFlavors`, the owning
   * stack from the stack cache (see `knownOwnerStack`; Kill Bill is then not asked), the entity from
   * a notification (`payload`). A plan made on it may only update devices; anything else needs a
   * full look.
   */
  fromCache?: {concertim: boolean; flavors: boolean; ownerStack: boolean; payload: boolean}
}

export const ALL_COMPLETE: CloudCompleteness = {flavors: true, networks: true, projects: true, servers: true, stacks: true, volumes: true}

/**
 * observe(scope, clients, options) → what the cloud, Concertim and Kill Bill say (reads only).
 *
 * Everything is read concurrently and to the last page. A cloud listing that fails does not abort
 * the observation: that part is marked incomplete (so that `plan` deletes nothing of it) and the
 * reason is given in `problems`. Concertim is different: without its full state nothing can be
 * planned safely (a create could duplicate), so a failed Concertim read ends the observation.
 *
 * Heat is the costly system: a stack's resources (with nested ones) and outputs are one call each.
 * They are read only for stacks of projects linked to a Concertim team, and only when the stack
 * changed since they were last read (`stackCache`, kept by the engine in the view store, keyed by
 * the update time and status of the stack and of each of its nested stacks — a scaling signal
 * updates only the group's nested stack): a stack tree that did not change has the same resources.
 * A tree that is *_IN_PROGRESS is always read again (its key does not change while Heat works).
 */
import pLimit from 'p-limit'

import type {ConcertimClient} from '../concertim/client.js'
import type {Device, Rack, Team, Template} from '../concertim/types.js'
import type {KillBillClient} from '../killbill/client.js'
import {STACK_ID_FIELD} from '../killbill/types.js'
import type {BillingState} from '../model/billing.js'
import {NO_BILLING} from '../model/billing.js'
import type {CloudCompleteness, CloudState, Flavor, Network, Project, Server, Stack, StackMembership, StackOutput, Volume} from '../model/cloud.js'
import type {ConcertimDevice, ConcertimRack, ConcertimState, ConcertimTeam, ConcertimTemplate} from '../model/concertim.js'
import type {JsonObject, JsonValue} from '../model/json.js'
import {DeviceMetadata} from '../model/metadata.js'
import type {Scope} from '../model/scope.js'
import {isCompleteServer, isEmbeddedFlavor, type OpenStack} from '../openstack/index.js'
import type {CinderVolume, HeatResource, HeatStack, HeatStackDetail, NeutronNetwork, NovaFlavor, NovaPartialServer, NovaServer} from '../openstack/types.js'
import {type ObservationProblem, type ObservedPart, problemOf} from '../model/problem.js'
import type {Logger} from '../output/logger.js'
import {managedRackKey} from './plan.js'
import {standaloneRackKey, stackRackKey} from './desire.js'
import type {Decode} from './owned-fields.js'
import {isInProgress, ownVersion, type TreeVersion, treeVersions} from './stack-tree.js'

/** How deep nested stacks (resource groups, provider templates) are listed with a stack's resources. */
export const NESTED_DEPTH = 3

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

const ALL_COMPLETE: CloudCompleteness = {flavors: true, networks: true, projects: true, servers: true, stacks: true, volumes: true}

// ---------------------------------------------------------------------------------------------
// Mapping of client records to the model's plain types (pure).

export function toFlavor(f: NovaFlavor): Flavor {
  return {disk: f.disk, id: f.id, name: f.name, ram: f.ram, vcpus: f.vcpus}
}

export function toServer(s: NovaServer): Server {
  const fixed: string[] = []
  const floating: string[] = []
  for (const addresses of Object.values(s.addresses ?? {})) {
    for (const a of addresses) {
      if (a['OS-EXT-IPS:type'] === 'floating') floating.push(a.addr)
      else fixed.push(a.addr)
    }
  }
  const flavor = s.flavor
  return {
    fixedIps: fixed,
    flavorId: isEmbeddedFlavor(flavor) ? null : flavor.id,
    ...(isEmbeddedFlavor(flavor) ? {flavorName: flavor.original_name} : {}),
    floatingIps: floating,
    id: s.id,
    keyName: s.key_name ?? null,
    name: s.name,
    networkNames: Object.keys(s.addresses ?? {}),
    powerState: s['OS-EXT-STS:power_state'] ?? null,
    projectId: s.tenant_id,
    status: s.status,
    taskState: s['OS-EXT-STS:task_state'] ?? null,
    vmState: s['OS-EXT-STS:vm_state'] ?? null,
    volumeIds: (s['os-extended-volumes:volumes_attached'] ?? []).map((v) => v.id),
  }
}

/** A down-cell record: it proves the server exists, nothing more. */
export function toPartialServer(s: NovaPartialServer): Server {
  return {
    fixedIps: [],
    flavorId: null,
    floatingIps: [],
    id: s.id,
    keyName: null,
    name: '',
    networkNames: [],
    partial: true,
    powerState: null,
    projectId: s.tenant_id ?? '',
    status: s.status,
    taskState: null,
    vmState: null,
    volumeIds: [],
  }
}

function bool(v: unknown): boolean | null {
  if (typeof v === 'boolean') return v
  if (typeof v === 'string') {
    const t = v.toLowerCase()
    if (t === 'true') return true
    if (t === 'false') return false
  }
  return null
}

export function toVolume(v: CinderVolume): Volume {
  return {
    attachments: (v.attachments ?? []).map((a) => ({device: a.device ?? null, serverId: a.server_id})),
    availabilityZone: v.availability_zone ?? null,
    bootable: bool(v.bootable),
    encrypted: bool(v.encrypted),
    id: v.id,
    name: v.name ?? null,
    projectId: v['os-vol-tenant-attr:tenant_id'] ?? null,
    size: typeof v.size === 'number' ? v.size : null,
    status: v.status,
    volumeType: v.volume_type ?? null,
  }
}

export function toNetwork(n: NeutronNetwork): Network {
  return {
    adminStateUp: typeof n.admin_state_up === 'boolean' ? n.admin_state_up : null,
    id: n.id,
    l2Adjacency: typeof n.l2_adjacency === 'boolean' ? n.l2_adjacency : null,
    mtu: typeof n.mtu === 'number' ? n.mtu : null,
    name: n.name ?? '',
    portSecurityEnabled: typeof n.port_security_enabled === 'boolean' ? n.port_security_enabled : null,
    projectId: n.project_id ?? n.tenant_id ?? null,
    shared: typeof n.shared === 'boolean' ? n.shared : null,
    status: n.status,
  }
}

/** The outputs of a stack show (`outputs` of `GET /stacks/{name}/{id}`, values resolved). */
export function toStackOutputs(detail: Pick<HeatStackDetail, 'outputs'>): StackOutput[] {
  return (detail.outputs ?? []).map((o) => ({
    description: o.description ?? null,
    key: o.output_key,
    value: (o.output_value ?? null) as JsonValue,
    ...(o.output_error === undefined ? {} : {error: o.output_error}),
  }))
}

/**
 * What a stack owns, from its resources listed with `nested_depth` (resource group members come as
 * resources of the nested stacks): servers, volumes and networks; server groups are resolved into
 * their members by `groupMembers`. A resource without a physical id (not created yet) is skipped.
 */
export function membershipOf(resources: readonly HeatResource[], groupMembers: ReadonlyMap<string, readonly string[]> = new Map()): StackMembership {
  const servers = new Set<string>()
  const volumes = new Set<string>()
  const networks = new Set<string>()
  for (const r of resources) {
    const id = r.physical_resource_id
    if (id === undefined || id === null || id === '') continue
    switch (r.resource_type) {
      case 'OS::Nova::Server': {
        servers.add(id)
        break
      }
      case 'OS::Nova::ServerGroup': {
        for (const m of groupMembers.get(id) ?? []) servers.add(m)
        break
      }
      case 'OS::Cinder::Volume': {
        volumes.add(id)
        break
      }
      case 'OS::Neutron::Net':
      case 'OS::Neutron::ProviderNet': {
        networks.add(id)
        break
      }
      default:
    }
  }
  return {networks: [...networks].sort(), servers: [...servers].sort(), volumes: [...volumes].sort()}
}

/** A stack's own version (see `treeVersions` for a top-level stack with nested ones). */
export function stackVersion(s: Pick<HeatStack, 'creation_time' | 'stack_status' | 'updated_time'>): string {
  return ownVersion(s)
}

export function toConcertimTeam(t: Team): ConcertimTeam {
  return {billingAcctId: t.billing_acct_id, id: t.id, name: t.name, projectId: t.project_id}
}

export function toConcertimTemplate(t: Template): ConcertimTemplate {
  return {description: t.description, disk: t.disk, foreignId: t.foreign_id, height: t.height, id: t.id, name: t.name, ram: t.ram, tag: t.tag, vcpus: t.vcpus}
}

export function toConcertimRack(r: Rack): ConcertimRack {
  return {
    creationOutput: r.creation_output,
    id: r.id,
    metadata: r.metadata,
    name: r.name,
    orderId: r.order_id,
    status: r.status,
    teamId: r.owner.id,
    uHeight: r.u_height,
  }
}

export function toConcertimDevice(d: Device, rackId?: string): ConcertimDevice {
  const loc = d.location as Device['location'] | null | undefined
  const valid = loc !== null && loc !== undefined && typeof loc.start_u === 'number' && typeof loc.end_u === 'number'
  return {
    description: d.description,
    details: {...(d.details as unknown as JsonObject)},
    id: d.id,
    location: valid ? {endU: loc.end_u, facing: loc.facing === 'b' ? 'b' : 'f', startU: loc.start_u} : null,
    metadata: d.metadata,
    name: d.name,
    rackId: (valid && typeof loc.rack_id === 'string' && loc.rack_id !== '' ? loc.rack_id : undefined) ?? rackId ?? null,
    status: d.status,
    templateId: d.template_id === 'undefined' || d.template_id === '' ? null : d.template_id,
    type: d.type,
  }
}

// ---------------------------------------------------------------------------------------------

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

const LISTED_PART: Readonly<Record<string, ObservedPart>> = {'cinder volume': 'volumes', 'heat stack': 'stacks', 'keystone project': 'projects', 'neutron network': 'networks', 'nova flavor': 'flavors'}

/** A listing that may fail: its items, or [] and a problem. */
async function listing<T>(what: string, problems: ObservationProblem[], fn: () => Promise<T[]>): Promise<{complete: boolean; items: T[]}> {
  try {
    return {complete: true, items: await fn()}
  } catch (error) {
    problems.push(problemOf(LISTED_PART[what] ?? 'stacks', error, `the ${what} listing failed: ${message(error)}`))
    return {complete: false, items: []}
  }
}

type StackRead =
  /** Read now (`fresh`) or reused from the cache. */
  | {entry: StackCacheEntry; fresh: boolean; outcome: 'ok'}
  /** Heat says 404: the stack went away while being read. */
  | {outcome: 'gone'}
  /** It could not be read: nothing of it is known (and nothing is deleted this run). */
  | {outcome: 'failed'}

class HeatReader {
  read = 0

  private cache: ReadonlyMap<string, StackCacheEntry> = new Map()

  constructor(
    private readonly clients: ObserveClients,
    private readonly loader: ObserveOptions['loadStackCache'],
    private readonly problems: ObservationProblem[],
  ) {}

  /** Load the cache entries of these stacks (once per observation). */
  async prepare(stackIds: readonly string[]): Promise<void> {
    if (this.loader === undefined || stackIds.length === 0) return
    try {
      this.cache = await this.loader(stackIds)
    } catch (error) {
      this.clients.logger?.warn(`the stack cache could not be read (${message(error)}): every stack is read again`)
    }
  }

  /** The cache entry of a stack as loaded by `prepare`. */
  cached(stackId: string): StackCacheEntry | undefined {
    return this.cache.get(stackId)
  }

  /**
   * Resources and outputs of a stack, from the cache when its tree did not change (`tree`: its
   * version with its nested stacks' folded in, from a listing with them) and is not in progress.
   */
  async membership(stack: HeatStack, opts: {fresh?: boolean; tree?: TreeVersion} = {}): Promise<StackRead> {
    const version = opts.tree?.version ?? stackVersion(stack)
    const settled = !isInProgress(stack.stack_status) && opts.tree?.inProgress !== true
    const cached = this.cache.get(stack.id)
    if (opts.fresh !== true && settled && cached !== undefined && cached.version === version) {
      // Name, status and reason as the listing gives them now (entries of older versions lack them).
      return {entry: {...cached, name: stack.stack_name, status: stack.stack_status, statusReason: stack.stack_status_reason ?? null}, fresh: false, outcome: 'ok'}
    }
    const heat = this.clients.openstack.heat
    this.read++
    try {
      const ref = {id: stack.id, stack_name: stack.stack_name}
      const [detail, resources] = await Promise.all([heat.getStack(ref), heat.listResources(ref, {nestedDepth: NESTED_DEPTH})])
      if (detail === null || resources === null) {
        this.clients.logger?.debug({stack: stack.id}, 'stack vanished while being read')
        return {outcome: 'gone'}
      }
      const groups = resources.filter((r) => r.resource_type === 'OS::Nova::ServerGroup' && r.physical_resource_id !== '')
      const members = new Map<string, readonly string[]>()
      await Promise.all(
        groups.map(async (g) => {
          const res = await this.clients.openstack.keystone.request<{server_group: {members?: string[]}}>('compute', {accept: [404], url: `os-server-groups/${encodeURIComponent(g.physical_resource_id)}`})
          members.set(g.physical_resource_id, res.status === 404 ? [] : (res.data.server_group.members ?? []))
        }),
      )
      const projectId = stack.project ?? detail.parameters?.['OS::project_id'] ?? ''
      return {
        entry: {
          name: detail.stack_name,
          outputs: toStackOutputs(detail),
          owner: detail.stack_owner ?? stack.stack_owner ?? null,
          projectId,
          resources: membershipOf(resources, members),
          status: detail.stack_status,
          statusReason: detail.stack_status_reason ?? null,
          version,
        },
        fresh: true,
        outcome: 'ok',
      }
    } catch (error) {
      this.problems.push(problemOf('stack', error, `stack ${stack.id} (${stack.stack_name}) could not be read: ${message(error)}; no rack or device is deleted this run`, stack.id))
      return {outcome: 'failed'}
    }
  }
}

function toStack(s: HeatStack, entry: StackCacheEntry, tree?: TreeVersion): Stack {
  const inProgress = isInProgress(s.stack_status) || tree?.inProgress === true
  return {
    id: s.id,
    ...(inProgress ? {inProgress} : {}),
    name: s.stack_name,
    outputs: entry.outputs,
    owner: entry.owner ?? s.stack_owner ?? null,
    projectId: s.project ?? entry.projectId,
    resources: entry.resources,
    resourcesComplete: true,
    status: s.stack_status,
    statusReason: s.stack_status_reason ?? null,
  }
}

interface ConcertimBase {
  racks: ConcertimRack[]
  teams: ConcertimTeam[]
  templates: ConcertimTemplate[]
}

async function readConcertimBase(c: ConcertimReader): Promise<ConcertimBase> {
  const [teams, templates, racks] = await Promise.all([c.teams(), c.templates(), c.racks()])
  return {racks: racks.map((r) => toConcertimRack(r)), teams: teams.map((t) => toConcertimTeam(t)), templates: templates.map((t) => toConcertimTemplate(t))}
}

/**
 * Stack id → ids of its ACTIVE Kill Bill subscriptions. One search for every custom field
 * `openstack_stack_id` (or one per stack when scoped); a subscription is fetched (to see its state)
 * only when the answer is not already what the rack carries.
 */
async function readBilling(
  kb: NonNullable<ObserveClients['killbill']>,
  stackIds: readonly string[] | 'all',
  orderOf: ReadonlyMap<string, null | string>,
  concurrency: number,
  problems: ObservationProblem[],
): Promise<BillingState> {
  try {
    const fields =
      stackIds === 'all'
        ? await kb.findCustomFields({name: STACK_ID_FIELD, objectType: 'SUBSCRIPTION'}, 1000)
        : (await Promise.all(stackIds.map(async (id) => kb.findCustomFields({name: STACK_ID_FIELD, objectType: 'SUBSCRIPTION', value: id}, 1000)))).flat()
    const tagged = new Map<string, Set<string>>()
    for (const f of fields) {
      if (f.objectId === undefined || f.value === '') continue
      const set = tagged.get(f.value) ?? new Set<string>()
      set.add(f.objectId)
      tagged.set(f.value, set)
    }
    const limit = pLimit(concurrency)
    const out = new Map<string, readonly string[]>()
    await Promise.all(
      [...tagged].map(async ([stackId, ids]) =>
        limit(async () => {
          const list = [...ids].sort()
          if (list.length === 1 && orderOf.get(stackId) === list[0]) {
            out.set(stackId, list)
            return
          }
          const subs = await Promise.all(list.map(async (id) => kb.subscription(id)))
          out.set(
            stackId,
            subs.filter((s) => s !== null && (s.state === undefined || s.state === 'ACTIVE')).map((s) => (s as {subscriptionId: string}).subscriptionId),
          )
        }),
      ),
    )
    return {enabled: true, subscriptionsByStack: out}
  } catch (error) {
    problems.push(problemOf('billing', error, `Kill Bill could not be read (${message(error)}): new racks get a provisional order id until it can`))
    return {enabled: true, subscriptionsByStack: new Map()}
  }
}

// ---------------------------------------------------------------------------------------------

/** Observe everything (scope `all`) or what one entity needs. */
export async function observe(clients: ObserveClients, options: ObserveOptions): Promise<Observation> {
  return options.scope.kind === 'all' ? observeAll(clients, options) : observeScoped(clients, options)
}

async function observeAll(clients: ObserveClients, options: ObserveOptions): Promise<Observation> {
  const os = clients.openstack
  const problems: ObservationProblem[] = []
  const heat = new HeatReader(clients, options.loadStackCache, problems)

  const concertimBase = readConcertimBase(clients.concertim)
  const devicesP = clients.concertim.devices()
  // Do not leave a rejection unhandled while the cloud is read.
  concertimBase.catch(() => undefined)
  devicesP.catch(() => undefined)

  const [flavors, projects, stacks, servers, volumes, networks] = await Promise.all([
    listing('nova flavor', problems, async () => os.nova.listFlavors()),
    options.projects === true ? listing('keystone project', problems, async () => (await os.keystone.listProjects()).items) : Promise.resolve({complete: true, items: []}),
    listing('heat stack', problems, async () => os.heat.listStacks({globalTenant: true, showNested: true})),
    (async () => {
      try {
        const l = await os.nova.listServers()
        if (!l.complete) problems.push({kind: 'partial', message: `nova returned ${l.partial.length} partial server record(s) (a cell is down): no server is deleted`, part: 'servers', system: 'nova'})
        return {complete: true, items: [...l.servers.map((s) => toServer(s)), ...l.partial.map((s) => toPartialServer(s))]}
      } catch (error) {
        problems.push(problemOf('servers', error, `the nova server listing failed: ${message(error)}`))
        return {complete: false, items: [] as Server[]}
      }
    })(),
    listing('cinder volume', problems, async () => os.cinder.listVolumes()),
    listing('neutron network', problems, async () => os.neutron.listNetworks()),
  ])
  const base = await concertimBase
  const linked = new Set(base.teams.map((t) => t.projectId).filter((p): p is string => p !== null && p !== ''))

  const limit = pLimit(Math.max(1, options.concurrency))
  const stackCache = new Map<string, StackCacheEntry>()
  const topLevel = stacks.items.filter((s) => s.parent === undefined || s.parent === null)
  const trees = treeVersions(stacks.items)
  await heat.prepare(topLevel.map((s) => s.id))
  let stacksComplete = stacks.complete
  const modelStacks: Stack[] = []
  await Promise.all(
    topLevel.map(async (s) => {
      // Stacks of projects no team shows are not needed (their project id is in the listing for admins).
      if (s.project !== undefined && s.project !== null && !linked.has(s.project)) {
        modelStacks.push(toStack(s, {outputs: [], owner: s.stack_owner ?? null, projectId: s.project, resources: {networks: [], servers: [], volumes: []}, version: ''}))
        return
      }
      const tree = trees.get(s.id)
      const read = await limit(async () => heat.membership(s, {tree}))
      if (read.outcome === 'failed') stacksComplete = false
      if (read.outcome !== 'ok') return
      stackCache.set(s.id, read.entry)
      modelStacks.push(toStack(s, read.entry, tree))
    }),
  )
  const devices = (await devicesP).map((d) => toConcertimDevice(d))

  let billing: BillingState = NO_BILLING
  if (clients.killbill !== undefined) {
    const orderOf = new Map<string, null | string>()
    for (const r of base.racks) {
      const key = managedRackKey(r, options.decode)
      if (key !== null) orderOf.set(key.slice('rack:'.length), r.orderId)
    }
    billing = await readBilling(clients.killbill, 'all', orderOf, options.concurrency, problems)
  }

  return {
    billing,
    cloud: {
      complete: {flavors: flavors.complete, networks: networks.complete, projects: projects.complete, servers: servers.complete, stacks: stacksComplete, volumes: volumes.complete},
      flavors: flavors.items.map((f) => toFlavor(f)),
      networks: networks.items.map((n) => toNetwork(n)),
      projects: projects.items.map((p): Project => ({id: p.id, name: p.name})),
      servers: servers.items,
      stacks: modelStacks,
      volumes: volumes.items.map((v) => toVolume(v)),
    },
    concertim: {...base, devices},
    confirmedGone: new Set(),
    problems,
    stackCache,
    stacksRead: heat.read,
  }
}

/** A stack by id alone (Heat redirects `/stacks/{id}` to `/stacks/{name}/{id}`), or null on 404. */
async function stackById(os: ObserveClients['openstack'], id: string): Promise<HeatStackDetail | null> {
  const res = await os.keystone.request<{stack: HeatStackDetail}>('orchestration', {accept: [404], url: `stacks/${encodeURIComponent(id)}`})
  if (res.status === 404) return null
  const s = res.data.stack
  return s.stack_status === 'DELETE_COMPLETE' ? null : s
}

/** How many parents up a nested stack is followed (Heat's own `max_nested_stack_depth` default is 5). */
const MAX_NESTING = 10

/**
 * The top-level stack of a stack (itself when it has no `parent`), by following `parent` up with
 * GETs, as a controller maps a child object to its owner. Null when the stack, or a stack above it,
 * is gone (404 or DELETE_COMPLETE).
 */
export async function topLevelStack(os: ObserveClients['openstack'], id: string): Promise<HeatStackDetail | null> {
  let s = await stackById(os, id)
  for (let depth = 0; s !== null && s.parent !== undefined && s.parent !== null && s.parent !== '' && depth < MAX_NESTING; depth++) s = await stackById(os, s.parent)
  return s
}

/**
 * One entity (listen): a server, volume or network (by GET), the stack that owns it (found among the
 * stacks of its project), a stack (its top-level stack, for a nested one) with what it owns, or a
 * whole project. With cached teams and templates only the Concertim devices of the racks concerned
 * are read, plus the entity's own device (by the id the view store knows, or from the full device
 * listing when the store does not know it: never a duplicate); the full look of a stack or project
 * reads every device (a device for one of its cloud objects may be in another rack).
 */
async function observeScoped(clients: ObserveClients, options: ObserveOptions): Promise<Observation> {
  const scope = options.scope
  if (scope.kind === 'all') throw new Error('observeScoped needs a scope of one entity')
  const os = clients.openstack
  const problems: ObservationProblem[] = []
  const confirmedGone = new Set<string>()
  const heat = new HeatReader(clients, options.loadStackCache, problems)
  const cached = scope.kind === 'project' || options.knownConcertimId === undefined ? undefined : options.cachedConcertim
  let concertimBase: Promise<ConcertimBase> | undefined
  const readFull = (): Promise<ConcertimBase> => {
    if (concertimBase === undefined) {
      concertimBase = readConcertimBase(clients.concertim)
      concertimBase.catch(() => undefined)
    }
    return concertimBase
  }
  if (cached === undefined) void readFull()

  const listFlavors = async (): Promise<{complete: boolean; items: Flavor[]}> => {
    const l = await listing('nova flavor', problems, async () => os.nova.listFlavors())
    return {complete: l.complete, items: l.items.map((f) => toFlavor(f))}
  }
  const cachedFlavors = cached === undefined ? undefined : options.cachedFlavors
  let flavorsP = cachedFlavors === undefined ? listFlavors() : Promise.resolve({complete: true, items: [...cachedFlavors]})
  let projectId: null | string = null
  let entityServer: Server | undefined
  let entityVolume: Volume | undefined
  let entityNetwork: Network | undefined
  let scopedStack: HeatStackDetail | undefined
  /** The entity as its notification carried it (the fields it lacks are taken from its device below). */
  const given = cached !== undefined && options.payload?.kind === scope.kind && options.payload.record.id === scope.id ? options.payload : undefined
  let fromPayload = false
  /** An entity read by GET: the record, or (404) noted as gone. */
  const found = <T>(record: null | T): T | undefined => {
    if (record === null) confirmedGone.add(scope.id)
    return record ?? undefined
  }

  switch (scope.kind) {
    case 'server': {
      fromPayload = given?.kind === 'server' && given.record.projectId !== ''
      entityServer = given?.kind === 'server' && fromPayload ? {...given.record} : found(await readServer(os, scope.id))
      if (entityServer !== undefined) projectId = entityServer.projectId === '' ? null : entityServer.projectId
      break
    }
    case 'volume': {
      fromPayload = given?.kind === 'volume' && given.record.projectId !== null
      entityVolume = given?.kind === 'volume' && fromPayload ? {...given.record} : found(await readVolume(os, scope.id))
      if (entityVolume !== undefined) projectId = entityVolume.projectId
      break
    }
    case 'network': {
      fromPayload = given?.kind === 'network' && given.record.projectId !== null
      entityNetwork = given?.kind === 'network' && fromPayload ? {...given.record} : found(await readNetwork(os, scope.id))
      if (entityNetwork !== undefined) projectId = entityNetwork.projectId
      break
    }
    case 'stack': {
      // A nested stack (a group's member stack) is its top-level stack's: that one rack is reconciled.
      const s = await topLevelStack(os, scope.id)
      if (s === null) confirmedGone.add(scope.id)
      else {
        scopedStack = s
        projectId = s.project ?? s.parameters?.['OS::project_id'] ?? null
      }
      break
    }
    case 'project': {
      projectId = scope.id
      break
    }
  }

  // A project the cached teams do not link: the team may be new (refresh on miss).
  if (cached !== undefined && projectId !== null && !cached.teams.some((t) => t.projectId === projectId)) void readFull()
  // A flavor the cached ones do not have: it may be new (refresh on miss).
  let flavorsFromCache = cachedFlavors !== undefined
  if (cachedFlavors !== undefined && entityServer !== undefined && !hasFlavorOf(cachedFlavors, entityServer)) {
    flavorsP = listFlavors()
    flavorsFromCache = false
  }
  const entityKey = scope.kind === 'server' || scope.kind === 'volume' || scope.kind === 'network' ? `device:${scope.id}` : undefined

  // The stack that owns the entity, as the view store and the stack cache know it (see `knownOwnerStack`).
  let ownerFromCache: {entry: StackCacheEntry; id: string} | undefined
  if (cached !== undefined && entityKey !== undefined && projectId !== null && options.knownOwnerStack !== undefined && !confirmedGone.has(scope.id)) {
    const stackId = await options.knownOwnerStack(entityKey)
    if (stackId !== undefined) {
      await heat.prepare([stackId])
      const entry = heat.cached(stackId)
      if (entry?.name !== undefined && entry.status !== undefined && entry.projectId === projectId && ownsEntity(entry.resources, scope.id)) ownerFromCache = {entry, id: stackId}
    }
  }

  // The stacks concerned, with what they own.
  const stacks: Stack[] = []
  const stacksInProgressOf = new Set<string>()
  const stackCache = new Map<string, StackCacheEntry>()
  let stacksComplete = true
  const limit = pLimit(Math.max(1, options.concurrency))
  if (ownerFromCache !== undefined) {
    const {entry, id} = ownerFromCache
    stackCache.set(id, entry)
    const detail: HeatStack = {creation_time: '', id, project: entry.projectId, stack_name: entry.name ?? '', stack_owner: entry.owner, stack_status: entry.status ?? '', stack_status_reason: entry.statusReason ?? null}
    stacks.push(toStack(detail, entry))
  } else if (scopedStack !== undefined) {
    const read = await heat.membership(scopedStack, {fresh: true})
    if (read.outcome === 'failed') stacksComplete = false
    else if (read.outcome === 'gone') confirmedGone.add(scopedStack.id)
    else {
      stackCache.set(scopedStack.id, read.entry)
      stacks.push(toStack({...scopedStack, project: projectId ?? undefined}, read.entry))
    }
  } else if (projectId !== null) {
    // With the nested stacks: their versions are folded into their top-level stack's (see `treeVersions`).
    const list = await listing('heat stack', problems, async () => os.heat.listStacks({globalTenant: true, projectId: projectId ?? undefined, showNested: true}))
    stacksComplete = list.complete
    const entity = scope.kind === 'project' ? undefined : scope.id
    const trees = treeVersions(list.items)
    const tops = list.items.filter((s) => (s.parent === undefined || s.parent === null) && (s.project === undefined || s.project === projectId))
    await heat.prepare(tops.map((s) => s.id))
    const read = await Promise.all(tops.map(async (s) => limit(async () => ({r: await heat.membership(s, {tree: trees.get(s.id)}), s}))))
    for (const {r, s} of read) {
      if (r.outcome === 'failed') stacksComplete = false
      if (r.outcome !== 'ok') continue
      stackCache.set(s.id, r.entry)
      const tree = trees.get(s.id)
      const owns = entity !== undefined && ownsEntity(r.entry.resources, entity)
      if (scope.kind === 'project') stacks.push(toStack({...s, project: projectId}, r.entry, tree))
      else if (owns) {
        // The owner is read fresh so that its rack is shown as it is now.
        const again = r.fresh ? r : await heat.membership(s, {fresh: true, tree})
        if (again.outcome === 'ok') {
          stackCache.set(s.id, again.entry)
          stacks.push(toStack({...s, project: projectId}, again.entry, tree))
        } else if (again.outcome === 'failed') stacksComplete = false
      } else if (projectId !== null && (tree?.inProgress === true || isInProgress(s.stack_status))) {
        // Heat is still building it: it may own the entity without listing it yet (never placed stand-alone meanwhile).
        stacksInProgressOf.add(projectId)
      }
    }
  }

  // Servers, volumes and networks concerned.
  const owned = (pick: (m: StackMembership) => readonly string[]) => new Set(stacks.flatMap((s) => pick(s.resources)))
  let servers: Server[] = []
  let volumes: Volume[] = []
  let networks: Network[] = []
  const complete: CloudCompleteness = {...ALL_COMPLETE}
  if (scope.kind === 'stack' || scope.kind === 'project') {
    if (projectId !== null) {
      const pid = projectId
      const [sv, vl, nw] = await Promise.all([
        (async () => {
          try {
            const l = await os.nova.listServers({projectId: pid})
            return {complete: l.complete, items: [...l.servers.map((s) => toServer(s)), ...l.partial.map((s) => toPartialServer(s))]}
          } catch (error) {
            problems.push(problemOf('servers', error, `the nova server listing failed: ${message(error)}`))
            return {complete: false, items: [] as Server[]}
          }
        })(),
        listing('cinder volume', problems, async () => (await os.cinder.listVolumes({projectId: pid})).map((v) => toVolume(v))),
        listing('neutron network', problems, async () => (await os.neutron.listNetworks({projectId: pid})).map((n) => toNetwork(n))),
      ])
      Object.assign(complete, {networks: nw.complete, servers: sv.complete, volumes: vl.complete})
      if (scope.kind === 'stack') {
        const sIds = owned((m) => m.servers)
        const vIds = owned((m) => m.volumes)
        const nIds = owned((m) => m.networks)
        servers = sv.items.filter((s) => sIds.has(s.id))
        volumes = vl.items.filter((v) => vIds.has(v.id))
        networks = nw.items.filter((n) => nIds.has(n.id))
      } else {
        servers = sv.items
        volumes = vl.items
        networks = nw.items
      }
    }
  } else {
    if (entityServer !== undefined) servers = [entityServer]
    if (entityVolume !== undefined) volumes = [entityVolume]
    if (entityNetwork !== undefined) networks = [entityNetwork]
    // Other members of the owning stack are not observed: they are neither created nor deleted.
    if (scope.kind !== 'server') complete.servers = false
    if (scope.kind !== 'volume') complete.volumes = false
    if (scope.kind !== 'network') complete.networks = false
  }

  const flavors = await flavorsP
  complete.flavors = flavors.complete
  complete.stacks = stacksComplete
  // Concertim devices: those of the racks concerned, and the entity's own.
  const rackKeys = new Set<string>(stacks.map((s) => stackRackKey(s.id)))
  if (scope.kind === 'stack') rackKeys.add(stackRackKey(scope.id))
  if (projectId !== null) rackKeys.add(standaloneRackKey(projectId))

  // With cached teams and templates: the racks concerned by the ids the store knows (with their devices).
  let fetched: Array<Rack | null> | undefined
  let base: ConcertimBase
  if (concertimBase === undefined && cached !== undefined) {
    const known = options.knownConcertimId
    const ids = await Promise.all([...rackKeys].map(async (k) => ({id: await known?.(k), k})))
    const stored = ids.filter((e): e is {id: string; k: string} => e.id !== undefined)
    const got = await Promise.all(stored.map(async (e) => limit(async () => clients.concertim.rack(e.id))))
    const teamIds = new Set(cached.teams.map((t) => t.id))
    const trustworthy = got.every((r, i) => r !== null && managedRackKey(toConcertimRack(r), options.decode) === stored[i].k && teamIds.has(r.owner.id))
    if (trustworthy) {
      fetched = got
      base = {racks: got.map((r) => toConcertimRack(r as Rack)), teams: [...cached.teams], templates: [...cached.templates]}
    } else base = await readFull()
  } else base = await readFull()

  const teamIdsOfProject = new Set(base.teams.filter((t) => t.projectId !== null && t.projectId === projectId).map((t) => t.id))
  const racks = base.racks.filter((r) => {
    const key = managedRackKey(r, options.decode)
    return (key !== null && rackKeys.has(key)) || (scope.kind === 'project' && teamIdsOfProject.has(r.teamId))
  })
  let devices: ConcertimDevice[] = []
  const known = entityKey === undefined || options.knownConcertimId === undefined ? undefined : await options.knownConcertimId(entityKey)
  // The full look of a stack or project (what a plan that creates devices needs): every device, so that
  // one already made for a cloud object, in whatever rack, is found (never a duplicate).
  const fullLook = fetched === undefined && (scope.kind === 'stack' || scope.kind === 'project')
  if ((entityKey !== undefined && known === undefined) || fullLook) {
    devices = (await clients.concertim.devices()).map((d) => toConcertimDevice(d))
  } else {
    const fromRacks = fetched ?? (await Promise.all(racks.map(async (r) => limit(async () => clients.concertim.rack(r.id)))))
    const byId = new Map<string, ConcertimDevice>()
    fromRacks.forEach((r, i) => {
      for (const d of r?.devices ?? []) byId.set(d.id, toConcertimDevice(d, racks[i].id))
    })
    if (known !== undefined && !byId.has(known)) {
      const d = await clients.concertim.device(known)
      if (d !== null) byId.set(d.id, toConcertimDevice(d))
    }
    devices = [...byId.values()]
  }

  // An entity from a notification: what the payload lacks comes from its device, or it is read after all.
  let payloadUsed = false
  if (fromPayload && given !== undefined) {
    const own = devices.find((d) => d.metadata[DeviceMetadata.instanceId] === scope.id)
    const entity = given.kind === 'server' ? entityServer : given.kind === 'volume' ? entityVolume : entityNetwork
    if (own !== undefined && entity !== undefined && completeFromDevice({kind: given.kind, record: entity} as PayloadEntity, given.unknown, own, options.decode)) payloadUsed = true
    else if (given.kind === 'server') servers = [found(await readServer(os, scope.id))].filter((x) => x !== undefined)
    else if (given.kind === 'volume') volumes = [found(await readVolume(os, scope.id))].filter((x) => x !== undefined)
    else networks = [found(await readNetwork(os, scope.id))].filter((x) => x !== undefined)
  }

  const fromCache = {concertim: fetched !== undefined, flavors: flavorsFromCache, ownerStack: ownerFromCache !== undefined, payload: payloadUsed}
  let billing: BillingState = NO_BILLING
  // The owning stack came from the cache: Kill Bill is not asked (only devices are recorded then).
  if (clients.killbill !== undefined && fromCache.ownerStack) billing = {enabled: true, subscriptionsByStack: new Map()}
  else if (clients.killbill !== undefined && stacks.length > 0) {
    const orderOf = new Map<string, null | string>()
    for (const r of base.racks) {
      const key = managedRackKey(r, options.decode)
      if (key !== null) orderOf.set(key.slice('rack:'.length), r.orderId)
    }
    billing = await readBilling(clients.killbill, stacks.map((s) => s.id), orderOf, options.concurrency, problems)
  } else if (clients.killbill !== undefined) billing = {enabled: true, subscriptionsByStack: new Map()}

  return {
    billing,
    cloud: {complete, flavors: flavors.items, networks, projects: [], servers, stacks, ...(stacksInProgressOf.size > 0 ? {stacksInProgressOf: [...stacksInProgressOf]} : {}), volumes},
    concertim: {...base, devices},
    confirmedGone,
    ...(Object.values(fromCache).some(Boolean) ? {fromCache} : {}),
    problems,
    stackCache,
    stacksRead: heat.read,
  }
}

/** Where a device keeps what a payload may lack, by entity kind: field → details column and how to read it. */
const COLUMNS_OF: Readonly<Record<PayloadEntity['kind'], Readonly<Record<string, readonly [column: string, read: (v: JsonValue) => unknown]>>>> = {
  network: {},
  server: {
    floatingIps: [
      'public_ips',
      (v) =>
        typeof v === 'string'
          ? v
              .split(',')
              .map((x) => x.trim())
              .filter((x) => x !== '')
          : Array.isArray(v) && v.every((x) => typeof x === 'string')
            ? v
            : undefined,
    ],
    volumeIds: ['volume_details', (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined)],
  },
  volume: {
    bootable: ['bootable', (v) => (typeof v === 'boolean' ? v : undefined)],
    encrypted: ['encrypted', (v) => (typeof v === 'boolean' ? v : undefined)],
    volumeType: ['volume_type', (v) => (typeof v === 'string' ? v : undefined)],
  },
}

/**
 * Fill in the fields a notification's payload lacks from the entity's device as Concertim shows it
 * (what the last reconcile wrote): a server's floating IPs from `public_ips` and volumes from
 * `volume_details`, a volume's `bootable`, `encrypted`, `volume_type`. False when the device does not
 * have one of them (the entity must then be read).
 */
export function completeFromDevice(entity: PayloadEntity, unknown: readonly string[], device: ConcertimDevice, decode: Decode = (v) => v): boolean {
  const columns = COLUMNS_OF[entity.kind]
  const record = entity.record as unknown as Record<string, unknown>
  for (const field of unknown) {
    const spec = columns[field]
    if (spec === undefined) return false
    const raw = device.details[spec[0]]
    if (raw === undefined) return false
    const value = spec[1](typeof raw === 'string' ? decode(raw) : raw)
    if (value === undefined) return false
    record[field] = value
  }
  return true
}

/** A server, volume or network by GET, as the model's record; null when its API says 404. */
async function readServer(os: ObserveClients['openstack'], id: string): Promise<null | Server> {
  const s = await os.nova.getServer(id)
  return s === null ? null : isCompleteServer(s) ? toServer(s) : toPartialServer(s)
}

async function readVolume(os: ObserveClients['openstack'], id: string): Promise<null | Volume> {
  const v = await os.cinder.getVolume(id)
  return v === null ? null : toVolume(v)
}

async function readNetwork(os: ObserveClients['openstack'], id: string): Promise<null | Network> {
  const n = await os.neutron.getNetwork(id)
  return n === null ? null : toNetwork(n)
}

/** Whether a stack's resources include a server, volume or network. */
function ownsEntity(m: StackMembership, id: string): boolean {
  return m.servers.includes(id) || m.volumes.includes(id) || m.networks.includes(id)
}

/** Whether a list of flavors has the server's (by id, or by name when the server embeds its flavor). */
function hasFlavorOf(flavors: readonly Flavor[], server: Server): boolean {
  if (server.flavorId !== null) return flavors.some((f) => f.id === server.flavorId)
  return server.flavorName === undefined || server.flavorName === null || flavors.some((f) => f.name === server.flavorName)
}

/** Whether a value is a JSON object (for reading stored cache entries). */
export function isStackCacheEntry(v: unknown): v is StackCacheEntry {
  if (typeof v !== 'object' || v === null) return false
  const e = v as Record<string, unknown>
  const r = e.resources as Record<string, unknown> | undefined
  return typeof e.version === 'string' && Array.isArray(e.outputs) && typeof r === 'object' && r !== null && Array.isArray(r.servers) && Array.isArray(r.volumes) && Array.isArray(r.networks)
}

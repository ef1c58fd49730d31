/**
 * One entity's observation (`listen`): a server, volume or network (by GET, or from its
 * notification's payload), the stack that owns it, a stack with what it owns, or a project; only
 * the Concertim racks concerned, with the caches that stand in for reads.
 */
import {type ObservationProblem, problemOf} from '../../model/problem.js'
import pLimit from 'p-limit'
import type {Rack} from '../../concertim/types.js'
import type {BillingState} from '../../model/billing.js'
import {NO_BILLING} from '../../model/billing.js'
import type {CloudCompleteness, Flavor, Network, Server, Stack, StackMembership, Volume} from '../../model/cloud.js'
import type {ConcertimDevice} from '../../model/concertim.js'
import type {JsonValue} from '../../model/json.js'
import {DeviceMetadata} from '../../model/metadata.js'
import {isCompleteServer} from '../../openstack/index.js'
import type {HeatStack, HeatStackDetail} from '../../openstack/types.js'
import {managedRackKey} from '../plan.js'
import {standaloneRackKey, stackRackKey} from '../desire.js'
import type {Decode} from '../owned-fields.js'
import {isInProgress, treeVersions} from '../stack-tree.js'
import {toFlavor, toServer, toPartialServer, toVolume, toNetwork} from '../../openstack/to-model.js'
import {toConcertimRack, toConcertimDevice} from '../../concertim/to-model.js'
import type {Observation, ObserveClients, ObserveOptions, PayloadEntity, StackCacheEntry} from './types.js'
import {ALL_COMPLETE} from './types.js'
import {HeatReader, ownsEntity, topLevelStack, toStack} from './heat-membership.js'
import {type ConcertimBase, isUnreadable, listing, message, readBilling, readConcertimBase} from './reads.js'

/**
 * One entity (listen): a server, volume or network (by GET), the stack that owns it (found among the
 * stacks of its project), a stack (its top-level stack, for a nested one) with what it owns, or a
 * whole project. With cached teams and templates only the Concertim devices of the racks concerned
 * are read, plus the entity's own device (by the id the view store knows, or from the full device
 * listing when the store does not know it: never a duplicate); the full look of a stack or project
 * reads every device (a device for one of its cloud objects may be in another rack).
 */
export async function observeScoped(clients: ObserveClients, options: ObserveOptions): Promise<Observation> {
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
            if (isUnreadable(error)) throw error
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
export const COLUMNS_OF: Readonly<Record<PayloadEntity['kind'], Readonly<Record<string, readonly [column: string, read: (v: JsonValue) => unknown]>>>> = {
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
    // No `volumeIds`: a payload without block_devices (nova's default bdms_in_notifications = False)
    // gets the server read. The device's list is the old one, and volume attach/detach is what changes it.
  },
  volume: {
    bootable: ['bootable', (v) => (typeof v === 'boolean' ? v : undefined)],
    encrypted: ['encrypted', (v) => (typeof v === 'boolean' ? v : undefined)],
    volumeType: ['volume_type', (v) => (typeof v === 'string' ? v : undefined)],
  },
}

/**
 * Fill in the fields a notification's payload lacks from the entity's device as Concertim shows it
 * (what the last reconcile wrote): a server's floating IPs from `public_ips` (no nova event whose
 * payload is used changes them, and none reports them), a volume's `bootable`, `encrypted`,
 * `volume_type`. False when the device does not have one of them, or the field is not one a device
 * may stand in for (a server's volumes): the entity must then be read.
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
export async function readServer(os: ObserveClients['openstack'], id: string): Promise<null | Server> {
  const s = await os.nova.getServer(id)
  return s === null ? null : isCompleteServer(s) ? toServer(s) : toPartialServer(s)
}

export async function readVolume(os: ObserveClients['openstack'], id: string): Promise<null | Volume> {
  const v = await os.cinder.getVolume(id)
  return v === null ? null : toVolume(v)
}

export async function readNetwork(os: ObserveClients['openstack'], id: string): Promise<null | Network> {
  const n = await os.neutron.getNetwork(id)
  return n === null ? null : toNetwork(n)
}

/** Whether a list of flavors has the server's (by id, or by name when the server embeds its flavor). */
export function hasFlavorOf(flavors: readonly Flavor[], server: Server): boolean {
  if (server.flavorId !== null) return flavors.some((f) => f.id === server.flavorId)
  return server.flavorName === undefined || server.flavorName === null || flavors.some((f) => f.name === server.flavorName)
}

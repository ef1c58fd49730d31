/**
 * desire(cloud, concertim, billing, options) → DesiredState: what Concertim should show (pure).
 * Mapping rules: original-service §3.3–§3.5 and §3.9, with the defects of §10 fixed.
 */
import type {BillingState} from '../model/billing.js'
import type {CloudState, Flavor, Network, Server, Stack, StackOutput, Volume} from '../model/cloud.js'
import type {ConcertimState, ConcertimTeam} from '../model/concertim.js'
import type {DesiredCompleteness, DesiredDevice, DesiredRack, DesiredState, DesiredTemplate, DesiredTemplateRef, UnknownStatus} from '../model/desired.js'
import type {JsonObject, JsonValue} from '../model/json.js'
import {DeviceMetadata, RackMetadata} from '../model/metadata.js'
import {deterministicOrderId, deviceName, rackName, standaloneOrderId, templateName} from './naming.js'
import {type Mapped, networkStatus, rackStatus, serverStatus, volumeStatus} from './status.js'

export interface DesireOptions {
  /**
   * The original created racks only for stacks of projects named `…CM_…` created by users named
   * `…CM_…`. Off by default: every stack of a project linked to a Concertim team gets a rack. When on,
   * a stack failing the test keeps an existing rack up to date but gets no new one.
   */
  requireCmPrefix?: boolean
  /** Servers in no stack: not shown (the original), or shown in one rack per team. */
  standaloneServers?: 'ignore' | 'team_rack'
}

export const TEMPLATE_DESCRIPTION = 'Template created from Cloud by concertim-os'
export const SERVER_DESCRIPTION = 'Server created from Cloud by concertim-os'
export const DEVICE_DESCRIPTION = 'Device created from Cloud by concertim-os'

export const templateKey = (flavorId: string): string => `template:${flavorId}`
export const stackRackKey = (stackId: string): string => `rack:${stackId}`
export const standaloneRackKey = (projectId: string): string => `rack:project:${projectId}`
export const deviceKey = (cloudId: string): string => `device:${cloudId}`

/** `min(floor(vcpus / 2) + 1, 4)` (original-service §3.3): 1 vCPU → 1 U, 2–3 → 2 U, 4–5 → 3 U, 6+ → 4 U. */
export function templateHeight(vcpus: number): number {
  return Math.min(Math.floor(Math.max(vcpus, 0) / 2) + 1, 4)
}

const positive = (n: null | number | undefined): null | number => (typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : null)

export function desiredTemplate(flavor: Flavor): DesiredTemplate {
  return {
    description: TEMPLATE_DESCRIPTION,
    disk: positive(flavor.disk),
    foreignId: flavor.id,
    height: templateHeight(flavor.vcpus),
    key: templateKey(flavor.id),
    name: templateName(flavor.name, flavor.id),
    ram: positive(flavor.ram),
    vcpus: positive(flavor.vcpus),
  }
}

/**
 * Stack outputs as stored in `metadata.openstack_stack_output`: a JSON array of Heat's own output
 * objects `{output_key, output_value, description}` (plus `output_error` when Heat could not
 * resolve it), sorted by key. The original stored the Python repr of `[(key, dict)]`; `plan` reads
 * that form as the same value.
 */
export function stackOutputs(outputs: readonly StackOutput[]): JsonValue[] {
  return [...outputs]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((o) => {
      const out: JsonObject = {description: o.description, output_key: o.key, output_value: o.value}
      if (o.error !== undefined) out.output_error = o.error
      return out
    })
}

/** `creation_output` (a text column shown in the UI): `key=<JSON value>` joined with `, `, sorted by key. */
export function creationOutput(outputs: readonly StackOutput[]): string {
  return [...outputs]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map((o) => `${o.key}=${JSON.stringify(o.value ?? null)}`)
    .join(', ')
}

const byId = <T extends {id: string}>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/** Shortened cloud id for fallback names. */
const short = (id: string): string => id.replaceAll('-', '').slice(0, 8)

class StatusLog {
  private readonly seen = new Set<string>()
  readonly unknown: UnknownStatus[] = []

  take<S extends string>(source: string, m: Mapped<S>): S {
    if (m.unknown !== undefined) {
      const id = `${source}\u0000${m.unknown}`
      if (!this.seen.has(id)) {
        this.seen.add(id)
        this.unknown.push({source, value: m.unknown})
      }
    }
    return m.status
  }
}

function stackRack(stack: Stack, team: ConcertimTeam, billing: BillingState, createAllowed: boolean, log: StatusLog): DesiredRack {
  const metadata: JsonObject = {
    [RackMetadata.stackId]: stack.id,
    [RackMetadata.stackOutput]: stackOutputs(stack.outputs),
    [RackMetadata.stackOwner]: stack.owner,
    [RackMetadata.stackOwnerId]: stack.projectId,
    [RackMetadata.statusReason]: stack.statusReason ?? '',
  }
  const rack: DesiredRack = {
    cloudId: stack.id,
    createAllowed,
    creationOutput: creationOutput(stack.outputs),
    key: stackRackKey(stack.id),
    kind: 'stack',
    metadata,
    name: rackName(stack.name, `stack-${short(stack.id)}`),
    orderId: deterministicOrderId(stack.id),
    orderIdSource: 'deterministic',
    projectId: stack.projectId,
    status: log.take('heat stack_status', rackStatus(stack.status)),
    teamId: team.id,
  }
  if (billing.enabled) {
    const subscriptions = billing.subscriptionsByStack.get(stack.id) ?? []
    if (subscriptions.length === 1) {
      rack.orderId = subscriptions[0]
      rack.orderIdSource = 'billing'
    } else if (subscriptions.length > 1) {
      rack.orderIdError = `Kill Bill has ${subscriptions.length} active subscriptions tagged with stack ${stack.id} (${[...subscriptions].sort().join(', ')}): cannot tell which is the rack's order`
    }
  }
  return rack
}

function standaloneRack(team: ConcertimTeam, projectId: string): DesiredRack {
  return {
    cloudId: projectId,
    createAllowed: true,
    creationOutput: '',
    key: standaloneRackKey(projectId),
    kind: 'standalone',
    metadata: {[RackMetadata.standaloneProjectId]: projectId},
    name: rackName(`${team.name}-servers`, `project-${short(projectId)}-servers`),
    orderId: standaloneOrderId(projectId),
    orderIdSource: 'deterministic',
    projectId,
    status: 'ACTIVE',
    teamId: team.id,
  }
}

/** Details columns: only values the cloud told us (null or absent means "not known", never sent). */
function known(values: Record<string, JsonValue | undefined>): {[column: string]: JsonValue} {
  const out: {[column: string]: JsonValue} = {}
  for (const [k, v] of Object.entries(values)) if (v !== undefined && v !== null) out[k] = v
  return out
}

function serverDevice(server: Server, rack: DesiredRack, template: DesiredTemplateRef, templateError: string | undefined, log: StatusLog): DesiredDevice {
  const metadata: JsonObject = {
    [DeviceMetadata.instanceId]: server.id,
    [DeviceMetadata.netInterfaces]: [...server.networkNames],
  }
  if (rack.kind === 'stack') metadata[DeviceMetadata.stackId] = rack.cloudId
  const device: DesiredDevice = {
    cloudId: server.id,
    description: SERVER_DESCRIPTION,
    details: {
      private_ips: server.fixedIps.join(', '),
      public_ips: server.floatingIps.join(', '),
      ssh_key: server.keyName,
      volume_details: [...server.volumeIds].sort(),
    },
    key: deviceKey(server.id),
    metadata,
    name: deviceName(server.name, `server-${short(server.id)}`),
    rackKey: rack.key,
    status: log.take('nova server state', serverStatus(server)),
    template,
    type: 'Instance',
  }
  if (templateError !== undefined) device.templateError = templateError
  return device
}

function volumeDevice(volume: Volume, rack: DesiredRack, log: StatusLog): DesiredDevice {
  return {
    cloudId: volume.id,
    description: DEVICE_DESCRIPTION,
    details: known({
      availability_zone: volume.availabilityZone,
      bootable: volume.bootable,
      encrypted: volume.encrypted,
      size: volume.size,
      volume_type: volume.volumeType,
    }),
    key: deviceKey(volume.id),
    metadata: {[DeviceMetadata.instanceId]: volume.id, [DeviceMetadata.stackId]: rack.cloudId},
    name: deviceName(volume.name ?? '', `volume-${short(volume.id)}`),
    rackKey: rack.key,
    status: log.take('cinder volume status', volumeStatus(volume.status)),
    template: {kind: 'tag', tag: 'volume'},
    type: 'Volume',
  }
}

function networkDevice(network: Network, rack: DesiredRack, log: StatusLog): DesiredDevice {
  return {
    cloudId: network.id,
    description: DEVICE_DESCRIPTION,
    details: known({
      admin_state_up: network.adminStateUp,
      l2_adjacency: network.l2Adjacency,
      mtu: network.mtu,
      port_security_enabled: network.portSecurityEnabled,
      shared: network.shared,
    }),
    key: deviceKey(network.id),
    metadata: {[DeviceMetadata.instanceId]: network.id, [DeviceMetadata.stackId]: rack.cloudId},
    name: deviceName(network.name, `network-${short(network.id)}`),
    rackKey: rack.key,
    status: log.take('neutron network status', networkStatus(network.status)),
    template: {kind: 'tag', tag: 'network'},
    type: 'Network',
  }
}

function firstOwner(stacks: readonly Stack[], pick: (s: Stack) => readonly string[]): Map<string, Stack> {
  const owner = new Map<string, Stack>()
  for (const stack of stacks) for (const id of pick(stack)) if (!owner.has(id)) owner.set(id, stack)
  return owner
}

export function desire(cloud: CloudState, concertim: ConcertimState, billing: BillingState, options: DesireOptions = {}): DesiredState {
  const log = new StatusLog()
  const keep: string[] = []

  // Flavors → templates.
  const flavors = [...cloud.flavors].sort(byId)
  const templates = flavors.map((f) => desiredTemplate(f))
  const flavorById = new Map(flavors.map((f) => [f.id, f]))
  const flavorByName = new Map<string, Flavor>()
  for (const f of flavors) if (!flavorByName.has(f.name)) flavorByName.set(f.name, f)

  // Teams linked to projects.
  const teamByProject = new Map<string, ConcertimTeam>()
  for (const t of [...concertim.teams].sort(byId)) if (t.projectId !== null && t.projectId !== '' && !teamByProject.has(t.projectId)) teamByProject.set(t.projectId, t)
  const projectName = new Map(cloud.projects.map((p) => [p.id, p.name]))

  // Stacks → racks.
  const stacks = [...cloud.stacks].sort(byId)
  const racks: DesiredRack[] = []
  const rackOfStack = new Map<string, DesiredRack>()
  for (const stack of stacks) {
    const team = teamByProject.get(stack.projectId)
    if (team === undefined) continue
    const createAllowed =
      options.requireCmPrefix !== true || ((projectName.get(stack.projectId) ?? '').includes('CM_') && (stack.owner ?? '').includes('CM_'))
    const rack = stackRack(stack, team, billing, createAllowed, log)
    racks.push(rack)
    rackOfStack.set(stack.id, rack)
  }

  // Membership: the first stack (by id) that lists an object owns it.
  const serverStack = firstOwner(stacks, (s) => s.resources.servers)
  const volumeStack = firstOwner(stacks, (s) => s.resources.volumes)
  const networkStack = firstOwner(stacks, (s) => s.resources.networks)
  const projectsWithIncompleteStacks = new Set(stacks.filter((s) => !s.resourcesComplete).map((s) => s.projectId))
  // Heat is building a stack of these projects: a server it is creating may not be among its resources yet.
  const projectsWithStacksInProgress = new Set([...stacks.filter((s) => s.inProgress === true).map((s) => s.projectId), ...(cloud.stacksInProgressOf ?? [])])

  const devices: DesiredDevice[] = []
  const standalone = new Map<string, DesiredRack>()

  // Servers → Instance devices.
  for (const server of [...cloud.servers].sort(byId)) {
    const stack = serverStack.get(server.id)
    let rack: DesiredRack | undefined
    if (stack === undefined) {
      if (options.standaloneServers !== 'team_rack') continue
      const team = teamByProject.get(server.projectId)
      if (team === undefined) continue
      // A stack of the project whose resources are not fully known, or that Heat is still building,
      // may own this server: neither placed stand-alone (a device cannot move racks) nor deleted.
      if (projectsWithIncompleteStacks.has(server.projectId) || projectsWithStacksInProgress.has(server.projectId) || !cloud.complete.stacks) {
        // Its device, if any, may be in the project's stand-alone rack: that rack stays with it.
        keep.push(deviceKey(server.id), standaloneRackKey(server.projectId))
        continue
      }
      rack = standalone.get(server.projectId)
      if (rack === undefined) {
        rack = standaloneRack(team, server.projectId)
        standalone.set(server.projectId, rack)
        racks.push(rack)
      }
    } else rack = rackOfStack.get(stack.id)
    if (rack === undefined) continue
    if (server.partial === true) {
      keep.push(deviceKey(server.id))
      continue
    }
    const flavor = server.flavorId === null ? flavorByName.get(server.flavorName ?? '') : flavorById.get(server.flavorId)
    const template: DesiredTemplateRef =
      flavor === undefined
        ? {foreignId: server.flavorId ?? '', kind: 'flavor', templateKey: ''}
        : {foreignId: flavor.id, kind: 'flavor', templateKey: templateKey(flavor.id)}
    const error =
      flavor === undefined
        ? `the flavor ${server.flavorId ?? server.flavorName ?? '(none)'} of server ${server.id} is not among the flavors listed${cloud.complete.flavors ? ' (deleted, or not visible)' : ' (the flavor listing was incomplete)'}`
        : undefined
    devices.push(serverDevice(server, rack, template, error, log))
  }

  // Volumes and networks of stacks → Volume and Network devices.
  const volumes = new Map(cloud.volumes.map((v) => [v.id, v]))
  const networks = new Map(cloud.networks.map((n) => [n.id, n]))
  for (const stack of stacks) {
    const rack = rackOfStack.get(stack.id)
    if (rack === undefined) continue
    for (const id of [...stack.resources.volumes].sort()) {
      if (volumeStack.get(id) !== stack) continue
      const volume = volumes.get(id)
      if (volume === undefined || volume.partial === true) {
        // Not listed: gone if the listing was complete, else unknown.
        if (!cloud.complete.volumes || volume !== undefined) keep.push(deviceKey(id))
        continue
      }
      devices.push(volumeDevice(volume, rack, log))
    }
    for (const id of [...stack.resources.networks].sort()) {
      if (networkStack.get(id) !== stack) continue
      const network = networks.get(id)
      if (network === undefined || network.partial === true) {
        if (!cloud.complete.networks || network !== undefined) keep.push(deviceKey(id))
        continue
      }
      devices.push(networkDevice(network, rack, log))
    }
  }

  const complete: DesiredCompleteness = {
    networks: cloud.complete.networks && !cloud.networks.some((n) => n.partial === true),
    servers: cloud.complete.servers && !cloud.servers.some((s) => s.partial === true),
    stacks: cloud.complete.stacks,
    stacksWithUnknownResources: stacks.filter((s) => !s.resourcesComplete).map((s) => s.id),
    volumes: cloud.complete.volumes && !cloud.volumes.some((v) => v.partial === true),
  }
  const listed = new Set<string>()
  for (const list of [cloud.servers, cloud.volumes, cloud.networks, cloud.stacks]) for (const o of list) listed.add(o.id)
  return {complete, devices, keep, listed, racks, templates, unknownStatuses: log.unknown}
}

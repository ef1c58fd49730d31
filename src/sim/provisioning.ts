/**
 * How things come into (and leave) the simulated cloud, as the real services would make them:
 * a server gets ports/addresses, an instance name, a host and Ceilometer's Gnocchi resources
 * (instance, instance_disk, instance_network_interface); a volume attaches with an attachment id;
 * a network gets its subnet; a Heat stack records its resources (resource groups become nested
 * stacks). Used by the generator (initial cloud) and by `changes` (a cloud that moves).
 */
import {createHash} from 'node:crypto'

import type {RandomSource} from './random-source.js'
import type {Flavor, MeasureModel, Network, PowerState, Server, ServerGroup, Stack, StackResource, Subnet, User, VmState, Volume, World} from './world.js'

export const ARCHIVE_POLICIES = {
  ceilometer: {gauge: 'ceilometer-low', rate: 'ceilometer-low-rate'},
  concertim: {gauge: 'concertim_policy', rate: 'concertim_rate_policy'},
} as const
export type ArchivePolicyFamily = keyof typeof ARCHIVE_POLICIES

export const VOLUME_TYPE = {id: '5fed9d7c-401d-46e2-8e80-f30c70cb7e1d', name: '__DEFAULT__'}

/** Register the archive policies Ceilometer (and the original service's setup) use. */
export function registerArchivePolicies(world: World): void {
  const month = {granularity: 300, points: 8640}
  const fine = [
    {granularity: 5, points: 720},
    {granularity: 60, points: 720},
    {granularity: 3600, points: 720},
  ]
  world.addArchivePolicy({aggregationMethods: ['mean'], definition: [month], name: 'ceilometer-low'})
  world.addArchivePolicy({aggregationMethods: ['mean', 'rate:mean'], definition: [month], name: 'ceilometer-low-rate'})
  world.addArchivePolicy({aggregationMethods: ['mean'], definition: fine, name: 'concertim_policy'})
  world.addArchivePolicy({aggregationMethods: ['rate:mean', 'mean'], definition: fine, name: 'concertim_rate_policy'})
}

export interface ServerSpec {
  createdAt: number
  disks?: number
  flavorId: string
  floatingIp?: boolean
  imageId: string
  keyName?: string | null
  metadata?: Record<string, string>
  name: string
  networks: Network[]
  powerState?: PowerState
  projectId: string
  stackId?: string | null
  userId: string
  vmState?: VmState
}

export interface StackSpec {
  createdAt: number
  description?: string
  /** Put the servers in an OS::Heat::ResourceGroup (a nested stack). */
  group?: boolean
  name: string
  network?: {network: Network; subnet: Subnet}
  owner: User
  projectId: string
  /** Add an OS::Nova::ServerGroup with the servers as members. */
  serverGroup?: boolean
  servers: Server[]
  status?: string
  statusReason?: string
  volumes: Volume[]
}

export class Provisioner {
  hosts = 8
  policyFamily: ArchivePolicyFamily = 'ceilometer'
  private floatingCounter = 0
  private instanceCounter = 0
  private readonly ipCounters = new Map<string, number>()
  private networkCounter = 0

  constructor(
    readonly world: World,
    readonly rnd: RandomSource,
  ) {}

  attach(volume: Volume, server: Server, at: number): void {
    const device = `/dev/vd${String.fromCharCode(98 + server.volumeIds.length)}`
    volume.attachments.push({attachedAt: at, attachmentId: this.rnd.uuid(), device, hostName: server.host, serverId: server.id})
    volume.status = 'in-use'
    volume.updatedAt = at
    server.volumeIds.push(volume.id)
    server.updatedAt = at
  }

  detach(volume: Volume, server: Server, at: number): void {
    volume.attachments = volume.attachments.filter((a) => a.serverId !== server.id)
    if (volume.attachments.length === 0) volume.status = 'available'
    volume.updatedAt = at
    server.volumeIds = server.volumeIds.filter((id) => id !== volume.id)
    server.updatedAt = at
  }

  network(name: string, projectId: string, createdAt: number, stackId: string | null = null): {network: Network; subnet: Subnet} {
    const n = this.networkCounter++
    const id = this.rnd.uuid()
    const prefix = `10.${(n >> 8) & 255}.${n & 255}`
    const subnet: Subnet = {
      allocationPools: [{end: `${prefix}.254`, start: `${prefix}.2`}],
      cidr: `${prefix}.0/24`,
      createdAt,
      description: '',
      enableDhcp: true,
      gatewayIp: `${prefix}.1`,
      id: this.rnd.uuid(),
      ipVersion: 4,
      name: `${name}-subnet`,
      networkId: id,
      projectId,
      revisionNumber: 0,
      updatedAt: createdAt,
    }
    const network: Network = {
      adminStateUp: true,
      availabilityZones: ['nova'],
      createdAt,
      description: '',
      external: false,
      id,
      mtu: 1450,
      name,
      networkType: 'vxlan',
      physicalNetwork: null,
      portSecurityEnabled: true,
      projectId,
      revisionNumber: 2,
      segmentationId: 1000 + n,
      shared: false,
      stackId,
      status: 'ACTIVE',
      subnetIds: [subnet.id],
      tags: [],
      updatedAt: createdAt,
    }
    this.world.networks.put(network)
    this.world.subnets.put(subnet)
    return {network, subnet}
  }

  /** Take a network (and its subnets) out of the world. */
  removeNetwork(network: Network): Subnet[] {
    const subnets = network.subnetIds.map((id) => this.world.subnets.get(id)).filter((s): s is Subnet => s !== undefined)
    for (const s of subnets) this.world.subnets.delete(s.id)
    this.world.networks.delete(network.id)
    return subnets
  }

  /** Delete a server: it becomes a tombstone (vm_state deleted), volumes are detached, telemetry ends. */
  removeServer(server: Server, at: number): void {
    for (const volumeId of [...server.volumeIds]) {
      const v = this.world.volumes.get(volumeId)
      if (v) this.detach(v, server, at)
    }
    server.vmState = 'deleted'
    server.powerState = 0
    server.taskState = null
    server.deletedAt = at
    server.terminatedAt = at
    server.updatedAt = at
    this.world.servers.delete(server.id)
    this.world.serverTombstones.set(server.id, server)
    for (const r of [this.world.gnocchiTable('instance').get(server.id), ...this.world.gnocchiOfInstance(server.id)]) {
      if (r) {
        r.endedAt = at
        if ('deleted_at' in r.attributes) r.attributes.deleted_at = gnocchiDate(at)
      }
    }
    for (const group of this.world.serverGroups.values()) group.members = group.members.filter((id) => id !== server.id)
  }

  /** Delete a stack and everything it made (servers, volumes, networks, nested stacks, server groups). */
  removeStack(stack: Stack, at: number): {networks: Network[]; servers: Server[]; volumes: Volume[]} {
    const removed = {networks: [] as Network[], servers: [] as Server[], volumes: [] as Volume[]}
    for (const r of stack.resources) {
      if (r.type === 'OS::Nova::Server') {
        const s = this.world.servers.get(r.physicalId)
        if (s) {
          this.removeServer(s, at)
          removed.servers.push(s)
        }
      } else if (r.type === 'OS::Heat::ResourceGroup') {
        const nested = this.world.stacks.get(r.physicalId)
        if (nested) {
          const inner = this.removeStack(nested, at)
          removed.servers.push(...inner.servers)
          removed.volumes.push(...inner.volumes)
          removed.networks.push(...inner.networks)
        }
      } else if (r.type === 'OS::Nova::ServerGroup') this.world.serverGroups.delete(r.physicalId)
    }
    for (const r of stack.resources) {
      if (r.type === 'OS::Cinder::Volume') {
        const v = this.world.volumes.get(r.physicalId)
        if (v) {
          this.removeVolume(v, at)
          removed.volumes.push(v)
        }
      } else if (r.type === 'OS::Neutron::Net') {
        const n = this.world.networks.get(r.physicalId)
        if (n) {
          this.removeNetwork(n)
          removed.networks.push(n)
        }
      }
    }
    stack.deletedAt = at
    stack.status = 'DELETE_COMPLETE'
    stack.statusReason = 'Stack DELETE completed successfully'
    this.world.stacks.delete(stack.id)
    return removed
  }

  removeVolume(volume: Volume, at: number): void {
    for (const a of [...volume.attachments]) {
      const s = this.world.servers.get(a.serverId)
      if (s) this.detach(volume, s, at)
    }
    volume.status = 'deleted'
    this.world.volumes.delete(volume.id)
    this.world.volumeTombstones.set(volume.id, {...volume, deletedAt: at})
  }

  server(spec: ServerSpec): Server {
    const world = this.world
    const n = ++this.instanceCounter
    const id = this.rnd.uuid()
    const vmState = spec.vmState ?? 'active'
    const building = vmState === 'building'
    const offloaded = vmState === 'shelved_offloaded'
    const host = building || offloaded ? null : `compute-${String(1 + (n % this.hosts)).padStart(2, '0')}`
    const addresses: Server['addresses'] = []
    for (const net of spec.networks) {
      const k = (this.ipCounters.get(net.id) ?? 0) + 1
      this.ipCounters.set(net.id, k)
      const subnet = world.subnets.get(net.subnetIds[0])
      const prefix = subnet ? subnet.cidr.split('.').slice(0, 3).join('.') : '10.0.0'
      const mac = this.rnd.mac()
      const portId = this.rnd.uuid()
      addresses.push({addr: `${prefix}.${10 + (k % 240)}`, mac, network: net.name, networkId: net.id, portId, type: 'fixed', version: 4})
      if (spec.floatingIp && addresses.length === 1) {
        const f = this.floatingCounter++
        addresses.push({addr: `203.0.${113 + ((f >> 8) & 7)}.${f & 255}`, mac, network: net.name, networkId: net.id, portId, type: 'floating', version: 4})
      }
    }
    const launched = building ? null : spec.createdAt + 7000
    const server: Server = {
      addresses,
      availabilityZone: 'nova',
      cell: n % 10 === 0 ? 'cell2' : 'cell1',
      createdAt: spec.createdAt,
      deletedAt: null,
      description: null,
      fault: null,
      flavorId: spec.flavorId,
      host,
      hostname: spec.name.toLowerCase().replaceAll(/[^a-z0-9-]/g, '-'),
      id,
      imageId: spec.imageId,
      instanceName: `instance-${n.toString(16).padStart(8, '0')}`,
      keyName: spec.keyName ?? null,
      launchedAt: launched,
      locked: false,
      metadata: spec.metadata ?? {},
      name: spec.name,
      powerState: spec.powerState ?? defaultPowerState(vmState),
      projectId: spec.projectId,
      reservationId: `r-${this.rnd.hex32().slice(0, 8)}`,
      serverGroupId: null,
      stackId: spec.stackId ?? null,
      tags: [],
      taskState: building ? 'spawning' : null,
      terminatedAt: null,
      updatedAt: launched ?? spec.createdAt,
      userId: spec.userId,
      vmState,
      volumeIds: [],
    }
    world.servers.put(server)
    const flavor = world.flavors.get(spec.flavorId)
    if (flavor) this.addInstanceTelemetry(server, flavor, spec.disks ?? 1)
    return server
  }

  stack(spec: StackSpec): Stack {
    const world = this.world
    const id = this.rnd.uuid()
    const status = spec.status ?? 'CREATE_COMPLETE'
    const reason = spec.statusReason ?? 'Stack CREATE completed successfully'
    const at = spec.createdAt
    const resource = (name: string, type: string, physicalId: string, requiredBy: string[] = []): StackResource => ({
      createdAt: at,
      name,
      physicalId,
      requiredBy,
      status: status.startsWith('CREATE_FAILED') ? 'CREATE_FAILED' : 'CREATE_COMPLETE',
      statusReason: 'state changed',
      type,
      updatedAt: at,
    })
    const resources: StackResource[] = []
    const serverNames: string[] = []
    if (spec.network) {
      resources.push(resource('network', 'OS::Neutron::Net', spec.network.network.id, ['subnet']), resource('subnet', 'OS::Neutron::Subnet', spec.network.subnet.id))
      spec.network.network.stackId = id
    }
    for (const s of spec.servers) s.stackId = id
    for (const v of spec.volumes) v.stackId = id
    const stack: Stack = {
      createdAt: at,
      deletedAt: null,
      description: spec.description ?? `Cluster ${spec.name}`,
      disableRollback: true,
      id,
      name: spec.name,
      outputs: [],
      owner: spec.owner.name,
      parameters: {
        'OS::project_id': spec.projectId,
        'OS::stack_id': id,
        'OS::stack_name': spec.name,
        cluster_size: String(spec.servers.length),
        key_name: spec.servers[0]?.keyName ?? '',
      },
      parentId: null,
      projectId: spec.projectId,
      resources,
      stackUserProjectId: this.rnd.hex32(),
      status,
      statusReason: reason,
      tags: null,
      timeoutMins: null,
      updatedAt: null,
      userId: spec.owner.id,
    }
    if (spec.group && spec.servers.length > 0) {
      const nestedId = this.rnd.uuid()
      const nested: Stack = {
        ...stack,
        description: 'No description',
        id: nestedId,
        name: `${spec.name}-nodes-${this.rnd.hex32().slice(0, 12)}`,
        outputs: [],
        parameters: {'OS::project_id': spec.projectId, 'OS::stack_id': nestedId, 'OS::stack_name': ''},
        parentId: id,
        resources: spec.servers.map((s, i) => resource(String(i), 'OS::Nova::Server', s.id)),
      }
      nested.parameters['OS::stack_name'] = nested.name
      world.stacks.put(nested)
      resources.push(resource('nodes', 'OS::Heat::ResourceGroup', nestedId))
    } else {
      spec.servers.forEach((s, i) => {
        resources.push(resource(`server_${i}`, 'OS::Nova::Server', s.id))
        serverNames.push(`server_${i}`)
      })
    }
    if (spec.serverGroup && spec.servers.length > 0) {
      const group: ServerGroup = {
        id: this.rnd.uuid(),
        members: spec.servers.map((s) => s.id),
        name: `${spec.name}-server_group`,
        policy: 'anti-affinity',
        projectId: spec.projectId,
        userId: spec.owner.id,
      }
      world.serverGroups.set(group.id, group)
      for (const s of spec.servers) s.serverGroupId = group.id
      resources.push(resource('server_group', 'OS::Nova::ServerGroup', group.id))
    }
    spec.volumes.forEach((v, i) => {
      resources.push(resource(`volume_${i}`, 'OS::Cinder::Volume', v.id))
      const a = v.attachments[0]
      if (a) resources.push(resource(`volume_attachment_${i}`, 'OS::Cinder::VolumeAttachment', a.attachmentId))
    })
    resources.push(resource('admin_password', 'OS::Heat::RandomString', `${spec.name}-admin_password-${this.rnd.hex32().slice(0, 12)}`))
    const first = spec.servers[0]
    stack.outputs = [
      {description: 'Ids of the cluster servers', key: 'server_ids', value: spec.servers.map((s) => s.id)},
      {description: 'Address of the first server', key: 'login_ip', value: first?.addresses[0]?.addr ?? null},
    ]
    world.stacks.put(stack)
    return stack
  }

  volume(spec: {createdAt: number; name: string | null; projectId: string; size: number; stackId?: string | null; userId: string}): Volume {
    const v: Volume = {
      attachments: [],
      availabilityZone: 'nova',
      bootable: false,
      createdAt: spec.createdAt,
      description: null,
      encrypted: false,
      host: 'cinder@lvmdriver-1#lvmdriver-1',
      id: this.rnd.uuid(),
      metadata: {},
      multiattach: false,
      name: spec.name,
      projectId: spec.projectId,
      size: spec.size,
      stackId: spec.stackId ?? null,
      status: 'available',
      updatedAt: spec.createdAt + 2000,
      userId: spec.userId,
      volumeType: VOLUME_TYPE.name,
      volumeTypeId: VOLUME_TYPE.id,
    }
    this.world.volumes.put(v)
    return v
  }

  private addInstanceTelemetry(server: Server, flavor: Flavor, disks: number): void {
    const world = this.world
    const policies = ARCHIVE_POLICIES[this.policyFamily]
    const base = {createdByProjectId: 'service', createdByUserId: 'ceilometer', endedAt: null, projectId: server.projectId, startedAt: server.createdAt, userId: server.userId}
    const metrics = (resourceId: string, defs: [string, string, MeasureModel['kind'], number, number][]): Record<string, string> => {
      const out: Record<string, string> = {}
      for (const [name, unit, kind, level, spread] of defs) {
        const id = this.rnd.uuid()
        const seed = Math.floor(this.rnd.next() * 2 ** 31)
        world.addMetric({archivePolicy: kind === 'cumulative' ? policies.rate : policies.gauge, createdAt: server.createdAt, id, model: {kind, level, seed, spread}, name, resourceId, unit})
        out[name] = id
      }
      return out
    }
    const util = 0.05 + this.rnd.next() * 0.85
    world.addGnocchiResource({
      ...base,
      attributes: {
        created_at: gnocchiDate(server.createdAt),
        deleted_at: null,
        display_name: server.name,
        flavor_id: flavor.id,
        flavor_name: flavor.name,
        host: server.host,
        image_ref: server.imageId,
        launched_at: server.launchedAt === null ? null : gnocchiDate(server.launchedAt),
        server_group: server.serverGroupId,
      },
      id: server.id,
      metrics: metrics(server.id, [
        ['cpu', 'ns', 'cumulative', flavor.vcpus * 1e9 * util, 0.5],
        ['vcpus', 'vcpu', 'gauge', flavor.vcpus, 0],
        ['memory', 'MB', 'gauge', flavor.ram, 0],
        ['memory.usage', 'MB', 'gauge', Math.round(flavor.ram * (0.2 + this.rnd.next() * 0.6)), 0.2],
        ['disk.root.size', 'GB', 'gauge', flavor.disk, 0],
        ['disk.ephemeral.size', 'GB', 'gauge', flavor.ephemeral, 0],
      ]),
      type: 'instance',
    })
    for (let d = 0; d < disks; d++) {
      const id = this.rnd.uuid()
      const name = `vd${String.fromCharCode(97 + d)}`
      world.addGnocchiResource({
        ...base,
        attributes: {instance_id: server.id, name, original_resource_id: `${server.id}-${name}`},
        id,
        metrics: metrics(id, [
          ['disk.device.read.bytes', 'B', 'cumulative', 2e4 + this.rnd.next() * 2e6, 0.8],
          ['disk.device.write.bytes', 'B', 'cumulative', 1e4 + this.rnd.next() * 1e6, 0.8],
          ['disk.device.read.requests', 'request', 'cumulative', 1 + this.rnd.next() * 100, 0.8],
          ['disk.device.write.requests', 'request', 'cumulative', 1 + this.rnd.next() * 50, 0.8],
        ]),
        type: 'instance_disk',
      })
    }
    for (const a of server.addresses) {
      if (a.type !== 'fixed') continue
      const id = this.rnd.uuid()
      const name = `tap${a.portId.slice(0, 11)}`
      world.addGnocchiResource({
        ...base,
        attributes: {instance_id: server.id, name, original_resource_id: `${server.instanceName}-${server.id}-${name}`},
        id,
        metrics: metrics(id, [
          ['network.incoming.bytes', 'B', 'cumulative', 1e3 + this.rnd.next() * 1e6, 0.8],
          ['network.outgoing.bytes', 'B', 'cumulative', 1e3 + this.rnd.next() * 5e5, 0.8],
          ['network.incoming.packets', 'packet', 'cumulative', 1 + this.rnd.next() * 800, 0.8],
          ['network.outgoing.packets', 'packet', 'cumulative', 1 + this.rnd.next() * 400, 0.8],
        ]),
        type: 'instance_network_interface',
      })
    }
  }
}

export function defaultPowerState(vmState: VmState): PowerState {
  switch (vmState) {
    case 'active':
    case 'rescued':
    case 'resized': {
      return 1
    }
    case 'paused': {
      return 3
    }
    case 'stopped':
    case 'shelved':
    case 'shelved_offloaded': {
      return 4
    }
    case 'suspended': {
      return 7
    }
    default: {
      return 0
    }
  }
}

/** Nova's hostId: sha224 of project id + host (empty when the server has no host). */
export function hostIdOf(projectId: string, host: string | null): string {
  if (!host) return ''
  return createHash('sha224').update(projectId + host).digest('hex')
}

/** Gnocchi's datetime attribute format. */
export function gnocchiDate(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00')
}

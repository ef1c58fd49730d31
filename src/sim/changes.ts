/**
 * Changes to the simulated cloud as OpenStack makes them, for tests and scenarios: server
 * lifecycle (create, delete, stop, start, suspend, resume, pause, unpause, shelve, unshelve,
 * reboot, resize, error), Heat stacks (create with their servers/volumes/network, update, fail,
 * delete), volumes (create, delete, attach, detach) and networks (create, update, delete).
 * Every change emits a `change` event on `world.events` with the entity before and after, the
 * project and user (ids and names), a request id and the time: what a nova/heat/cinder/neutron
 * notification payload needs.
 */
import {defaultPowerState, type Provisioner} from './provisioning.js'
import type {
  ChangeAction,
  FloatingIp,
  Flavor,
  Network,
  NetworkChange,
  PowerState,
  RouterPort,
  Server,
  ServerChange,
  Stack,
  StackChange,
  Subnet,
  VmState,
  Volume,
  VolumeChange,
  World,
} from './world.js'

export interface NewServer {
  flavorId?: string
  imageId?: string
  keyName?: string | null
  metadata?: Record<string, string>
  name: string
  networkIds?: string[]
  projectId: string
  /** Leave the server building (vm_state building, task_state spawning). */
  building?: boolean
  userId?: string
}

export interface NewStack {
  /** Servers in an OS::Heat::ResourceGroup (a nested stack). */
  group?: boolean
  name: string
  network?: boolean
  /** Owner user id (its name becomes stack_owner); default: the first user with a role on the project. */
  ownerId?: string
  projectId: string
  serverGroup?: boolean
  servers: number
  volumes?: number
}

export class CloudChanges {
  constructor(
    readonly world: World,
    private readonly provisioner: Provisioner,
  ) {}

  attachVolume(volumeId: string, serverId: string): Volume {
    const v = this.volume(volumeId)
    const s = this.server(serverId)
    const beforeV = clone(v)
    const beforeS = clone(s)
    const req = this.requestId()
    this.provisioner.attach(v, s, this.world.now())
    this.emitServer('attach', beforeS, s, req, null, {volumeId})
    this.emitVolume('attach', beforeV, v, req, serverId)
    return v
  }

  createNetwork(opts: {name: string; projectId: string; shared?: boolean}): Network {
    const {network, subnet} = this.provisioner.network(opts.name, opts.projectId, this.world.now())
    if (opts.shared) network.shared = true
    this.emitNetwork('create', null, network, [subnet], this.requestId())
    return network
  }

  createServer(opts: NewServer): Server {
    const flavorId = opts.flavorId ?? this.world.flavors.all()[0]?.id
    if (flavorId === undefined || !this.world.flavors.has(flavorId)) throw new Error(`no flavor ${flavorId ?? '(none)'}`)
    const s = this.provisioner.server({
      createdAt: this.world.now(),
      flavorId,
      imageId: opts.imageId ?? '70a599e0-31e7-49b7-b260-868f441e862b',
      keyName: opts.keyName,
      metadata: opts.metadata,
      name: opts.name,
      networks: (opts.networkIds ?? []).map((id) => this.network(id)),
      projectId: opts.projectId,
      userId: opts.userId ?? this.memberOf(opts.projectId),
      vmState: opts.building ? 'building' : 'active',
    })
    this.emitServer('create', null, s, this.requestId(), 'spawning')
    return s
  }

  createStack(opts: NewStack): Stack {
    const now = this.world.now()
    const req = this.requestId()
    const owner = this.world.users.get(opts.ownerId ?? this.memberOf(opts.projectId))
    if (owner === undefined) throw new Error(`no owner for project ${opts.projectId}`)
    const net = opts.network ? this.provisioner.network(`${opts.name}-net`, opts.projectId, now) : undefined
    const servers: Server[] = []
    for (let i = 0; i < opts.servers; i++) {
      servers.push(
        this.provisioner.server({
          createdAt: now,
          flavorId: this.world.flavors.all()[i % Math.max(1, this.world.flavors.size)]?.id ?? '',
          imageId: '70a599e0-31e7-49b7-b260-868f441e862b',
          name: `${opts.name}-node-${i + 1}`,
          networks: net ? [net.network] : [],
          projectId: opts.projectId,
          userId: owner.id,
        }),
      )
    }
    const volumes: Volume[] = []
    for (let i = 0; i < (opts.volumes ?? 0); i++) {
      const v = this.provisioner.volume({createdAt: now, name: `${opts.name}-vol-${i + 1}`, projectId: opts.projectId, size: 10, userId: owner.id})
      const target = servers[i % Math.max(1, servers.length)]
      if (target) this.provisioner.attach(v, target, now)
      volumes.push(v)
    }
    const stack = this.provisioner.stack({createdAt: now, group: opts.group, name: opts.name, network: net, owner, projectId: opts.projectId, serverGroup: opts.serverGroup, servers, volumes})
    if (net) this.emitNetwork('create', null, net.network, [net.subnet], req)
    for (const s of servers) this.emitServer('create', null, s, req, 'spawning')
    for (const v of volumes) this.emitVolume('create', null, v, req)
    const inProgress = {...clone(stack), status: 'CREATE_IN_PROGRESS', statusReason: 'Stack CREATE started'}
    this.emitStack('create', 'CREATE', inProgress, stack, req)
    return stack
  }

  deleteNetwork(id: string): void {
    const n = this.network(id)
    const before = clone(n)
    const subnets = this.provisioner.removeNetwork(n)
    this.emitNetwork('delete', before, null, subnets, this.requestId())
  }

  deleteServer(id: string): void {
    const s = this.server(id)
    const before = clone(s)
    const req = this.requestId()
    this.provisioner.removeServer(s, this.world.now())
    this.emitServer('delete', before, s, req, 'deleting')
  }

  deleteStack(id: string): void {
    const stack = this.stack(id)
    const before = clone(stack)
    const req = this.requestId()
    const servers = new Map<string, Server>()
    const volumes = new Map<string, Volume>()
    const networks = new Map<string, {network: Network; subnets: Subnet[]}>()
    for (const s of this.world.servers.values()) if (s.stackId === id) servers.set(s.id, clone(s))
    for (const v of this.world.volumes.values()) if (v.stackId === id) volumes.set(v.id, clone(v))
    for (const n of this.world.networks.values())
      if (n.stackId === id) networks.set(n.id, {network: clone(n), subnets: n.subnetIds.map((sid) => this.world.subnets.get(sid)).filter((x): x is Subnet => x !== undefined)})
    const removed = this.provisioner.removeStack(stack, this.world.now())
    for (const s of removed.servers) this.emitServer('delete', servers.get(s.id) ?? null, s, req, 'deleting')
    for (const v of removed.volumes) this.emitVolume('delete', volumes.get(v.id) ?? null, null, req)
    for (const n of removed.networks) this.emitNetwork('delete', networks.get(n.id)?.network ?? null, null, networks.get(n.id)?.subnets ?? [], req)
    this.emitStack('delete', 'DELETE', before, stack, req)
  }

  deleteVolume(id: string): void {
    const v = this.volume(id)
    const before = clone(v)
    this.provisioner.removeVolume(v, this.world.now())
    this.emitVolume('delete', before, null, this.requestId())
  }

  detachVolume(volumeId: string, serverId: string): Volume {
    const v = this.volume(volumeId)
    const s = this.server(serverId)
    const beforeV = clone(v)
    const beforeS = clone(s)
    const req = this.requestId()
    this.provisioner.detach(v, s, this.world.now())
    this.emitServer('detach', beforeS, s, req, null, {volumeId})
    this.emitVolume('detach', beforeV, v, req, serverId)
    return v
  }

  /** Put a server in ERROR (e.g. a failed build), with a fault as nova records it. */
  errorServer(id: string, message = 'No valid host was found. There are not enough hosts available.'): Server {
    return this.transition(id, 'error', 'error', 0, null, (s) => {
      s.fault = {code: 500, created: this.world.now(), details: 'Traceback (most recent call last): ...', message}
    })
  }

  /** A Heat stack's action fails (CREATE_FAILED, UPDATE_FAILED, …). */
  failStack(id: string, reason = 'Resource CREATE failed: ResourceInError: resources.server_0: Went to status ERROR due to "Message: No valid host was found. "'): Stack {
    const stack = this.stack(id)
    const before = clone(stack)
    const action = stack.status.split('_')[0] || 'CREATE'
    stack.status = `${action}_FAILED`
    stack.statusReason = reason
    stack.updatedAt = this.world.now()
    this.emitStack('error', action, before, stack, this.requestId())
    return stack
  }

  pauseServer(id: string): Server {
    return this.transition(id, 'pause', 'paused', 3, 'pausing')
  }

  rebootServer(id: string): Server {
    return this.transition(id, 'reboot', 'active', 1, 'rebooting')
  }

  resizeServer(id: string, flavorId: string): Server {
    const flavor = this.world.flavors.get(flavorId)
    if (flavor === undefined) throw new Error(`no flavor ${flavorId}`)
    const s = this.server(id)
    const oldFlavor = this.world.flavors.get(s.flavorId)
    return this.transition(id, 'resize', 'active', 1, 'resize_migrating', (server) => {
      server.flavorId = flavor.id
      const g = this.world.gnocchiTable('instance').get(server.id)
      if (g) {
        g.attributes.flavor_id = flavor.id
        g.attributes.flavor_name = flavor.name
      }
    }, oldFlavor)
  }

  resumeServer(id: string): Server {
    return this.transition(id, 'resume', 'active', 1, 'resuming')
  }

  shelveServer(id: string): Server {
    return this.transition(id, 'shelve', 'shelved_offloaded', 4, 'shelving', (s) => {
      s.host = null
    })
  }

  startServer(id: string): Server {
    return this.transition(id, 'power_on', 'active', 1, 'powering-on')
  }

  stopServer(id: string): Server {
    return this.transition(id, 'power_off', 'stopped', 4, 'powering-off')
  }

  suspendServer(id: string): Server {
    return this.transition(id, 'suspend', 'suspended', 7, 'suspending')
  }

  unpauseServer(id: string): Server {
    return this.transition(id, 'unpause', 'active', 1, 'unpausing')
  }

  unshelveServer(id: string): Server {
    return this.transition(id, 'unshelve', 'active', 1, 'spawning', (s) => {
      s.host = 'compute-01'
    })
  }

  updateNetwork(id: string, patch: {adminStateUp?: boolean; description?: string; name?: string; shared?: boolean}): Network {
    const n = this.network(id)
    const before = clone(n)
    if (patch.name !== undefined) n.name = patch.name
    if (patch.adminStateUp !== undefined) n.adminStateUp = patch.adminStateUp
    if (patch.shared !== undefined) n.shared = patch.shared
    if (patch.description !== undefined) n.description = patch.description
    n.revisionNumber++
    n.updatedAt = this.world.now()
    const subnets = n.subnetIds.map((sid) => this.world.subnets.get(sid)).filter((x): x is Subnet => x !== undefined)
    this.emitNetwork('update', before, n, subnets, this.requestId())
    return n
  }

  /** A Heat stack update: add servers (new members of the stack) and/or remove some, then UPDATE_COMPLETE. */
  updateStack(id: string, change: {addServers?: number; description?: string; removeServers?: number}): Stack {
    const stack = this.stack(id)
    const before = clone(stack)
    const req = this.requestId()
    const now = this.world.now()
    const holder = this.serverHolder(stack)
    const owner = this.world.users.get(stack.userId)
    for (let i = 0; i < (change.removeServers ?? 0); i++) {
      const idx = holder.resources.findLastIndex((r) => r.type === 'OS::Nova::Server')
      if (idx < 0) break
      const [res] = holder.resources.splice(idx, 1)
      const s = this.world.servers.get(res.physicalId)
      if (s) {
        const b = clone(s)
        this.provisioner.removeServer(s, now)
        this.emitServer('delete', b, s, req, 'deleting')
      }
    }
    for (let i = 0; i < (change.addServers ?? 0); i++) {
      const s = this.addStackServer(stack, holder, owner?.id, now)
      this.emitServer('create', null, s, req, 'spawning')
    }
    if (change.description !== undefined) stack.description = change.description
    stack.status = 'UPDATE_COMPLETE'
    stack.statusReason = 'Stack UPDATE completed successfully'
    stack.updatedAt = now
    if (holder !== stack) {
      holder.status = 'UPDATE_COMPLETE'
      holder.updatedAt = now
    }
    this.emitStack('update', 'UPDATE', before, stack, req)
    return stack
  }

  /**
   * A scaling signal on a stack's group (an AutoScalingGroup adjusts, a ResourceGroup resizes): only
   * the group's nested stack is updated — it goes UPDATE_IN_PROGRESS, its new servers are created and
   * listed as its resources as nova makes them — while the top-level stack keeps its `updated_time`
   * and status. `finish: false` leaves the nested stack in progress (`finishScaling` completes it).
   * Returns the new servers.
   */
  scaleGroup(stackId: string, addServers: number, opts: {finish?: boolean} = {}): Server[] {
    const stack = this.stack(stackId)
    const holder = this.serverHolder(stack)
    if (holder === stack) throw new Error(`stack ${stackId} has no group`)
    const req = this.requestId()
    const now = this.world.now()
    const owner = this.world.users.get(stack.userId)
    const before = clone(holder)
    if (holder.status !== 'UPDATE_IN_PROGRESS') {
      holder.status = 'UPDATE_IN_PROGRESS'
      holder.statusReason = 'Stack UPDATE started'
      holder.updatedAt = now
    }
    const added: Server[] = []
    for (let i = 0; i < addServers; i++) {
      const s = this.addStackServer(stack, holder, owner?.id, now)
      this.emitServer('create', null, s, req, 'spawning')
      added.push(s)
    }
    if (opts.finish !== false) this.finishScaling(stackId, before)
    return added
  }

  /** The group's nested stack of a scaling left in progress (`scaleGroup` with `finish: false`) completes. */
  finishScaling(stackId: string, before?: Stack): Stack {
    const holder = this.serverHolder(this.stack(stackId))
    const was = before ?? clone(holder)
    holder.status = 'UPDATE_COMPLETE'
    holder.statusReason = 'Stack UPDATE completed successfully'
    // Heat notifies for nested stacks as for any other (heat/engine/stack.py `_persist_state`).
    this.emitStack('update', 'UPDATE', was, holder, this.requestId())
    return holder
  }

  /** A server like the others of `holder` (the stack, or one of its resource groups), made now and listed in it. */
  private addStackServer(stack: Stack, holder: Stack, ownerId: string | undefined, now: number): Server {
    const existing = holder.resources.filter((r) => r.type === 'OS::Nova::Server').length
    const template = holder.resources.map((r) => this.world.servers.get(r.physicalId)).find((x): x is Server => x !== undefined)
    const s = this.provisioner.server({
      createdAt: now,
      flavorId: template?.flavorId ?? this.world.flavors.all()[0]?.id ?? '',
      imageId: template?.imageId ?? '70a599e0-31e7-49b7-b260-868f441e862b',
      name: `${stack.name}-node-${existing + 1}`,
      networks: (template?.addresses ?? []).filter((a) => a.type === 'fixed').map((a) => this.world.networks.get(a.networkId)).filter((n): n is Network => n !== undefined),
      projectId: stack.projectId,
      stackId: stack.id,
      userId: ownerId ?? stack.userId,
    })
    holder.resources.push({createdAt: now, name: holder === stack ? `server_${existing}` : String(existing), physicalId: s.id, requiredBy: [], status: 'CREATE_COMPLETE', statusReason: 'state changed', type: 'OS::Nova::Server', updatedAt: now})
    return s
  }

  /**
   * Heat `suspend`/`resume` of a stack: its servers are suspended (resumed) by Nova, then the stack
   * is SUSPEND_COMPLETE (RESUME_COMPLETE), each with its notifications.
   */
  suspendStack(id: string): Stack {
    return this.stackPower(id, 'SUSPEND')
  }

  resumeStack(id: string): Stack {
    return this.stackPower(id, 'RESUME')
  }

  /** A router interface on a network's first subnet (for tests of network destroy). */
  addRouterInterface(networkId: string, routerId = this.provisioner.rnd.uuid()): RouterPort {
    const n = this.network(networkId)
    const port: RouterPort = {id: this.provisioner.rnd.uuid(), ip: '10.0.0.1', networkId, projectId: n.projectId, routerId, subnetId: n.subnetIds[0] ?? ''}
    this.world.routerPorts.set(port.id, port)
    return port
  }

  /** A floating IP associated with a server's first fixed port, through a router (for tests). */
  addFloatingIp(serverId: string, routerId: string): FloatingIp {
    const s = this.server(serverId)
    const fixed = s.addresses.find((a) => a.type === 'fixed')
    if (fixed === undefined) throw new Error(`server ${serverId} has no fixed address`)
    const n = this.world.floatingIps.size
    const fip: FloatingIp = {address: `198.51.100.${(n % 250) + 1}`, fixedIp: fixed.addr, id: this.provisioner.rnd.uuid(), portId: fixed.portId, projectId: s.projectId, routerId}
    this.world.floatingIps.set(fip.id, fip)
    return fip
  }

  private stackPower(id: string, action: 'RESUME' | 'SUSPEND'): Stack {
    const stack = this.stack(id)
    const before = clone(stack)
    for (const s of this.world.servers.values()) {
      if (s.stackId !== id) continue
      if (action === 'SUSPEND' && s.vmState === 'active') this.suspendServer(s.id)
      if (action === 'RESUME' && s.vmState === 'suspended') this.resumeServer(s.id)
    }
    stack.status = `${action}_COMPLETE`
    stack.statusReason = `Stack ${action} completed successfully`
    stack.updatedAt = this.world.now()
    this.emitStack(action === 'SUSPEND' ? 'suspend' : 'resume', action, before, stack, this.requestId())
    return stack
  }

  createVolume(opts: {name: string | null; projectId: string; size: number; userId?: string}): Volume {
    const v = this.provisioner.volume({createdAt: this.world.now(), name: opts.name, projectId: opts.projectId, size: opts.size, userId: opts.userId ?? this.memberOf(opts.projectId)})
    this.emitVolume('create', null, v, this.requestId())
    return v
  }

  private emit(change: NetworkChange | ServerChange | StackChange | VolumeChange): void {
    this.world.events.emit('change', change)
  }

  private emitNetwork(action: ChangeAction, before: Network | null, after: Network | null, subnets: Subnet[], requestId: string): void {
    const n = (after ?? before) as Network
    this.emit({action, after: after && clone(after), before, id: n.id, kind: 'network', ...this.who(n.projectId, null), requestId, subnets: subnets.map((s) => clone(s)), timestamp: this.world.now()})
  }

  private emitServer(action: ChangeAction, before: Server | null, after: Server, requestId: string, transitional: string | null, extra: {volumeId?: string} = {}, oldFlavor?: Flavor): void {
    const flavor = this.world.flavors.get(after.flavorId) as Flavor
    this.emit({
      action,
      after: clone(after),
      before,
      flavor: clone(flavor),
      id: after.id,
      kind: 'server',
      ...(oldFlavor ? {oldFlavor: clone(oldFlavor)} : {}),
      ...this.who(after.projectId, after.userId),
      requestId,
      timestamp: this.world.now(),
      transitionalTaskState: transitional,
      ...extra,
    })
  }

  private emitStack(action: ChangeAction, heatAction: string, before: Stack | null, after: Stack, requestId: string): void {
    this.emit({action, after: clone(after), before, heatAction, id: after.id, kind: 'stack', ...this.who(after.projectId, after.userId), requestId, timestamp: this.world.now()})
  }

  private emitVolume(action: ChangeAction, before: Volume | null, after: Volume | null, requestId: string, serverId?: string): void {
    const v = (after ?? before) as Volume
    this.emit({action, after: after && clone(after), before, id: v.id, kind: 'volume', ...this.who(v.projectId, v.userId), requestId, ...(serverId ? {serverId} : {}), timestamp: this.world.now()})
  }

  private memberOf(projectId: string): string {
    const a = this.world.assignments.find((x) => x.projectId === projectId && this.world.users.get(x.userId)?.name.startsWith('CM_'))
    const any = a ?? this.world.assignments.find((x) => x.projectId === projectId)
    if (any === undefined) throw new Error(`nobody has a role on project ${projectId}`)
    return any.userId
  }

  private network(id: string): Network {
    const n = this.world.networks.get(id)
    if (n === undefined) throw new Error(`no network ${id}`)
    return n
  }

  private requestId(): string {
    return `req-${this.provisioner.rnd.uuid()}`
  }

  private server(id: string): Server {
    const s = this.world.servers.get(id)
    if (s === undefined) throw new Error(`no server ${id}`)
    return s
  }

  /** The stack whose resources list the servers: the nested stack of a resource group, else the stack. */
  private serverHolder(stack: Stack): Stack {
    const group = stack.resources.find((r) => r.type === 'OS::Heat::ResourceGroup')
    return (group && this.world.stacks.get(group.physicalId)) || stack
  }

  private stack(id: string): Stack {
    const s = this.world.stacks.get(id)
    if (s === undefined) throw new Error(`no stack ${id}`)
    return s
  }

  private transition(id: string, action: ChangeAction, vmState: VmState, powerState: PowerState, transitional: string | null, mutate?: (s: Server) => void, oldFlavor?: Flavor): Server {
    const s = this.server(id)
    const before = clone(s)
    s.vmState = vmState
    s.powerState = powerState ?? defaultPowerState(vmState)
    s.taskState = null
    s.updatedAt = this.world.now()
    mutate?.(s)
    this.emitServer(action, before, s, this.requestId(), transitional, {}, oldFlavor)
    return s
  }

  private volume(id: string): Volume {
    const v = this.world.volumes.get(id)
    if (v === undefined) throw new Error(`no volume ${id}`)
    return v
  }

  private who(projectId: string, userId: string | null): {projectId: string; projectName: string; userId: string; userName: string} {
    const uid = userId ?? this.memberOf(projectId)
    return {projectId, projectName: this.world.projects.get(projectId)?.name ?? '', userId: uid, userName: this.world.users.get(uid)?.name ?? ''}
  }
}

function clone<T>(v: T): T {
  return structuredClone(v)
}

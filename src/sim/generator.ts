/**
 * A seeded generator of consistent clouds: the same seed and sizes always give the same cloud.
 * Concertim teams are `CM_<team>` projects with their users; Heat stacks (some with resource
 * groups and server groups) own servers, volumes and networks; some servers stand alone; every
 * server has Gnocchi resources (several disks / NICs for some); CloudKitty prices every flavor.
 * `seedConcertimAndBilling` then gives Concertim its teams/users and Kill Bill its accounts and
 * subscriptions (tagged with the stack ids), as the original service's API would have made them.
 */
import type {ConcertimState} from './concertim/state.js'
import type {KillBillState} from './killbill/state.js'
import {Provisioner, registerArchivePolicies, type ArchivePolicyFamily} from './provisioning.js'
import {RandomSource} from './random-source.js'
import type {Flavor, Network, PowerState, Server, Stack, Subnet, User, VmState, Volume} from './world.js'
import {World} from './world.js'

export interface CloudSizes {
  flavors: number
  networks: number
  servers: number
  stacks: number
  teams: number
  /** Users per team (the first is the team admin). */
  usersPerTeam: number
  volumes: number
}

export type CloudPreset = 'cloud-10k' | 'empty' | 'small'

export const PRESETS: Record<CloudPreset, CloudSizes> = {
  'cloud-10k': {flavors: 20, networks: 1000, servers: 10_000, stacks: 1000, teams: 200, usersPerTeam: 2, volumes: 2000},
  empty: {flavors: 0, networks: 0, servers: 0, stacks: 0, teams: 0, usersPerTeam: 0, volumes: 0},
  small: {flavors: 5, networks: 4, servers: 20, stacks: 5, teams: 3, usersPerTeam: 2, volumes: 6},
}

export interface GenerateOptions {
  /** Archive policies of the instance metrics: Ceilometer's 5-minute ones (default) or the original's 5-second ones. */
  archivePolicies?: ArchivePolicyFamily
  /** Passwords of the service accounts. */
  credentials?: Partial<ServiceCredentials>
  /** Creation time of the oldest object (ms); later objects are spread after it. Default 2025-01-01. */
  epoch?: number
  now?: () => number
  preset?: CloudPreset
  seed?: number
  sizes?: Partial<CloudSizes>
  tokenTtlSec?: number
}

export interface ServiceCredentials {
  adminPassword: string
  cloudkittyPassword: string
  concertimPassword: string
}

export interface TeamPlan {
  name: string
  projectId: string
  projectName: string
  stackIds: string[]
  users: {cloudUserId: string; email: string; login: string; name: string; password: string; role: 'admin' | 'member'}[]
}

export interface GeneratedCloud {
  adminProjectId: string
  adminUserId: string
  credentials: ServiceCredentials
  provisioner: Provisioner
  random: RandomSource
  sizes: CloudSizes
  teams: TeamPlan[]
  world: World
}

const TEAM_WORDS = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'stark', 'wayne', 'wonka', 'cyberdyne', 'tyrell', 'soylent', 'vandelay', 'oscorp', 'aperture', 'massive', 'monarch']
const FIRST_NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'rupert', 'sybil', 'trent', 'victor', 'walter']
const BASE_FLAVORS: [string, number, number, number][] = [
  ['m1.tiny', 1, 512, 1],
  ['m1.small', 1, 2048, 20],
  ['m1.medium', 2, 4096, 40],
  ['m1.large', 4, 8192, 80],
  ['m1.xlarge', 8, 16_384, 160],
]
const STATES: [VmState, PowerState, number][] = [
  ['active', 1, 0.85],
  ['stopped', 4, 0.05],
  ['suspended', 7, 0.03],
  ['error', 0, 0.02],
  ['building', 0, 0.02],
  ['paused', 3, 0.01],
  ['shelved_offloaded', 4, 0.02],
]

export function resolveSizes(preset: CloudPreset = 'small', sizes: Partial<CloudSizes> = {}): CloudSizes {
  return {...PRESETS[preset], ...sizes}
}

export function generateCloud(opts: GenerateOptions = {}): GeneratedCloud {
  const sizes = resolveSizes(opts.preset, opts.sizes)
  const rnd = new RandomSource(opts.seed ?? 1)
  const world = new World(opts.now)
  if (opts.tokenTtlSec !== undefined) world.tokenTtlSec = opts.tokenTtlSec
  registerArchivePolicies(world)
  const prov = new Provisioner(world, rnd)
  prov.policyFamily = opts.archivePolicies ?? 'ceilometer'
  prov.hosts = Math.max(2, Math.ceil(sizes.servers / 40))
  const epoch = opts.epoch ?? Date.UTC(2025, 0, 1)
  const credentials: ServiceCredentials = {adminPassword: 'sim-admin-secret', cloudkittyPassword: 'sim-cloudkitty-secret', concertimPassword: 'sim-concertim-secret', ...opts.credentials}

  // Identity: the default domain, service projects, roles, service users.
  world.domains.set('default', {description: 'The default domain', enabled: true, id: 'default', name: 'Default'})
  const adminProject = world.addProject({description: 'Bootstrap project for initializing the cloud.', domainId: 'default', enabled: true, id: rnd.hex32(), name: 'admin', tags: []})
  const serviceProject = world.addProject({description: 'Service project', domainId: 'default', enabled: true, id: rnd.hex32(), name: 'service', tags: []})
  const role = (name: string) => world.addRole({id: rnd.hex32(), name})
  const roles = Object.fromEntries(['admin', 'member', 'reader', 'service', 'watcher', 'rating', 'heat_stack_owner'].map((n) => [n, role(n)]))
  const user = (name: string, password: string, email: string | null, description = '') =>
    world.addUser({defaultProjectId: null, description, domainId: 'default', email, enabled: true, id: rnd.hex32(), name, password})
  const admin = user('admin', credentials.adminPassword, null)
  const concertim = user('concertim', credentials.concertimPassword, 'concertim@example.com')
  const cloudkitty = user('cloudkitty', credentials.cloudkittyPassword, null)
  world.assign({projectId: adminProject.id, roleId: roles.admin.id, userId: admin.id})
  for (const r of ['admin', 'watcher', 'rating']) world.assign({projectId: adminProject.id, roleId: roles[r].id, userId: concertim.id})
  for (const r of ['admin', 'rating']) world.assign({projectId: serviceProject.id, roleId: roles[r].id, userId: cloudkitty.id})

  // Flavors and their CloudKitty prices.
  const flavors: Flavor[] = []
  for (let i = 0; i < sizes.flavors; i++) {
    const [name, vcpus, ram, disk] =
      i < BASE_FLAVORS.length ? BASE_FLAVORS[i] : ([`c${1 + ((i - 5) % 4)}.n${i}`, 2 ** ((i - 5) % 5), 2048 * 2 ** ((i - 5) % 5), 20 * (1 + (i % 6))] as [string, number, number, number])
    const f: Flavor = {createdAt: epoch, description: null, disabled: false, disk, ephemeral: 0, extraSpecs: {}, id: rnd.uuid(), isPublic: true, name, ram, rxtxFactor: 1, swap: 0, vcpus}
    world.flavors.put(f)
    world.rating.instanceHourly.set(f.id, Math.round((vcpus * 0.012 + (ram / 1024) * 0.004) * 10_000) / 10_000)
    flavors.push(f)
  }
  const images = Array.from({length: 3}, () => rnd.uuid())

  // Teams: CM_ projects, CM_ users with roles, and the grants the original gives every CM project.
  const teams: TeamPlan[] = []
  const teamUsers: User[][] = []
  for (let t = 0; t < sizes.teams; t++) {
    const word = TEAM_WORDS[t % TEAM_WORDS.length]
    const name = t < TEAM_WORDS.length ? word : `${word}${Math.floor(t / TEAM_WORDS.length) + 1}`
    const project = world.addProject({description: 'Concertim Managed Project', domainId: 'default', enabled: true, id: rnd.hex32(), name: `CM_${name}`, tags: []})
    world.assign({projectId: project.id, roleId: roles.admin.id, userId: admin.id})
    world.assign({projectId: project.id, roleId: roles.watcher.id, userId: concertim.id})
    world.assign({projectId: project.id, roleId: roles.rating.id, userId: cloudkitty.id})
    const plan: TeamPlan = {name, projectId: project.id, projectName: project.name, stackIds: [], users: []}
    const members: User[] = []
    for (let u = 0; u < sizes.usersPerTeam; u++) {
      const login = `${FIRST_NAMES[(t + u) % FIRST_NAMES.length]}${t + 1}${u === 0 ? '' : `_${u}`}`
      const email = `${login}@${name}.example.com`
      const password = `${login}-secret`
      const ku = user(`CM_${login}`, password, email, 'Concertim Managed User')
      ku.defaultProjectId = project.id
      const teamRole = u === 0 ? 'admin' : 'member'
      world.assign({projectId: project.id, roleId: roles[teamRole].id, userId: ku.id})
      members.push(ku)
      plan.users.push({cloudUserId: ku.id, email, login, name: login.replace(/^./, (c) => c.toUpperCase()), password, role: teamRole})
    }
    teams.push(plan)
    teamUsers.push(members)
  }

  // Stacks own most servers; the rest stand alone. Volumes and networks are spread likewise.
  const stackServers = sizes.stacks === 0 ? 0 : Math.min(sizes.servers, Math.round(sizes.servers * 0.9))
  const standaloneServers = sizes.teams === 0 ? 0 : sizes.servers - stackServers
  const stackVolumes = sizes.stacks === 0 ? 0 : Math.round(sizes.volumes * 0.8)
  const stackNetworks = Math.min(sizes.networks, sizes.stacks)
  const minute = 60_000
  let clock = epoch + minute
  const tick = () => (clock += minute + rnd.int(0, 59) * 1000)
  const teamNetworks = new Map<string, Network[]>()
  const pickState = (): [VmState, PowerState] => {
    let x = rnd.next()
    for (const [s, p, w] of STATES) {
      if (x < w) return [s, p]
      x -= w
    }
    return ['active', 1]
  }
  const makeServer = (name: string, team: number, networks: Network[], stackId: string | null, owner: User): Server => {
    const [vmState, powerState] = pickState()
    return prov.server({
      createdAt: tick(),
      disks: rnd.chance(0.2) ? 2 + rnd.int(0, 1) : 1,
      flavorId: flavors.length > 0 ? rnd.pick(flavors).id : 'missing-flavor',
      floatingIp: rnd.chance(0.3),
      imageId: rnd.pick(images),
      keyName: rnd.chance(0.6) ? `${owner.name}-key` : null,
      metadata: stackId ? {'metering.server_group': stackId} : {},
      name,
      networks,
      powerState,
      projectId: teams[team].projectId,
      stackId,
      userId: owner.id,
      vmState,
    })
  }

  for (let s = 0; s < sizes.stacks && sizes.teams > 0; s++) {
    const team = s % sizes.teams
    const owner = teamUsers[team][s % Math.max(1, teamUsers[team].length)] ?? admin
    const base = `${teams[team].name}-cluster-${Math.floor(s / sizes.teams) + 1}`
    const name = s % 7 === 3 ? base.replace('-cluster-', '_hpc.cluster-') : base
    const createdAt = tick()
    let net: {network: Network; subnet: Subnet} | undefined
    if (s < stackNetworks) net = prov.network(`${name}-net`, teams[team].projectId, createdAt)
    const count = share(stackServers, sizes.stacks, s)
    const servers: Server[] = []
    for (let k = 0; k < count; k++) servers.push(makeServer(`${name}-node-${k + 1}`, team, net ? [net.network] : [], null, owner))
    const volumes: Volume[] = []
    const vcount = share(stackVolumes, sizes.stacks, s)
    for (let k = 0; k < vcount; k++) {
      const v = prov.volume({createdAt: tick(), name: `${name}-vol-${k + 1}`, projectId: teams[team].projectId, size: rnd.int(1, 100), userId: owner.id})
      const target = servers[k % Math.max(1, servers.length)]
      if (target && target.vmState !== 'building' && rnd.chance(0.8)) prov.attach(v, target, v.createdAt + 5000)
      volumes.push(v)
    }
    const failed = s % 50 === 49
    const stack: Stack = prov.stack({
      createdAt,
      group: s % 3 === 1,
      name,
      network: net,
      owner,
      projectId: teams[team].projectId,
      serverGroup: s % 5 === 2,
      servers,
      status: failed ? 'CREATE_FAILED' : 'CREATE_COMPLETE',
      statusReason: failed ? 'Resource CREATE failed: ResourceInError: resources.server_0: Went to status ERROR due to "Message: No valid host was found. "' : undefined,
      volumes,
    })
    teams[team].stackIds.push(stack.id)
    if (net) {
      const list = teamNetworks.get(teams[team].projectId) ?? []
      list.push(net.network)
      teamNetworks.set(teams[team].projectId, list)
    }
  }
  for (let n = stackNetworks; n < sizes.networks && sizes.teams > 0; n++) {
    const team = n % sizes.teams
    const {network} = prov.network(`${teams[team].name}-net-${n + 1}`, teams[team].projectId, tick())
    const list = teamNetworks.get(teams[team].projectId) ?? []
    list.push(network)
    teamNetworks.set(teams[team].projectId, list)
  }
  for (let i = 0; i < standaloneServers; i++) {
    const team = i % sizes.teams
    const owner = teamUsers[team][i % Math.max(1, teamUsers[team].length)] ?? admin
    const nets = teamNetworks.get(teams[team].projectId) ?? []
    makeServer(`${teams[team].name}-vm-${Math.floor(i / sizes.teams) + 1}`, team, nets.length > 0 ? [nets[i % nets.length]] : [], null, owner)
  }
  for (let i = 0; i < sizes.volumes - stackVolumes && sizes.teams > 0; i++) {
    const team = i % sizes.teams
    const owner = teamUsers[team][0] ?? admin
    prov.volume({createdAt: tick(), name: rnd.chance(0.2) ? null : `${teams[team].name}-data-${i + 1}`, projectId: teams[team].projectId, size: rnd.int(1, 500), userId: owner.id})
  }

  return {adminProjectId: adminProject.id, adminUserId: admin.id, credentials, provisioner: prov, random: rnd, sizes, teams, world}
}

/** The k-th of n near-equal shares of total. */
function share(total: number, n: number, k: number): number {
  return Math.floor((total * (k + 1)) / n) - Math.floor((total * k) / n)
}

/**
 * Give Concertim the teams and users the original service's API would have created (team with
 * `project_id` and `billing_acct_id`, users with `cloud_user_id`, team roles), and Kill Bill an
 * account per team and a subscription per stack, tagged with the stack id.
 */
export function seedConcertimAndBilling(cloud: GeneratedCloud, concertim: ConcertimState, killbill: KillBillState, planName = 'openstack-standard-monthly'): void {
  for (const team of cloud.teams) {
    const account = killbill.addAccount({currency: 'USD', externalKey: team.projectId, name: team.name})
    const t = concertim.addTeam({billing_acct_id: account.accountId, name: team.name, project_id: team.projectId})
    for (const u of team.users) {
      const user = concertim.addUser({cloud_user_id: u.cloudUserId, email: u.email, login: u.login, name: u.name, password: u.password})
      concertim.addTeamRole({role: u.role, team_id: t.id, user_id: user.id})
    }
    for (const stackId of team.stackIds) {
      const stack = cloud.world.stacks.get(stackId)
      killbill.addSubscription({accountId: account.accountId, planName, stackId, stackName: stack?.name})
    }
  }
}

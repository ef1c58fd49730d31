/**
 * The simulated Concertim database (reference/concertim-api.md §4): teams, users, team roles,
 * templates, racks, locations, chassis, devices with their details, and data source maps. Every id
 * is a UUID string, as in the real app (§3.1). Lookups are indexed so that clouds of 10,000 devices
 * stay cheap. The state does not validate: seeding code (the world generator) writes through the
 * `add*` methods directly, the HTTP app validates before it writes.
 */
import {randomUUID} from 'node:crypto'

import type {OutboundCall} from './deletion-jobs.js'
import {MetricStore} from './metric-store.js'

export type TeamRoleName = 'admin' | 'member'
export type DeviceType = 'Instance' | 'Network' | 'Volume'
export type DetailsType = 'Device::ComputeDetails' | 'Device::NetworkDetails' | 'Device::VolumeDetails'
export type Facing = 'b' | 'f'
export type JsonObject = Record<string, unknown>

export interface TeamRecord {
  billing_acct_id: string | null
  /** `YYYY-MM-DD` or null. */
  billing_period_end: string | null
  billing_period_start: string | null
  /** BigDecimal as a canonical decimal string, e.g. `"12"`, `"100.001"` (rendered with `.0` by the presenter). */
  cost: string
  created_at: number
  credits: string
  deleted_at: number | null
  id: string
  name: string
  project_id: string | null
  single_user: boolean
}

export interface UserRecord {
  cloud_user_id: string | null
  created_at: number
  deleted_at: number | null
  email: string
  id: string
  login: string
  name: string
  password: string
  root: boolean
}

export interface TeamRoleRecord {
  id: string
  role: TeamRoleName
  team_id: string
  user_id: string
}

export interface TemplateImages {
  front?: string
  rear?: string
}

export interface TemplateRecord {
  depth: number
  description: string | null
  disk: number | null
  foreign_id: string | null
  height: number
  id: string
  images: TemplateImages | null
  name: string
  rackable: 'nonrackable' | 'rackable' | 'zerouable'
  ram: number | null
  tag: string | null
  template_type: 'Device' | 'HwRack'
  vcpus: number | null
  version: number
}

export interface RackRecord {
  cost: number
  created_at: number
  creation_output: string | null
  id: string
  metadata: JsonObject
  name: string
  network_details: JsonObject
  order_id: string
  status: string
  team_id: string
  template_id: string
  u_depth: number
  u_height: number
}

export interface LocationRecord {
  end_u: number
  facing: Facing
  id: string
  rack_id: string
  start_u: number
  u_depth: number
  u_height: number
}

export interface ChassisRecord {
  id: string
  location_id: string
  name: string
  template_id: string
}

export interface DeviceRecord {
  base_chassis_id: string
  cost: number
  created_at: number
  description: string | null
  /** The details row's columns (without `type`), e.g. `{public_ips, private_ips, …}` for compute details. */
  details: JsonObject
  details_type: DetailsType
  id: string
  metadata: JsonObject
  name: string
  status: string
  type: DeviceType
}

export interface DataSourceMapRecord {
  device_id: string
  map_to_cluster: string
  map_to_grid: string
  map_to_host: string
}

/** The columns of each details table (§4.6), all nullable; `volume_details` defaults to `{}`. */
export const DETAILS_COLUMNS: Record<DetailsType, readonly string[]> = {
  'Device::ComputeDetails': ['public_ips', 'private_ips', 'ssh_key', 'login_user', 'volume_details'],
  'Device::NetworkDetails': ['admin_state_up', 'dns_domain', 'l2_adjacency', 'mtu', 'port_security_enabled', 'qos_policy', 'shared'],
  'Device::VolumeDetails': ['availability_zone', 'bootable', 'encrypted', 'read_only', 'size', 'volume_type'],
}

export const DETAILS_TYPE_OF: Record<DeviceType, DetailsType> = {
  Instance: 'Device::ComputeDetails',
  Network: 'Device::NetworkDetails',
  Volume: 'Device::VolumeDetails',
}

export interface NewTeam {
  billing_acct_id?: string | null
  billing_period_end?: string | null
  billing_period_start?: string | null
  cost?: string
  credits?: string
  name: string
  project_id?: string | null
  single_user?: boolean
}

export interface NewUser {
  cloud_user_id?: string | null
  email: string
  login: string
  name: string
  password: string
  root?: boolean
}

export interface NewTemplate {
  depth?: number
  description?: string | null
  disk?: number | null
  foreign_id?: string | null
  height: number
  images?: TemplateImages | null
  name: string
  rackable?: TemplateRecord['rackable']
  ram?: number | null
  tag?: string | null
  template_type?: TemplateRecord['template_type']
  vcpus?: number | null
  version?: number
}

export interface NewRack {
  cost?: number
  creation_output?: string | null
  metadata?: JsonObject
  name: string
  network_details?: JsonObject
  order_id: string
  status: string
  team_id: string
  template_id?: string
  u_height?: number
}

export interface NewDevice {
  cost?: number
  description?: string | null
  details?: JsonObject
  facing?: Facing
  metadata?: JsonObject
  name: string
  rack_id: string
  start_u: number
  status: string
  template_id: string
  type: DeviceType
}

/** A device with its location and chassis, as the presenters need it. */
export interface PlacedDevice {
  chassis: ChassisRecord
  device: DeviceRecord
  location: LocationRecord
  template: TemplateRecord
}

/** Optional app-wide settings: licence limits and whether a CloudServiceConfig exists (§5.1.5). */
export interface ConcertimStateOptions {
  /** The admin credentials of the CloudServiceConfig, sent as `cloud_env` in outbound calls. */
  cloudEnv?: {auth_url: string; password: string; project_id: string; user_id: string}
  /** Whether a CloudServiceConfig row exists (user/team deletes answer 422 `{}` without one). Default true. */
  cloudServiceConfig?: boolean
  /** `device_limit + nrad_limit` of licence-limits.yml; unlimited when undefined. */
  deviceLimit?: number
  /** Clock in ms (default Date.now). */
  now?: () => number
  /** `rack_limit` of licence-limits.yml; unlimited when undefined. */
  rackLimit?: number
  rootLogin?: string
  rootPassword?: string
}

export class ConcertimState {
  cloudServiceConfig: boolean
  readonly dataSourceMaps = new Map<string, DataSourceMapRecord>()
  deviceLimit?: number
  readonly devices = new Map<string, DeviceRecord>()
  readonly locations = new Map<string, LocationRecord>()
  /** What the MRD received and keeps (see `metric-store.ts`). */
  readonly metrics: MetricStore
  readonly now: () => number
  /** Calls the app made to the os-service user handler (deletion jobs), oldest first. */
  readonly outboundCalls: OutboundCall[] = []
  rackLimit?: number
  readonly racks = new Map<string, RackRecord>()
  readonly root: UserRecord
  readonly teamRoles = new Map<string, TeamRoleRecord>()
  readonly teams = new Map<string, TeamRecord>()
  readonly templates = new Map<string, TemplateRecord>()
  readonly users = new Map<string, UserRecord>()
  readonly chassis = new Map<string, ChassisRecord>()

  // Indexes.
  private readonly cloudEnvConfig: {auth_url: string; password: string; project_id: string; user_id: string}
  private readonly jobs = new Set<Promise<void>>()
  private readonly chassisByLocation = new Map<string, string>()
  private readonly chassisCountByTemplate = new Map<string, number>()
  /** How often each generated chassis name base was used (names stay unique without a scan). */
  private readonly chassisNameCounts = new Map<string, number>()
  private readonly deviceByChassis = new Map<string, string>()
  private readonly deviceNamesByRack = new Map<string, Map<string, string>>()
  private readonly locationsByRack = new Map<string, Set<string>>()
  private readonly orderIds = new Map<string, string>()
  private readonly racksByTeam = new Map<string, Set<string>>()
  private readonly rackNamesByTeam = new Map<string, Map<string, string>>()
  private readonly rolesByTeam = new Map<string, Set<string>>()
  private readonly rolesByUser = new Map<string, Set<string>>()
  private readonly teamNames = new Map<string, string>()
  private readonly templateNames = new Map<string, string>()
  private readonly templateTags = new Map<string, string>()
  private readonly userLogins = new Map<string, string>()

  constructor(opts: ConcertimStateOptions = {}) {
    this.now = opts.now ?? Date.now
    this.cloudServiceConfig = opts.cloudServiceConfig ?? true
    this.rackLimit = opts.rackLimit
    this.deviceLimit = opts.deviceLimit
    this.metrics = new MetricStore(this.now)
    this.cloudEnvConfig = opts.cloudEnv ?? {auth_url: 'http://keystone:5000/v3', password: 'admin', project_id: 'admin-project', user_id: 'admin-user'}
    // db/migrate/20230323142113_seed_admin_user.rb
    this.root = this.addUser({
      email: 'admin@test.com',
      login: opts.rootLogin ?? 'admin',
      name: 'System Administrator',
      password: opts.rootPassword ?? 'admin',
      root: true,
    })
    // The seeded templates (§4.5).
    this.addTemplate({
      depth: 2,
      height: 42,
      images: {front: 'rack_front_bgr.png', rear: 'rack_rear_bgr.png'},
      name: 'rack',
      rackable: 'nonrackable',
      tag: 'rack',
      template_type: 'HwRack',
    })
    this.addTemplate({
      height: 1,
      images: {front: 'switch_front_1u.png', rear: 'switch_rear_1u.png'},
      name: 'network',
      tag: 'network',
    })
    this.addTemplate({
      height: 2,
      images: {front: 'disk_front_2u.png', rear: 'generic_rear_2u.png'},
      name: 'volume',
      tag: 'volume',
    })
  }

  /** The `cloud_env` object of outbound calls (the admin's details, §7.1). */
  cloudEnv(): Record<string, string> {
    return {...this.cloudEnvConfig}
  }

  /** Keep track of a background job (user/team deletion) until it settles. */
  trackJob(job: Promise<void>): void {
    this.jobs.add(job)
    void job.finally(() => this.jobs.delete(job))
  }

  /** Wait until every background job has finished (tests). */
  async settleJobs(): Promise<void> {
    while (this.jobs.size > 0) {
      await Promise.allSettled([...this.jobs])
    }
  }

  // ---- teams, users, roles ----------------------------------------------------------------

  addTeam(t: NewTeam): TeamRecord {
    const team: TeamRecord = {
      billing_acct_id: t.billing_acct_id ?? null,
      billing_period_end: t.billing_period_end ?? null,
      billing_period_start: t.billing_period_start ?? null,
      cost: t.cost ?? '0',
      created_at: this.now(),
      credits: t.credits ?? '0',
      deleted_at: null,
      id: randomUUID(),
      name: t.name,
      project_id: t.project_id ?? null,
      single_user: t.single_user ?? false,
    }
    this.teams.set(team.id, team)
    this.teamNames.set(team.name, team.id)
    return team
  }

  addUser(u: NewUser): UserRecord {
    const user: UserRecord = {
      cloud_user_id: u.cloud_user_id ?? null,
      created_at: this.now(),
      deleted_at: null,
      email: u.email,
      id: randomUUID(),
      login: u.login,
      name: u.name,
      password: u.password,
      root: u.root ?? false,
    }
    this.users.set(user.id, user)
    this.userLogins.set(user.login, user.id)
    return user
  }

  addTeamRole(r: {role: TeamRoleName; team_id: string; user_id: string}): TeamRoleRecord {
    const role: TeamRoleRecord = {id: randomUUID(), role: r.role, team_id: r.team_id, user_id: r.user_id}
    this.teamRoles.set(role.id, role)
    addToIndex(this.rolesByTeam, r.team_id, role.id)
    addToIndex(this.rolesByUser, r.user_id, role.id)
    return role
  }

  teamByName(name: string): TeamRecord | undefined {
    return this.lookup(this.teams, this.teamNames.get(name))
  }

  teamByProjectId(projectId: string): TeamRecord | undefined {
    for (const t of this.teams.values()) if (t.project_id === projectId) return t
    return undefined
  }

  userByLogin(login: string): UserRecord | undefined {
    return this.lookup(this.users, this.userLogins.get(login))
  }

  rolesOfUser(userId: string): TeamRoleRecord[] {
    return this.collect(this.teamRoles, this.rolesByUser.get(userId))
  }

  rolesOfTeam(teamId: string): TeamRoleRecord[] {
    return this.collect(this.teamRoles, this.rolesByTeam.get(teamId))
  }

  /** The role of a user in a team, if any. */
  roleIn(userId: string, teamId: string): TeamRoleName | undefined {
    for (const id of this.rolesByUser.get(userId) ?? []) {
      const r = this.teamRoles.get(id)
      if (r?.team_id === teamId) return r.role
    }
    return undefined
  }

  removeTeamRole(id: string): void {
    const r = this.teamRoles.get(id)
    if (!r) return
    this.teamRoles.delete(id)
    this.rolesByTeam.get(r.team_id)?.delete(id)
    this.rolesByUser.get(r.user_id)?.delete(id)
  }

  /** `user.destroy!`: the record and its team roles. */
  removeUser(id: string): void {
    const u = this.users.get(id)
    if (!u) return
    for (const r of this.rolesOfUser(id)) this.removeTeamRole(r.id)
    this.rolesByUser.delete(id)
    this.users.delete(id)
    if (this.userLogins.get(u.login) === id) this.userLogins.delete(u.login)
  }

  /** `team.destroy!`: cascades to the team's racks (and their devices) and team roles. */
  removeTeam(id: string): void {
    const t = this.teams.get(id)
    if (!t) return
    for (const rack of this.racksOfTeam(id)) this.removeRack(rack.id)
    for (const r of this.rolesOfTeam(id)) this.removeTeamRole(r.id)
    this.rolesByTeam.delete(id)
    this.teams.delete(id)
    if (this.teamNames.get(t.name) === id) this.teamNames.delete(t.name)
  }

  renameTeam(team: TeamRecord, name: string): void {
    if (this.teamNames.get(team.name) === team.id) this.teamNames.delete(team.name)
    team.name = name
    this.teamNames.set(name, team.id)
  }

  // ---- templates --------------------------------------------------------------------------

  addTemplate(t: NewTemplate): TemplateRecord {
    const template: TemplateRecord = {
      depth: t.depth ?? 2,
      description: t.description ?? null,
      disk: t.disk ?? null,
      foreign_id: t.foreign_id ?? null,
      height: t.height,
      id: randomUUID(),
      images: t.images === undefined ? defaultImages(t.height) : t.images,
      name: t.name,
      rackable: t.rackable ?? 'rackable',
      ram: t.ram ?? null,
      tag: t.tag ?? null,
      template_type: t.template_type ?? 'Device',
      vcpus: t.vcpus ?? null,
      version: t.version ?? 1,
    }
    this.templates.set(template.id, template)
    this.templateNames.set(template.name, template.id)
    if (template.tag !== null) this.templateTags.set(template.tag, template.id)
    return template
  }

  templateByName(name: string): TemplateRecord | undefined {
    return this.lookup(this.templates, this.templateNames.get(name))
  }

  templateByTag(tag: string): TemplateRecord | undefined {
    return this.lookup(this.templates, this.templateTags.get(tag))
  }

  renameTemplate(template: TemplateRecord, name: string): void {
    if (this.templateNames.get(template.name) === template.id) this.templateNames.delete(template.name)
    template.name = name
    this.templateNames.set(name, template.id)
  }

  /** How many chassis (devices) were created from a template. */
  chassisCountOf(templateId: string): number {
    return this.chassisCountByTemplate.get(templateId) ?? 0
  }

  /** Destroy a template and, cascading, its chassis and their devices. */
  removeTemplate(id: string): void {
    const t = this.templates.get(id)
    if (!t) return
    if ((this.chassisCountByTemplate.get(id) ?? 0) > 0) {
      for (const c of [...this.chassis.values()]) if (c.template_id === id) this.removeChassis(c.id)
    }
    this.templates.delete(id)
    if (this.templateNames.get(t.name) === id) this.templateNames.delete(t.name)
    if (t.tag !== null && this.templateTags.get(t.tag) === id) this.templateTags.delete(t.tag)
    this.chassisCountByTemplate.delete(id)
  }

  // ---- racks ------------------------------------------------------------------------------

  addRack(r: NewRack): RackRecord {
    const rack: RackRecord = {
      cost: r.cost ?? 0,
      created_at: this.now(),
      creation_output: r.creation_output ?? null,
      id: randomUUID(),
      metadata: r.metadata ?? {},
      name: r.name,
      network_details: r.network_details ?? {},
      order_id: r.order_id,
      status: r.status,
      team_id: r.team_id,
      template_id: r.template_id ?? this.templateByTag('rack')?.id ?? '',
      u_depth: 2,
      u_height: r.u_height ?? 42,
    }
    this.racks.set(rack.id, rack)
    addToIndex(this.racksByTeam, rack.team_id, rack.id)
    indexName(this.rackNamesByTeam, rack.team_id, rack.name, rack.id)
    this.orderIds.set(rack.order_id, rack.id)
    return rack
  }

  racksOfTeam(teamId: string): RackRecord[] {
    return this.collect(this.racks, this.racksByTeam.get(teamId))
  }

  rackCountOfTeam(teamId: string): number {
    return this.racksByTeam.get(teamId)?.size ?? 0
  }

  rackByName(teamId: string, name: string): RackRecord | undefined {
    return this.lookup(this.racks, this.rackNamesByTeam.get(teamId)?.get(name))
  }

  rackByOrderId(orderId: string): RackRecord | undefined {
    return this.lookup(this.racks, this.orderIds.get(orderId))
  }

  /** The team's most recently created rack (for the name and height defaults, §4.4). */
  lastRackOfTeam(teamId: string): RackRecord | undefined {
    let last: RackRecord | undefined
    for (const id of this.racksByTeam.get(teamId) ?? []) last = this.racks.get(id)
    return last
  }

  /** Change indexed rack fields (name, order_id) keeping the indexes true. */
  renameRack(rack: RackRecord, change: {name?: string; order_id?: string}): void {
    if (change.name !== undefined && change.name !== rack.name) {
      const names = this.rackNamesByTeam.get(rack.team_id)
      if (names?.get(rack.name) === rack.id) names.delete(rack.name)
      rack.name = change.name
      indexName(this.rackNamesByTeam, rack.team_id, rack.name, rack.id)
    }
    if (change.order_id !== undefined && change.order_id !== rack.order_id) {
      if (this.orderIds.get(rack.order_id) === rack.id) this.orderIds.delete(rack.order_id)
      rack.order_id = change.order_id
      this.orderIds.set(rack.order_id, rack.id)
    }
  }

  /** Destroy a rack: locations → chassis → devices → details and data source maps. */
  removeRack(id: string): void {
    const rack = this.racks.get(id)
    if (!rack) return
    for (const locId of [...(this.locationsByRack.get(id) ?? [])]) {
      const chassisId = this.chassisByLocation.get(locId)
      if (chassisId === undefined) this.removeLocation(locId)
      else this.removeChassis(chassisId)
    }
    this.locationsByRack.delete(id)
    this.deviceNamesByRack.delete(id)
    this.racks.delete(id)
    this.racksByTeam.get(rack.team_id)?.delete(id)
    const names = this.rackNamesByTeam.get(rack.team_id)
    if (names?.get(rack.name) === id) names.delete(rack.name)
    if (this.orderIds.get(rack.order_id) === id) this.orderIds.delete(rack.order_id)
  }

  // ---- locations, chassis, devices --------------------------------------------------------

  /** Create location + chassis + device + data source map in one go (no validation). */
  addDevice(d: NewDevice): PlacedDevice {
    const template = this.templates.get(d.template_id)
    const rack = this.racks.get(d.rack_id)
    if (!template) throw new Error(`no template ${d.template_id}`)
    if (!rack) throw new Error(`no rack ${d.rack_id}`)
    const location: LocationRecord = {
      end_u: d.start_u + template.height - 1,
      facing: d.facing ?? 'f',
      id: randomUUID(),
      rack_id: rack.id,
      start_u: d.start_u,
      u_depth: template.depth,
      u_height: template.height,
    }
    this.locations.set(location.id, location)
    addToIndex(this.locationsByRack, rack.id, location.id)
    const chassis: ChassisRecord = {
      id: randomUUID(),
      location_id: location.id,
      name: this.chassisName(template, rack),
      template_id: template.id,
    }
    this.chassis.set(chassis.id, chassis)
    this.chassisByLocation.set(location.id, chassis.id)
    this.chassisCountByTemplate.set(template.id, (this.chassisCountByTemplate.get(template.id) ?? 0) + 1)
    const detailsType = DETAILS_TYPE_OF[d.type]
    const device: DeviceRecord = {
      base_chassis_id: chassis.id,
      cost: d.cost ?? 0,
      created_at: this.now(),
      description: d.description ?? null,
      details: emptyDetails(detailsType, d.details),
      details_type: detailsType,
      id: randomUUID(),
      metadata: d.metadata ?? {},
      name: d.name,
      status: d.status,
      type: d.type,
    }
    this.devices.set(device.id, device)
    this.deviceByChassis.set(chassis.id, device.id)
    indexName(this.deviceNamesByRack, rack.id, device.name, device.id)
    this.dataSourceMaps.set(device.id, {
      device_id: device.id,
      map_to_cluster: 'unspecified',
      map_to_grid: 'unspecified',
      map_to_host: `device:${device.id}`,
    })
    return {chassis, device, location, template}
  }

  /** The device with its chassis, location and template. */
  placed(device: DeviceRecord): PlacedDevice {
    const chassis = this.chassis.get(device.base_chassis_id)
    const location = chassis && this.locations.get(chassis.location_id)
    const template = chassis && this.templates.get(chassis.template_id)
    if (!chassis || !location || !template) throw new Error(`device ${device.id} has no location`)
    return {chassis, device, location, template}
  }

  rackOfDevice(device: DeviceRecord): RackRecord | undefined {
    const chassis = this.chassis.get(device.base_chassis_id)
    const location = chassis && this.locations.get(chassis.location_id)
    return location && this.racks.get(location.rack_id)
  }

  /** The rack's devices, top of the rack first (locations ordered by start_u desc, §5.3). */
  devicesOfRack(rackId: string): PlacedDevice[] {
    const out: PlacedDevice[] = []
    for (const locId of this.locationsByRack.get(rackId) ?? []) {
      const location = this.locations.get(locId)
      const chassis = this.lookup(this.chassis, this.chassisByLocation.get(locId))
      const device = chassis && this.lookup(this.devices, this.deviceByChassis.get(chassis.id))
      const template = chassis && this.templates.get(chassis.template_id)
      if (location && chassis && device && template) out.push({chassis, device, location, template})
    }
    return out.sort((a, b) => b.location.start_u - a.location.start_u)
  }

  locationsOfRack(rackId: string): LocationRecord[] {
    return this.collect(this.locations, this.locationsByRack.get(rackId))
  }

  deviceCountOfRack(rackId: string): number {
    return this.locationsByRack.get(rackId)?.size ?? 0
  }

  deviceByName(rackId: string, name: string): DeviceRecord | undefined {
    return this.lookup(this.devices, this.deviceNamesByRack.get(rackId)?.get(name))
  }

  renameDevice(device: DeviceRecord, name: string): void {
    const rack = this.rackOfDevice(device)
    if (rack) {
      const names = this.deviceNamesByRack.get(rack.id)
      if (names?.get(device.name) === device.id) names.delete(device.name)
      indexName(this.deviceNamesByRack, rack.id, name, device.id)
    }
    device.name = name
  }

  /** Destroy a device through its chassis (location, device, details and DSM go with it). */
  removeDevice(id: string): void {
    const device = this.devices.get(id)
    if (device) this.removeChassis(device.base_chassis_id)
  }

  private chassisName(template: TemplateRecord, rack: RackRecord): string {
    // "<template name>-<rack name>-<unix float time>", sanitised to [a-zA-Z0-9-] (§6.4).
    const base = `${template.name}-${rack.name}-${(this.now() / 1000).toFixed(6)}`.replaceAll(/[^a-zA-Z0-9-]/g, '-')
    const seen = this.chassisNameCounts.get(base) ?? 0
    this.chassisNameCounts.set(base, seen + 1)
    return seen === 0 ? base : `${base}-${seen}`
  }

  private removeChassis(chassisId: string): void {
    const chassis = this.chassis.get(chassisId)
    if (!chassis) return
    const deviceId = this.deviceByChassis.get(chassisId)
    const location = this.locations.get(chassis.location_id)
    const device = deviceId === undefined ? undefined : this.devices.get(deviceId)
    if (device) {
      if (location) {
        const names = this.deviceNamesByRack.get(location.rack_id)
        if (names?.get(device.name) === device.id) names.delete(device.name)
      }
      this.devices.delete(device.id)
      this.dataSourceMaps.delete(device.id)
      this.metrics.forgetDevice(device.id)
    }
    this.deviceByChassis.delete(chassisId)
    this.chassis.delete(chassisId)
    const count = this.chassisCountByTemplate.get(chassis.template_id) ?? 0
    if (count > 0) this.chassisCountByTemplate.set(chassis.template_id, count - 1)
    this.removeLocation(chassis.location_id)
  }

  private removeLocation(locationId: string): void {
    const location = this.locations.get(locationId)
    if (!location) return
    this.locations.delete(locationId)
    this.chassisByLocation.delete(locationId)
    this.locationsByRack.get(location.rack_id)?.delete(locationId)
  }

  private collect<T>(map: Map<string, T>, ids: Set<string> | undefined): T[] {
    const out: T[] = []
    for (const id of ids ?? []) {
      const v = map.get(id)
      if (v !== undefined) out.push(v)
    }
    return out
  }

  private lookup<T>(map: Map<string, T>, id: string | undefined): T | undefined {
    return id === undefined ? undefined : map.get(id)
  }
}

/** Images chosen by height for API-created templates: 1..6 only (§4.5). */
export function defaultImages(height: number): TemplateImages | null {
  if (!Number.isInteger(height) || height < 1 || height > 6) return null
  return {front: `generic_front_${height}u.png`, rear: `generic_rear_${height}u.png`}
}

/** A fresh details row: every column present (null), `volume_details` `{}`, then the given values. */
export function emptyDetails(type: DetailsType, values: JsonObject = {}): JsonObject {
  const row: JsonObject = {}
  for (const col of DETAILS_COLUMNS[type]) row[col] = col === 'volume_details' ? {} : null
  return {...row, ...values}
}

function addToIndex(index: Map<string, Set<string>>, key: string, id: string): void {
  let set = index.get(key)
  if (!set) {
    set = new Set()
    index.set(key, set)
  }
  set.add(id)
}

function indexName(index: Map<string, Map<string, string>>, key: string, name: string, id: string): void {
  let names = index.get(key)
  if (!names) {
    names = new Map()
    index.set(key, names)
  }
  names.set(name, id)
}

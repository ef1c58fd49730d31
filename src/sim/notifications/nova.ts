/**
 * Nova's notifications for a server change, as nova 26 (Zed) with `notification_format = both` and
 * `notify_on_state_change = vm_and_task_state` sends them: legacy `compute.instance.*` (payload of
 * nova/notifications/base.py `info_from_instance`) on topic `notifications`, and versioned
 * `instance.*` (oslo versioned objects: InstanceActionPayload 1.8, InstanceCreatePayload 1.12,
 * InstanceUpdatePayload 2.0, …) on `versioned_notifications`, both on exchange `nova`. Every
 * action is a `.start`/`.end` pair around the task state it runs in, with `instance.update` at each
 * state transition; failed builds go out as `create.error` at priority ERROR.
 */
import type {Flavor, Server, ServerAddress, ServerChange, World} from '../world.js'
import type {NotificationFormat, OsloNotification} from './oslo.js'
import {osloContext} from './request-context.js'

export interface NovaNotifierOptions {
  format: NotificationFormat
  /** Image service root for the legacy `image_ref_url`. */
  glanceUrl: string
}

const POWER: Record<number, string> = {0: 'pending', 1: 'running', 3: 'paused', 4: 'shutdown', 6: 'crashed', 7: 'suspended'}

/** Legacy suffix and versioned name of each step of an action (nova/compute/manager.py). */
interface Step {
  legacy: string | null
  versioned: string | null
}

const STEPS: Partial<Record<ServerChange['action'], Step[]>> = {
  attach: [{legacy: null, versioned: 'volume_attach'}],
  create: [{legacy: 'create', versioned: 'create'}],
  delete: [
    {legacy: 'delete', versioned: 'delete'},
    {legacy: 'shutdown', versioned: 'shutdown'},
  ],
  detach: [{legacy: null, versioned: 'volume_detach'}],
  pause: [{legacy: 'pause', versioned: 'pause'}],
  power_off: [{legacy: 'power_off', versioned: 'power_off'}],
  power_on: [{legacy: 'power_on', versioned: 'power_on'}],
  reboot: [{legacy: 'reboot', versioned: 'reboot'}],
  resize: [
    {legacy: 'resize.prep', versioned: 'resize_prep'},
    {legacy: 'resize', versioned: 'resize'},
    {legacy: 'finish_resize', versioned: 'resize_finish'},
    {legacy: 'resize.confirm', versioned: 'resize_confirm'},
  ],
  resume: [{legacy: 'resume', versioned: 'resume'}],
  shelve: [
    {legacy: 'shelve', versioned: 'shelve'},
    {legacy: 'shelve_offload', versioned: 'shelve_offload'},
  ],
  suspend: [{legacy: 'suspend', versioned: 'suspend'}],
  unpause: [{legacy: 'unpause', versioned: 'unpause'}],
  unshelve: [{legacy: 'unshelve', versioned: 'unshelve'}],
}

export function novaNotifications(world: World, change: ServerChange, opts: NovaNotifierOptions): OsloNotification[] {
  const after = change.after as Server
  const host = after.host ?? change.before?.host ?? null
  const context = novaContext(world, change)
  const legacy = opts.format !== 'versioned'
  const versioned = opts.format !== 'legacy'
  const out: OsloNotification[] = []
  const push = (topic: OsloNotification['topic'], eventType: string, payload: unknown, priority: OsloNotification['priority'] = 'INFO', publisher?: string) =>
    out.push({
      context,
      eventType,
      exchange: 'nova',
      payload,
      priority,
      publisherId: publisher ?? (topic === 'notifications' ? `compute.${host ?? 'api'}` : `nova-compute:${host ?? 'api'}`),
      timestamp: change.timestamp,
      topic,
    })

  const start = startState(change)
  const startFlavor = change.oldFlavor ?? change.flavor
  const update = (from: Server, to: Server, flavor: Flavor) => {
    if (legacy) push('notifications', 'compute.instance.update', {...legacyPayload(world, to, flavor, opts), ...legacyUpdate(from, to, change.timestamp)}, 'INFO', `compute.${host ?? 'api'}`)
    if (versioned) push('versioned_notifications', 'instance.update', versionedObject('InstanceUpdatePayload', '2.0', {...versionedData(to, flavor, change), ...versionedUpdate(from, to, change.timestamp)}))
  }

  if (change.action === 'error') {
    const failedBuild = change.before === null || change.before.vmState === 'building'
    if (failedBuild) {
      const message = after.fault?.message ?? 'Build of instance aborted'
      if (legacy) push('notifications', 'compute.instance.create.error', {...legacyPayload(world, after, change.flavor, opts), code: after.fault?.code ?? 500, message}, 'ERROR')
      if (versioned) {
        const fault = versionedObject('ExceptionPayload', '1.1', {exception: 'BuildAbortException', exception_message: message, function_name: '_build_and_run_instance', module_name: 'nova.compute.manager', traceback: after.fault?.details ?? ''})
        push('versioned_notifications', 'instance.create.error', versionedObject('InstanceCreatePayload', '1.12', {...versionedData(after, change.flavor, change), ...createExtras(after), fault}), 'ERROR')
      }
    }
    update(start, after, change.flavor)
    return out
  }

  const steps = STEPS[change.action] ?? []
  const transitional = {...start, taskState: change.transitionalTaskState}
  if (change.transitionalTaskState !== null) update(start, transitional, startFlavor)
  steps.forEach((step, i) => {
    const last = i === steps.length - 1
    const flavorAtStart = change.action === 'resize' && i < 2 ? startFlavor : change.flavor
    const s1 = i === 0 ? transitional : {...after, taskState: change.transitionalTaskState}
    const s2 = last ? after : {...after, taskState: change.transitionalTaskState}
    for (const [phase, state, flavor] of [['start', s1, flavorAtStart], ['end', s2, last || change.action !== 'resize' || i >= 1 ? change.flavor : startFlavor]] as const) {
      if (legacy && step.legacy !== null) {
        const extra: Record<string, unknown> = {}
        if (phase === 'end' && change.action === 'create') Object.assign(extra, {fixed_ips: fixedIps(state), message: 'Success'})
        if (phase === 'start' && change.action === 'create') extra.image_name = 'cirros'
        if (step.legacy === 'resize.prep' && phase === 'end') Object.assign(extra, {new_instance_type: change.flavor.name, new_instance_type_id: flavorNumber(world, change.flavor)})
        if (/^(resize|finish_resize)$/.test(step.legacy) || (step.legacy === 'resize.confirm' && phase === 'end')) extra.fixed_ips = fixedIps(state)
        push('notifications', `compute.instance.${step.legacy}.${phase}`, {...legacyPayload(world, state, flavor, opts), ...extra})
      }
      if (versioned && step.versioned !== null) {
        const data: Record<string, unknown> = {...versionedData(state, flavor, change), fault: null}
        let name = 'InstanceActionPayload'
        let version = '1.8'
        if (change.action === 'create') {
          name = 'InstanceCreatePayload'
          version = '1.12'
          Object.assign(data, createExtras(state))
        } else if (step.versioned === 'resize_prep') {
          name = 'InstanceActionResizePrepPayload'
          version = '1.3'
          data.new_flavor = flavorPayload(change.flavor)
        } else if (change.volumeId !== undefined) {
          name = 'InstanceActionVolumePayload'
          version = '1.6'
          data.volume_id = change.volumeId
        }
        push('versioned_notifications', `instance.${step.versioned}.${phase}`, versionedObject(name, version, data))
      }
    }
    // The legacy volume notifications are single events (compute.instance.volume.attach|detach).
    if (legacy && step.legacy === null && change.volumeId !== undefined) {
      push('notifications', `compute.instance.volume.${change.action}`, {...legacyPayload(world, after, change.flavor, opts), volume_id: change.volumeId})
    }
  })
  if (change.transitionalTaskState !== null && change.action !== 'delete') update(transitional, after, change.flavor)
  return out
}

/** The server as it was when the action started (a new server: building, nothing launched yet). */
function startState(change: ServerChange): Server {
  if (change.before) return change.before
  const a = change.after as Server
  return {...a, launchedAt: null, powerState: 0, taskState: null, vmState: 'building'}
}

/** nova's RequestContext: oslo.context's keys plus nova's own. */
function novaContext(world: World, c: ServerChange): Record<string, unknown> {
  return osloContext(world, c, {quota_class: null, read_deleted: 'no', remote_address: null, service_catalog: []})
}

/** A flavor's integer database id (`instance_type_id`): its position among the flavors. */
function flavorNumber(world: World, f: Flavor): number {
  const i = world.flavors.all().findIndex((x) => x.id === f.id)
  return i < 0 ? 1 : i + 1
}

/** `2026-11-22T03:03:57.867411` */
function micros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000')
}

/** `2026-11-22T03:03:51Z` */
function seconds(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function legacyPayload(world: World, s: Server, f: Flavor, opts: NovaNotifierOptions): Record<string, unknown> {
  return {
    tenant_id: s.projectId,
    user_id: s.userId,
    instance_id: s.id,
    display_name: s.name,
    reservation_id: s.reservationId,
    hostname: s.hostname,
    instance_type: f.name,
    instance_type_id: flavorNumber(world, f),
    instance_flavor_id: f.id,
    architecture: null,
    memory_mb: f.ram,
    disk_gb: f.disk + f.ephemeral,
    vcpus: f.vcpus,
    root_gb: f.disk,
    ephemeral_gb: f.ephemeral,
    host: s.host,
    node: s.host,
    availability_zone: s.availabilityZone,
    cell_name: '',
    created_at: new Date(s.createdAt).toISOString().replace(/\.\d{3}Z$/, '+00:00').replace('T', ' '),
    terminated_at: s.terminatedAt === null ? '' : micros(s.terminatedAt),
    deleted_at: s.deletedAt === null ? '' : micros(s.deletedAt),
    launched_at: s.launchedAt === null ? '' : micros(s.launchedAt),
    image_ref_url: `${opts.glanceUrl}/images/${s.imageId}`,
    os_type: null,
    kernel_id: '',
    ramdisk_id: '',
    state: s.vmState,
    state_description: s.taskState ?? '',
    progress: '',
    access_ip_v4: null,
    access_ip_v6: null,
    image_meta: {base_image_ref: s.imageId, container_format: 'bare', disk_format: 'raw', min_disk: String(f.disk), min_ram: '0'},
    metadata: s.metadata,
  }
}

function legacyUpdate(from: Server, to: Server, now: number): Record<string, unknown> {
  const d = new Date(now)
  return {
    old_state: from.vmState,
    old_task_state: from.taskState,
    new_task_state: to.taskState,
    audit_period_beginning: `${d.toISOString().slice(0, 8)}01T00:00:00.000000`,
    audit_period_ending: micros(now),
  }
}

function fixedIps(s: Server): unknown[] {
  const floating = s.addresses.filter((a) => a.type === 'floating')
  return s.addresses
    .filter((a) => a.type === 'fixed')
    .map((a) => ({
      address: a.addr,
      type: 'fixed',
      version: a.version,
      meta: {},
      floating_ips: floating.filter((x) => x.networkId === a.networkId).map((x) => ({address: x.addr, type: 'floating', version: x.version, meta: {}})),
      label: a.network,
      vif_mac: a.mac,
    }))
}

export function versionedObject(name: string, version: string, data: Record<string, unknown>): Record<string, unknown> {
  return {'nova_object.name': name, 'nova_object.namespace': 'nova', 'nova_object.version': version, 'nova_object.data': data}
}

function flavorPayload(f: Flavor): Record<string, unknown> {
  return versionedObject('FlavorPayload', '1.4', {
    flavorid: f.id,
    memory_mb: f.ram,
    vcpus: f.vcpus,
    root_gb: f.disk,
    ephemeral_gb: f.ephemeral,
    name: f.name,
    swap: f.swap,
    rxtx_factor: f.rxtxFactor,
    vcpu_weight: 0,
    disabled: f.disabled,
    is_public: f.isPublic,
    extra_specs: f.extraSpecs,
    projects: null,
    description: f.description,
  })
}

function ipPayload(a: ServerAddress): Record<string, unknown> {
  return versionedObject('IpPayload', '1.0', {label: a.network, mac: a.mac, meta: {}, port_uuid: a.portId, version: a.version, address: a.addr, device_name: `tap${a.portId.slice(0, 11)}`})
}

/** `InstancePayload` 1.x data (nova/notifications/objects/instance.py). */
function versionedData(s: Server, f: Flavor, c: ServerChange): Record<string, unknown> {
  return {
    uuid: s.id,
    user_id: s.userId,
    tenant_id: s.projectId,
    reservation_id: s.reservationId,
    display_name: s.name,
    display_description: s.description,
    host_name: s.hostname,
    host: s.host,
    node: s.host,
    os_type: null,
    architecture: null,
    availability_zone: s.availabilityZone,
    flavor: flavorPayload(f),
    image_uuid: s.imageId,
    key_name: s.keyName,
    kernel_id: '',
    ramdisk_id: '',
    created_at: seconds(s.createdAt),
    launched_at: seconds(s.launchedAt),
    terminated_at: seconds(s.terminatedAt),
    deleted_at: seconds(s.deletedAt),
    updated_at: seconds(s.updatedAt),
    state: s.vmState,
    power_state: POWER[s.powerState] ?? 'pending',
    task_state: s.taskState,
    progress: 0,
    ip_addresses: s.addresses.filter((a) => a.type === 'fixed').map((a) => ipPayload(a)),
    block_devices: s.volumeIds.map((id, i) =>
      versionedObject('BlockDevicePayload', '1.0', {boot_index: null, delete_on_termination: false, device_name: `/dev/vd${String.fromCodePoint(98 + i)}`, tag: null, volume_id: id}),
    ),
    metadata: s.metadata,
    locked: s.locked,
    auto_disk_config: 'MANUAL',
    request_id: c.requestId,
    action_initiator_user: c.userId,
    action_initiator_project: c.projectId,
    locked_reason: null,
  }
}

function createExtras(s: Server): Record<string, unknown> {
  return {keypairs: [], tags: s.tags, trusted_image_certificates: null, instance_name: s.instanceName}
}

function versionedUpdate(from: Server, to: Server, now: number): Record<string, unknown> {
  const d = new Date(now)
  return {
    state_update: versionedObject('InstanceStateUpdatePayload', '1.0', {old_state: from.vmState, state: to.vmState, old_task_state: from.taskState, new_task_state: to.taskState}),
    audit_period: versionedObject('AuditPeriodPayload', '1.0', {audit_period_beginning: `${d.toISOString().slice(0, 8)}01T00:00:00Z`, audit_period_ending: seconds(now)}),
    old_display_name: from.name === to.name ? null : from.name,
    tags: to.tags,
  }
}

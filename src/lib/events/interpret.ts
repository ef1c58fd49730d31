/**
 * Notification → the one entity it is about (reference/openstack-anchors.md §3, §5). Pure and
 * table-driven: each family says which event types move an entity Concertim shows, where the entity
 * id is, and whether the payload carries the entity's full state (versioned nova, cinder, neutron)
 * or only names it (legacy nova, heat, keystone), in which case the engine fetches that one entity.
 */
import type {Network, Server, Volume} from '../model/cloud.js'
import {isObject} from './decode.js'
import {novaPayloadRule} from './payload-currency.js'
import type {EntityKind, EntityRef, Family, Interpretation, OsloMessage, PayloadState} from './types.js'

/** The notification power_state strings → the API's integer `OS-EXT-STS:power_state` (nova/objects/fields.py). */
const POWER_STATES: Readonly<Record<string, number>> = {crashed: 6, paused: 3, pending: 0, running: 1, shutdown: 4, suspended: 7}

/** nova/api/openstack/common.py `_STATE_MAP`: vm_state (+ task_state) → API status. */
const STATUS_BY_VM_STATE: Readonly<Record<string, string>> = {
  active: 'ACTIVE',
  building: 'BUILD',
  deleted: 'DELETED',
  error: 'ERROR',
  paused: 'PAUSED',
  rescued: 'RESCUE',
  resized: 'VERIFY_RESIZE',
  shelved: 'SHELVED',
  shelved_offloaded: 'SHELVED_OFFLOADED',
  'soft-delete': 'SOFT_DELETED',
  stopped: 'SHUTOFF',
  suspended: 'SUSPENDED',
}

const STATUS_BY_TASK_STATE: Readonly<Record<string, string>> = {
  migrating: 'MIGRATING',
  reboot_pending: 'REBOOT',
  reboot_pending_hard: 'HARD_REBOOT',
  reboot_started: 'REBOOT',
  reboot_started_hard: 'HARD_REBOOT',
  rebooting: 'REBOOT',
  rebooting_hard: 'HARD_REBOOT',
  rebuild_block_device_mapping: 'REBUILD',
  rebuild_spawning: 'REBUILD',
  rebuilding: 'REBUILD',
  resize_finish: 'RESIZE',
  resize_migrated: 'RESIZE',
  resize_migrating: 'RESIZE',
  resize_prep: 'RESIZE',
  resize_reverting: 'REVERT_RESIZE',
  updating_password: 'PASSWORD',
}

/** The API `status` nova would show for a vm_state and task_state. */
export function novaApiStatus(vmState: null | string, taskState: null | string): string {
  const base = STATUS_BY_VM_STATE[vmState ?? ''] ?? 'UNKNOWN'
  if (taskState === null || (vmState !== 'active' && vmState !== 'stopped' && vmState !== 'error' && vmState !== 'resized')) return base
  const byTask = STATUS_BY_TASK_STATE[taskState]
  if (byTask === undefined) return base
  if (vmState === 'stopped' && !byTask.startsWith('RESIZE')) return base
  if (vmState === 'error' && byTask !== 'REBUILD') return base
  if (vmState === 'resized' && byTask !== 'REVERT_RESIZE') return base
  return byTask
}

/** Event types of each family that change nothing Concertim shows. */
const IGNORED_PREFIXES: ReadonlyArray<readonly [string, Family, string]> = [
  ['compute.instance.exists', 'nova-legacy', 'audit event'],
  ['instance.exists', 'nova-versioned', 'audit event'],
  ['volume.exists', 'cinder', 'audit event'],
  ['volume.usage', 'nova-versioned', 'usage audit'],
  ['compute.', 'nova-legacy', 'not an instance event'],
  ['compute_task.', 'nova-versioned', 'not an instance event'],
  ['scheduler.', 'nova-legacy', 'scheduler event'],
  ['aggregate.', 'nova-versioned', 'not an instance event'],
  ['flavor.', 'nova-versioned', 'flavors are read by sync'],
  ['keypair.', 'nova-versioned', 'not shown'],
  ['server_group.', 'nova-versioned', 'not shown'],
  ['service.', 'nova-versioned', 'not shown'],
  ['libvirt.', 'nova-versioned', 'not shown'],
  ['metrics.update', 'nova-versioned', 'not shown'],
  ['orchestration.', 'heat', 'not a stack event'],
  ['snapshot.', 'cinder', 'snapshots are not shown'],
  ['backup.', 'cinder', 'backups are not shown'],
  ['group.', 'cinder', 'not shown'],
  ['consistencygroup.', 'cinder', 'not shown'],
  ['subnet.', 'neutron', 'subnets are part of their network'],
  ['port.', 'neutron', 'ports are not shown'],
  ['router.', 'neutron', 'routers are not shown'],
  ['floatingip.', 'neutron', 'floating IPs are read with their server'],
  ['security_group', 'neutron', 'not shown'],
  ['identity.', 'keystone', 'not a project or user deletion'],
]

export function interpret(m: OsloMessage): Interpretation {
  const t = m.eventType
  if (t.startsWith('instance.') && !t.startsWith('instance.exists')) return novaVersioned(m)
  if (t.startsWith('compute.instance.') && !t.startsWith('compute.instance.exists')) return novaLegacy(m)
  if (t.startsWith('orchestration.stack.')) return heat(m)
  if (t.startsWith('orchestration.autoscaling.')) return autoscaling(m)
  if (t.startsWith('volume.') && !t.startsWith('volume.exists') && !t.startsWith('volume.usage')) return cinder(m)
  if (t.startsWith('network.')) return neutron(m)
  if (/^identity\.(project|user)\./.test(t)) {
    const r = keystone(m)
    if (r !== undefined) return r
  }
  for (const [prefix, family, why] of IGNORED_PREFIXES) {
    if (t.startsWith(prefix)) return {eventType: t, kind: 'ignored', reason: `${family}: ${why}`}
  }
  return {eventType: t, kind: 'unknown', reason: `no family handles event type '${t}'`}
}

/** `instance.power_off.end` → `power_off`; `instance.update` → `update`. */
function actionOf(eventType: string, prefix: string): string {
  const rest = eventType.slice(prefix.length)
  return rest.replace(/\.(start|end|error)$/, '')
}

function entity(m: OsloMessage, family: Family, kind: EntityKind, id: string, action: string, state?: PayloadState, related: readonly EntityRef[] = []): Interpretation {
  const projectId = projectOf(m.payload)
  return {action, eventType: m.eventType, family, kind: 'entity', messageId: m.messageId, ...(projectId === undefined ? {} : {projectId}), ref: {id, kind}, ...(related.length > 0 ? {related: [...related]} : {}), state, version: m.timestampUs}
}

/** The project a payload names (heat, cinder, nova legacy `tenant_id`; nova versioned `tenant_id` in its object; neutron `project_id`). */
function projectOf(payload: unknown): string | undefined {
  if (!isObject(payload)) return undefined
  const nova = isObject(payload['nova_object.data']) ? payload['nova_object.data'] : undefined
  const net = isObject(payload.network) ? payload.network : undefined
  return str(payload.tenant_id) ?? str(payload.project_id) ?? str(nova?.tenant_id) ?? str(net?.project_id) ?? str(net?.tenant_id)
}

function malformed(m: OsloMessage, what: string): Interpretation {
  return {eventType: m.eventType, kind: 'malformed', reason: `${m.eventType}: ${what}`}
}

// ---------------------------------------------------------------------------------------------
// The types of the payload fields read here. Absent is fine (what a payload lacks is read); a
// field present with another type makes the message malformed (dead-lettered with the reason):
// taking it for a missing value would apply a made-up state.

interface FieldSpec {
  /** For objects, and for the items of a list (which must then be objects). */
  fields?: Readonly<Record<string, FieldSpec>>
  nullable?: boolean
  type: 'boolean' | 'list' | 'number' | 'object' | 'string'
}

const S: FieldSpec = {type: 'string'}
const S_NULL: FieldSpec = {nullable: true, type: 'string'}

/** nova/notifications/objects/instance.py InstancePayload (and flavor.py, IpPayload, BlockDevicePayload): the fields read. */
const NOVA_INSTANCE: Readonly<Record<string, FieldSpec>> = {
  block_devices: {fields: {volume_id: S}, nullable: true, type: 'list'},
  display_name: S_NULL,
  flavor: {fields: {flavorid: S, name: S}, type: 'object'},
  ip_addresses: {fields: {address: S, label: S}, type: 'list'},
  key_name: S_NULL,
  power_state: S_NULL,
  state: S_NULL,
  task_state: S_NULL,
  tenant_id: S_NULL,
  uuid: S,
}

/** cinder/volume/volume_utils.py `_usage_from_volume`: the fields read. */
const CINDER_VOLUME: Readonly<Record<string, FieldSpec>> = {
  availability_zone: S_NULL,
  display_name: S_NULL,
  size: {nullable: true, type: 'number'},
  status: S_NULL,
  tenant_id: S_NULL,
  volume_attachment: {fields: {attach_status: S_NULL, instance_uuid: S_NULL, mountpoint: S_NULL, server_id: S_NULL}, nullable: true, type: 'list'},
  volume_id: S,
}

const BOOL_NULL: FieldSpec = {nullable: true, type: 'boolean'}

/** neutron's network body (`network.*.end`): the fields read. */
const NEUTRON_NETWORK: Readonly<Record<string, FieldSpec>> = {
  network: {
    fields: {admin_state_up: BOOL_NULL, id: S, l2_adjacency: BOOL_NULL, mtu: {nullable: true, type: 'number'}, name: S_NULL, port_security_enabled: BOOL_NULL, project_id: S_NULL, shared: BOOL_NULL, status: S_NULL, tenant_id: S_NULL},
    type: 'object',
  },
  network_id: S,
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'object' ? 'an object' : `a ${typeof v}`
}

function hasType(v: unknown, type: FieldSpec['type']): boolean {
  if (type === 'list') return Array.isArray(v)
  if (type === 'object') return isObject(v)
  if (type === 'number') return typeof v === 'number' && Number.isFinite(v)
  return typeof v === type
}

/** The first field of `obj` the spec types otherwise, as a reason; undefined when all are right. */
function wronglyTypedField(obj: Record<string, unknown>, spec: Readonly<Record<string, FieldSpec>>, path = ''): string | undefined {
  for (const [name, f] of Object.entries(spec)) {
    const v = obj[name]
    const where = `${path}${name}`
    if (v === undefined || (v === null && f.nullable === true)) continue
    if (!hasType(v, f.type)) return `field '${where}' is ${typeName(v)}, not ${f.type === 'object' ? 'an object' : `a ${f.type}`}${f.nullable === true ? ' or null' : ''}`
    if (f.fields === undefined) continue
    const items = f.type === 'list' ? (v as unknown[]).map((x, i) => [x, `${where}[${i}]`] as const) : [[v, where] as const]
    for (const [item, at] of items) {
      if (!isObject(item)) return `field '${at}' is ${typeName(item)}, not an object`
      const inner = wronglyTypedField(item, f.fields, `${at}.`)
      if (inner !== undefined) return inner
    }
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// nova

/** A nova versioned object's fields, nested objects unwrapped (`nova_object.data`). */
export function unwrapNovaObject(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v
  // Copy on write: what holds no nova object is handed back as it is (never changed).
  if (Array.isArray(v)) {
    let out: unknown[] | undefined
    for (let i = 0; i < v.length; i++) {
      const u = unwrapNovaObject(v[i])
      if (u !== v[i]) (out ??= [...v])[i] = u
    }
    return out ?? v
  }
  const o = v as Record<string, unknown>
  if ('nova_object.data' in o) return unwrapNovaObject(o['nova_object.data'])
  let out: Record<string, unknown> | undefined
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue
    const u = unwrapNovaObject(o[k])
    if (u !== o[k]) (out ??= {...o})[k] = u
  }
  return out ?? o
}

function novaVersioned(m: OsloMessage): Interpretation {
  const data = unwrapNovaObject(m.payload)
  if (!isObject(data)) return malformed(m, 'payload is not a nova object')
  const wrong = wronglyTypedField(data, NOVA_INSTANCE)
  if (wrong !== undefined) return malformed(m, wrong)
  const id = str(data.uuid)
  if (id === undefined) return malformed(m, 'payload has no instance uuid')
  const action = actionOf(m.eventType, 'instance.')
  if (m.eventType === 'instance.delete.end' || data.state === 'deleted') return entity(m, 'nova-versioned', 'server', id, action, {deleted: true, kind: 'server'})
  // Only a payload known to hold the state nova settled on stands in for a GET (payload-currency.ts).
  if (novaPayloadRule(m.eventType).rule === 'read') return entity(m, 'nova-versioned', 'server', id, action)
  const {record, unknown} = serverFromVersioned(id, data)
  return entity(m, 'nova-versioned', 'server', id, action, {deleted: false, kind: 'server', record, unknown})
}

function serverFromVersioned(id: string, d: Record<string, unknown>): {record: Server; unknown: string[]} {
  const unknown = ['floatingIps']
  const flavor = isObject(d.flavor) ? d.flavor : {}
  const vmState = str(d.state) ?? null
  const taskState = str(d.task_state) ?? null
  const ips = Array.isArray(d.ip_addresses) ? d.ip_addresses.filter((x) => isObject(x)) : []
  const labels: string[] = []
  for (const ip of ips) {
    const label = str(ip.label)
    if (label !== undefined && !labels.includes(label)) labels.push(label)
  }
  let volumeIds: string[] = []
  if (Array.isArray(d.block_devices)) {
    volumeIds = d.block_devices.filter((b) => isObject(b)).map((b) => str(b.volume_id)).filter((v): v is string => v !== undefined)
  } else {
    unknown.push('volumeIds')
  }
  const power = str(d.power_state)
  const record: Server = {
    fixedIps: ips.map((ip) => str(ip.address)).filter((a): a is string => a !== undefined),
    flavorId: str(flavor.flavorid) ?? null,
    flavorName: str(flavor.name) ?? null,
    floatingIps: [],
    id,
    keyName: str(d.key_name) ?? null,
    name: str(d.display_name) ?? '',
    networkNames: labels,
    powerState: power === undefined ? null : (POWER_STATES[power] ?? null),
    projectId: str(d.tenant_id) ?? '',
    status: novaApiStatus(vmState, taskState),
    taskState,
    vmState,
    volumeIds,
  }
  return {record, unknown}
}

function novaLegacy(m: OsloMessage): Interpretation {
  const p = m.payload
  if (!isObject(p)) return malformed(m, 'payload is not an object')
  const id = str(p.instance_id) ?? str(p.instance_uuid)
  if (id === undefined) return malformed(m, 'payload has no instance_id')
  const action = actionOf(m.eventType, 'compute.instance.')
  // The legacy payload has no power state and no attached volumes: fetch the server.
  const deleted = m.eventType === 'compute.instance.delete.end' || p.state === 'deleted'
  return entity(m, 'nova-legacy', 'server', id, action, deleted ? {deleted: true, kind: 'server'} : undefined)
}

// ---------------------------------------------------------------------------------------------
// heat

/** `stack_identity` is the stack id (or, in some releases, its ARN `arn:openstack:heat::<tenant>:stacks/<name>/<id>`). */
function stackId(v: unknown): string | undefined {
  const s = str(v)
  if (s === undefined) return undefined
  const arn = /stacks\/[^/]+\/([^/]+)$/.exec(s)
  return arn?.[1] ?? s
}

function heat(m: OsloMessage): Interpretation {
  const p = m.payload
  if (!isObject(p)) return malformed(m, 'payload is not an object')
  const id = stackId(p.stack_identity)
  if (id === undefined) return malformed(m, 'payload has no stack_identity')
  const action = actionOf(m.eventType, 'orchestration.stack.')
  // Heat's payload carries no resources and no outputs: the rack needs the stack fetched.
  const deleted = p.state === 'DELETE_COMPLETE'
  return entity(m, 'heat', 'stack', id, action, deleted ? {deleted: true, kind: 'stack'} : undefined)
}

/**
 * `orchestration.autoscaling.start|end|error` (heat/engine/notification/autoscaling.py): the body of
 * the stack that holds the scaling group (`stack_identity`), plus `adjustment`, `capacity`,
 * `groupname`. A scaling changes only the group's nested stack: the holding stack is reconciled (read
 * afresh: its resources changed while its own `updated_time` did not).
 */
function autoscaling(m: OsloMessage): Interpretation {
  const p = m.payload
  if (!isObject(p)) return malformed(m, 'payload is not an object')
  const id = stackId(p.stack_identity)
  if (id === undefined) return malformed(m, 'payload has no stack_identity')
  return entity(m, 'heat', 'stack', id, `autoscaling.${m.eventType.slice('orchestration.autoscaling.'.length)}`)
}

// ---------------------------------------------------------------------------------------------
// cinder

function cinder(m: OsloMessage): Interpretation {
  const p = m.payload
  if (!isObject(p)) return malformed(m, 'payload is not an object')
  const wrong = wronglyTypedField(p, CINDER_VOLUME)
  if (wrong !== undefined) return malformed(m, wrong)
  const id = str(p.volume_id) ?? str(p.id)
  if (id === undefined) return malformed(m, 'payload has no volume_id')
  const action = actionOf(m.eventType, 'volume.')
  if (m.eventType === 'volume.delete.end' || p.status === 'deleted') return entity(m, 'cinder', 'volume', id, action, {deleted: true, kind: 'volume'})
  const attachments = Array.isArray(p.volume_attachment) ? p.volume_attachment.filter((a) => isObject(a)) : []
  // An attach or detach changes the server's list of volumes too (its device shows it; nova's own
  // notifications may be off or thin): the servers named by the attachments, whatever their status.
  const related: EntityRef[] = /^volume\.(attach|detach)\./.test(m.eventType)
    ? [...new Set(attachments.map((a) => str(a.instance_uuid) ?? str(a.server_id)).filter((x): x is string => x !== undefined))].map((sid) => ({id: sid, kind: 'server'}))
    : []
  const status = str(p.status)
  if (status === undefined) return entity(m, 'cinder', 'volume', id, action, undefined, related)
  const record: Volume = {
    attachments: attachments
      .filter((a) => a.attach_status === undefined || a.attach_status === 'attached')
      .map((a) => ({device: str(a.mountpoint) ?? null, serverId: str(a.instance_uuid) ?? str(a.server_id) ?? ''}))
      .filter((a) => a.serverId !== ''),
    availabilityZone: str(p.availability_zone) ?? null,
    bootable: null,
    encrypted: null,
    id,
    name: str(p.display_name) ?? null,
    projectId: str(p.tenant_id) ?? null,
    size: typeof p.size === 'number' ? p.size : null,
    status,
    // The payload's volume_type is the type's id; the API (and observe) give its name.
    volumeType: null,
  }
  return entity(m, 'cinder', 'volume', id, action, {deleted: false, kind: 'volume', record, unknown: ['bootable', 'encrypted', 'volumeType']}, related)
}

// ---------------------------------------------------------------------------------------------
// neutron

function neutron(m: OsloMessage): Interpretation {
  const p = m.payload
  if (!isObject(p)) return malformed(m, 'payload is not an object')
  const t = m.eventType
  if (!/^network\.(create|update|delete)\.(start|end)$/.test(t)) return {eventType: t, kind: 'ignored', reason: 'neutron: not a network change'}
  // `.start` carries the request body (create.start has no id yet): the `.end` follows.
  if (t.endsWith('.start')) return {eventType: t, kind: 'ignored', reason: 'neutron: the request, not the result (the .end follows)'}
  const wrong = wronglyTypedField(p, NEUTRON_NETWORK)
  if (wrong !== undefined) return malformed(m, wrong)
  const net = isObject(p.network) ? p.network : undefined
  const id = str(net?.id) ?? str(p.network_id) ?? str(p.id)
  if (id === undefined) return malformed(m, 'payload has no network id')
  const action = actionOf(t, 'network.')
  if (t === 'network.delete.end') return entity(m, 'neutron', 'network', id, action, {deleted: true, kind: 'network'})
  if (net === undefined || str(net.status) === undefined) return entity(m, 'neutron', 'network', id, action)
  const record: Network = {
    adminStateUp: typeof net.admin_state_up === 'boolean' ? net.admin_state_up : null,
    id,
    l2Adjacency: typeof net.l2_adjacency === 'boolean' ? net.l2_adjacency : null,
    mtu: typeof net.mtu === 'number' ? net.mtu : null,
    name: str(net.name) ?? '',
    portSecurityEnabled: typeof net.port_security_enabled === 'boolean' ? net.port_security_enabled : null,
    projectId: str(net.project_id) ?? str(net.tenant_id) ?? null,
    shared: typeof net.shared === 'boolean' ? net.shared : null,
    status: str(net.status) ?? 'UNKNOWN',
  }
  return entity(m, 'neutron', 'network', id, action, {deleted: false, kind: 'network', record, unknown: []})
}

// ---------------------------------------------------------------------------------------------
// keystone

/** `identity.project.deleted` / `identity.user.deleted` (and project created/updated: fetched). */
function keystone(m: OsloMessage): Interpretation | undefined {
  const match = /^identity\.(project|user)\.(created|updated|deleted)$/.exec(m.eventType)
  if (match === null) return undefined
  const [, resource, op] = match
  if (resource === 'user' && op !== 'deleted') return {eventType: m.eventType, kind: 'ignored', reason: 'keystone: users are followed on deletion only'}
  const p = m.payload
  if (!isObject(p)) return malformed(m, 'payload is not an object')
  const target = isObject(p.target) ? p.target : undefined
  const id = str(p.resource_info) ?? str(target?.id)
  if (id === undefined) return malformed(m, 'payload has no resource_info')
  const kind: EntityKind = resource === 'user' ? 'user' : 'project'
  return entity(m, 'keystone', kind, id, op, op === 'deleted' ? {deleted: true, kind} : undefined)
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined
}

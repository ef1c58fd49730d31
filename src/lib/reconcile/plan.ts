/**
 * plan(desired, actual, baseline, options) → Plan (pure; DESIGN §3).
 *
 * Concertim objects are matched to cloud objects by their own fields — template `foreign_id`, rack
 * `metadata.openstack_stack_id`, device `metadata.openstack_instance_id` — never by a local view.
 * Updates carry only the owned fields that differ; an object already right gives no action, so a
 * cloud that did not change gives an empty plan.
 */
import type {Baseline} from '../model/baseline.js'
import {
  type ConcertimDevice,
  type ConcertimRack,
  type ConcertimState,
  type ConcertimTemplate,
  MAX_DEVICE_NAME,
  MAX_RACK_NAME,
  MAX_TEMPLATE_NAME,
} from '../model/concertim.js'
import type {DesiredDevice, DesiredRack, DesiredState, DesiredTemplate} from '../model/desired.js'
import type {JsonObject, JsonValue} from '../model/json.js'
import {DeviceMetadata, RackMetadata} from '../model/metadata.js'
import type {
  Action,
  DeviceCreate,
  DirectAnswer,
  DeviceCreateBody,
  DeviceUpdate,
  DeviceUpdateBody,
  FieldChange,
  Notice,
  ObservedObject,
  Plan,
  RackCreate,
  RackUpdate,
  RackUpdateBody,
  SupersededDevice,
  TemplateCreate,
  TemplateUpdate,
  TemplateUpdateBody,
} from '../model/plan.js'
import {EVERYTHING, type Scope} from '../model/scope.js'
import {hashText} from './baseline.js'
import {capMessage, type DeviceCandidate, planDeletions, type RackCandidate} from './deletion/index.js'
import {deviceKey, standaloneRackKey, stackRackKey} from './desire.js'
import {assignNames, legacyDeviceName, type NameRequest} from './naming.js'
import {canonical, type Decode, type FieldKind, identityDecode, kindOfDetail, kindOfMetadata, sameValue, stableJson} from './owned-fields.js'
import {isValidLocation, placeDevice, RackOccupancy} from './placement.js'

export interface PlanOptions {
  /** Delete even when over the cap. */
  allowMassDelete?: boolean
  /** Cloud ids a direct GET answered 404 for (see `Plan.pendingConfirmations`); short for `direct` answers 'gone'. */
  confirmedGone?: ReadonlySet<string>
  /** What direct GETs of deletion candidates said, by cloud id (see `Plan.pendingConfirmations`). */
  direct?: ReadonlyMap<string, DirectAnswer>
  /**
   * Whether the OpenStack token is proven to see every project (default true for the pure planner;
   * the engine always says). Without it no 404 proves anything and nothing is deleted.
   */
  seesAllProjects?: boolean
  /** Decoder of the Python-repr values of the original service (src/lib/concertim/legacy.ts). */
  decode?: Decode
  /** `u_height` of new racks (config `default_rack_height`), 42 by default. */
  defaultRackHeight?: number
  /** Default: 10% of the managed racks and devices, at least 5. */
  maxDeletes?: number
  /** What this reconcile covers (default: everything). Nothing outside it is deleted. */
  scope?: Scope
}

export const DEFAULT_RACK_HEIGHT = 42

const byId = <T extends {id: string}>(a: T, b: T): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
const byKey = <T extends {key: string}>(a: T, b: T): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)

/** A metadata value as plain text (null when absent, empty or a legacy `None`). */
function metaText(metadata: JsonObject, key: string, decode: Decode): null | string {
  const v = canonical('text', metadata[key], decode)
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null
}

/** The key of a Concertim rack we manage, or null for a rack that is not ours. */
export function managedRackKey(rack: ConcertimRack, decode: Decode = identityDecode): null | string {
  const stackId = metaText(rack.metadata, RackMetadata.stackId, decode)
  if (stackId !== null) return stackRackKey(stackId)
  const projectId = metaText(rack.metadata, RackMetadata.standaloneProjectId, decode)
  return projectId === null ? null : standaloneRackKey(projectId)
}

/** The key of a Concertim device we manage, or null for a device that is not ours. */
export function managedDeviceKey(device: ConcertimDevice, decode: Decode = identityDecode): null | string {
  const id = metaText(device.metadata, DeviceMetadata.instanceId, decode)
  return id === null ? null : deviceKey(id)
}

class Changes {
  readonly fields: Record<string, FieldChange> = {}

  get any(): boolean {
    return Object.keys(this.fields).length > 0
  }

  /** Records a change when `wanted` differs from `actual`; returns whether it did. */
  check(field: string, kind: FieldKind, wanted: JsonValue | undefined, actual: JsonValue | undefined, decode: Decode): boolean {
    if (sameValue(kind, wanted, actual, decode)) return false
    this.fields[field] = {from: actual ?? null, to: wanted ?? null}
    return true
  }

  get list(): string {
    return Object.keys(this.fields).join(', ')
  }
}

/** The hash of owned fields in canonical form (the same text `stableJson` gives for the object). */
function ownedHash(fields: Record<string, [FieldKind, JsonValue | undefined]>): string {
  const parts: string[] = []
  for (const k of Object.keys(fields).sort()) {
    const [kind, v] = fields[k]
    parts.push(`${JSON.stringify(k)}:${stableJson(canonical(kind, v))}`)
  }
  return hashText(`{${parts.join(',')}}`)
}

function templateHash(t: DesiredTemplate, name: string): string {
  return ownedHash({disk: ['number', t.disk], name: ['text', name], ram: ['number', t.ram], vcpus: ['number', t.vcpus]})
}

function rackHash(r: DesiredRack, name: string): string {
  const fields: Record<string, [FieldKind, JsonValue | undefined]> = {
    creation_output: ['text', r.creationOutput],
    name: ['text', name],
    status: ['text', r.status],
  }
  for (const [k, v] of Object.entries(r.metadata)) fields[`metadata.${k}`] = [kindOfMetadata(k), v]
  if (r.orderIdSource === 'billing') fields.order_id = ['text', r.orderId]
  return ownedHash(fields)
}

function deviceHash(d: DesiredDevice, name: string): string {
  const fields: Record<string, [FieldKind, JsonValue | undefined]> = {name: ['text', name], status: ['text', d.status]}
  for (const [k, v] of Object.entries(d.details)) fields[`details.${k}`] = [kindOfDetail(k), v]
  for (const [k, v] of Object.entries(d.metadata)) fields[`metadata.${k}`] = [kindOfMetadata(k), v]
  return ownedHash(fields)
}

/** Why an update happens: the cloud changed, or someone edited a field we own in Concertim. */
function updateReason(baseline: Baseline, key: string, hash: string, changes: Changes): string {
  const entry = Object.hasOwn(baseline.entries, key) ? baseline.entries[key] : undefined
  return entry !== undefined && entry.hash === hash
    ? `edited in Concertim since concertim-os wrote it; restoring ${changes.list}`
    : `changed in the cloud: ${changes.list}`
}

interface TemplateSlot {
  concertimId: null | string
  failed?: string
  height: number
}

interface RackSlot {
  actual?: ConcertimRack
  concertimId: null | string
  desired: DesiredRack
  failed?: string
  name: string
  occupancy: RackOccupancy
}

function isMissingOrderId(v: null | string): boolean {
  return v === null || v.trim() === '' || v === 'None'
}

export function plan(desired: DesiredState, actual: ConcertimState, baseline: Baseline, options: PlanOptions = {}): Plan {
  const decode = options.decode ?? identityDecode
  const defaultHeight = options.defaultRackHeight ?? DEFAULT_RACK_HEIGHT
  const scope = options.scope ?? EVERYTHING
  const notices: Notice[] = []
  const observed: Record<string, ObservedObject> = {}
  const kept = new Set(desired.keep)

  for (const u of desired.unknownStatuses) notices.push({message: `unknown ${u.source} ${JSON.stringify(u.value)}: shown as FAILED`})

  // ---------------------------------------------------------------------------------------------
  // Indexes of what Concertim has.
  const templates = [...actual.templates].sort(byId)
  const templateByForeign = new Map<string, ConcertimTemplate>()
  const templateByTag = new Map<string, ConcertimTemplate>()
  const templateById = new Map<string, ConcertimTemplate>()
  for (const t of templates) {
    templateById.set(t.id, t)
    if (t.foreignId !== null && t.foreignId !== '' && !templateByForeign.has(t.foreignId)) templateByForeign.set(t.foreignId, t)
    if (t.tag !== null && t.tag !== '' && !templateByTag.has(t.tag)) templateByTag.set(t.tag, t)
  }

  const rackByKey = new Map<string, ConcertimRack>()
  const keyOfRack = new Map<string, string>()
  const racksByTeam = new Map<string, ConcertimRack[]>()
  for (const r of [...actual.racks].sort(byId)) {
    const list = racksByTeam.get(r.teamId)
    if (list === undefined) racksByTeam.set(r.teamId, [r])
    else list.push(r)
    const key = managedRackKey(r, decode)
    if (key === null) continue
    if (rackByKey.has(key)) {
      notices.push({key, message: `rack ${r.name} (${r.id}) shows the same cloud object as rack ${rackByKey.get(key)?.id}; left as it is`, object: 'rack'})
      continue
    }
    rackByKey.set(key, r)
    keyOfRack.set(r.id, key)
  }

  const deviceByKey = new Map<string, ConcertimDevice>()
  const keyOfDevice = new Map<string, string>()
  const devicesByRack = new Map<string, ConcertimDevice[]>()
  let managedDevices = 0
  for (const d of [...actual.devices].sort(byId)) {
    if (d.rackId !== null) {
      const list = devicesByRack.get(d.rackId)
      if (list === undefined) devicesByRack.set(d.rackId, [d])
      else list.push(d)
    }
    const key = managedDeviceKey(d, decode)
    if (key === null) continue
    managedDevices++
    if (deviceByKey.has(key)) {
      notices.push({key, message: `device ${d.name} (${d.id}) shows the same cloud object as device ${deviceByKey.get(key)?.id}; left as it is`, object: 'device'})
      continue
    }
    deviceByKey.set(key, d)
    keyOfDevice.set(d.id, key)
  }

  // ---------------------------------------------------------------------------------------------
  // Templates.
  const templateActions: (TemplateCreate | TemplateUpdate)[] = []
  const templateSlots = new Map<string, TemplateSlot>()
  {
    const matched = new Set<string>()
    const requests: NameRequest[] = []
    for (const t of desired.templates) {
      const a = templateByForeign.get(t.foreignId)
      if (a !== undefined) matched.add(a.id)
      requests.push({base: t.name, key: t.key, ...(a === undefined ? {} : {current: a.name})})
    }
    const taken = new Set(templates.filter((t) => !matched.has(t.id)).map((t) => t.name))
    const names = assignNames(requests, taken, MAX_TEMPLATE_NAME)
    for (const t of [...desired.templates].sort(byKey)) {
      const name = names.get(t.key) ?? t.name
      const a = templateByForeign.get(t.foreignId)
      const hash = templateHash(t, name)
      if (a === undefined) {
        templateSlots.set(t.key, {concertimId: null, height: t.height})
        templateActions.push({
          body: {
            description: t.description,
            foreign_id: t.foreignId,
            height: t.height,
            name,
            ...(t.disk === null ? {} : {disk: t.disk}),
            ...(t.ram === null ? {} : {ram: t.ram}),
            ...(t.vcpus === null ? {} : {vcpus: t.vcpus}),
          },
          changes: {
            disk: {from: null, to: t.disk},
            height: {from: null, to: t.height},
            name: {from: null, to: name},
            ram: {from: null, to: t.ram},
            vcpus: {from: null, to: t.vcpus},
          },
          cloudId: t.foreignId,
          concertimId: null,
          hash,
          key: t.key,
          kind: 'create',
          name,
          object: 'template',
          reason: `new flavor ${t.foreignId}`,
        })
        continue
      }
      templateSlots.set(t.key, {concertimId: a.id, height: a.height})
      if (a.height !== t.height) {
        notices.push({
          key: t.key,
          message: `template ${a.name}: the flavor now calls for ${t.height} U, the template has ${a.height} U; Concertim cannot change a template's height, so it stays`,
          object: 'template',
        })
      }
      const changes = new Changes()
      const body: TemplateUpdateBody = {}
      if (changes.check('name', 'text', name, a.name, decode)) body.name = name
      if (changes.check('ram', 'number', t.ram, a.ram, decode)) body.ram = t.ram
      if (changes.check('disk', 'number', t.disk, a.disk, decode)) body.disk = t.disk
      if (changes.check('vcpus', 'number', t.vcpus, a.vcpus, decode)) body.vcpus = t.vcpus
      if (!changes.any) {
        observed[t.key] = {concertimId: a.id, hash}
        continue
      }
      templateActions.push({
        body,
        changes: changes.fields,
        cloudId: t.foreignId,
        concertimId: a.id,
        hash,
        key: t.key,
        kind: 'update',
        name,
        object: 'template',
        reason: updateReason(baseline, t.key, hash, changes),
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Racks: names (unique per team) and slots; the actions come after device placement (growth).
  const rackSlots = new Map<string, RackSlot>()
  {
    const matchedIds = new Set<string>()
    const requestsByTeam = new Map<string, NameRequest[]>()
    const live: DesiredRack[] = []
    for (const r of [...desired.racks].sort(byKey)) {
      const a = rackByKey.get(r.key)
      if (a === undefined && !r.createAllowed) continue
      live.push(r)
      if (a !== undefined) matchedIds.add(a.id)
      const requests = requestsByTeam.get(r.teamId) ?? []
      requests.push({base: r.name, key: r.key, ...(a === undefined || a.teamId !== r.teamId ? {} : {current: a.name})})
      requestsByTeam.set(r.teamId, requests)
    }
    const names = new Map<string, string>()
    for (const [teamId, requests] of requestsByTeam) {
      const taken = new Set((racksByTeam.get(teamId) ?? []).filter((r) => !matchedIds.has(r.id)).map((r) => r.name))
      for (const [k, v] of assignNames(requests, taken, MAX_RACK_NAME)) names.set(k, v)
    }
    for (const r of live) {
      const a = rackByKey.get(r.key)
      const height = a?.uHeight ?? defaultHeight
      const slot: RackSlot = {
        concertimId: a?.id ?? null,
        desired: r,
        name: names.get(r.key) ?? r.name,
        occupancy: new RackOccupancy(height),
        ...(a === undefined ? {} : {actual: a}),
      }
      if (a === undefined && r.orderIdError !== undefined) slot.failed = r.orderIdError
      if (a !== undefined) {
        for (const d of devicesByRack.get(a.id) ?? []) if (isValidLocation(d.location, height) && d.location !== null) slot.occupancy.occupy(d.location.startU, d.location.endU)
      }
      rackSlots.set(r.key, slot)
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Devices, rack by rack: names unique per rack, places for new devices and misplaced ones.
  const deviceActions: (DeviceCreate | DeviceUpdate)[] = []
  const devicesOfRack = new Map<string, DesiredDevice[]>()
  for (const d of desired.devices) {
    const list = devicesOfRack.get(d.rackKey)
    if (list === undefined) devicesOfRack.set(d.rackKey, [d])
    else list.push(d)
  }

  // Every device of ours by key (several when a cloud object has copies, e.g. one left in a wrong rack).
  const copiesOfKey = new Map<string, ConcertimDevice[]>()
  for (const d of [...actual.devices].sort(byId)) {
    const key = managedDeviceKey(d, decode)
    if (key !== null) copiesOfKey.set(key, [...(copiesOfKey.get(key) ?? []), d])
  }
  const superseded = (d: ConcertimDevice): SupersededDevice => ({concertimId: d.id, name: d.name, rackId: d.rackId})

  for (const [rackKey, wanted] of [...devicesOfRack].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const slot = rackSlots.get(rackKey)
    if (slot === undefined) continue // the rack may not be created (requireCmPrefix)
    wanted.sort(byKey)
    const inRack = slot.concertimId === null ? [] : (devicesByRack.get(slot.concertimId) ?? [])
    // The device of each desired one here (its copy in this rack, if any) and its copies in other racks.
    const found = new Map<string, ConcertimDevice>()
    const elsewhere = new Map<string, ConcertimDevice[]>()
    for (const d of wanted) {
      const copies = copiesOfKey.get(d.key) ?? []
      const here = slot.concertimId === null ? undefined : copies.find((c) => c.rackId === slot.concertimId)
      if (here !== undefined) found.set(d.key, here)
      const away = copies.filter((c) => slot.concertimId === null || c.rackId !== slot.concertimId)
      if (away.length > 0) elsewhere.set(d.key, away)
    }
    const matchedHere = new Set<string>()
    const requests: NameRequest[] = []
    for (const d of wanted) {
      const a = found.get(d.key)
      if (a !== undefined) matchedHere.add(a.id)
      requests.push({alsoAccepted: [legacyDeviceName(d.name)], base: d.name, key: d.key, ...(a === undefined ? {} : {current: a.name})})
    }
    const taken = new Set(inRack.filter((d) => !matchedHere.has(d.id)).map((d) => d.name))
    const names = assignNames(requests, taken, MAX_DEVICE_NAME)

    const creates: DesiredDevice[] = []
    for (const d of wanted) {
      const a = found.get(d.key)
      const away = (elsewhere.get(d.key) ?? []).map((c) => superseded(c))
      if (a === undefined) {
        // None here: made here; a copy in another rack (devices cannot move between racks) goes once it is.
        creates.push(d)
        continue
      }
      if (a.type !== d.type) {
        notices.push({key: d.key, message: `device ${a.name} (${a.id}) is a ${a.type}, but ${d.cloudId} is a ${d.type}; left as it is`, object: 'device'})
        continue
      }
      if (a.type !== d.type) {
        notices.push({key: d.key, message: `device ${a.name} (${a.id}) is a ${a.type}, but ${d.cloudId} is a ${d.type}; left as it is`, object: 'device'})
        continue
      }
      const name = names.get(d.key) ?? d.name
      const hash = deviceHash(d, name)
      const changes = new Changes()
      const body: DeviceUpdateBody = {}
      if (changes.check('name', 'text', name, a.name, decode)) body.name = name
      if (changes.check('status', 'text', d.status, a.status, decode)) body.status = d.status
      for (const [column, value] of Object.entries(d.details)) {
        if (changes.check(`details.${column}`, kindOfDetail(column), value, a.details[column], decode)) {
          body.details = {...body.details, [column]: value}
        }
      }
      let metadataChanged = false
      for (const [k, v] of Object.entries(d.metadata)) if (changes.check(`metadata.${k}`, kindOfMetadata(k), v, a.metadata[k], decode)) metadataChanged = true
      if (metadataChanged) body.metadata = {...a.metadata, ...d.metadata}
      if (!isValidLocation(a.location, slot.occupancy.height)) {
        const template = a.templateId === null ? undefined : templateById.get(a.templateId)
        const height = template?.height ?? (a.location === null ? 1 : Math.max(1, a.location.endU - a.location.startU + 1))
        const place = placeDevice(slot.occupancy, height, d.type)
        if (place.fits) {
          body.location = {facing: place.facing, start_u: place.startU}
          changes.fields.location = {
            from: a.location === null ? null : {end_u: a.location.endU, facing: a.location.facing, start_u: a.location.startU},
            to: {end_u: place.endU, facing: place.facing, start_u: place.startU},
          }
        } else {
          notices.push({key: d.key, message: `device ${a.name} has no valid location and cannot be moved: ${place.reason}`, object: 'device'})
        }
      }
      if (d.template.kind === 'flavor' && d.templateError === undefined) {
        const slotT = templateSlots.get(d.template.templateKey)
        if (slotT?.concertimId !== null && slotT?.concertimId !== undefined && a.templateId !== null && a.templateId !== slotT.concertimId) {
          notices.push({
            key: d.key,
            message: `device ${a.name}: the server now has flavor ${d.template.foreignId}; Concertim cannot change a device's template, so it keeps its old one`,
            object: 'device',
          })
        }
      }
      if (!changes.any && away.length === 0) {
        observed[d.key] = {concertimId: a.id, hash}
        continue
      }
      const copies = away.length === 0 ? '' : `${away.map((c) => `device ${c.name} (${c.concertimId}) in rack ${c.rackId ?? '(none)'}`).join(', ')} showed it in the wrong rack: deleted`
      deviceActions.push({
        body,
        changes: changes.fields,
        cloudId: d.cloudId,
        concertimId: a.id,
        hash,
        key: d.key,
        kind: 'update',
        name,
        object: 'device',
        reason: [changes.any ? updateReason(baseline, d.key, hash, changes) : '', copies].filter((x) => x !== '').join('; '),
        ...(away.length === 0 ? {} : {supersedes: away}),
      })
    }

    for (const d of creates) {
      const name = names.get(d.key) ?? d.name
      const away = (elsewhere.get(d.key) ?? []).map((c) => superseded(c))
      const common = {changes: {}, cloudId: d.cloudId, concertimId: null, key: d.key, kind: 'create', name, object: 'device', ...(away.length === 0 ? {} : {supersedes: away})} as const
      const fail = (why: string): void => {
        deviceActions.push({...common, body: null, failed: why, reason: `new ${d.type.toLowerCase()} ${d.cloudId}`})
      }
      if (slot.failed !== undefined) {
        fail(`its rack ${slot.name} cannot be created: ${slot.failed}`)
        continue
      }
      let templateId = ''
      let templateRef: string | undefined
      let height: number
      if (d.template.kind === 'flavor') {
        const t = d.templateError === undefined ? templateSlots.get(d.template.templateKey) : undefined
        if (t === undefined || t.failed !== undefined) {
          fail(d.templateError ?? t?.failed ?? `no template for flavor ${d.template.foreignId}`)
          continue
        }
        height = t.height
        if (t.concertimId === null) templateRef = d.template.templateKey
        else templateId = t.concertimId
      } else {
        const t = templateByTag.get(d.template.tag)
        if (t === undefined) {
          fail(`Concertim has no template tagged '${d.template.tag}' (Concertim seeds it; it must exist for ${d.type} devices)`)
          continue
        }
        height = t.height
        templateId = t.id
      }
      const place = placeDevice(slot.occupancy, height, d.type)
      if (!place.fits) {
        fail(`rack ${slot.name}: ${place.reason}`)
        continue
      }
      const body: DeviceCreateBody = {
        description: d.description,
        details: d.details,
        location: {facing: place.facing, rack_id: slot.concertimId ?? '', start_u: place.startU},
        metadata: d.metadata,
        name,
        status: d.status,
        template_id: templateId,
        type: d.type,
      }
      const refs = {...(slot.concertimId === null ? {rack: rackKey} : {}), ...(templateRef === undefined ? {} : {template: templateRef})}
      const changes: Record<string, FieldChange> = {
        location: {from: null, to: {end_u: place.endU, facing: place.facing, start_u: place.startU}},
        name: {from: null, to: name},
        status: {from: null, to: d.status},
      }
      for (const [column, value] of Object.entries(d.details)) changes[`details.${column}`] = {from: null, to: value}
      deviceActions.push({
        ...common,
        body,
        changes,
        hash: deviceHash(d, name),
        reason:
          away.length === 0
            ? `new ${d.type.toLowerCase()} ${d.cloudId} in rack ${slot.name}${place.grewTo === undefined ? '' : ` (the rack grows to ${place.grewTo} U)`}`
            : `${d.cloudId} belongs to rack ${slot.name}, but its device is in ${away.map((c) => `rack ${c.rackId ?? '(none)'} (${c.name}, ${c.concertimId})`).join(', ')}; devices cannot move between racks: made again here, then the misplaced one is deleted${place.grewTo === undefined ? '' : ` (the rack grows to ${place.grewTo} U)`}`,
        ...(Object.keys(refs).length > 0 ? {refs} : {}),
      })
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rack actions, now that growth is known.
  const rackActions: (RackCreate | RackUpdate)[] = []
  for (const slot of [...rackSlots.values()].sort((a, b) => byKey(a.desired, b.desired))) {
    const r = slot.desired
    const a = slot.actual
    const hash = rackHash(r, slot.name)
    if (a === undefined) {
      const common = {cloudId: r.cloudId, concertimId: null, key: r.key, kind: 'create', name: slot.name, object: 'rack'} as const
      if (slot.failed !== undefined) {
        rackActions.push({...common, body: null, changes: {}, failed: slot.failed, reason: `new stack ${r.cloudId}`})
        continue
      }
      const height = slot.occupancy.height
      rackActions.push({
        ...common,
        body: {
          creation_output: r.creationOutput,
          metadata: r.metadata,
          name: slot.name,
          order_id: r.orderId,
          status: r.status,
          team_id: r.teamId,
          u_height: height,
        },
        changes: {
          name: {from: null, to: slot.name},
          order_id: {from: null, to: r.orderId},
          status: {from: null, to: r.status},
          u_height: {from: null, to: height},
        },
        hash,
        reason: r.kind === 'stack' ? `new stack ${r.cloudId}` : `stand-alone servers of project ${r.cloudId}`,
      })
      continue
    }
    if (a.teamId !== r.teamId) {
      notices.push({key: r.key, message: `rack ${a.name} belongs to team ${a.teamId}, but its project is now linked to team ${r.teamId}; Concertim cannot move a rack between teams`, object: 'rack'})
    }
    const changes = new Changes()
    const body: RackUpdateBody = {}
    if (changes.check('name', 'text', slot.name, a.name, decode)) body.name = slot.name
    if (changes.check('status', 'text', r.status, a.status, decode)) body.status = r.status
    if (changes.check('creation_output', 'text', r.creationOutput, a.creationOutput, decode)) body.creation_output = r.creationOutput
    let metadataChanged = false
    for (const [k, v] of Object.entries(r.metadata)) if (changes.check(`metadata.${k}`, kindOfMetadata(k), v, a.metadata[k], decode)) metadataChanged = true
    if (metadataChanged) body.metadata = {...a.metadata, ...r.metadata}
    if (r.orderIdError !== undefined) notices.push({key: r.key, message: `rack ${a.name}: ${r.orderIdError}; its order id is left as it is`, object: 'rack'})
    else if ((r.orderIdSource === 'billing' || isMissingOrderId(a.orderId)) && changes.check('order_id', 'text', r.orderId, a.orderId, decode)) body.order_id = r.orderId
    if (slot.occupancy.height > a.uHeight) {
      changes.fields.u_height = {from: a.uHeight, to: slot.occupancy.height}
      body.u_height = slot.occupancy.height
    }
    if (!changes.any) {
      observed[r.key] = {concertimId: a.id, hash}
      continue
    }
    const grew = body.u_height === undefined ? '' : `the rack grows to ${body.u_height} U for new devices`
    const rest = Object.keys(changes.fields).filter((f) => f !== 'u_height')
    rackActions.push({
      body,
      changes: changes.fields,
      cloudId: r.cloudId,
      concertimId: a.id,
      hash,
      key: r.key,
      kind: 'update',
      name: slot.name,
      object: 'rack',
      reason: rest.length === 0 ? grew : [updateReason(baseline, r.key, hash, changes), grew].filter((s) => s !== '').join('; '),
    })
  }

  // ---------------------------------------------------------------------------------------------
  // Deletes.
  const desiredRackKeys = new Set(desired.racks.map((r) => r.key))
  const desiredDeviceKeys = new Set(desired.devices.map((d) => d.key))
  const teamProject = new Map(actual.teams.map((t) => [t.id, t.projectId]))
  const rackInScope = (rack: ConcertimRack, key: string): boolean => {
    switch (scope.kind) {
      case 'all': {
        return true
      }
      case 'project': {
        return teamProject.get(rack.teamId) === scope.id || key === standaloneRackKey(scope.id)
      }
      case 'stack': {
        return key === stackRackKey(scope.id)
      }
      default: {
        return false
      }
    }
  }

  const rackCandidates: RackCandidate[] = []
  const candidateRackIds = new Set<string>()
  for (const [key, rack] of rackByKey) {
    if (desiredRackKeys.has(key) || kept.has(key) || !rackInScope(rack, key)) continue
    const standalone = key.startsWith('rack:project:')
    const contents = devicesByRack.get(rack.id) ?? []
    const ours = contents.filter((d) => keyOfDevice.has(d.id))
    rackCandidates.push({
      cloudId: standalone ? key.slice('rack:project:'.length) : key.slice('rack:'.length),
      contents,
      key,
      kind: standalone ? 'standalone' : 'stack',
      rack,
      stayingContents: ours.filter((d) => {
        const k = keyOfDevice.get(d.id) ?? ''
        return desiredDeviceKeys.has(k) || kept.has(k)
      }).length,
      unmanagedContents: contents.filter((d) => !keyOfDevice.has(d.id) && managedDeviceKey(d, decode) === null).length,
    })
    candidateRackIds.add(rack.id)
  }

  const rackById = new Map(actual.racks.map((r) => [r.id, r]))
  const deviceCandidates: DeviceCandidate[] = []
  for (const [key, device] of deviceByKey) {
    if (desiredDeviceKeys.has(key) || kept.has(key)) continue
    const rack = device.rackId === null ? undefined : rackById.get(device.rackId)
    const rackKey = rack === undefined ? undefined : keyOfRack.get(rack.id)
    const cloudId = key.slice('device:'.length)
    const stackId = metaText(device.metadata, DeviceMetadata.stackId, decode)
    let inScope: boolean
    switch (scope.kind) {
      case 'all': {
        inScope = true
        break
      }
      case 'project':
      case 'stack': {
        inScope =
          (rack !== undefined && rackKey !== undefined && (rackInScope(rack, rackKey) || candidateRackIds.has(rack.id))) || (scope.kind === 'stack' && stackId === scope.id)
        break
      }
      default: {
        inScope = cloudId === scope.id
      }
    }
    if (!inScope) continue
    deviceCandidates.push({
      cloudId,
      device,
      key,
      rackKey: rackKey ?? null,
      stackId: rackKey?.startsWith('rack:project:') === true ? null : (stackId ?? null),
    })
  }
  deviceCandidates.sort(byKey)
  rackCandidates.sort(byKey)

  const direct = new Map<string, DirectAnswer>(options.direct ?? [])
  for (const id of options.confirmedGone ?? []) direct.set(id, 'gone')
  // A device made again in its right rack deletes its misplaced copies: they count towards the cap.
  const moves = deviceActions.filter((a) => a.supersedes !== undefined && a.failed === undefined)
  const deletion = planDeletions({
    allowMassDelete: options.allowMassDelete === true,
    alsoDeleting: moves.reduce((n, a) => n + (a.supersedes?.length ?? 0), 0),
    baseline,
    complete: desired.complete,
    devices: deviceCandidates,
    direct,
    listed: desired.listed,
    managedCount: rackByKey.size + managedDevices,
    racks: rackCandidates,
    scope: scope.kind === 'all' ? 'all' : 'entity',
    seesAllProjects: options.seesAllProjects !== false,
    ...(options.maxDeletes === undefined ? {} : {maxDeletes: options.maxDeletes}),
  })

  if (deletion.capExceeded && options.allowMassDelete !== true) {
    const total = deletion.actions.filter((a) => a.blocked?.code === 'cap').length + moves.reduce((n, a) => n + (a.supersedes?.length ?? 0), 0)
    for (const a of moves) a.blocked = {code: 'cap', message: capMessage(total, deletion.maxDeletes)}
  }

  const actions: Action[] = [
    ...templateActions.filter((a) => a.kind === 'create'),
    ...templateActions.filter((a) => a.kind === 'update'),
    ...rackActions.filter((a) => a.kind === 'create'),
    ...rackActions.filter((a) => a.kind === 'update'),
    ...deviceActions.filter((a) => a.kind === 'create'),
    ...deviceActions.filter((a) => a.kind === 'update'),
    ...deletion.actions.filter((a) => a.object === 'device'),
    ...deletion.actions.filter((a) => a.object === 'rack'),
  ]
  return {
    actions,
    deletionCapExceeded: deletion.capExceeded,
    inconsistencies: deletion.inconsistencies,
    kept: [...kept].sort(),
    maxDeletes: deletion.maxDeletes,
    notices,
    observed,
    pendingConfirmations: deletion.pending,
    scope,
  }
}

/**
 * Which devices get metrics: every Instance device we manage, with its Concertim device id (the MRD
 * key) and its Nova server id (the Gnocchi key). Found from the view when it holds them, else from
 * Concertim's devices carrying `metadata.openstack_instance_id` (the systems are the truth).
 */
import type {Device, Template} from '../concertim/types.js'
import {DeviceMetadata} from '../model/metadata.js'
import type {ViewEntry} from '../store/types.js'
import type {FlavorSizes} from './formulas.js'

export interface MetricTarget {
  /** Concertim device id (the MRD's key). */
  deviceId: string
  /** Nova server id (Gnocchi's instance resource id). */
  instanceId: string
  /** Device name, for people. */
  name?: string
  /** Concertim template id: the flavor sizes when Gnocchi lacks `vcpus` / `memory`. */
  templateId?: string
}

export type TargetSource = 'concertim' | 'view'

/** Instance devices that carry a server id. Devices of other types, or without one, are not ours to measure. */
export function targetsFromDevices(devices: readonly Device[]): MetricTarget[] {
  const out: MetricTarget[] = []
  for (const d of devices) {
    if (d.type !== 'Instance') continue
    const instanceId = d.metadata?.[DeviceMetadata.instanceId]
    if (typeof instanceId !== 'string' || instanceId.trim() === '') continue
    out.push({deviceId: d.id, instanceId: instanceId.trim(), name: d.name, templateId: d.template_id})
  }
  return out.sort((a, b) => compare(a.deviceId, b.deviceId))
}

/**
 * Targets from the view's entries, or undefined when the view cannot tell (empty, or written before
 * device entries carried their type): the caller then asks Concertim. An entry counts when its key
 * is `device:<server id>` and it holds `concertimId` and `type: 'Instance'` (an `instanceId` field,
 * when present, wins over the key).
 */
export function targetsFromView(entries: ReadonlyMap<string, ViewEntry>): MetricTarget[] | undefined {
  const out: MetricTarget[] = []
  let devices = 0
  for (const [key, entry] of entries) {
    if (!key.startsWith('device:')) continue
    devices++
    const type = entry.type ?? entry.deviceType
    if (type === undefined) return undefined
    if (type !== 'Instance') continue
    const deviceId = entry.concertimId
    const instanceId = typeof entry.instanceId === 'string' ? entry.instanceId : key.slice('device:'.length)
    if (typeof deviceId !== 'string' || deviceId === '' || instanceId === '') continue
    out.push({
      deviceId,
      instanceId,
      name: typeof entry.name === 'string' ? entry.name : undefined,
      templateId: typeof entry.templateId === 'string' ? entry.templateId : undefined,
    })
  }
  if (devices === 0) return undefined
  return out.sort((a, b) => compare(a.deviceId, b.deviceId))
}

/** Flavor sizes by Concertim template id (templates carry the flavor's vcpus and ram). */
export function flavorSizesByTemplate(templates: readonly Template[]): Map<string, FlavorSizes> {
  return new Map(templates.map((t) => [t.id, {ram: t.ram ?? null, vcpus: t.vcpus ?? null}]))
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

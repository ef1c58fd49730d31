/**
 * Cinder's volume notifications (cinder/volume/volume_utils.py `notify_about_volume_usage`,
 * `_usage_from_volume`): `volume.<action>.start|end` with publisher `volume.<host>`, on topic
 * `notifications` of cinder's control exchange — oslo's default `openstack`, since cinder sets none.
 */
import type {Volume, VolumeAttachment, VolumeChange, World} from '../world.js'
import type {OsloNotification} from './oslo.js'
import {osloContext} from './request-context.js'

const SUFFIX: Partial<Record<VolumeChange['action'], string>> = {attach: 'attach', create: 'create', delete: 'delete', detach: 'detach'}

export function cinderNotifications(world: World, change: VolumeChange, exchange: string): OsloNotification[] {
  const suffix = SUFFIX[change.action]
  if (suffix === undefined) return []
  const before = change.before ?? ({...(change.after as Volume), attachments: [], status: 'creating'} satisfies Volume)
  const after = change.after ?? {...before, status: 'deleted'}
  const context = osloContext(world, change, {read_deleted: 'no', remote_address: null, quota_class: null, service_catalog: []})
  const steps: [string, Volume][] = [
    ['start', {...before, status: transitional(change.action, before.status)}],
    ['end', after],
  ]
  return steps.map(([phase, v]) => ({
    context,
    eventType: `volume.${suffix}.${phase}`,
    exchange,
    payload: volumeUsage(v, change.timestamp),
    priority: 'INFO',
    publisherId: `volume.${v.host}`,
    timestamp: change.timestamp,
    topic: 'notifications',
  }))
}

function transitional(action: VolumeChange['action'], status: string): string {
  if (action === 'create') return 'creating'
  if (action === 'delete') return 'deleting'
  if (action === 'attach') return 'attaching'
  if (action === 'detach') return 'detaching'
  return status
}

/** `2016-03-07T16:23:08+00:00` */
function isoZone(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00')
}

function micros(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000')
}

function volumeUsage(v: Volume, now: number): Record<string, unknown> {
  return {
    status: v.status,
    user_id: v.userId,
    display_name: v.name,
    availability_zone: v.availabilityZone,
    tenant_id: v.projectId,
    created_at: isoZone(v.createdAt),
    volume_attachment: v.attachments.map((a) => attachment(v, a)),
    volume_type: v.volumeTypeId,
    host: v.host,
    snapshot_id: null,
    replication_status: null,
    volume_id: v.id,
    replication_extended_status: null,
    replication_driver_data: null,
    size: v.size,
    launched_at: v.status === 'creating' ? '' : isoZone(v.createdAt === 0 ? now : v.createdAt),
    metadata: Object.entries(v.metadata).map(([key, value]) => ({key, value})),
  }
}

function attachment(v: Volume, a: VolumeAttachment): Record<string, unknown> {
  return {
    instance_uuid: a.serverId,
    attach_time: micros(a.attachedAt),
    deleted: false,
    attached_host: a.hostName,
    created_at: micros(a.attachedAt),
    attach_mode: 'rw',
    updated_at: micros(a.attachedAt),
    attach_status: 'attached',
    detach_time: null,
    volume_id: v.id,
    mountpoint: a.device,
    deleted_at: null,
    id: a.attachmentId,
  }
}

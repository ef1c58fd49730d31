/**
 * Simulated Cinder's write endpoints and per-project reads that `serve` uses, as Cinder answers:
 * `DELETE /volumes/{id}` (202; 400 while attached), the `os-force_delete` action (202; admins only
 * by Cinder's default policy, 403 otherwise), `os-detach` (202: Cinder's records only), absolute
 * limits and quota sets (another project's: admins only). Changes go through CloudChanges, so the
 * notifications Cinder publishes follow.
 */
import {randomUUID} from 'node:crypto'

import type {SimApp, SimHandler, SimReply, SimRequest} from '../http-app.js'
import {badRequest, forbidden, notFound} from './faults.js'
import type {Volume, World} from '../world.js'
import type {RequestContext, ServiceOptions} from './context.js'

type Guard = (h: (r: SimRequest, ctx: RequestContext, mv: [number, number]) => SimReply) => SimHandler

export const CINDER_DEFAULT_QUOTA = {backup_gigabytes: 1000, backups: 10, gigabytes: 1000, groups: 10, per_volume_gigabytes: -1, snapshots: 10, volumes: 10}

export function addCinderWriteRoutes(app: SimApp, world: World, opts: ServiceOptions, guard: Guard): void {
  const changes = () => {
    if (opts.changes === undefined) throw new Error('the simulator was started without CloudChanges')
    return opts.changes
  }
  const accepted = (): SimReply => ({headers: {'x-openstack-request-id': `req-${randomUUID()}`}, status: 202})
  const visible = (id: string, ctx: RequestContext): Volume | undefined => {
    const v = world.volumes.get(id)
    return v === undefined || (!ctx.isAdmin && v.projectId !== ctx.project.id) ? undefined : v
  }

  app.route('DELETE', '/v3/:project/volumes/:id', guard((r, ctx) => {
    const v = visible(r.params.id, ctx)
    if (v === undefined) return notFound(`Volume ${r.params.id} could not be found.`)
    if (v.attachments.length > 0 || !['available', 'error', 'error_restoring', 'error_extending', 'error_managing'].includes(v.status)) {
      return badRequest(
        'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.',
      )
    }
    changes().deleteVolume(v.id)
    return accepted()
  }))

  app.route('POST', '/v3/:project/volumes/:id/action', guard((r, ctx) => {
    const body = r.body as Record<string, unknown> | null
    const action = body === null || typeof body !== 'object' ? undefined : Object.keys(body)[0]
    const v = visible(r.params.id, ctx)
    if (v === undefined) return notFound(`Volume ${r.params.id} could not be found.`)
    switch (action) {
      case 'os-force_delete': {
        if (!ctx.isAdmin) return forbidden("Policy doesn't allow volume_extension:volume_admin_actions:force_delete to be performed.")
        for (const a of [...v.attachments]) if (world.servers.has(a.serverId)) changes().detachVolume(v.id, a.serverId)
        changes().deleteVolume(v.id)
        return accepted()
      }
      case 'os-detach': {
        // Cinder's bookkeeping only: Nova is not told (the server keeps its disk).
        for (const a of [...v.attachments]) if (world.servers.has(a.serverId)) changes().detachVolume(v.id, a.serverId)
        return accepted()
      }
      default: {
        return badRequest(`There is no such action: ${action ?? '(none)'}`)
      }
    }
  }))

  app.route('GET', '/v3/:project/limits', guard((_r, ctx) => {
    const vols = world.volumes.partition(ctx.project.id)
    const q = CINDER_DEFAULT_QUOTA
    const absolute = {
      maxTotalBackupGigabytes: q.backup_gigabytes,
      maxTotalBackups: q.backups,
      maxTotalSnapshots: q.snapshots,
      maxTotalVolumeGigabytes: q.gigabytes,
      maxTotalVolumes: q.volumes,
      totalBackupGigabytesUsed: 0,
      totalBackupsUsed: 0,
      totalGigabytesUsed: vols.reduce((n, v) => n + v.size, 0),
      totalSnapshotsUsed: 0,
      totalVolumesUsed: vols.length,
    }
    return {body: {limits: {absolute, rate: []}}, status: 200}
  }))

  app.route('GET', '/v3/:project/os-quota-sets/:target', guard((r, ctx) => {
    if (!ctx.isAdmin && r.params.target !== ctx.project.id) return forbidden("Policy doesn't allow volume_extension:quotas:show to be performed.")
    return {body: {quota_set: {id: r.params.target, ...CINDER_DEFAULT_QUOTA}}, status: 200}
  }))
}

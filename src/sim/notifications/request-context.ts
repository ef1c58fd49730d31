/**
 * The request context a service flattens into a notification's `_context_*` keys (oslo.context
 * `RequestContext.to_dict` plus the service's additions), built from who made a change.
 */
import type {World, WorldChange} from '../world.js'

/** oslo.context's base keys (cinder, neutron): the ids, names, roles and request id of the caller. */
export function osloContext(world: World, c: WorldChange, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const roles = world.rolesOn(c.userId, c.projectId).map((r) => r.name)
  return {
    user: c.userId,
    project_id: c.projectId,
    system_scope: null,
    project: c.projectId,
    domain: null,
    user_domain: 'default',
    project_domain: 'default',
    is_admin: roles.includes('admin'),
    read_only: false,
    show_deleted: false,
    auth_token: null,
    request_id: c.requestId,
    global_request_id: null,
    resource_uuid: null,
    roles,
    user_identity: `${c.userId} ${c.projectId} - default default`,
    is_admin_project: true,
    user_id: c.userId,
    user_name: c.userName,
    project_name: c.projectName,
    timestamp: contextTime(c.timestamp),
    ...extra,
  }
}

/** `2026-11-22T03:03:57.942293` (oslo.context / nova `timestamp.isoformat()`). */
export function contextTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000')
}

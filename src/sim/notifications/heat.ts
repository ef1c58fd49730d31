/**
 * Heat's stack notifications (heat/engine/notification/stack.py, api.py `format_notification_body`):
 * `orchestration.stack.<action>.start` while IN_PROGRESS, `.end` when COMPLETE, `.error` (priority
 * ERROR) when FAILED; publisher `orchestration.<host>`, topic `notifications`, exchange `heat`.
 * Payload and `_context_*` keys as the minicloud's heat 19 (Zed) sends them.
 */
import type {Stack, StackChange, World} from '../world.js'
import type {OsloNotification} from './oslo.js'

const PUBLISHER = 'orchestration.controller'

export function heatNotifications(world: World, change: StackChange, exchange: string): OsloNotification[] {
  const after = change.after as Stack
  const action = change.heatAction.toUpperCase()
  const out: OsloNotification[] = []
  const push = (s: Stack, suffix: 'end' | 'error' | 'start') =>
    out.push({
      context: heatContext(world, change),
      eventType: `orchestration.stack.${action.toLowerCase()}.${suffix}`,
      exchange,
      payload: payload(s, change),
      priority: suffix === 'error' ? 'ERROR' : 'INFO',
      publisherId: PUBLISHER,
      timestamp: change.timestamp,
      topic: 'notifications',
    })
  if (change.action === 'error' || after.status.endsWith('_FAILED')) {
    push(after, 'error')
    return out
  }
  const started = change.before?.status === `${action}_IN_PROGRESS` ? change.before : {...(change.before ?? after), status: `${action}_IN_PROGRESS`, statusReason: `Stack ${action} started`}
  push(started, 'start')
  push(after, 'end')
  return out
}

function seconds(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function payload(s: Stack, c: StackChange): Record<string, unknown> {
  return {
    tenant_id: s.projectId,
    user_id: c.userName,
    user_identity: c.userId,
    username: c.userName,
    stack_identity: s.id,
    stack_name: s.name,
    state: s.status,
    state_reason: s.statusReason,
    create_at: seconds(s.createdAt),
    tags: s.tags ?? [],
    updated_at: seconds(s.updatedAt),
    description: s.description,
  }
}

/** heat/common/context.py `RequestContext.to_dict`. */
function heatContext(world: World, c: StackChange): Record<string, unknown> {
  const roles = world.rolesOn(c.userId, c.projectId).map((r) => r.name)
  return {
    auth_token: null,
    username: null,
    user_id: c.userId,
    password: null,
    aws_creds: null,
    tenant: c.projectName,
    tenant_id: c.projectId,
    project_name: c.projectName,
    project_id: c.projectId,
    trust_id: null,
    trustor_user_id: null,
    auth_token_info: null,
    auth_url: null,
    roles,
    is_admin: roles.includes('admin'),
    user: null,
    request_id: c.requestId,
    global_request_id: null,
    show_deleted: false,
    region_name: null,
    user_identity: `${c.userId} ${c.projectId}`,
    user_domain_id: 'default',
    project_domain_id: 'default',
  }
}

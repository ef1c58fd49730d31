/**
 * Simulated Heat's stack actions as Heat answers them: `POST …/stacks/{name}/{id}/actions` with
 * exactly one of `suspend` / `resume` (200, no body; 400 for none, several or another action) and
 * `DELETE …/stacks/{name}/{id}` (204). Heat runs them asynchronously; here they complete at once
 * through CloudChanges (the servers suspended/resumed/deleted too), with Heat's and Nova's
 * notifications.
 */
import {randomUUID} from 'node:crypto'

import type {SimApp, SimHandler, SimReply, SimRequest} from '../http-app.js'
import type {Stack} from '../world.js'
import type {RequestContext, ServiceOptions} from './context.js'

type Identified = (h: (r: SimRequest, ctx: RequestContext, s: Stack) => SimReply) => SimHandler

export function addHeatWriteRoutes(app: SimApp, opts: ServiceOptions, identified: Identified): void {
  const changes = () => {
    if (opts.changes === undefined) throw new Error('the simulator was started without CloudChanges')
    return opts.changes
  }
  const withId = (reply: SimReply): SimReply => ({...reply, headers: {...reply.headers, 'x-openstack-request-id': `req-${randomUUID()}`}})
  const bad = (message: string): SimReply => ({
    body: {error: {message, traceback: null, type: 'HTTPBadRequest'}, explanation: 'The server could not comply with the request since it is either malformed or otherwise incorrect.', title: 'Bad Request', code: 400},
    status: 400,
  })

  app.route('POST', '/v1/:project/stacks/:name/:id/actions', identified((r, _ctx, s) => {
    const body = (r.body ?? {}) as Record<string, unknown>
    const keys = typeof body === 'object' && body !== null ? Object.keys(body) : []
    if (keys.length === 0) return bad('No action specified')
    if (keys.length > 1) return bad('Multiple actions specified')
    const action = keys[0]
    if (action === 'suspend') changes().suspendStack(s.id)
    else if (action === 'resume') changes().resumeStack(s.id)
    else if (!['cancel_update', 'cancel_without_rollback', 'check'].includes(action)) return bad(`Invalid action ${action} specified`)
    return withId({status: 200})
  }))

  app.route('DELETE', '/v1/:project/stacks/:name/:id', identified((_r, _ctx, s) => {
    changes().deleteStack(s.id)
    return withId({status: 204})
  }))
}

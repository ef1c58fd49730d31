/**
 * The route table of `serve`: every call of concertim-api.md §7.2, with the bodies the app sends
 * and the bodies it parses (201 `{success: true, …}`; `GET /` 200 `Running`). Routes hold no
 * business logic: cloud actions are src/lib/actions', identity and billing the injected services'.
 */
import type {FastifyInstance, FastifyRequest} from 'fastify'

import {cloudStats, projectLimits, projectQuotas} from '../actions/capacity.js'
import {keystoneAuthFromCloudEnv} from '../actions/cloud-env.js'
import {createKeyPair, deleteKeyPair, listKeyPairs} from '../actions/key-pairs.js'
import type {CloudClients, CloudSessions} from '../actions/sessions.js'
import {type AdminLookup, performStatusChange, scopeOfTarget, statusChangeOf} from '../actions/status-change.js'
import {AuthenticationError} from '../openstack/errors.js'
import type {AfterActionReconciler} from './after-action.js'
import {ApiError} from './errors.js'
import type {BillingService, CloudCredentials, IdentityService} from './ports.js'
import {type BodyName, bodies} from './schemas.js'

export type AdminClients = Omit<CloudClients, 'keystone'>

export interface RouteDeps {
  /** The configured admin's clients (quotas, statistics, the "already gone" checks). */
  admin: AdminClients
  billing?: BillingService
  identity?: IdentityService
  /** Readiness: Keystone and Kill Bill reachable. */
  readiness: () => Promise<{checks: Record<string, string>; ready: boolean}>
  reconciler?: AfterActionReconciler
  sessions: CloudSessions
}

/** What a handler answers: 201 and the body by default. */
interface Answer {
  body?: unknown
  status?: number
}

type Body = Record<string, unknown>
type Handler = (req: FastifyRequest, body: Body) => Promise<Answer>

const notImplemented = (what: string): ApiError =>
  new ApiError(501, 'NotImplemented', `${what} is not available in this build of concertim-os serve (no ${what} library is wired in)`)

const sub = (body: Body, key: string): Body => (body[key] ?? {}) as Body
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const route = (method: 'DELETE' | 'GET' | 'PATCH' | 'POST', url: string, bodyName: BodyName | undefined, handler: Handler, opts: {auth?: boolean} = {}) => {
    app.route({
      config: {auth: opts.auth !== false},
      handler: async (req, reply) => {
        const answer = await handler(req, (req.body ?? {}) as Body)
        reply.code(answer.status ?? 201)
        return answer.body ?? (answer.status === 204 ? '' : {success: true})
      },
      method,
      schema: bodyName === undefined ? undefined : {body: bodies[bodyName]},
      url,
    })
  }

  const cloud = (body: Body): CloudCredentials => {
    const raw = sub(body, 'cloud_env')
    return {auth: keystoneAuthFromCloudEnv(raw), raw}
  }

  /** Run with the caller's OpenStack session; credentials Keystone refused are not kept. */
  const asCaller = async <T>(body: Body, fn: (c: CloudClients) => Promise<T>): Promise<T> => {
    const {auth} = cloud(body)
    try {
      return await fn(deps.sessions.clients(auth))
    } catch (error) {
      if (error instanceof AuthenticationError) deps.sessions.forget(auth)
      throw error
    }
  }

  const identity = (): IdentityService => deps.identity ?? (() => {
    throw notImplemented('identity (users, teams, roles)')
  })()
  const billing = (): BillingService => deps.billing ?? (() => {
    throw notImplemented('billing (invoices, credits, orders)')
  })()

  const adminLookup: AdminLookup = {
    async exists(type, id) {
      switch (type) {
        case 'instances': {
          return (await deps.admin.nova.getServer(id)) !== null
        }
        case 'networks': {
          return (await deps.admin.neutron.getNetwork(id)) !== null
        }
        case 'racks': {
          const s = await deps.admin.heat.findStack(id)
          return s !== null && s.stack_status !== 'DELETE_COMPLETE'
        }
        case 'volumes': {
          return (await deps.admin.cinder.getVolume(id)) !== null
        }
      }
    },
  }

  // ---- service ----
  app.get('/', {config: {auth: false}}, async (_req, reply) => reply.code(200).type('text/html; charset=utf-8').send('Running\n'))
  app.get('/healthz', {config: {auth: false}}, async (_req, reply) => {
    const {checks, ready} = await deps.readiness()
    return reply.code(ready ? 200 : 503).send({checks, ready})
  })

  // ---- identity (src/lib/identity via IdentityService) ----
  route('POST', '/user', 'createUser', async (_req, b) => {
    const creds = cloud(b)
    const r = await identity().createUser({cloud: creds, email: str(b.email), name: str(b.name), password: b.password as string, username: b.username as string})
    return {body: {success: true, user_cloud_id: r.userCloudId, username: r.username}}
  })
  route('PATCH', '/user', 'updateUser', async (_req, b) => {
    const info = sub(b, 'user_info')
    const data = sub(info, 'new_data')
    const r = await identity().updateUser({cloud: cloud(b), cloudUserId: info.cloud_user_id as string, email: str(data.email), password: str(data.password)})
    return {body: {success: true, updated: r.updated}}
  })
  route('DELETE', '/user', 'deleteUser', async (_req, b) => {
    await identity().deleteUser({cloud: cloud(b), cloudUserId: sub(b, 'user_info').cloud_user_id as string})
    return {}
  })
  route('POST', '/team', 'createTeam', async (_req, b) => {
    const r = await identity().createTeam({billingAcctId: str(b.billing_acct_id), cloud: cloud(b), name: b.name as string, projectId: str(b.project_id)})
    return {body: {billing_acct_id: r.billingAcctId, project_id: r.projectId, success: true}}
  })
  route('DELETE', '/team', 'deleteTeam', async (_req, b) => {
    const info = sub(b, 'team_info')
    const projectId = str(info.project_id)
    const billingAcctId = str(info.billing_acct_id)
    if (projectId === undefined && billingAcctId === undefined) throw new ApiError(415, 'MissingRequiredArgument', 'missing required fields: team_info.project_id or team_info.billing_acct_id')
    await identity().deleteTeam({billingAcctId, cloud: cloud(b), projectId})
    return {}
  })
  route('POST', '/team_role', 'grantRole', async (_req, b) => {
    const r = sub(b, 'team_role')
    await identity().grantRole({cloud: cloud(b), projectId: r.project_id as string, role: r.role as 'admin', userId: r.user_id as string})
    return {}
  })
  route('PATCH', '/team_role', 'changeRole', async (_req, b) => {
    const r = sub(b, 'team_role')
    await identity().changeRole({cloud: cloud(b), currentRole: r.current_role as 'admin', newRole: r.new_role as 'admin', projectId: r.project_id as string, userId: r.user_id as string})
    return {}
  })
  route('DELETE', '/team_role', 'revokeRole', async (_req, b) => {
    const r = sub(b, 'team_role')
    await identity().revokeRole({cloud: cloud(b), projectId: r.project_id as string, role: r.role as 'admin', userId: r.user_id as string})
    return {}
  })

  // ---- cloud: limits, quotas, statistics ----
  route('GET', '/team/limits', 'teamLimits', async (_req, b) => ({body: {limits: await asCaller(b, async (c) => projectLimits(c)), success: true}}))
  route('GET', '/team/:project_id/quotas', undefined, async (req) => {
    const {project_id: projectId} = req.params as {project_id: string}
    return {body: {quotas: await projectQuotas(deps.admin, projectId), success: true}}
  })
  route('GET', '/statistics', undefined, async () => ({body: {stats: cloudStats(await deps.admin.nova.hypervisorStatistics()), success: true}}))

  // ---- cloud actions ----
  route('POST', '/update_status/:type/:id', 'updateStatus', async (req, b) => {
    const {id, type} = req.params as {id: string; type: string}
    const change = statusChangeOf(type, b.action as string)
    const outcome = await asCaller(b, async (c) => performStatusChange(change, id, c, adminLookup))
    const reconciled = outcome.submitted && deps.reconciler !== undefined ? await deps.reconciler.reconcile(scopeOfTarget(change.type, id)) : undefined
    const cloudResponse: Record<string, unknown> = {
      action: change.action,
      id,
      request_ids: outcome.requestIds,
      steps: outcome.steps,
      submitted: outcome.submitted,
      type: change.type,
      ...(outcome.already === undefined ? {} : {already: outcome.already}),
      ...(change.type === 'racks' ? {attempt: {}} : {}),
    }
    return {body: {cloud_response: cloudResponse, success: true, ...(reconciled === undefined ? {} : {reconciled})}}
  })

  // ---- key pairs (the caller's own) ----
  route('POST', '/key_pairs', 'createKeyPair', async (_req, b) => {
    const k = sub(b, 'key_pair')
    const {keyPair} = await asCaller(b, async (c) => createKeyPair(c.nova, {keyType: (k.key_type ?? undefined) as 'ssh' | undefined, name: k.name as string, publicKey: str(k.public_key)}))
    return {body: {key_pair: keyPair, success: true}}
  })
  route('GET', '/key_pairs', 'listKeyPairs', async (_req, b) => ({body: {key_pairs: await asCaller(b, async (c) => listKeyPairs(c.nova)), success: true}}))
  route('DELETE', '/key_pairs', 'deleteKeyPair', async (_req, b) => {
    const name = b.keypair_name as string
    await asCaller(b, async (c) => deleteKeyPair(c.nova, name))
    return {body: {key_pair_name: name, success: true}}
  })

  // ---- billing (src/lib/billing via BillingService) ----
  route('POST', '/get_draft_invoice', 'draftInvoice', async (_req, b) => {
    const i = sub(b, 'invoice')
    const draft = await billing().draftInvoice({billingAcctId: i.billing_acct_id as string, targetDate: str(i.target_date)})
    return draft === null ? {status: 204} : {body: {draft_invoice: draft, success: true}}
  })
  route('POST', '/list_paginated_invoices', 'listInvoices', async (_req, b) => {
    const i = sub(b, 'invoices')
    const r = await billing().listInvoices({billingAcctId: i.billing_acct_id as string, limit: (i.limit as number | undefined) ?? 100, offset: (i.offset as number | undefined) ?? 0})
    return {body: {invoices: r.invoices, success: true, total_invoices: r.total}}
  })
  route('POST', '/get_account_invoice', 'getInvoice', async (_req, b) => {
    const i = sub(b, 'invoice')
    return {body: {invoice: await billing().getInvoice({billingAcctId: i.billing_acct_id as string, invoiceId: i.invoice_id as string}), success: true}}
  })
  route('POST', '/credits', 'addCredits', async (_req, b) => {
    const c = sub(b, 'credits')
    const amount = Number(c.amount)
    if (!(amount > 0)) throw new ApiError(400, 'InvalidArgument', 'credits.amount must be greater than 0')
    const r = await billing().addCredits({amount, billingAcctId: c.billing_acct_id as string})
    return {body: {credits: r.credits, success: true}}
  })
  route('POST', '/get_credits', 'getCredits', async (_req, b) => ({body: {credits: (await billing().getCredits({billingAcctId: sub(b, 'credits').billing_account_id as string})).credits, success: true}}))
  route('POST', '/create_order', 'createOrder', async (_req, b) => ({body: {order: (await billing().createOrder({billingAcctId: sub(b, 'order').billing_account_id as string})).orderId, success: true}}))
  route('POST', '/delete_order', 'deleteOrder', async (_req, b) => ({body: {order: (await billing().deleteOrder({orderId: sub(b, 'order').order_id as string})).orderId, success: true}}))
  route('POST', '/add_order_tag', 'addOrderTag', async (_req, b) => {
    const t = sub(b, 'tag')
    const r = await billing().addOrderTag({orderId: t.order_id as string, tagName: t.tag_name as string, tagValue: String(t.tag_value)})
    return {body: {success: true, tag: r.tag}}
  })
}

/** Every route the app calls (method and URL pattern), for the README and the tests. */
export const ROUTE_TABLE: readonly (readonly [string, string])[] = [
  ['GET', '/'],
  ['POST', '/user'],
  ['PATCH', '/user'],
  ['DELETE', '/user'],
  ['POST', '/team'],
  ['DELETE', '/team'],
  ['GET', '/team/:project_id/quotas'],
  ['GET', '/team/limits'],
  ['POST', '/team_role'],
  ['PATCH', '/team_role'],
  ['DELETE', '/team_role'],
  ['POST', '/update_status/:type/:id'],
  ['POST', '/key_pairs'],
  ['GET', '/key_pairs'],
  ['DELETE', '/key_pairs'],
  ['POST', '/get_draft_invoice'],
  ['POST', '/list_paginated_invoices'],
  ['POST', '/get_account_invoice'],
  ['POST', '/credits'],
  ['POST', '/get_credits'],
  ['POST', '/create_order'],
  ['POST', '/delete_order'],
  ['POST', '/add_order_tag'],
  ['GET', '/statistics'],
]

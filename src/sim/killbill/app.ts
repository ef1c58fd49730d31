/**
 * The simulated Kill Bill server (openstack-anchors.md §11, original-service.md §7): the `/1.0/kb`
 * endpoints the original service used, behind Kill Bill's authentication (HTTP Basic plus the tenant's
 * `X-Killbill-ApiKey` / `X-Killbill-ApiSecret`), with `X-Killbill-CreatedBy` required on writes,
 * `201 + Location` on creates and `BillingExceptionJson` errors.
 */
import type {Faults} from '../faults.js'
import {SimApp, type SimHandler, type SimReply, type SimRequest} from '../http-app.js'
import {accountRoutes} from './accounts.js'
import {customFieldRoutes} from './custom-fields.js'
import {illegalArgument} from './errors.js'
import {invoiceRoutes} from './invoices.js'
import type {KillBillState} from './state.js'
import {subscriptionRoutes} from './subscriptions.js'
import {usageRoutes} from './usage.js'

export interface KillBillAppOptions {
  apiKey: string
  apiSecret: string
  faults?: Faults
  password: string
  username: string
}

export interface KbContext {
  /** Register a route; writes (POST/PUT/DELETE) require `X-Killbill-CreatedBy`. */
  route(method: string, pattern: string, handler: SimHandler): void
  state: KillBillState
}

export function createKillBillApp(state: KillBillState, opts: KillBillAppOptions): SimApp {
  const app = new SimApp('killbill', opts.faults)
  const basic = `Basic ${Buffer.from(`${opts.username}:${opts.password}`).toString('base64')}`
  const ctx: KbContext = {
    route(method, pattern, handler) {
      app.route(method, pattern, (r) => {
        const denied = authenticate(r)
        if (denied) return denied
        if (method !== 'GET' && !header(r, 'x-killbill-createdby')) return illegalArgument('Header X-Killbill-CreatedBy needs to be set')
        return handler(r)
      })
    },
    state,
  }
  app.pageOf = (r) => {
    const offset = Number(r.query.get('offset') ?? 0)
    const limit = Number(r.query.get('limit') ?? 100)
    return r.path.endsWith('/pagination') && limit > 0 ? Math.floor(offset / limit) + 1 : undefined
  }
  accountRoutes(ctx)
  subscriptionRoutes(ctx)
  customFieldRoutes(ctx)
  usageRoutes(ctx)
  invoiceRoutes(ctx)
  app.notFound(() => ({status: 404, text: ''}))
  return app

  /** Shiro's Basic authentication, then the tenant filter: 401 with an empty body. */
  function authenticate(r: SimRequest): SimReply | undefined {
    if (header(r, 'authorization') !== basic) {
      return {headers: {'WWW-Authenticate': 'BASIC realm="application"'}, status: 401, text: ''}
    }
    if (header(r, 'x-killbill-apikey') !== opts.apiKey || header(r, 'x-killbill-apisecret') !== opts.apiSecret) {
      return {status: 401, text: ''}
    }
    return undefined
  }
}

export function header(r: SimRequest, name: string): string | undefined {
  const v = r.headers[name]
  return Array.isArray(v) ? v[0] : v
}

/** `Location` of a created resource (absolute, as Kill Bill's UriBuilder makes it). */
export function location(r: SimRequest, path: string): string {
  return `http://${header(r, 'host') ?? '127.0.0.1'}${path}`
}

export function created(r: SimRequest, path: string, body?: unknown): SimReply {
  return {body, headers: {Location: location(r, path)}, status: 201}
}

/** A page of a listing with Kill Bill's pagination headers. */
export function page<T>(r: SimRequest, all: T[], render: (t: T) => unknown): SimReply {
  const offset = Math.max(0, Number(r.query.get('offset') ?? 0) || 0)
  const limit = Math.max(0, Number(r.query.get('limit') ?? 100) || 0)
  const slice = all.slice(offset, offset + limit)
  const headers: Record<string, string> = {
    'X-Killbill-Pagination-CurrentOffset': String(offset),
    'X-Killbill-Pagination-MaxNbRecords': String(all.length),
    'X-Killbill-Pagination-TotalNbRecords': String(all.length),
  }
  if (offset + limit < all.length) {
    headers['X-Killbill-Pagination-NextOffset'] = String(offset + limit)
    const next = new URLSearchParams(r.query)
    next.set('offset', String(offset + limit))
    next.set('limit', String(limit))
    headers['X-Killbill-Pagination-NextPageUri'] = `${r.path}?${next.toString()}`
  }
  return {body: slice.map((t) => render(t)), headers, status: 200}
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * A small in-process OpenStack for the client tests: one node:http server on 127.0.0.1 (port 0)
 * that answers Keystone auth with the real fixture token body (catalog rewritten to point here)
 * and whatever routes a test registers for the services. Every service request must carry a token
 * this server issued and has not revoked, else it answers Keystone's 401 body.
 *
 * Not the project's simulator (src/sim): just enough to make each client behaviour observable.
 */
import {once} from 'node:events'
import http, {type IncomingHttpHeaders} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {CatalogService, KeystoneTokenBody} from '../../../../src/lib/openstack/types.js'
import {fixture} from './fixtures.js'

export const PROJECT_ID = 'a6944d763bf64ee6a275f1263fae0352'

export interface FakeRequest {
  body: unknown
  headers: IncomingHttpHeaders
  method: string
  path: string
  query: URLSearchParams
}

export interface FakeReply {
  body?: unknown
  headers?: Record<string, string>
  status?: number
}

type Handler = (req: FakeRequest) => FakeReply | Promise<FakeReply>

/** Paths where a service (with token checks) lives; anything else is a bare 404. */
const SERVICE_PREFIX = /^\/(identity|nova|heat|cinder|neutron|gnocchi|cloudkitty|elsewhere)(\/|$)/

export const UNAUTHORIZED = {error: {code: 401, message: 'The request you have made requires authentication.', title: 'Unauthorized'}}

export interface FakeCloudOptions {
  /** Delay each auth answer (makes concurrent requests overlap). */
  authDelayMs?: number
  /** Build the catalog; default: the fixture's, re-pointed here, plus volumev3, metric and rating. */
  catalog?: (base: string) => CatalogService[]
  /** Delay before answering a service request (401s included), per request. */
  latencyMs?: (req: FakeRequest) => number
  /** Token lifetime Keystone reports (issued_at → expires_at). */
  tokenLifetimeMs?: number
}

/** The fixture catalog with its hosts replaced by this server, and the services it lacks added. */
export function defaultCatalog(base: string): CatalogService[] {
  const token = fixture<{token: KeystoneTokenBody}>('keystone/auth-password-project-scoped-response.json').token
  const moved = JSON.parse(
    JSON.stringify(token.catalog)
      .replaceAll('http://23.253.248.171:8774', `${base}/nova`)
      .replaceAll('http://23.253.248.171:8004', `${base}/heat`)
      .replaceAll('http://23.253.248.171:8776', `${base}/cinder`)
      .replaceAll('http://23.253.248.171:9696', `${base}/neutron`),
  ) as CatalogService[]
  const service = (type: string, url: string): CatalogService => ({
    endpoints: ['public', 'internal', 'admin'].map((i) => ({id: `${type}-${i}`, interface: i, region: 'RegionOne', region_id: 'RegionOne', url})),
    id: `${type}-id`,
    name: type,
    type,
  })
  return [...moved, service('volumev3', `${base}/cinder/v3/${PROJECT_ID}`), service('metric', `${base}/gnocchi`), service('rating', `${base}/cloudkitty`)]
}

export class FakeCloud {
  authBodies: unknown[] = []
  /** Override Keystone's answer to `POST /v3/auth/tokens` (e.g. a 401). */
  authReply?: (body: unknown) => FakeReply | undefined
  readonly base: string
  /** Service requests (not auth), in arrival order. */
  readonly requests: FakeRequest[] = []
  readonly validTokens = new Set<string>()
  private issued = 0
  private readonly routes: {handler: Handler; method: string; path: RegExp | string}[] = []

  private constructor(
    private readonly server: http.Server,
    private readonly options: FakeCloudOptions,
  ) {
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }

  get authUrl(): string {
    return `${this.base}/identity/v3`
  }

  /** Tokens issued so far. */
  get authCount(): number {
    return this.issued
  }

  static async start(options: FakeCloudOptions = {}): Promise<FakeCloud> {
    const server = http.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const cloud = new FakeCloud(server, options)
    server.on('request', (req, res) => {
      cloud.handle(req, res).catch((error: unknown) => {
        res.statusCode = 500
        res.end(String(error))
      })
    })
    return cloud
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
    })
  }

  /** Answer `method path` (exact path, or a pattern of the path without its query). */
  on(method: string, path: RegExp | string, handler: Handler): this {
    this.routes.unshift({handler, method, path})
    return this
  }

  /** Service requests to paths matching this. */
  requestsTo(path: RegExp | string): FakeRequest[] {
    return this.requests.filter((r) => (typeof path === 'string' ? r.path === path : path.test(r.path)))
  }

  /** Make every token issued so far invalid (as if it expired or was revoked). */
  revokeTokens(): void {
    this.validTokens.clear()
  }

  private async auth(body: unknown): Promise<FakeReply> {
    this.authBodies.push(body)
    if (this.options.authDelayMs) await new Promise((r) => setTimeout(r, this.options.authDelayMs))
    const override = this.authReply?.(body)
    if (override) return override
    const doc = fixture<{token: KeystoneTokenBody}>('keystone/auth-password-project-scoped-response.json')
    const now = Date.now()
    doc.token.issued_at = new Date(now).toISOString()
    doc.token.expires_at = new Date(now + (this.options.tokenLifetimeMs ?? 3_600_000)).toISOString()
    doc.token.catalog = (this.options.catalog ?? defaultCatalog)(this.base)
    const id = `gAAAAAB-fake-token-${++this.issued}`
    this.validTokens.add(id)
    return {body: doc, headers: {'X-Subject-Token': id}, status: 201}
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    const url = new URL(req.url ?? '/', this.base)
    const fr: FakeRequest = {body: raw === '' ? undefined : (JSON.parse(raw) as unknown), headers: req.headers, method: req.method ?? 'GET', path: url.pathname, query: url.searchParams}
    let reply: FakeReply
    if (fr.method === 'POST' && fr.path === '/identity/v3/auth/tokens') {
      reply = await this.auth(fr.body)
    } else if (!SERVICE_PREFIX.test(fr.path)) {
      // Nothing is deployed there: a plain web server's 404.
      reply = {body: '<html><head><title>404 Not Found</title></head><body>Not Found</body></html>', status: 404}
    } else {
      this.requests.push(fr)
      const latency = this.options.latencyMs?.(fr) ?? 0
      if (latency > 0) await new Promise((r) => setTimeout(r, latency))
      const token = req.headers['x-auth-token']
      if (typeof token !== 'string' || !this.validTokens.has(token)) {
        reply = {body: UNAUTHORIZED, status: 401}
      } else {
        const route = this.routes.find((r) => r.method === fr.method && (typeof r.path === 'string' ? r.path === fr.path : r.path.test(fr.path)))
        reply = route ? await route.handler(fr) : {body: {itemNotFound: {code: 404, message: `no route for ${fr.method} ${fr.path}`}}, status: 404}
      }
    }
    res.statusCode = reply.status ?? 200
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v)
    if (reply.body === undefined) {
      res.end()
      return
    }
    if (typeof reply.body === 'string') {
      res.setHeader('Content-Type', 'text/html')
      res.end(reply.body)
      return
    }
    res.setHeader('Content-Type', 'application/json')
    res.end(JSON.stringify(reply.body))
  }
}

/** Settings that keep failing tests fast. */
export const FAST_HTTP = {settings: {deadlineMs: 10_000, retries: 1, retryBaseMs: 1, timeoutMs: 5000}}

/**
 * The small HTTP framework every simulated system is built on: a route table, JSON bodies, fault
 * injection before routing, and the simulator's own cost per request (so benchmarks can show that
 * they measure the CLI, not the simulator).
 */
import {createServer, type IncomingHttpHeaders, type IncomingMessage, type RequestListener, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import type {Faults, SimSystem} from './faults.js'

export interface SimRequest {
  body: unknown
  headers: IncomingHttpHeaders
  method: string
  params: Record<string, string>
  /** The path without the query string, percent-decoded per segment in `params` only. */
  path: string
  query: URLSearchParams
  rawBody: string
  req: IncomingMessage
}

export interface SimReply {
  body?: unknown
  headers?: Record<string, string | string[]>
  status: number
  /** A non-JSON body (e.g. the MRD's text/plain 401). */
  text?: string
}

export type SimHandler = (r: SimRequest) => Promise<SimReply> | SimReply

interface Route {
  handler: SimHandler
  keys: string[]
  method: string
  regex: RegExp
}

export interface SimAppStats {
  /** Time spent inside handlers (not in injected latency), in ns. */
  handlerNs: bigint
  requests: number
}

export class SimApp {
  /** Which page of a listing a request asks for (1-based), for `failListingAfterPages`. */
  pageOf?: (r: SimRequest) => number | undefined
  /** Headers every reply of this app carries (e.g. Keystone's `Vary: X-Auth-Token`). */
  readonly defaultHeaders: Record<string, string> = {}
  /**
   * Called after a request was handled (its effect is in the world) and before the reply is sent:
   * tests use it to stop a client at that very moment (e.g. kill it after a write landed).
   */
  onHandled?: (r: SimRequest, reply: SimReply) => Promise<void> | void
  readonly stats: SimAppStats = {handlerNs: 0n, requests: 0}
  private fallback: SimHandler = () => ({body: {error: 'Not Found', status: 404}, status: 404})
  private readonly routes: Route[] = []

  constructor(
    readonly system: SimSystem,
    private readonly faults?: Faults,
  ) {}

  /** Serve a request: faults first, then the first matching route, else the fallback. */
  listener(): RequestListener {
    return (req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, {'Content-Type': 'application/json'})
          res.end(JSON.stringify({error: String(error instanceof Error ? error.message : error)}))
        } else res.destroy()
      })
    }
  }

  notFound(handler: SimHandler): this {
    this.fallback = handler
    return this
  }

  /** Add a route; `pattern` is a path with `:name` segments, e.g. `/v2.1/servers/:id`. */
  route(method: string | string[], pattern: string, handler: SimHandler): this {
    const keys: string[] = []
    const source = pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          keys.push(seg.slice(1))
          return '([^/]+)'
        }
        return seg.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
      })
      .join('/')
    for (const m of Array.isArray(method) ? method : [method]) {
      this.routes.push({handler, keys, method: m.toUpperCase(), regex: new RegExp(`^${source}/?$`)})
    }
    return this
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawBody = await readBody(req)
    const target = req.url ?? '/'
    const q = target.indexOf('?')
    let body: unknown
    let parsed = false
    const r: SimRequest = {
      // Parsed on first use: most handlers of writes decode the raw body themselves.
      get body() {
        if (!parsed) {
          body = parseJson(rawBody, req.headers['content-type'])
          parsed = true
        }
        return body
      },
      headers: req.headers,
      method: (req.method ?? 'GET').toUpperCase(),
      params: {},
      path: q === -1 ? target : target.slice(0, q),
      query: new URLSearchParams(q === -1 ? '' : target.slice(q + 1)),
      rawBody,
      req,
    }
    if (this.faults && (await this.faults.intercept(this.system, req, res, this.pageOf?.(r)))) return
    const started = process.hrtime.bigint()
    let reply: SimReply | undefined
    for (const route of this.routes) {
      if (route.method !== r.method && !(route.method === 'GET' && r.method === 'HEAD')) continue
      const m = route.regex.exec(r.path)
      if (!m) continue
      route.keys.forEach((k, i) => {
        r.params[k] = decodeURIComponent(m[i + 1])
      })
      reply = await route.handler(r)
      break
    }
    reply ??= await this.fallback(r)
    this.stats.requests++
    this.stats.handlerNs += process.hrtime.bigint() - started
    if (this.onHandled !== undefined) await this.onHandled(r, reply)
    send(res, {...reply, headers: {...this.defaultHeaders, ...reply.headers}}, r.method === 'HEAD')
  }
}

export function send(res: ServerResponse, reply: SimReply, head = false): void {
  if (res.destroyed || res.writableEnded) return
  const headers: Record<string, string | string[]> = {...reply.headers}
  let payload = ''
  if (reply.text !== undefined) {
    payload = reply.text
    headers['Content-Type'] ??= 'text/plain; charset=utf-8'
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body)
    headers['Content-Type'] ??= 'application/json'
  }
  headers['Content-Length'] = String(Buffer.byteLength(payload))
  res.writeHead(reply.status, headers)
  res.end(head ? undefined : payload)
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')))
    req.once('error', reject)
  })
}

function parseJson(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined
  if (contentType && !/json/i.test(contentType)) return undefined
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return undefined
  }
}

export interface RunningServer {
  close(): Promise<void>
  port: number
  server: Server
  url: string
}

/** Listen on 127.0.0.1 (port 0 = chosen by the OS). */
export async function listen(listener: RequestListener, port = 0): Promise<RunningServer> {
  const server = createServer({keepAliveTimeout: 30_000}, listener)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => resolve())
  })
  const {port: actual} = server.address() as AddressInfo
  return {
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
      })
    },
    port: actual,
    server,
    url: `http://127.0.0.1:${actual}`,
  }
}

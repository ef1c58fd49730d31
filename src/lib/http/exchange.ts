/**
 * The wire exchange: one attempt of a request through an undici connection pool. `HttpClient`
 * drives it (its retry policy, per-host bound, deadline, redirects of reads, accounting, errors).
 *
 * Why undici rather than axios: `metrics push` sends one PUT per metric (50,000 for 10,000
 * servers), `serve` one Nova GET per request, `listen` several reads per notification. Through
 * axios each exchange cost ~250 µs of CPU — the merge of its configuration, its interceptors and
 * transforms, follow-redirects, and the set-up of an `http.request` with its streams — which made
 * those runs CPU-bound. undici (the Node project's HTTP/1.1 client, llhttp parser, keep-alive pool)
 * does the same exchange for a fraction, and loads in half the time.
 *
 * What it does as axios's adapter did: `Accept-Encoding: gzip, compress, deflate, br` and the
 * answer decoded (the `Content-Encoding` header then dropped), a UTF-8 BOM dropped, a per-attempt
 * timeout, an abort signal (the total deadline). No proxy from the environment (axios was set to
 * `proxy: false`).
 */
import {promisify} from 'node:util'
import zlib from 'node:zlib'
import type {Dispatcher} from 'undici'

export interface DispatcherOptions {
  /** CA certificates (PEM) to trust instead of Node's bundled roots (give those too to add one). */
  ca?: string[]
  /** Connections per origin. */
  connections: number
  rejectUnauthorized: boolean
}

/**
 * An undici dispatcher with keep-alive connections, `connections` per origin. undici is loaded here,
 * on the first request: a command that sends none (`--help`, `doctor` of a config error) does not
 * pay for it at start.
 */
export async function createDispatcher(o: DispatcherOptions): Promise<Dispatcher> {
  const {Agent} = await import('undici')
  return new Agent({
    // The attempt's own timeout and the total deadline abort it: undici's per-phase timeouts would
    // only duplicate them.
    bodyTimeout: 0,
    connect: {...(o.ca === undefined ? {} : {ca: o.ca}), rejectUnauthorized: o.rejectUnauthorized},
    connections: o.connections,
    headersTimeout: 0,
    keepAliveTimeout: 30_000,
    pipelining: 1,
  })
}

export type Method = 'DELETE' | 'GET' | 'HEAD' | 'PATCH' | 'POST' | 'PUT'

export interface WireRequest {
  body?: Buffer | string
  headers: Record<string, string>
  method: Method
  /** Stops the attempt (the total deadline). */
  signal?: {aborted: boolean; addEventListener(type: 'abort', fn: () => void): void; removeEventListener(type: 'abort', fn: () => void): void}
  /** Per attempt, ms (0: none). */
  timeoutMs: number
  url: URL
}

export interface WireAnswer {
  headers: Record<string, string>
  status: number
  text: string
}

/** Why an attempt failed without an answer: `code` as Node's or axios's adapter would give it. */
export class WireFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    /** `timeout` (the attempt's own), `canceled` (the signal), or `network`. */
    readonly reason: 'canceled' | 'network' | 'timeout',
    options?: {cause?: unknown},
  ) {
    super(message, options)
    this.name = 'WireFailure'
  }
}

/** undici's error codes → the codes Node's `http` gives for the same failures (the retry policy reads them). */
const CODE_OF: Readonly<Record<string, string>> = {
  UND_ERR_CLOSED: 'ECONNRESET',
  UND_ERR_CONNECT_TIMEOUT: 'ETIMEDOUT',
  UND_ERR_SOCKET: 'ECONNRESET',
}

const ACCEPT_ENCODING = 'gzip, compress, deflate, br'
const TIMED_OUT = Symbol('timed out')

const gunzip = promisify(zlib.gunzip)
const inflate = promisify(zlib.inflate)
const inflateRaw = promisify(zlib.inflateRaw)
const brotli = promisify(zlib.brotliDecompress)
/** What axios gives zlib: a truncated stream yields what arrived rather than an error. */
const LENIENT = {finishFlush: zlib.constants.Z_SYNC_FLUSH, flush: zlib.constants.Z_SYNC_FLUSH}

/** One attempt: the answer (any status), or a `WireFailure`. */
export async function exchange(dispatcher: Dispatcher, req: WireRequest): Promise<WireAnswer> {
  const controller = new AbortController()
  const timer = req.timeoutMs > 0 ? setTimeout(() => controller.abort(TIMED_OUT), req.timeoutMs) : undefined
  const onAbort = () => controller.abort()
  if (req.signal?.aborted === true) controller.abort()
  else req.signal?.addEventListener('abort', onAbort)
  try {
    const res = await dispatcher.request({
      body: req.body ?? null,
      headers: {'accept-encoding': ACCEPT_ENCODING, ...req.headers},
      method: req.method,
      origin: req.url.origin,
      path: `${req.url.pathname}${req.url.search}`,
      signal: controller.signal,
    })
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v
    const encoding = headers['content-encoding']?.trim().toLowerCase()
    let text: string
    if (encoding === undefined || encoding === '' || encoding === 'identity') {
      // The text straight from the chunks: no whole-body buffer kept beside it (a 13 MB Gnocchi
      // answer at cloud scale is read as text, then parsed, and the bytes must be let go at once).
      text = await res.body.text()
    } else {
      const raw = Buffer.from(await res.body.arrayBuffer())
      const decoded = await decode(raw, encoding)
      if (decoded !== raw) delete headers['content-encoding']
      text = decoded.toString('utf8')
    }
    if (text.codePointAt(0) === 0xfe_ff) text = text.slice(1)
    return {headers, status: res.statusCode, text}
  } catch (error) {
    if (controller.signal.aborted && controller.signal.reason === TIMED_OUT) throw new WireFailure(`timeout of ${req.timeoutMs}ms exceeded`, 'ETIMEDOUT', 'timeout')
    if (controller.signal.aborted) throw new WireFailure('canceled', 'ERR_CANCELED', 'canceled')
    const e = error as {cause?: {code?: string}; code?: string; message?: string}
    const raw = e.code ?? e.cause?.code ?? 'ERR_NETWORK'
    throw new WireFailure(e.message ?? String(error), CODE_OF[raw] ?? raw, 'network', {cause: error})
  } finally {
    if (timer !== undefined) clearTimeout(timer)
    req.signal?.removeEventListener('abort', onAbort)
  }
}

async function decode(body: Buffer, encoding: string | undefined): Promise<Buffer> {
  if (body.length === 0) return body
  switch (encoding) {
    case 'gzip':
    case 'x-gzip': {
      return gunzip(body, LENIENT)
    }
    case 'compress':
    case 'deflate':
    case 'x-compress': {
      // zlib-wrapped (RFC 1950) or raw (RFC 1951): servers send both under `deflate`.
      return (body[0] & 0x0f) === 0x08 ? inflate(body, LENIENT) : inflateRaw(body, LENIENT)
    }
    case 'br': {
      return brotli(body)
    }
    default: {
      return body
    }
  }
}

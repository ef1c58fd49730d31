/**
 * The one HTTP layer (DESIGN §2): every client of every outside system goes through `HttpClient`.
 *
 * - keep-alive connections (undici, see `exchange.ts`), TLS verification on unless `insecure`, an
 *   extra CA from `ca_file`;
 * - a per-attempt timeout and a total deadline covering every retry;
 * - retries with exponential backoff honouring `Retry-After`: GET/HEAD/PUT/PATCH/DELETE on
 *   429/502/503/504, timeouts and network errors (every PATCH this tool sends sets fields to values,
 *   so sending it again changes nothing more); a POST only when the caller says the server makes it
 *   safe (`idempotent: true`), or when the request provably never reached the server (connection
 *   refused, 429);
 * - reads follow redirects (Heat answers GET /stacks/{name} with 302), at most 5, without the
 *   credentials when the redirect leaves the host; writes never (a 3xx is an error naming where);
 * - a bounded number of requests in flight per host (shared by every client of that host);
 * - call accounting into a `CallLedger`;
 * - a dry-run guard that refuses every mutating request not marked read-only;
 * - redaction of URLs, headers and bodies in logs and errors.
 */
import {readFileSync} from 'node:fs'
import {rootCertificates} from 'node:tls'
import pLimit, {type LimitFunction} from 'p-limit'
import type {Dispatcher} from 'undici'

import {ConfigError} from '../errors.js'
import {type Logger, silentLogger} from '../output/logger.js'
import {redact} from '../output/redact.js'
import {CallLedger, isWriteMethod} from './calls.js'
import {decodeBody, parseLenientJson} from './json-body.js'
import {Deadline} from './deadline.js'
import {HttpError, redactUrl, serverMessageOf} from './errors.js'
import {createDispatcher, exchange, type Method, type WireAnswer, WireFailure, type WireRequest} from './exchange.js'

export interface TlsOptions {
  /** PEM file with extra CA certificates to trust. */
  caFile?: string
  /** Skip certificate verification. Off unless the configuration says so explicitly. */
  insecure?: boolean
}

export interface HttpSettings {
  /** Total time for one request including every retry, ms. */
  deadlineMs: number
  /** Requests in flight at once per host. */
  maxInFlightPerHost: number
  /** Most delay between two attempts, ms (a longer Retry-After fails the request instead). */
  maxRetryDelayMs: number
  /** Retries after the first attempt. */
  retries: number
  /** First backoff delay, ms; doubled each retry, plus jitter. */
  retryBaseMs: number
  /** Time for one attempt, ms. */
  timeoutMs: number
}

export const DEFAULT_HTTP_SETTINGS: HttpSettings = {
  deadlineMs: 120_000,
  maxInFlightPerHost: 16,
  maxRetryDelayMs: 30_000,
  retries: 4,
  retryBaseMs: 250,
  timeoutMs: 30_000,
}

export interface HttpClientOptions {
  /** Base URL that relative request paths are resolved against. */
  baseURL?: string
  /** Refuse every mutating request that is not marked read-only. */
  dryRun?: boolean
  headers?: Record<string, string>
  ledger?: CallLedger
  logger?: Logger
  settings?: Partial<HttpSettings>
  /** Name of the outside system, for accounting, logs and errors: `keystone`, `nova`, `concertim`… */
  system: string
  tls?: TlsOptions
}

export interface RequestOptions {
  body?: unknown
  headers?: Record<string, string>
  /** A POST/PATCH that the server makes safe to repeat (e.g. Keystone auth, a search, a usage with a tracking id). */
  idempotent?: boolean
  method?: Method
  params?: Record<string, boolean | number | string | string[] | undefined>
  /** A POST that only reads (Keystone auth, Gnocchi search, dry-run invoice): allowed under dry-run, not a write. */
  readOnly?: boolean
  responseType?: 'json' | 'text'
  /** Statuses that are answers, not errors (besides 2xx), e.g. [404] for an existence check. */
  accept?: number[]
  /**
   * A request whose caller does not read a successful answer's body (e.g. billing's 11k cost PATCHes,
   * each answered with the whole record): that body is not parsed and `data` is its text. An error
   * answer's body is parsed as always (its message is read).
   */
  answerUnread?: boolean
  timeoutMs?: number
  /** Absolute URL, or a path relative to the client's base URL. */
  url: string
}

export interface HttpResponse<T> {
  data: T
  headers: Record<string, string>
  status: number
  url: string
}

/** A request's and its answer's bodies, for the trace log. */
interface Bodies {
  request: unknown
  response: unknown
}

const RETRY_STATUSES = new Set([429, 502, 503, 504])
/**
 * Methods sent again after a failure that may have reached the server. PATCH is among them: every
 * PATCH this tool sends (the Concertim app's updates) sets fields to values, so a repeat is a no-op.
 */
const REPEATABLE_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT'])
/** Errors that prove the request never reached the server, so any method may be repeated. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])
/** A certificate or TLS failure: the same on every attempt, never retried. */
const TLS_CODE = /CERT|SSL|TLS|UNABLE_TO_|SELF_SIGNED|HOSTNAME_MISMATCH|INVALID_CA|INVALID_PURPOSE|PATH_LENGTH|CRL_/i
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
/** Redirects a read follows (as axios's default did). */
const MAX_REDIRECTS = 5
/** Headers that carry credentials: not sent on to another host, nor from https to http. */
const CREDENTIAL_HEADERS = /^(?:authorization|proxy-authorization|cookie|x-auth-token|x-subject-token)$/i

const hostLimits = new Map<string, LimitFunction>()

function limiterFor(host: string, n: number): LimitFunction {
  const key = `${host}#${n}`
  let limit = hostLimits.get(key)
  if (limit === undefined) {
    limit = pLimit(n)
    hostLimits.set(key, limit)
  }
  return limit
}

/** Requests in flight and queued for one host (tests and diagnostics). */
export function hostQueue(baseUrl: string): {active: number; pending: number} {
  const host = new URL(baseUrl).host
  let active = 0
  let pending = 0
  for (const [key, limit] of hostLimits) {
    if (key.startsWith(`${host}#`)) {
      active += limit.activeCount
      pending += limit.pendingCount
    }
  }
  return {active, pending}
}

/** The connections of one TLS setting and size, made on the first request (see `exchange.ts`). */
const dispatcherCache = new Map<string, () => Promise<Dispatcher>>()

function dispatcherFor(tls: TlsOptions | undefined, connections: number): () => Promise<Dispatcher> {
  const key = `${tls?.caFile ?? ''}|${tls?.insecure === true}|${connections}`
  let get = dispatcherCache.get(key)
  if (get === undefined) {
    let ca: string | undefined
    if (tls?.caFile) {
      try {
        ca = readFileSync(tls.caFile, 'utf8')
      } catch (error) {
        throw new ConfigError('ca_file', `cannot read CA file ${tls.caFile}: ${(error as Error).message}`, 'ca_file: /etc/ssl/certs/my-cloud-ca.pem')
      }
    }
    let made: Promise<Dispatcher> | undefined
    // An extra CA is added to Node's bundled roots, not put in their place.
    get = async () => (made ??= createDispatcher({...(ca === undefined ? {} : {ca: [...rootCertificates, ca]}), connections, rejectUnauthorized: tls?.insecure !== true}))
    dispatcherCache.set(key, get)
  }
  return get
}

/**
 * Why an attempt did not give an accepted answer: an answer with another status, or no answer (a
 * timeout, the deadline, a network or TLS failure) — what the retry policy and the errors read.
 */
interface Failure {
  /** The answer's body (parsed when JSON), when there was an answer. */
  body?: unknown
  /** Node's error code for a failure without an answer (`ECONNREFUSED`, `ETIMEDOUT`, `ERR_CANCELED`…). */
  code?: string
  headers?: Record<string, string>
  message?: string
  status?: number
}

export class HttpClient {
  readonly ledger: CallLedger
  readonly settings: HttpSettings
  readonly system: string
  /** Headers every request carries. */
  private readonly baseHeaders: Record<string, string>
  /** The connection pool requests go through. */
  private readonly dispatcher: () => Promise<Dispatcher>
  /** The base URL without its trailing slashes. */
  private readonly base: string
  /** The per-host limit of the base URL's host (most requests), found once. */
  private readonly baseLimit?: LimitFunction
  private readonly dryRun: boolean
  private readonly logger: Logger

  constructor(readonly options: HttpClientOptions) {
    this.system = options.system
    this.settings = {...DEFAULT_HTTP_SETTINGS, ...options.settings}
    this.ledger = options.ledger ?? new CallLedger()
    this.logger = options.logger ?? silentLogger
    this.dryRun = options.dryRun === true
    this.base = (options.baseURL ?? '').replace(/\/+$/, '')
    if (options.baseURL !== undefined && /^https?:\/\//i.test(options.baseURL)) {
      this.baseLimit = limiterFor(new URL(options.baseURL).host, this.settings.maxInFlightPerHost)
    }
    this.dispatcher = dispatcherFor(options.tls, this.settings.maxInFlightPerHost)
    this.baseHeaders = {Accept: 'application/json', 'User-Agent': 'concertim-os', ...options.headers}
  }

  async delete<T = unknown>(url: string, opts: Omit<RequestOptions, 'method' | 'url'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({...opts, method: 'DELETE', url})
  }

  async get<T = unknown>(url: string, opts: Omit<RequestOptions, 'method' | 'url'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({...opts, method: 'GET', url})
  }

  async patch<T = unknown>(url: string, body: unknown, opts: Omit<RequestOptions, 'body' | 'method' | 'url'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({...opts, body, method: 'PATCH', url})
  }

  async post<T = unknown>(url: string, body: unknown, opts: Omit<RequestOptions, 'body' | 'method' | 'url'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({...opts, body, method: 'POST', url})
  }

  async put<T = unknown>(url: string, body: unknown, opts: Omit<RequestOptions, 'body' | 'method' | 'url'> = {}): Promise<HttpResponse<T>> {
    return this.request<T>({...opts, body, method: 'PUT', url})
  }

  /** Send one request (with retries) and return the response, or throw an `HttpError`. */
  async request<T = unknown>(opts: RequestOptions): Promise<HttpResponse<T>> {
    const method = opts.method ?? 'GET'
    const readOnly = opts.readOnly === true || !isWriteMethod(method)
    const target = this.fullUrl(opts.url)
    if (this.dryRun && !readOnly) {
      throw new HttpError({code: 'E_DRY_RUN', kind: 'dry-run', method, problem: 'refused: --dry-run sends no write', system: this.system, url: target})
    }
    const headers: Record<string, string> = {...this.baseHeaders}
    let body: Buffer | string | undefined
    if (opts.body !== undefined && opts.body !== null) {
      if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = opts.body
      else {
        body = JSON.stringify(opts.body)
        headers['Content-Type'] = 'application/json'
      }
    }
    if (opts.headers !== undefined) Object.assign(headers, opts.headers)
    const url = new URL(target)
    if (opts.params !== undefined) appendParams(url, opts.params)
    const request: WireRequest = {body, headers, method, timeoutMs: opts.timeoutMs ?? this.settings.timeoutMs, url}
    const accepted = (status: number) => (status >= 200 && status < 300) || opts.accept?.includes(status) === true
    const retryUnsafe = opts.idempotent === true
    // The total deadline, retries included: it aborts the attempt in flight and the wait for the next.
    const deadline = new Deadline(this.settings.deadlineMs)
    request.signal = deadline
    try {
      for (let attempt = 1; ; attempt++) {
        let failure: Failure
        try {
          const answer = await this.limitFor(target)(async () => this.attempt(request, readOnly, body))
          if (accepted(answer.status)) {
            const data = opts.responseType === 'text' || opts.answerUnread === true ? answer.text : this.decoded(answer.text, answer.headers['content-type'], method, target, answer.status)
            return {data: data as T, headers: answer.headers, status: answer.status, url: target}
          }
          failure = {body: parseJson(answer.text), headers: answer.headers, status: answer.status}
        } catch (error) {
          if (!(error instanceof WireFailure)) throw error
          failure = {code: error.code, message: error.message}
        }
        if (attempt > this.settings.retries || deadline.aborted || !this.shouldRetry(failure, method, retryUnsafe)) throw this.toHttpError(failure, method, target)
        const delay = this.retryDelay(attempt, failure)
        this.logger.warn({attempt: attempt + 1, code: failure.code, method, status: failure.status, system: this.system, url: redactUrl(target)}, 'retrying request')
        if (!(await pause(delay, deadline))) throw this.toHttpError({code: 'ERR_CANCELED'}, method, target)
      }
    } finally {
      deadline.dispose()
    }
  }

  /** A JSON body that did not parse: read leniently, else a typed error (never taken for empty). */
  private decoded(text: string, contentType: string | undefined, method: string, target: string, status: number): unknown {
    try {
      return decodeBody(text, contentType)
    } catch (error) {
      throw new HttpError({
        cause: error,
        code: 'E_HTTP_BAD_BODY',
        hint: 'the service answered with a body that is not JSON although it says so; check its logs or the proxy in front of it',
        kind: 'status',
        method,
        problem: `answered ${status} with ${(error as Error).message}`,
        status,
        system: this.system,
        url: target,
      })
    }
  }

  /**
   * One attempt, accounted and logged: the exchange, and for a read the redirects it is sent (the
   * answer of the last hop; a redirect not followed is given back as it is, for the error to name).
   */
  private async attempt(request: WireRequest, readOnly: boolean, body: Buffer | string | undefined): Promise<WireAnswer> {
    const started = performance.now()
    const follows = request.method === 'GET' || request.method === 'HEAD'
    let hop = request
    try {
      const dispatcher = await this.dispatcher()
      for (let hops = 0; ; hops++) {
        const answer = await exchange(dispatcher, hop)
        const next = follows && hops < MAX_REDIRECTS ? redirectOf(hop, answer) : undefined
        if (next === undefined) {
          // The bodies are parsed only for the trace log that shows them, not on every request.
          this.account(request.method, readOnly, started, answer.status, hop.url.href, () => ({request: typeof body === 'string' ? parseJson(body) : body, response: parseJson(answer.text)}))
          return answer
        }
        hop = next
      }
    } catch (error) {
      this.account(request.method, readOnly, started, error instanceof WireFailure ? error.code : 'ERROR', hop.url.href)
      throw error
    }
  }

  /** One attempt in the ledger and the debug log (its bodies at trace level); no bodies: it failed. */
  private account(method: string, readOnly: boolean, started: number, status: number | string, url: string, bodies?: () => Bodies): void {
    const ms = performance.now() - started
    this.ledger.record({method, ms, readOnly, status, system: this.system})
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({method, ms: Math.round(ms), status, system: this.system, url: redactUrl(url)}, bodies === undefined ? 'http failed' : 'http')
    if (bodies !== undefined && this.logger.isLevelEnabled('trace')) {
      const {request, response} = bodies()
      this.logger.trace({request: redact(request), response: redact(response), system: this.system}, 'http bodies')
    }
  }

  private fullUrl(url = ''): string {
    if (/^https?:\/\//i.test(url)) return url
    return `${this.base}/${url.replace(/^\/+/, '')}`
  }

  /** The in-flight bound of the host a request goes to. */
  private limitFor(url: string): LimitFunction {
    if (this.baseLimit !== undefined && url.startsWith(`${this.base}/`)) return this.baseLimit
    return limiterFor(new URL(url).host, this.settings.maxInFlightPerHost)
  }

  private retryDelay(n: number, failure: Failure): number {
    const exp = this.settings.retryBaseMs * 2 ** (n - 1)
    const delay = Math.max(exp, retryAfterMs(failure.headers?.['retry-after']))
    return Math.min(delay * (1 + Math.random() * 0.2), this.settings.maxRetryDelayMs)
  }

  private shouldRetry(failure: Failure, method: string, retryUnsafe: boolean): boolean {
    if (failure.code === 'ERR_CANCELED') return false
    const safe = retryUnsafe || REPEATABLE_METHODS.has(method)
    const {status} = failure
    if (status !== undefined) {
      if (!RETRY_STATUSES.has(status)) return false
      // 429 means "not processed": safe for any method. A Retry-After beyond our limit is not waited for.
      const wait = retryAfterMs(failure.headers?.['retry-after'])
      if (wait > this.settings.maxRetryDelayMs) return false
      return safe || status === 429
    }
    const code = failure.code ?? ''
    if (NOT_SENT_CODES.has(code)) return true
    // A timeout or a connection lost may have reached the server: only a repeatable request is sent again.
    return safe && !TLS_CODE.test(code)
  }

  private toHttpError(failure: Failure, method: string, url: string): HttpError {
    const system = this.system
    const {status} = failure
    if (status !== undefined) {
      const body = failure.body
      if (status >= 300 && status < 400) {
        const location = failure.headers?.location
        return new HttpError({hint: location ? `configure the URL it points to (${redactUrl(location)}) instead` : 'configure the final URL of the service', kind: 'status', method, problem: `was redirected (HTTP ${status}${location ? ` to ${redactUrl(location)}` : ''})`, status, system, url})
      }
      return new HttpError({body, cause: undefined, hint: hintForStatus(status), kind: 'status', method, problem: `failed with HTTP ${status}`, serverMessage: serverMessageOf(body), status, system, url})
    }
    const code = failure.code ?? ''
    if (code === 'ERR_CANCELED') {
      return new HttpError({hint: 'the system is slow or stalled; raise http.deadline_ms if it is merely slow', kind: 'deadline', method, problem: `gave no answer within the deadline of ${this.settings.deadlineMs} ms (retries included)`, system, url})
    }
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') {
      return new HttpError({hint: 'the system is slow or stalled; raise http.timeout_ms if it is merely slow', kind: 'timeout', method, problem: `timed out after ${this.settings.timeoutMs} ms per attempt (${this.settings.retries} retries)`, system, url})
    }
    if (TLS_CODE.test(code)) {
      return new HttpError({code: 'E_TLS', hint: 'give the CA that signed its certificate with ca_file (or, knowingly, insecure: true)', kind: 'tls', method, problem: `TLS verification failed (${code})`, system, url})
    }
    return new HttpError({code: `E_NET_${code || 'UNKNOWN'}`, hint: 'check the URL in the configuration and that the service is running and reachable from here', kind: 'network', method, problem: `could not connect (${code || failure.message || 'unknown error'})`, system, url})
  }
}

/**
 * Query parameters as axios wrote them (`paramsSerializer: {indexes: null}`): an array as the key
 * repeated (`a=1&a=2`), undefined left out, values percent-encoded but for `:`, `$`, `,`, `[`, `]`,
 * and a space as `+`.
 */
export function appendParams(url: URL, params: NonNullable<RequestOptions['params']>): void {
  const parts: string[] = []
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${encodeParam(key)}=${encodeParam(String(v))}`)
  }
  if (parts.length === 0) return
  const query = parts.join('&')
  url.search = url.search.length > 1 ? `${url.search.slice(1)}&${query}` : query
}

function encodeParam(s: string): string {
  return encodeURIComponent(s).replaceAll('%3A', ':').replaceAll('%24', '$').replaceAll('%2C', ',').replaceAll('%20', '+').replaceAll('%5B', '[').replaceAll('%5D', ']')
}

/** The next hop of a read answered with a redirect, or undefined (not a redirect, or nowhere to go). */
function redirectOf(hop: WireRequest, answer: WireAnswer): undefined | WireRequest {
  if (!REDIRECT_STATUSES.has(answer.status)) return undefined
  const location = answer.headers.location
  if (location === undefined || location === '') return undefined
  let url: URL
  try {
    url = new URL(location, hop.url)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  const leaves = url.host !== hop.url.host || (hop.url.protocol === 'https:' && url.protocol === 'http:')
  const headers = leaves ? Object.fromEntries(Object.entries(hop.headers).filter(([k]) => !CREDENTIAL_HEADERS.test(k))) : hop.headers
  return {...hop, headers, url}
}

/** An error answer's body: JSON when it parses, else its text (the message is read from either). */
function parseJson(text: string): unknown {
  if (text === '') return text
  try {
    return parseLenientJson(text)
  } catch {
    return text
  }
}

/** Wait `ms`; false when the deadline expired first. */
async function pause(ms: number, deadline: Deadline): Promise<boolean> {
  if (deadline.aborted) return false
  return new Promise<boolean>((resolve) => {
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      deadline.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    deadline.addEventListener('abort', onAbort)
  })
}

function hintForStatus(status: number): string | undefined {
  if (status === 401) return 'check the credentials in the configuration'
  if (status === 403) return 'the configured user lacks a role or permission this needs'
  if (status === 429 || status === 503) return 'the service is overloaded or down; the next run will retry'
  return undefined
}

/** Retry-After as seconds or an HTTP date, in ms (0 when absent or unparsable). */
export function retryAfterMs(header: unknown): number {
  if (header === undefined || header === null || header === '') return 0
  const s = String(header).trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000
  const at = Date.parse(s)
  return Number.isNaN(at) ? 0 : Math.max(0, at - Date.now())
}

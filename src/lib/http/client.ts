/**
 * The one HTTP layer (DESIGN §2): every client of every outside system goes through `HttpClient`.
 *
 * - keep-alive agents, TLS verification on unless `insecure`, an extra CA from `ca_file`;
 * - a per-attempt timeout and a total deadline covering every retry;
 * - retries with exponential backoff honouring `Retry-After`: GET/HEAD/PUT/PATCH/DELETE on
 *   429/502/503/504, timeouts and network errors (every PATCH this tool sends sets fields to values,
 *   so sending it again changes nothing more); a POST only when the caller says the server makes it
 *   safe (`idempotent: true`), or when the request provably never reached the server (connection
 *   refused, 429);
 * - a bounded number of requests in flight per host (shared by every client of that host);
 * - call accounting into a `CallLedger`;
 * - a dry-run guard that refuses every mutating request not marked read-only;
 * - redaction of URLs, headers and bodies in logs and errors.
 */
import axios, {AxiosError, type AxiosAdapter, type AxiosInstance, type AxiosRequestConfig, type AxiosResponse, CanceledError, getAdapter, type InternalAxiosRequestConfig} from 'axios'
import axiosRetry, {isNetworkError} from 'axios-retry'
import {readFileSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
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
import {sendWrite, type WriteAnswer, writeDispatcher, WriteFailure, type WriteRequest} from './write-path.js'

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
  method?: 'DELETE' | 'GET' | 'HEAD' | 'PATCH' | 'POST' | 'PUT'
  params?: Record<string, boolean | number | string | string[] | undefined>
  /** A POST that only reads (Keystone auth, Gnocchi search, dry-run invoice): allowed under dry-run, not a write. */
  readOnly?: boolean
  responseType?: 'json' | 'text'
  /** Statuses that are answers, not errors (besides 2xx), e.g. [404] for an existence check. */
  accept?: number[]
  /**
   * A write whose caller does not read a successful answer's body (e.g. billing's 11k cost PATCHes,
   * each answered with the whole record): that body is not parsed and `data` is its text. An error
   * answer's body is parsed as always (its message is read). Writes with query parameters ignore it.
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

interface Meta {
  /** Upper case. */
  method: string
  readOnly: boolean
  retryUnsafe: boolean
}

const RETRY_STATUSES = new Set([429, 502, 503, 504])
/**
 * Methods sent again after a failure that may have reached the server. PATCH is among them: every
 * PATCH this tool sends (the Concertim app's updates) sets fields to values, so a repeat is a no-op.
 */
const REPEATABLE_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'PUT'])
/** Errors that prove the request never reached the server, so any method may be repeated. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH'])

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

interface Agents {
  http: http.Agent
  https: https.Agent
  /** The connections of writes (see `write-path.ts`), made on the first write. */
  writes: () => Promise<Dispatcher>
}

const agentCache = new Map<string, Agents>()

function agentsFor(tls: TlsOptions | undefined, maxSockets: number): Agents {
  const key = `${tls?.caFile ?? ''}|${tls?.insecure === true}|${maxSockets}`
  let agents = agentCache.get(key)
  if (agents === undefined) {
    let ca: string | undefined
    if (tls?.caFile) {
      try {
        ca = readFileSync(tls.caFile, 'utf8')
      } catch (error) {
        throw new ConfigError('ca_file', `cannot read CA file ${tls.caFile}: ${(error as Error).message}`, 'ca_file: /etc/ssl/certs/my-cloud-ca.pem')
      }
    }
    // TCP keep-alive probes after 60 s idle: what axios's own adapter sets on each request's socket.
    // Giving the agent the same value means the socket option is set once per connection, not
    // switched back and forth on every request.
    const keepAlive = {keepAlive: true, keepAliveMsecs: 60_000, maxSockets}
    let writes: Promise<Dispatcher> | undefined
    agents = {
      http: new http.Agent(keepAlive),
      writes: async () => (writes ??= writeDispatcher({...(ca === undefined ? {} : {ca: [...rootCertificates, ca]}), connections: maxSockets, rejectUnauthorized: tls?.insecure !== true})),
      https: new https.Agent({
        ...keepAlive,
        // An extra CA is added to Node's bundled roots, not put in their place.
        ca: ca === undefined ? undefined : [...rootCertificates, ca],
        rejectUnauthorized: tls?.insecure !== true,
      }),
    }
    agentCache.set(key, agents)
  }
  return agents
}

export class HttpClient {
  readonly ledger: CallLedger
  readonly settings: HttpSettings
  readonly system: string
  private readonly axios: AxiosInstance
  /** Headers every request carries (the instance defaults of axios, for the write path). */
  private readonly baseHeaders: Record<string, string>
  /** Where writes go (see `write-path.ts`). */
  private readonly writes: () => Promise<Dispatcher>
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
    const agents = agentsFor(options.tls, this.settings.maxInFlightPerHost)
    this.writes = agents.writes
    this.baseHeaders = {Accept: 'application/json', 'User-Agent': 'concertim-os', ...options.headers}
    // Everything that is the same for every request is set here once; a request passes only what
    // is its own (axios merges the two on every request, at a cost per key).
    this.axios = axios.create({
      adapter: this.adapter(getAdapter(axios.defaults.adapter)),
      baseURL: options.baseURL,
      headers: this.baseHeaders,
      httpAgent: agents.http,
      httpsAgent: agents.https,
      maxRedirects: 5,
      paramsSerializer: {indexes: null},
      proxy: false,
      responseType: 'json',
      timeout: this.settings.timeoutMs,
      transitional: {clarifyTimeoutError: true, forcedJSONParsing: true, silentJSONParsing: true},
    })
    axiosRetry(this.axios, {
      onRetry: (n, err, cfg) => {
        this.logger.warn(
          {attempt: n + 1, code: err.code, method: cfg.method?.toUpperCase(), status: err.response?.status, system: this.system, url: redactUrl(this.fullUrl(cfg.url))},
          'retrying request',
        )
      },
      retries: this.settings.retries,
      retryCondition: (err) => this.shouldRetry(err),
      retryDelay: (n, err) => this.retryDelay(n, err),
      shouldResetTimeout: true,
    })
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
    const meta: Meta = {method, readOnly: opts.readOnly === true || !isWriteMethod(method), retryUnsafe: opts.idempotent === true}
    const target = this.fullUrl(opts.url)
    if (this.dryRun && !meta.readOnly) {
      throw new HttpError({code: 'E_DRY_RUN', kind: 'dry-run', method, problem: 'refused: --dry-run sends no write', system: this.system, url: target})
    }
    if (method !== 'GET' && method !== 'HEAD' && opts.params === undefined) return this.write<T>(opts, meta, target)
    // Only what differs from the instance's defaults (set in the constructor).
    const cfg: AxiosRequestConfig & {meta: Meta} = {meta, method, url: opts.url}
    if (opts.body !== undefined) cfg.data = opts.body
    if (opts.headers !== undefined) cfg.headers = opts.headers
    if (opts.params !== undefined) cfg.params = opts.params
    if (opts.timeoutMs !== undefined) cfg.timeout = opts.timeoutMs
    const accept = opts.accept
    if (accept !== undefined) cfg.validateStatus = (s) => (s >= 200 && s < 300) || accept.includes(s)
    // Only reads follow redirects (Heat answers GET /stacks/{id} with 302). A write is never
    // re-sent elsewhere, and skipping the redirect machinery keeps the hot write path lean.
    if (method !== 'GET' && method !== 'HEAD') cfg.maxRedirects = 0
    if (opts.responseType === 'text') {
      cfg.responseType = 'text'
      cfg.transformResponse = [(d: unknown) => d]
    }
    const asText = opts.responseType === 'text'
    // The total deadline, retries included: it aborts the attempt in flight and the wait for the next.
    const deadline = new Deadline(this.settings.deadlineMs)
    cfg.signal = deadline
    let res: AxiosResponse<T>
    try {
      res = await this.axios.request<T>(cfg)
    } catch (error) {
      throw this.toHttpError(error, method, target)
    } finally {
      deadline.dispose()
    }
    const headers = flattenHeaders(res.headers)
    // axios hands back the text of a body it could not parse: decode it (Gnocchi's NaN) or fail loudly.
    const data = !asText && typeof res.data === 'string' ? (this.decoded(res.data, headers['content-type'], method, target, res.status) as T) : res.data
    return {data, headers, status: res.status, url: target}
  }

  /** A JSON body that axios could not parse: read leniently, else a typed error (never taken for empty). */
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
   * A write (no query string): attempts through undici (`write-path.ts`), driven by the same retry
   * policy, per-host bound, deadline, accounting and errors as the requests axios sends. Failures are
   * given the shape of axios's errors so that one policy and one error mapping serve both.
   */
  private async write<T>(opts: RequestOptions, meta: Meta, target: string): Promise<HttpResponse<T>> {
    const method = meta.method as WriteRequest['method']
    const headers: Record<string, string> = {...this.baseHeaders}
    let body: Buffer | string | undefined
    if (opts.body !== undefined && opts.body !== null) {
      if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) body = opts.body
      else {
        body = JSON.stringify(opts.body)
        headers['Content-Type'] = 'application/json'
      }
    }
    Object.assign(headers, opts.headers)
    const request: WriteRequest = {body, headers, method, timeoutMs: opts.timeoutMs ?? this.settings.timeoutMs, url: new URL(target)}
    // What the retry policy and the error mapping read of an axios request.
    const config = {meta, method: method.toLowerCase(), url: target} as unknown as InternalAxiosRequestConfig
    const accepted = (status: number) => (status >= 200 && status < 300) || opts.accept?.includes(status) === true
    const deadline = new Deadline(this.settings.deadlineMs)
    request.signal = deadline
    try {
      for (let attempt = 1; ; attempt++) {
        let failure: AxiosError
        try {
          const answer = await this.limitFor(target)(async () => this.attemptWrite(request, meta, body))
          const ok = accepted(answer.status)
          const data = opts.responseType === 'text' || (ok && opts.answerUnread === true) ? answer.text : ok ? this.decoded(answer.text, answer.headers['content-type'], method, target, answer.status) : parseJson(answer.text)
          const response = {config, data, headers: answer.headers, request: null, status: answer.status, statusText: ''} as AxiosResponse<T>
          if (ok) return {data: response.data as T, headers: answer.headers, status: answer.status, url: target}
          failure = new AxiosError(`Request failed with status code ${answer.status}`, answer.status >= 500 ? AxiosError.ERR_BAD_RESPONSE : AxiosError.ERR_BAD_REQUEST, config, null, response)
        } catch (error) {
          if (!(error instanceof WriteFailure)) throw error
          failure = error.reason === 'canceled' ? new CanceledError(undefined, config, null) : new AxiosError(error.message, error.code, config, null)
          failure.cause = error.cause as Error | undefined
        }
        if (attempt > this.settings.retries || deadline.aborted || !this.shouldRetry(failure)) throw failure
        const delay = this.retryDelay(attempt, failure)
        this.logger.warn({attempt: attempt + 1, code: failure.code, method, status: failure.response?.status, system: this.system, url: redactUrl(target)}, 'retrying request')
        if (!(await pause(delay, deadline))) throw new CanceledError(undefined, config, null)
      }
    } catch (error) {
      throw this.toHttpError(error, method, target)
    } finally {
      deadline.dispose()
    }
  }

  /** One attempt of a write, accounted and logged like those axios sends. */
  private async attemptWrite(request: WriteRequest, meta: Meta, body: Buffer | string | undefined): Promise<WriteAnswer> {
    const started = performance.now()
    try {
      const answer = await sendWrite(await this.writes(), request)
      // The bodies are parsed only for the trace log that shows them, not on every write.
      this.account(meta, started, answer.status, request.url.href, () => ({request: typeof body === 'string' ? parseJson(body) : body, response: parseJson(answer.text)}))
      return answer
    } catch (error) {
      this.account(meta, started, error instanceof WriteFailure ? error.code : 'ERROR', request.url.href)
      throw error
    }
  }

  /** One attempt in the ledger and the debug log (its bodies at trace level); no bodies: it failed. */
  private account(meta: Pick<Meta, 'method' | 'readOnly'>, started: number, status: number | string, url: string | undefined, bodies?: Bodies | (() => Bodies)): void {
    const {method, readOnly} = meta
    const ms = performance.now() - started
    this.ledger.record({method, ms, readOnly, status, system: this.system})
    if (this.logger.isLevelEnabled('debug')) this.logger.debug({method, ms: Math.round(ms), status, system: this.system, url: redactUrl(this.fullUrl(url))}, bodies === undefined ? 'http failed' : 'http')
    if (bodies !== undefined && this.logger.isLevelEnabled('trace')) {
      const {request, response} = typeof bodies === 'function' ? bodies() : bodies
      this.logger.trace({request: redact(request), response: redact(response), system: this.system}, 'http bodies')
    }
  }

  /** Wrap the real adapter: a per-host slot for each attempt, accounting and a debug line. */
  private adapter(base: AxiosAdapter): AxiosAdapter {
    return async (config) => {
      const limit = this.limitFor(config.url ?? '')
      return limit(async () => {
        const started = performance.now()
        const meta = (config as {meta?: Meta}).meta
        const method = meta?.method ?? (config.method ?? 'get').toUpperCase()
        const readOnly = meta?.readOnly ?? !isWriteMethod(method)
        try {
          const res = await base(config)
          this.account({method, readOnly}, started, res.status, config.url, {request: config.data, response: res.data})
          return res
        } catch (error) {
          this.account({method, readOnly}, started, (error as AxiosError).response?.status ?? (error as AxiosError).code ?? 'ERROR', config.url)
          throw error
        }
      })
    }
  }

  private fullUrl(url = ''): string {
    if (/^https?:\/\//i.test(url)) return url
    return `${this.base}/${url.replace(/^\/+/, '')}`
  }

  /** The in-flight bound of the host a request goes to. */
  private limitFor(url: string): LimitFunction {
    if (this.baseLimit !== undefined && !/^https?:\/\//i.test(url)) return this.baseLimit
    return limiterFor(new URL(this.fullUrl(url)).host, this.settings.maxInFlightPerHost)
  }

  private retryDelay(n: number, err: AxiosError): number {
    const exp = this.settings.retryBaseMs * 2 ** (n - 1)
    const delay = Math.max(exp, retryAfterMs(err.response?.headers?.['retry-after']))
    return Math.min(delay * (1 + Math.random() * 0.2), this.settings.maxRetryDelayMs)
  }

  private shouldRetry(err: AxiosError): boolean {
    if (err.code === 'ERR_CANCELED') return false
    const cfg = err.config as (AxiosRequestConfig & {meta?: Meta}) | undefined
    const method = (cfg?.method ?? 'get').toUpperCase()
    const status = err.response?.status
    const safe = cfg?.meta?.retryUnsafe === true || REPEATABLE_METHODS.has(method)
    if (status !== undefined) {
      if (!RETRY_STATUSES.has(status)) return false
      // 429 means "not processed": safe for any method. A Retry-After beyond our limit is not waited for.
      const wait = retryAfterMs(err.response?.headers?.['retry-after'])
      if (wait > this.settings.maxRetryDelayMs) return false
      return safe || status === 429
    }
    if (NOT_SENT_CODES.has(err.code ?? '')) return true
    return safe && (err.code === 'ETIMEDOUT' || isNetworkError(err))
  }

  private toHttpError(error: unknown, method: string, url: string): HttpError {
    if (error instanceof HttpError) return error
    const e = error as AxiosError
    const system = this.system
    if (e.response) {
      const status = e.response.status
      const body = e.response.data
      if (status >= 300 && status < 400) {
        const location = e.response.headers?.location as string | undefined
        return new HttpError({hint: location ? `configure the URL it points to (${redactUrl(location)}) instead` : 'configure the final URL of the service', kind: 'status', method, problem: `was redirected (HTTP ${status}${location ? ` to ${redactUrl(location)}` : ''})`, status, system, url})
      }
      return new HttpError({body, cause: undefined, hint: hintForStatus(status), kind: 'status', method, problem: `failed with HTTP ${status}`, serverMessage: serverMessageOf(body), status, system, url})
    }
    const code = e.code ?? (e as {cause?: {code?: string}}).cause?.code ?? ''
    if (code === 'ERR_CANCELED' || e.name === 'CanceledError') {
      return new HttpError({hint: 'the system is slow or stalled; raise http.deadline_ms if it is merely slow', kind: 'deadline', method, problem: `gave no answer within the deadline of ${this.settings.deadlineMs} ms (retries included)`, system, url})
    }
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') {
      return new HttpError({hint: 'the system is slow or stalled; raise http.timeout_ms if it is merely slow', kind: 'timeout', method, problem: `timed out after ${this.settings.timeoutMs} ms per attempt (${this.settings.retries} retries)`, system, url})
    }
    if (/CERT|SSL|TLS|UNABLE_TO_VERIFY|SELF_SIGNED/i.test(code)) {
      return new HttpError({code: 'E_TLS', hint: 'give the CA that signed its certificate with ca_file (or, knowingly, insecure: true)', kind: 'tls', method, problem: `TLS verification failed (${code})`, system, url})
    }
    return new HttpError({code: `E_NET_${code || 'UNKNOWN'}`, hint: 'check the URL in the configuration and that the service is running and reachable from here', kind: 'network', method, problem: `could not connect (${code || e.message})`, system, url})
  }
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

function flattenHeaders(h: AxiosResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
    if (v === undefined || v === null) continue
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v)
  }
  return out
}

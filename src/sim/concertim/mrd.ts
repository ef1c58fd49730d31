/**
 * The simulated metric reporting daemon (reference/concertim-api.md §8): the authenticated
 * `PUT /{deviceId}/metrics` and the open read endpoints, served both at `/` (direct, port 43000) and
 * under `/mrd/` (through the proxy). Device ids are resolved through the data source map, which the
 * MRD refreshes every 30 s and on demand for unknown ids at most once per 5 s (§8.2).
 */
import type {Faults} from '../faults.js'
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import {decodeJwt} from './jwt.js'
import {normaliseValue, decodePutMetric, validatePutMetric} from './metric-request.js'
import {HISTORIC_DURATIONS, natureOf, type MetricType, type ReceivedMetric} from './metric-store.js'
import {headerValue} from './responses.js'
import type {ConcertimState} from './state.js'

export interface MrdOptions {
  /** DSM refresh period (ms), default 30 s. */
  dsmFrequencyMs?: number
  /** Minimum time between on-demand DSM refreshes (ms), default 5 s; 0 makes every device known at once. */
  dsmThrottleMs?: number
  faults?: Faults
  jwtSecret: string
  /** Processing step (ms), default 15 s; the current views answer 503 until the first run. */
  processingStepMs?: number
}

const STATUS_TEXT: Record<number, string> = {400: 'Bad Request', 404: 'Not Found', 422: 'Unprocessable Entity', 500: 'Internal Server Error', 503: 'Service Unavailable'}

export function createMrdApp(state: ConcertimState, opts: MrdOptions): SimApp {
  const app = new SimApp('mrd', opts.faults)
  const dsm = new DataSourceMapCache(state, opts.dsmFrequencyMs ?? 30_000, opts.dsmThrottleMs ?? 5000)
  const metrics = state.metrics
  metrics.startProcessing(opts.processingStepMs ?? 15_000)

  const routes: [string, string, (r: SimRequest) => SimReply][] = [
    ['GET', '/status', () => jsonLine({status: 200})],
    ['PUT', '/:deviceId/metrics', (r) => putMetric(r)],
    ['GET', '/metrics/current', () => currentMetrics()],
    ['GET', '/metrics/unique', () => currentMetrics()],
    ['GET', '/metrics/historic', () => jsonLine(metrics.historicNames().map((name) => ({id: name, name})))],
    ['GET', '/metrics/:name/current', (r) => metricValues(r.params.name)],
    ['GET', '/metrics/:name/values', (r) => metricValues(r.params.name)],
    ['GET', '/metrics/:name/historic/last/:duration', (r) => metricHistory(r.params.name, lastWindow(r.params.duration))],
    ['GET', '/metrics/:name/historic/:start/:end', (r) => metricHistory(r.params.name, rangeWindow(r.params.start, r.params.end))],
    ['GET', '/devices/:deviceId/metrics/current', (r) => deviceCurrent(r.params.deviceId)],
    ['GET', '/devices/:deviceId/metrics/historic', (r) => deviceHistoricNames(r.params.deviceId)],
    ['GET', '/devices/:deviceId/metrics/:name/historic/last/:duration', (r) => deviceHistory(r.params.deviceId, r.params.name, lastWindow(r.params.duration))],
    ['GET', '/devices/:deviceId/metrics/:name/historic/:start/:end', (r) => deviceHistory(r.params.deviceId, r.params.name, rangeWindow(r.params.start, r.params.end))],
  ]
  const patterns: RegExp[] = []
  for (const [method, pattern, handler] of routes) {
    app.route(method, pattern, handler)
    app.route(method, `/mrd${pattern}`, handler)
    patterns.push(new RegExp(`^(/mrd)?${pattern.replaceAll(/:[a-zA-Z]+/g, '[^/]+')}/?$`))
  }
  // chi: 405 with an empty body on a known path, `404 page not found` otherwise.
  app.notFound((r) => (patterns.some((p) => p.test(r.path)) ? {status: 405, text: ''} : {status: 404, text: '404 page not found\n'}))
  return app

  function putMetric(r: SimRequest): SimReply {
    const authError = authenticate(r)
    if (authError !== undefined) return {headers: {'X-Content-Type-Options': 'nosniff'}, status: 401, text: `${authError}\n`}
    const decoded = decodePutMetric(r.rawBody)
    if (decoded.error !== undefined) return errorReply(400, decoded.error)
    const problems = validatePutMetric(decoded.request)
    if (problems.length > 0) return jsonLine({errors: problems, status: 422}, 422)
    const deviceId = r.params.deviceId
    if (!dsm.knows(deviceId)) {
      return jsonLine({errors: [{detail: `adding host: Unknown host: ${deviceId}`, title: 'Host Not Found'}], status: 404}, 404)
    }
    const req = decoded.request
    const type = req.type as MetricType
    metrics.record({
      at: state.now(),
      deviceId,
      name: req.name,
      slope: req.slope as ReceivedMetric['slope'],
      ttl: req.ttl,
      type,
      units: req.units,
      value: normaliseValue(req.value, type),
    })
    return jsonLine({status: 200})
  }

  /** jwtauth: the Bearer header (any case) or the `jwt` cookie; any HS256 token with the secret. */
  function authenticate(r: SimRequest): string | undefined {
    const header = headerValue(r, 'authorization') ?? ''
    let token = header.length > 7 && header.slice(0, 6).toUpperCase() === 'BEARER' ? header.slice(7) : ''
    if (token === '') token = /(?:^|;\s*)jwt=([^;]*)/.exec(headerValue(r, 'cookie') ?? '')?.[1] ?? ''
    if (token === '') return 'no token found'
    const decoded = decodeJwt(token, opts.jwtSecret, Math.floor(state.now() / 1000), true)
    if (!decoded.ok) {
      if (decoded.problem === 'expired') return 'token is expired'
      if (decoded.problem === 'not-yet-valid') return 'token nbf validation failed'
      if (decoded.problem === 'iat-in-future') return 'token iat validation failed'
      return 'token is unauthorized'
    }
    if (opts.faults?.get('mrd')?.expireTokens) return 'token is expired'
    return undefined
  }

  function currentMetrics(): SimReply {
    const runAt = metrics.lastRunAt()
    if (runAt === undefined) return waiting()
    const byName = new Map<string, {max: null | number; min: null | number; nature: string; units: string}>()
    for (const m of metrics.current(runAt)) {
      const entry = byName.get(m.name) ?? {max: null, min: null, nature: natureOf(m.type, m.slope), units: m.units}
      if (typeof m.value === 'number') {
        entry.min = entry.min === null ? m.value : Math.min(entry.min, m.value)
        entry.max = entry.max === null ? m.value : Math.max(entry.max, m.value)
      }
      byName.set(m.name, entry)
    }
    return jsonLine([...byName].map(([name, e]) => ({id: name, max: e.max, min: e.min, name, nature: e.nature, units: e.units})))
  }

  function metricValues(name: string): SimReply {
    const runAt = metrics.lastRunAt()
    if (runAt === undefined) return waiting()
    const out: {id: string; value: number | string}[] = []
    for (const m of metrics.current(runAt)) if (m.name === name) out.push({id: m.deviceId, value: m.value})
    if (out.length === 0) return errorReply(404, `metric not found: ${name}`)
    return jsonLine(out)
  }

  function metricHistory(name: string, w: Window | string): SimReply {
    if (typeof w === 'string') return errorReply(400, w)
    const out = metrics.devicesWith(name).map((id) => ({id, values: metrics.historic(id, name, w.start, w.end, w.resolution) ?? []}))
    return jsonLine(out)
  }

  function deviceCurrent(deviceId: string): SimReply {
    if (!dsm.knows(deviceId)) return hostNotFound(deviceId)
    const runAt = metrics.lastRunAt()
    if (runAt === undefined) return waiting()
    return jsonLine(metrics.currentOf(deviceId, runAt).map((m) => ({id: m.name, name: m.name, nature: natureOf(m.type, m.slope), units: m.units, value: m.value})))
  }

  function deviceHistoricNames(deviceId: string): SimReply {
    if (!dsm.knows(deviceId)) return hostNotFound(deviceId)
    return jsonLine(metrics.historicNames(deviceId).map((name) => ({id: name, name})))
  }

  function deviceHistory(deviceId: string, name: string, w: Window | string): SimReply {
    if (typeof w === 'string') return errorReply(400, w)
    const points = metrics.historic(deviceId, name, w.start, w.end, w.resolution)
    if (!points) return errorReply(404, `metric not found: ${name} for host device:${deviceId}`)
    return jsonLine(points)
  }

  function hostNotFound(deviceId: string): SimReply {
    return jsonLine({errors: [{detail: `Unknown host: ${deviceId}`, title: 'Host Not Found'}], status: 404}, 404)
  }

  function lastWindow(duration: string): Window | string {
    const d = HISTORIC_DURATIONS[duration]
    if (!d) return `Duration '${duration}' is not valid. It should be one of hour, day or quarter.`
    const end = Math.floor(state.now() / 1000)
    return {end, resolution: d.resolution, start: end - d.length}
  }
}

interface Window {
  end: number
  resolution: number
  start: number
}

function rangeWindow(startRaw: string, endRaw: string): Window | string {
  for (const t of [startRaw, endRaw]) {
    if (!/^[+-]?\d+$/.test(t)) {
      return `Time format '${t}' is not valid: strconv.Atoi: parsing "${t}": invalid syntax. It should be integer number of seconds since the unix epoch.`
    }
  }
  const start = Number(startRaw)
  const end = Number(endRaw)
  const length = end - start
  const resolution = length <= 3600 ? 15 : length <= 86_400 ? 300 : 3600
  return {end, resolution, start}
}

/** The MRD's view of device ids: refreshed periodically and, throttled, on demand. */
class DataSourceMapCache {
  private refreshedAt = Number.NEGATIVE_INFINITY

  constructor(
    private readonly state: ConcertimState,
    private readonly frequencyMs: number,
    private readonly throttleMs: number,
  ) {}

  knows(deviceId: string): boolean {
    const now = this.state.now()
    if (now - this.refreshedAt >= this.frequencyMs) this.refreshedAt = now
    if (this.known(deviceId)) return true
    if (now - this.refreshedAt < this.throttleMs) return false
    this.refreshedAt = now
    return this.known(deviceId)
  }

  private known(deviceId: string): boolean {
    const device = this.state.devices.get(deviceId)
    return device !== undefined && device.created_at <= this.refreshedAt
  }
}

function jsonLine(body: unknown, status = 200): SimReply {
  return {headers: {'Content-Type': 'application/json; charset=utf-8'}, status, text: `${JSON.stringify(body)}\n`}
}

function errorReply(status: number, detail: string): SimReply {
  return jsonLine({errors: [{detail, title: STATUS_TEXT[status] ?? String(status)}], status}, status)
}

function waiting(): SimReply {
  return errorReply(503, 'Waiting on metric processing run')
}

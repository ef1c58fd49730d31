/**
 * The metric reporting daemon client (reference/concertim-api.md §8.1, §2.4).
 *
 * `PUT {mrd_url}/{deviceId}/metrics` with one metric `{name, value, units, type, slope, ttl}` and
 * `Authorization: Bearer <jwt>`. The MRD accepts any HS256 token signed with the shared secret; the
 * app's login token is one (what the original used, §8.5), so the token comes from the
 * `ConcertimClient`. A 401 (text/plain, e.g. `token is expired`) renews it once.
 *
 * Outcomes a caller acts on are results, not exceptions: `ok`; `unknown-device` (404 "Host Not
 * Found": the MRD's data source map does not have the device yet, §8.2); `invalid` (422 field
 * validations, or 400 undecodable body). Anything else throws an `HttpError`.
 */
import {HttpClient, type HttpContext, HttpError} from '../http/index.js'

export type MetricType = 'double' | 'float' | 'int8' | 'int16' | 'int32' | 'string' | 'uint8' | 'uint16' | 'uint32'
export type MetricSlope = 'both' | 'derivative' | 'negative' | 'positive' | 'zero'

export interface Metric {
  name: string
  /** Seconds before the value goes stale; at least 1. */
  ttl: number
  type: MetricType
  slope: MetricSlope
  /** Must not contain any of `<>'"&`; may be empty. */
  units: string
  /** A number for numeric types (whole for int types), a string for `string`. */
  value: number | string
}

export interface MetricProblem {
  /** The JSON field, when the MRD named one (`source`). */
  field?: string
  message: string
}

export type MetricResult =
  | {problems: MetricProblem[]; status: 'invalid'}
  | {message: string; status: 'unknown-device'}
  | {status: 'ok'}

/** Where the MRD gets its bearer token: the Concertim app login (see `ConcertimClient`). */
export interface TokenSource {
  bearerToken(): Promise<string>
  renewToken(stale: string): Promise<string>
}

export class MrdClient {
  readonly baseUrl: string
  private readonly http: HttpClient

  constructor(
    mrdUrl: string,
    private readonly tokens: TokenSource,
    ctx: HttpContext = {},
  ) {
    this.baseUrl = mrdUrl.replace(/\/+$/, '')
    this.http = new HttpClient({...ctx, baseURL: this.baseUrl, system: 'mrd'})
  }

  /** Report one metric for one Concertim device (its UUID, not its name). */
  async putMetric(deviceId: string, metric: Metric): Promise<MetricResult> {
    const local = checkLocally(metric)
    if (local.length > 0) return {problems: local, status: 'invalid'}
    const body = {name: metric.name, slope: metric.slope, ttl: Math.trunc(metric.ttl), type: metric.type, units: metric.units, value: metric.value}
    const url = `/${encodeURIComponent(deviceId)}/metrics`
    const attempt = async (token: string) =>
      this.http.put<unknown>(url, body, {accept: [400, 404, 422], headers: {Authorization: `Bearer ${token}`}})
    const token = await this.tokens.bearerToken()
    let res
    try {
      res = await attempt(token)
    } catch (error) {
      if (!(error instanceof HttpError) || error.status !== 401) throw error
      const fresh = await this.tokens.renewToken(token)
      try {
        res = await attempt(fresh)
      } catch (again) {
        if (!(again instanceof HttpError) || again.status !== 401) throw again
        // The app has just accepted the login and issued this token: the credentials are right, the
        // daemon does not accept the app's tokens.
        throw new HttpError({
          body: again.body,
          hint: "the Concertim app issued this token a moment ago and the metric reporting daemon refuses it: the MRD must verify tokens with the app's JWT secret (the same JWT_SECRET for both), and concertim.mrd_url must be this Concertim's MRD",
          kind: 'status',
          method: 'PUT',
          problem: 'failed with HTTP 401 with a token just issued by the Concertim app',
          serverMessage: again.serverMessage,
          status: 401,
          system: 'mrd',
          url: `${this.baseUrl}${url}`,
        })
      }
    }
    if (res.status === 400 || res.status === 422) return {problems: problemsOf(res.data), status: 'invalid'}
    if (res.status === 404) {
      const problems = problemsOf(res.data)
      // chi's own "404 page not found" (text) means the URL is wrong, not that the device is unknown.
      if (typeof res.data !== 'object' || res.data === null) {
        throw new HttpError({
          body: res.data,
          hint: 'check concertim.mrd_url (default <concertim_url>/mrd)',
          kind: 'status',
          method: 'PUT',
          problem: 'failed with HTTP 404 (no such path on the metric reporting daemon)',
          serverMessage: typeof res.data === 'string' ? res.data.trim() : undefined,
          status: 404,
          system: 'mrd',
          url: `${this.baseUrl}${url}`,
        })
      }
      return {message: problems.map((p) => p.message).join('; ') || 'Host Not Found', status: 'unknown-device'}
    }
    return {status: 'ok'}
  }
}

/** What cannot be sent as JSON at all (NaN, Infinity) is refused before sending. */
function checkLocally(metric: Metric): MetricProblem[] {
  const problems: MetricProblem[] = []
  if (typeof metric.value === 'number' && !Number.isFinite(metric.value)) problems.push({field: 'value', message: `value ${metric.value} is not a finite number`})
  if (!Number.isFinite(metric.ttl)) problems.push({field: 'ttl', message: 'ttl is not a finite number'})
  return problems
}

/** `{"errors":[{"title","detail","source"?}],"status":…}` → problems (§8.1). */
function problemsOf(body: unknown): MetricProblem[] {
  const errors = (body as {errors?: unknown} | null)?.errors
  if (!Array.isArray(errors)) return [{message: typeof body === 'string' && body.trim() !== '' ? body.trim() : 'rejected without details'}]
  return errors.map((e) => {
    const r = (e ?? {}) as Record<string, unknown>
    const message = String(r.detail ?? r.title ?? JSON.stringify(e))
    return typeof r.source === 'string' ? {field: r.source, message} : {message}
  })
}

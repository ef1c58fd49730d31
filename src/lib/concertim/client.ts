/**
 * The Concertim app API client (reference/concertim-api.md §2, §3, §5).
 *
 * - Logs in with `POST /users/sign_in.json` `{"user":{"login","password"}}` and takes the JWT from
 *   the `Authorization` response header (201, or 200); the first request logs in lazily.
 * - Sends `Accept: application/json` on every request (without it, failures become 302 redirects).
 * - On a 401 it logs in again and repeats the request; concurrent 401s share one login. A 401 to the
 *   token a login has just given is not a credentials problem (the login succeeded): after a short
 *   pause it logs in once more and tries a last time, then fails with `ConcertimTokenRefusedError`,
 *   which says so. Only
 *   401 means "token no longer valid" in the app (§2.3); 403 is a real refusal and is not retried
 *   (the original also re-logged on 403/405/407/408 and then lost the result, §10 #12).
 * - 422 bodies, whatever their per-endpoint shape, become `ConcertimValidationError` with per-field
 *   messages; a 404 "record not found" makes single-object reads return null and deletes return false.
 */
import {HttpClient, type HttpContext, HttpError, type HttpResponse, type RequestOptions} from '../http/index.js'
import {registerSecret, registerSessionSecret} from '../output/redact.js'
import {ConcertimAuthError, ConcertimTokenRefusedError, ConcertimValidationError, fieldMessagesOf, isRecordNotFound} from './errors.js'
import {deviceBody, nodeBody, rackBody, teamBody, toDevice, toRack, toTeam, toTemplate, toUser} from './records.js'
import type {
  DataSourceMap,
  Device,
  DeviceMove,
  DeviceUpdate,
  MetricStructure,
  NewDevice,
  NewRack,
  NewTemplate,
  Rack,
  RackUpdate,
  Team,
  TeamUpdate,
  Template,
  TemplateUpdate,
  User,
  UserUpdate,
} from './types.js'

export const LOGIN_PATH = '/users/sign_in.json'
export const API_PREFIX = '/api/v1'

export interface ConcertimCredentials {
  password: string
  /** Concertim base URL, e.g. `https://concertim.example:7443` (no `/api/v1`). */
  url: string
  username: string
}

export interface DeleteOptions {
  /** `?recurse=true`: delete a non-empty rack / a template in use (§5.3.5, §5.4.4). */
  recurse?: boolean
}

type Method = NonNullable<RequestOptions['method']>

export interface ConcertimClientOptions {
  /** The pause before the last try when Concertim refuses a token it has just issued, ms (default 2000). */
  refusedTokenPauseMs?: number
}

const REFUSED_TOKEN_PAUSE_MS = 2000

export class ConcertimClient {
  readonly baseUrl: string
  private readonly http: HttpClient
  private loginInFlight: Promise<string> | undefined
  private readonly refusedTokenPauseMs: number
  private token: string | undefined

  constructor(
    private readonly credentials: ConcertimCredentials,
    ctx: HttpContext = {},
    opts: ConcertimClientOptions = {},
  ) {
    this.refusedTokenPauseMs = opts.refusedTokenPauseMs ?? REFUSED_TOKEN_PAUSE_MS
    this.baseUrl = credentials.url.replace(/\/+$/, '')
    registerSecret(credentials.password)
    this.http = new HttpClient({...ctx, baseURL: this.baseUrl, headers: {...ctx.headers, Accept: 'application/json'}, system: 'concertim'})
  }

  // -------------------------------------------------------------------------------------------
  // Authentication

  /** Log in now (whatever token is held) and return the new JWT. */
  async login(): Promise<string> {
    this.loginInFlight ??= this.doLogin().finally(() => {
      this.loginInFlight = undefined
    })
    return this.loginInFlight
  }

  /** The JWT in use, logging in first if there is none. The MRD accepts it too (§2.4). */
  async bearerToken(): Promise<string> {
    if (this.token !== undefined) return this.token
    return this.login()
  }

  /**
   * A fresh JWT after `stale` was refused: a new login, unless another caller has already replaced
   * `stale` (then its token is returned, so concurrent refusals cause one login).
   */
  async renewToken(stale: string): Promise<string> {
    if (this.token !== undefined && this.token !== stale) return this.token
    return this.login()
  }

  private async doLogin(): Promise<string> {
    let res: HttpResponse<unknown>
    try {
      res = await this.http.post(
        LOGIN_PATH,
        {user: {login: this.credentials.username, password: this.credentials.password}},
        // Logging in writes nothing we care about and may be repeated: allowed under --dry-run.
        {idempotent: true, readOnly: true},
      )
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        throw new ConcertimAuthError(`${error.serverMessage ?? 'HTTP 401'} (user '${this.credentials.username}')`, {cause: error})
      }
      throw error
    }
    const header = res.headers.authorization
    const parts = header?.trim().split(/\s+/) ?? []
    const jwt = parts.length === 2 && /^bearer$/i.test(parts[0]) ? parts[1] : parts.length === 1 ? parts[0] : undefined
    if (jwt === undefined || jwt === '') {
      throw new ConcertimAuthError(`${this.baseUrl}${LOGIN_PATH} answered HTTP ${res.status} without an 'Authorization: Bearer <jwt>' header`, {
        hint: 'check that concertim.concertim_url is the Concertim base URL (e.g. https://concertim.example:7443)',
      })
    }
    registerSessionSecret(jwt, {expiresAt: jwtExpiry(jwt), replaces: this.token})
    this.token = jwt
    return jwt
  }

  /**
   * One authenticated request: 401 → renew the token and repeat; a 401 to the renewed token → pause,
   * renew once more and repeat a last time, else `ConcertimTokenRefusedError`; 422 →
   * ConcertimValidationError.
   */
  private async send<T>(method: Method, path: string, opts: Omit<RequestOptions, 'method' | 'url'> = {}): Promise<HttpResponse<T>> {
    const attempt = async (token: string) =>
      this.http.request<T>({...opts, headers: {...opts.headers, Accept: 'application/json', Authorization: `Bearer ${token}`}, method, url: `${API_PREFIX}${path}`})
    const refused = (error: unknown): error is HttpError => error instanceof HttpError && error.status === 401
    const token = await this.bearerToken()
    try {
      try {
        return await attempt(token)
      } catch (error) {
        if (!refused(error)) throw error
      }
      const fresh = await this.renewToken(token)
      try {
        return await attempt(fresh)
      } catch (error) {
        if (!refused(error)) throw error
      }
      // Refused a token it has just issued: not the credentials (the login worked). Concertim may be
      // restarting or rotating its secret: wait a moment and try once more with a new login.
      await new Promise((resolve) => setTimeout(resolve, this.refusedTokenPauseMs))
      try {
        return await attempt(await this.renewToken(fresh))
      } catch (error) {
        throw refused(error) ? new ConcertimTokenRefusedError(error) : error
      }
    } catch (error) {
      if (error instanceof HttpError && error.status === 422) throw new ConcertimValidationError(error, fieldMessagesOf(error.body))
      throw error
    }
  }

  private async read<T>(path: string): Promise<T> {
    return (await this.send<T>('GET', path)).data
  }

  /** A single-object GET: null when the app has no such record. */
  private async readOne<T>(path: string): Promise<T | null> {
    try {
      return await this.read<T>(path)
    } catch (error) {
      if (isRecordNotFound(error)) return null
      throw error
    }
  }

  private async write<T>(method: 'PATCH' | 'POST', path: string, body: unknown): Promise<T> {
    return (await this.send<T>(method, path, {body})).data
  }

  /** A PATCH whose answer (the whole record) is not read: not parsed, not converted. Errors as `write`. */
  private async patchUnread(path: string, body: unknown): Promise<void> {
    await this.send('PATCH', path, {answerUnread: true, body})
  }

  /** DELETE: true when deleted, false when the record was already gone. */
  private async remove(path: string, opts: DeleteOptions = {}): Promise<boolean> {
    try {
      await this.send('DELETE', path, {params: opts.recurse ? {recurse: 'true'} : undefined})
      return true
    } catch (error) {
      if (isRecordNotFound(error)) return false
      throw error
    }
  }

  // -------------------------------------------------------------------------------------------
  // Users (§5.1)

  async users(): Promise<User[]> {
    return (await this.read<unknown[]>('/users')).map((u) => toUser(u))
  }

  async currentUser(): Promise<User> {
    return toUser(await this.read('/users/current'))
  }

  /** Only `cloud_user_id` can be set (§5.1.4). */
  async updateUser(id: string, update: UserUpdate): Promise<User> {
    return toUser(await this.write('PATCH', `/users/${enc(id)}`, {user: {cloud_user_id: update.cloud_user_id}}))
  }

  /** Asynchronous in the app: the user shows as "pending deletion" until its job has run (§5.1.5). */
  async deleteUser(id: string, opts: DeleteOptions = {}): Promise<boolean> {
    return this.remove(`/users/${enc(id)}`, opts)
  }

  // -------------------------------------------------------------------------------------------
  // Teams (§5.2). The API has no team create and no team show: teams are created through the web
  // UI, which calls the os-service (§5.2.2, §7.2).

  async teams(): Promise<Team[]> {
    return (await this.read<unknown[]>('/teams')).map((t) => toTeam(t))
  }

  /** The team with this id, from the list (there is no `GET /teams/:id`, §5.2.5); null when absent. */
  async team(id: string): Promise<Team | null> {
    return (await this.teams()).find((t) => t.id === id) ?? null
  }

  /** Root only. `name` cannot change through the API. */
  async updateTeam(id: string, update: TeamUpdate): Promise<Team> {
    return toTeam(await this.write('PATCH', `/teams/${enc(id)}`, teamBody(update)))
  }

  async deleteTeam(id: string, opts: DeleteOptions = {}): Promise<boolean> {
    return this.remove(`/teams/${enc(id)}`, opts)
  }

  // -------------------------------------------------------------------------------------------
  // Templates (§5.4)

  /** Every device template, including the seeded `network` and `volume` ones; not the rack template. */
  async templates(): Promise<Template[]> {
    return (await this.read<unknown[]>('/templates')).map((t) => toTemplate(t))
  }

  async createTemplate(input: NewTemplate): Promise<Template> {
    return toTemplate(await this.write('POST', '/templates', {template: input}))
  }

  async updateTemplate(id: string, update: TemplateUpdate): Promise<Template> {
    return toTemplate(await this.write('PATCH', `/templates/${enc(id)}`, {template: update}))
  }

  async deleteTemplate(id: string, opts: DeleteOptions = {}): Promise<boolean> {
    return this.remove(`/templates/${enc(id)}`, opts)
  }

  // -------------------------------------------------------------------------------------------
  // Racks (§5.3)

  /** Every rack, without devices. */
  async racks(): Promise<Rack[]> {
    return (await this.read<unknown[]>('/racks')).map((r) => toRack(r))
  }

  /** One rack with its devices (top of the rack first), or null. */
  async rack(id: string): Promise<Rack | null> {
    const raw = await this.readOne(`/racks/${enc(id)}`)
    return raw === null ? null : toRack(raw)
  }

  async createRack(input: NewRack): Promise<Rack> {
    return toRack(await this.write('POST', '/racks', rackBody(input)))
  }

  /** `metadata` and `network_details`, when given, replace the stored objects whole. */
  async updateRack(id: string, update: RackUpdate): Promise<Rack> {
    return toRack(await this.write('PATCH', `/racks/${enc(id)}`, rackBody(update)))
  }

  /** `updateRack` for a caller that does not read the rack back (billing's cost, a rack's answer holds all its devices). */
  async setRackCost(id: string, cost: number | string): Promise<void> {
    await this.patchUnread(`/racks/${enc(id)}`, rackBody({cost}))
  }

  /** A non-empty rack needs `recurse: true` (else 422 "rack is not empty"). */
  async deleteRack(id: string, opts: DeleteOptions = {}): Promise<boolean> {
    return this.remove(`/racks/${enc(id)}`, opts)
  }

  // -------------------------------------------------------------------------------------------
  // Devices (§5.5, §5.6)

  /** Every device, list form (`template_id`, no `template`). */
  async devices(): Promise<Device[]> {
    return (await this.read<unknown[]>('/devices')).map((d) => toDevice(d))
  }

  /** One device, full form (with `template`), or null. */
  async device(id: string): Promise<Device | null> {
    const raw = await this.readOne(`/devices/${enc(id)}`)
    return raw === null ? null : toDevice(raw)
  }

  /** `POST /api/v1/nodes`: creates location, chassis, device and details in one transaction. */
  async createDevice(input: NewDevice): Promise<Device> {
    return toDevice(await this.write('POST', '/nodes', nodeBody(input)))
  }

  /** A partial update. Not atomic in the app: on a 422 some keys may already be saved (§5.6.3). */
  async updateDevice(id: string, update: DeviceUpdate): Promise<Device> {
    return toDevice(await this.write('PATCH', `/devices/${enc(id)}`, deviceBody(update)))
  }

  /** `updateDevice` for a caller that does not read the device back (billing's cost). */
  async setDeviceCost(id: string, cost: number | string): Promise<void> {
    await this.patchUnread(`/devices/${enc(id)}`, deviceBody({cost}))
  }

  /** Move within its rack (a device cannot change rack through the API). */
  async moveDevice(id: string, to: DeviceMove): Promise<Device> {
    return this.updateDevice(id, {location: to})
  }

  async deleteDevice(id: string): Promise<boolean> {
    return this.remove(`/devices/${enc(id)}`)
  }

  // -------------------------------------------------------------------------------------------
  // Data source maps and metrics (§5.7, §5.8)

  /** Root only: the MRD's host lookup, `{grid: {cluster: {"device:<id>": "<id>"}}}`. */
  async dataSourceMap(): Promise<DataSourceMap> {
    const raw = await this.read<unknown>('/data-source-maps')
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as DataSourceMap) : {}
  }

  /** The "volatile" metrics the MRD knows, sorted by id (a 502 when the MRD is down). */
  async metricStructure(): Promise<MetricStructure[]> {
    return this.read<MetricStructure[]>('/metrics/structure')
  }
}

/** Device ids present in a data source map. */
export function deviceIdsOf(map: DataSourceMap): Set<string> {
  const ids = new Set<string>()
  for (const clusters of Object.values(map)) for (const hosts of Object.values(clusters)) for (const id of Object.values(hosts)) ids.add(id)
  return ids
}

function enc(id: string): string {
  return encodeURIComponent(id)
}

/** When a JWT expires (its `exp` claim, ms), or undefined when it carries none that can be read. */
export function jwtExpiry(jwt: string): number | undefined {
  try {
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown
    const exp = typeof claims === 'object' && claims !== null ? (claims as {exp?: unknown}).exp : undefined
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : undefined
  } catch {
    return undefined
  }
}

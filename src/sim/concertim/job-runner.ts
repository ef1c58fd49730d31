/**
 * The Concertim app's calls to the os-service api_server — `concertim-os serve` — as its job runner
 * makes them (reference/concertim-api.md §7.1–7.2, `app/utility/http_requests/faraday/job_runner.rb`):
 * JSON bodies, `Authorization: Bearer <JWT {exp: now+60, iat, jti}>` HS256 with the shared secret
 * (a new token per request), a 60 s timeout, any 4xx/5xx an error; the queued jobs (sign-up, team
 * creation, deletions, user update) retried up to 10 times with polynomially longer waits, the
 * others run once inside a web request. Results are written into the simulated app's state as the
 * jobs do (`cloud_user_id`, a single-user team with its `project_id` and `billing_acct_id`, roles).
 */
import {randomUUID} from 'node:crypto'
import {createSigner} from 'fast-jwt'
import {request} from 'undici'

import type {ConcertimState, TeamRecord, TeamRoleName, UserRecord} from './state.js'

export interface JobRunnerOptions {
  /** Attempts of a retried job (the app: 10). */
  attempts?: number
  /** `CloudServiceConfig.user_handler_base_url`. */
  baseUrl: string
  jwtSecret: string
  /** Clock (ms) for the tokens. */
  now?: () => number
  state: ConcertimState
  /** Per request (the app: 60 s). */
  timeoutMs?: number
  /** Token lifetime (the app: 60 s). */
  tokenLifetimeS?: number
  /** Wait before retry n (1-based); the app's `:polynomially_longer` is n⁴ + 2 s — tests make it short. */
  waitMs?: (attempt: number) => number
}

/** A call that failed: an HTTP error status (Faraday's raise_error) or no answer. */
export class JobCallError extends Error {
  constructor(
    readonly path: string,
    readonly status: number | undefined,
    readonly body: unknown,
    message: string,
  ) {
    super(message)
    this.name = 'JobCallError'
  }
}

export interface JobAnswer {
  body: Record<string, unknown>
  status: number
}

/** One `cloud_env` as the app sends it. */
export interface CloudEnv {
  auth_url: string
  password: string
  project_id: string
  user_id: string
}

export class AppJobRunner {
  /** Every request made (method, path, status or error), in order: what the tests look at. */
  readonly calls: {attempt: number; method: string; path: string; status?: number}[] = []
  private readonly now: () => number
  private readonly sign: (payload: Record<string, unknown>) => string

  constructor(private readonly opts: JobRunnerOptions) {
    this.now = opts.now ?? Date.now
    // The claims are set here from `now` (which tests move), not by the signer's own clock.
    this.sign = createSigner({algorithm: 'HS256', key: opts.jwtSecret, noTimestamp: true})
  }

  /** `job_runner.rb#auth_token`: `{exp: now+60, iat: now, jti}`. */
  async token(): Promise<string> {
    const iat = Math.floor(this.now() / 1000)
    return this.sign({exp: iat + (this.opts.tokenLifetimeS ?? 60), iat, jti: randomUUID()})
  }

  /** One request, as Faraday makes it; a 4xx/5xx or no answer throws `JobCallError`. */
  async call(method: 'DELETE' | 'GET' | 'PATCH' | 'POST', path: string, body?: unknown, attempt = 1): Promise<JobAnswer> {
    const url = `${this.opts.baseUrl.replace(/\/+$/, '')}${path}`
    // undici's request, not fetch: the app sends GET /key_pairs and GET /team/limits with a body.
    let status: number
    let text: string
    try {
      const res = await request(url, {
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: {Accept: 'application/json', Authorization: `Bearer ${await this.token()}`, ...(body === undefined ? {} : {'Content-Type': 'application/json'})},
        method,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
      })
      status = res.statusCode
      text = await res.body.text()
    } catch (error) {
      this.calls.push({attempt, method, path})
      throw new JobCallError(path, undefined, undefined, `${method} ${path}: ${(error as Error).message}`)
    }
    this.calls.push({attempt, method, path, status})
    const res = {status}
    let parsed: unknown = text
    try {
      parsed = text === '' ? {} : JSON.parse(text)
    } catch {
      // Not JSON: kept as text (Faraday's JSON middleware would fail on it too).
    }
    if (res.status >= 400) {
      const message = typeof parsed === 'object' && parsed !== null && typeof (parsed as {message?: unknown}).message === 'string' ? (parsed as {message: string}).message : String(text).slice(0, 200)
      throw new JobCallError(path, res.status, parsed, `${method} ${path} failed with HTTP ${res.status}: ${message}`)
    }
    return {body: (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>, status: res.status}
  }

  /** A queued job: `retry_on Faraday::Error, attempts: 10` (its last failure is thrown). */
  async retried<T>(fn: (attempt: number) => Promise<T>): Promise<T> {
    const attempts = this.opts.attempts ?? 10
    let last: unknown
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        return await fn(attempt)
      } catch (error) {
        last = error
        if (attempt < attempts) await sleep(this.opts.waitMs?.(attempt) ?? attempt ** 4 * 1000 + 2000)
      }
    }
    throw last
  }

  /** The admin's `cloud_env` (CloudServiceConfig). */
  adminCloudEnv(): CloudEnv {
    return this.opts.state.cloudEnv() as unknown as CloudEnv
  }

  /** A user's `cloud_env`: their cloud id and foreign password, on a team's project. */
  userCloudEnv(user: UserRecord, team: TeamRecord, foreignPassword: string): CloudEnv {
    if (user.cloud_user_id === null || team.project_id === null) throw new Error(`user ${user.login} or team ${team.name} is not linked to the cloud yet`)
    return {auth_url: this.adminCloudEnv().auth_url, password: foreignPassword, project_id: team.project_id, user_id: user.cloud_user_id}
  }

  // ---- queued, retried jobs ----

  /**
   * `UserSignupJob` → `CreateSingleUserTeamJob` → `CreateTeamThenRoleJob`: the user's cloud id,
   * a team `<login>_team` (single user) linked to a project and an account, the user its admin.
   */
  async signUp(user: UserRecord, foreignPassword: string): Promise<TeamRecord> {
    await this.retried(async (attempt) => {
      const {body} = await this.call('POST', '/user', {cloud_env: this.adminCloudEnv(), email: user.email, name: user.name, password: foreignPassword, username: user.login}, attempt)
      if (typeof body.user_cloud_id !== 'string' || body.user_cloud_id === '') throw new Error('POST /user answered without user_cloud_id')
      user.cloud_user_id = body.user_cloud_id
    })
    const state = this.opts.state
    const team = state.teamByName(`${user.login}_team`) ?? state.addTeam({name: `${user.login}_team`, single_user: true})
    if (state.roleIn(user.id, team.id) === undefined) state.addTeamRole({role: 'admin', team_id: team.id, user_id: user.id})
    await this.createTeam(team)
    await this.createTeamRole(team, user, 'admin')
    return team
  }

  /** `CreateTeamJob`: sends back the ids an earlier attempt set; needs both in the answer. */
  async createTeam(team: TeamRecord): Promise<void> {
    await this.retried(async (attempt) => {
      const body: Record<string, unknown> = {cloud_env: this.adminCloudEnv(), name: team.name}
      if (team.project_id !== null) body.project_id = team.project_id
      if (team.billing_acct_id !== null) body.billing_acct_id = team.billing_acct_id
      const answer = (await this.call('POST', '/team', body, attempt)).body
      if (typeof answer.project_id !== 'string' || answer.project_id === '') throw new Error('POST /team answered without project_id')
      team.project_id = answer.project_id
      if (typeof answer.billing_acct_id !== 'string' || answer.billing_acct_id === '') throw new Error('POST /team answered without billing_acct_id')
      team.billing_acct_id = answer.billing_acct_id
    })
  }

  /** `CreateTeamRoleJob` (run by CreateTeamThenRoleJob, hence retried). */
  async createTeamRole(team: TeamRecord, user: UserRecord, role: TeamRoleName): Promise<void> {
    await this.retried(async (attempt) => {
      await this.call('POST', '/team_role', {cloud_env: this.adminCloudEnv(), team_role: {project_id: team.project_id, role, user_id: user.cloud_user_id}}, attempt)
    })
  }

  /** `UserDeletionJob`: on 2xx the user is destroyed. */
  async deleteUser(user: UserRecord): Promise<void> {
    await this.retried(async (attempt) => this.call('DELETE', '/user', {cloud_env: this.adminCloudEnv(), user_info: {cloud_user_id: user.cloud_user_id}}, attempt))
    this.opts.state.removeUser(user.id)
  }

  /** `DeleteTeamJob`: on 2xx the team is destroyed. */
  async deleteTeam(team: TeamRecord): Promise<void> {
    await this.retried(async (attempt) => this.call('DELETE', '/team', {cloud_env: this.adminCloudEnv(), team_info: {billing_acct_id: team.billing_acct_id, project_id: team.project_id}}, attempt))
    this.opts.state.removeTeam(team.id)
  }

  // ---- calls inside a web request (run once) ----

  /** `RequestStatusChangeJob`: `type` racks|instances|networks|volumes, the object's OpenStack id. */
  async requestStatusChange(type: string, openstackId: string, action: string, cloudEnv: CloudEnv): Promise<JobAnswer> {
    return this.call('POST', `/update_status/${type}/${openstackId}`, {action, cloud_env: cloudEnv})
  }

  async createKeyPair(cloudEnv: CloudEnv, keyPair: {key_type: 'ssh' | 'x509'; name: string; public_key: null | string}): Promise<JobAnswer> {
    return this.call('POST', '/key_pairs', {cloud_env: cloudEnv, key_pair: keyPair})
  }

  async getKeyPairs(cloudEnv: CloudEnv): Promise<JobAnswer> {
    return this.call('GET', '/key_pairs', {cloud_env: cloudEnv})
  }

  async deleteKeyPair(cloudEnv: CloudEnv, name: string): Promise<JobAnswer> {
    return this.call('DELETE', '/key_pairs', {cloud_env: cloudEnv, keypair_name: name})
  }

  async getLimits(cloudEnv: CloudEnv): Promise<JobAnswer> {
    return this.call('GET', '/team/limits', {cloud_env: cloudEnv})
  }

  async getStatistics(): Promise<JobAnswer> {
    return this.call('GET', '/statistics')
  }

  async getInvoices(team: TeamRecord, offset = 0, limit = 10): Promise<JobAnswer> {
    return this.call('POST', '/list_paginated_invoices', {invoices: {billing_acct_id: team.billing_acct_id, limit, offset}})
  }

  async getInvoice(team: TeamRecord, invoiceId: string): Promise<JobAnswer> {
    return this.call('POST', '/get_account_invoice', {invoice: {billing_acct_id: team.billing_acct_id, invoice_id: invoiceId}})
  }

  /** `GetDraftInvoiceJob`: 204 means "Nothing to generate". */
  async getDraftInvoice(team: TeamRecord, targetDate: string): Promise<JobAnswer> {
    return this.call('POST', '/get_draft_invoice', {invoice: {billing_acct_id: team.billing_acct_id, target_date: targetDate}})
  }

  async addCredits(team: TeamRecord, amount: number): Promise<JobAnswer> {
    return this.call('POST', '/credits', {credits: {amount, billing_acct_id: team.billing_acct_id}})
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref()
  })
}

/**
 * The asynchronous user and team deletions (reference/concertim-api.md §5.1.5, §5.2.4, §7.2):
 * `DELETE /api/v1/users/:id` and `/teams/:id` only mark the record "pending deletion" and enqueue a
 * job; the job calls the os-service user handler (`DELETE /user`, `DELETE /team`) and destroys the
 * record when that call succeeds, retrying failed calls (10 attempts, as `retry_on` does).
 */
import type {ConcertimState, TeamRecord, UserRecord} from './state.js'

export interface OutboundCall {
  at: number
  body: Record<string, unknown>
  method: 'DELETE'
  path: '/team' | '/user'
}

/** Plays the os-service api_server for the jobs: true (or resolving true) means a 2xx answer. */
export type UserHandler = (call: OutboundCall) => Promise<boolean> | boolean

export interface DeletionJobOptions {
  /** Delay before a job runs and between retries, in ms (default 10). */
  delayMs?: number
  /** Answers the outbound calls; default: every call succeeds. */
  userHandler?: UserHandler
}

const ATTEMPTS = 10

export class DeletionJobs {
  private readonly delayMs: number
  private readonly handler: UserHandler

  constructor(
    private readonly state: ConcertimState,
    opts: DeletionJobOptions = {},
  ) {
    this.delayMs = opts.delayMs ?? 10
    this.handler = opts.userHandler ?? (() => true)
  }

  /** `UserDeletionJob`: no call when the user has no cloud id. */
  deleteUser(user: UserRecord): void {
    const call = user.cloud_user_id === null ? undefined : this.call('/user', {user_info: {cloud_user_id: user.cloud_user_id}})
    this.schedule(call, () => this.state.removeUser(user.id))
  }

  /** `DeleteTeamJob`: a call only when the team has a project or billing id, then `team.destroy!`. */
  deleteTeam(team: TeamRecord): void {
    const call =
      team.project_id === null && team.billing_acct_id === null
        ? undefined
        : this.call('/team', {team_info: {billing_acct_id: team.billing_acct_id, project_id: team.project_id}})
    this.schedule(call, () => this.state.removeTeam(team.id))
  }

  private call(path: OutboundCall['path'], body: Record<string, unknown>): OutboundCall {
    return {at: this.state.now(), body: {cloud_env: this.state.cloudEnv(), ...body}, method: 'DELETE', path}
  }

  private schedule(call: OutboundCall | undefined, destroy: () => void): void {
    const job = (async () => {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        await sleep(this.delayMs * attempt * attempt)
        if (call === undefined) {
          destroy()
          return
        }
        this.state.outboundCalls.push({...call, at: this.state.now()})
        const ok = await Promise.resolve(this.handler(call)).catch(() => false)
        if (ok) {
          destroy()
          return
        }
      }
    })()
    this.state.trackJob(job)
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms).unref()
  })
}

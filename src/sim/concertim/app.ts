/**
 * The simulated Concertim visualisation app (reference/concertim-api.md §2–§6): login with JWTs in
 * the `Authorization` response header, and every `/api/v1` endpoint with the real app's shapes,
 * status codes, roles and quirks.
 */
import type {Faults} from '../faults.js'
import {SimApp} from '../http-app.js'
import {Abilities} from './abilities.js'
import {dataSourceMapRoutes} from './data-source-maps.js'
import {DeletionJobs, type UserHandler} from './deletion-jobs.js'
import {deviceRoutes} from './devices.js'
import {metricViewRoutes} from './metric-views.js'
import {rackRoutes} from './racks.js'
import {routeNotFound} from './responses.js'
import type {ApiContext} from './routing.js'
import {Sessions} from './sessions.js'
import type {ConcertimState} from './state.js'
import {teamRoutes} from './teams.js'
import {templateRoutes} from './templates.js'
import {userRoutes} from './users.js'

export interface ConcertimAppOptions {
  /** Delay of the user/team deletion jobs (and between their retries), ms; default 10. */
  deletionDelayMs?: number
  faults?: Faults
  jwtSecret: string
  now?: () => number
  /** Plays the os-service user handler for deletion jobs; default: every call succeeds. */
  userHandler?: UserHandler
}

/** The app plus its session store (to mint tokens in tests without a login round trip). */
export type ConcertimApp = SimApp & {sessions: Sessions}

export function createConcertimApp(state: ConcertimState, opts: ConcertimAppOptions): ConcertimApp {
  const now = opts.now ?? state.now
  const app = new SimApp('concertim', opts.faults)
  const sessions = new Sessions(state, opts.jwtSecret, now, opts.faults)
  const ctx: ApiContext = {abilities: new Abilities(state), app, sessions, state}
  const jobs = new DeletionJobs(state, {delayMs: opts.deletionDelayMs, userHandler: opts.userHandler})

  for (const path of ['/users/sign_in', '/users/sign_in.json', '/accounts/sign_in', '/accounts/sign_in.json']) {
    app.route('POST', path, (r) => sessions.login(r))
  }
  app.route('GET', '/accounts/sign_out', (r) => sessions.signOut(r))
  app.route('GET', '/accounts/sign_out.json', (r) => sessions.signOut(r))

  userRoutes(ctx, jobs)
  teamRoutes(ctx, jobs)
  rackRoutes(ctx)
  templateRoutes(ctx)
  metricViewRoutes(ctx)
  deviceRoutes(ctx)
  dataSourceMapRoutes(ctx)
  app.notFound(routeNotFound)
  return Object.assign(app, {sessions})
}

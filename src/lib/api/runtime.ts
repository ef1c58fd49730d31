/**
 * The composition root of `serve`: from a configuration, the token verifier (the shared secret),
 * the configured admin's OpenStack clients, the callers' session cache, the reconcile engine for
 * the after-action reconcile, the readiness probe, and the server over them. Identity and billing
 * services are injected by the caller (see ports.ts).
 */
import {readFileSync} from 'node:fs'

import {CloudSessions} from '../actions/sessions.js'
import type {Config} from '../config/schema.js'
import {ConfigError} from '../errors.js'
import type {HttpContext} from '../http/index.js'
import {judgeOutcome} from '../listen/engine-adapter.js'
import type {Scope} from '../model/scope.js'
import {createOpenStack, openStackOptionsFromConfig} from '../openstack/index.js'
import {overridesPinnedToAProject} from '../openstack/catalog.js'
import {identityRoot} from '../openstack/keystone.js'
import type {Logger} from '../output/logger.js'
import {registerSecret} from '../output/redact.js'
import {createReconcileEngine} from '../runtime/reconcile-engine.js'
import {identityClients, identitySettings} from '../identity/index.js'
import {createKillBill} from '../killbill/index.js'
import {AfterActionReconciler, type ReconcileNote} from './after-action.js'
import {TokenVerifier} from './auth.js'
import {killBillBillingService} from './billing-service.js'
import {libraryIdentityService} from './identity-service.js'
import type {BillingService, IdentityService} from './ports.js'
import {readinessProbe} from './readiness.js'
import {buildApiServer} from './server.js'

/** The app gives up on a request after 60 s: OpenStack and Kill Bill calls must end well before. */
export const UPSTREAM_DEADLINE_MS = 45_000

export interface ApiRuntimeOptions {
  /** Default: over Kill Bill and the billing library when the killbill section is present; null: none (501). */
  billing?: BillingService | null
  clock?: () => number
  /** Default: over the identity library with the configured admin's Keystone session; null: none (501). */
  identity?: IdentityService | null
  /** Reconcile the affected entity after an action (default true). */
  reconcileAfterAction?: boolean
}

/** The JWT secret: `api.jwt_secret` (or its _file / CONCERTIM_OS_API_JWT_SECRET), else `JWT_SECRET` as the original read it. */
export function jwtSecretOf(config: Pick<Config, 'api'>, env: NodeJS.ProcessEnv = process.env): string {
  const secret = config.api.jwt_secret ?? env.JWT_SECRET
  if (secret === undefined || secret === '') {
    throw new ConfigError('api.jwt_secret', 'is missing: serve verifies the app\'s tokens with the secret it shares with the app (its JWT_SECRET)', 'jwt_secret_file: /etc/concertim-openstack-service/jwt-secret  (or the environment variable JWT_SECRET)')
  }
  registerSecret(secret)
  return secret
}

export function createApiRuntime(config: Config, ctx: HttpContext, logger: Logger, opts: ApiRuntimeOptions = {}) {
  const secret = jwtSecretOf(config)
  const api = config.api
  const settings = {...ctx.settings, deadlineMs: Math.min(ctx.settings?.deadlineMs ?? UPSTREAM_DEADLINE_MS, UPSTREAM_DEADLINE_MS)}
  const context: HttpContext = {...ctx, settings}
  const verifier = new TokenVerifier(secret, {leewayS: api.leeway_s, maxLifetimeS: api.max_token_lifetime_s, replayCapacity: api.replay_cache_size}, opts.clock)
  const section = config.openstack as unknown as Record<string, unknown>
  const cloudOptions = openStackOptionsFromConfig(section)
  const sessions = new CloudSessions({clock: opts.clock, ctx: context, max: api.session_cache_size, options: cloudOptions})
  for (const type of overridesPinnedToAProject(cloudOptions.endpointOverrides ?? {})) {
    logger.warn(
      `openstack.endpoint_overrides.${type} names one project's id: callers' requests to it would go to that project. Write Keystone's template in its place (e.g. .../v1/%(project_id)s), which each session fills with its own project`,
    )
  }

  let reconciler: AfterActionReconciler | undefined
  let engineStore: {close(): Promise<void>} | undefined
  let admin
  if (opts.reconcileAfterAction === false) {
    admin = createOpenStack(section, context, {clock: opts.clock})
  } else {
    // As listen's: the request returns once Concertim is written; the view store (a cache) records
    // it in the background, and `close` below waits for that record on shutdown.
    const {engine, openstack, store} = createReconcileEngine(config, context, logger, {recordInBackground: true})
    admin = openstack
    engineStore = store
    reconciler = new AfterActionReconciler(
      async (scope: Scope): Promise<ReconcileNote> => {
        const outcome = await engine.reconcile(scope)
        const failure = judgeOutcome(outcome, scope)
        if (failure) {
          logger.warn({scope, transient: failure.transient}, `reconcile after the action failed: ${failure.message}`)
          return {message: failure.message, state: 'failed'}
        }
        return {state: 'done'}
      },
      {concurrency: config.sync.concurrency, waitMs: 10_000},
    )
  }

  const targets: Record<string, string> = {keystone: identityRoot(String(section.auth_url))}
  if (config.killbill) targets.killbill = config.killbill.api_host
  const https =
    api.tls_cert_file && api.tls_key_file ? {cert: readTlsFile('api.tls_cert_file', api.tls_cert_file), key: readTlsFile('api.tls_key_file', api.tls_key_file)} : undefined
  if ((api.tls_cert_file === undefined) !== (api.tls_key_file === undefined)) {
    throw new ConfigError(api.tls_cert_file ? 'api.tls_key_file' : 'api.tls_cert_file', 'is missing: HTTPS needs both the certificate and its key', 'tls_cert_file: /etc/concertim-openstack-service/tls/cert.pem\n  tls_key_file: /etc/concertim-openstack-service/tls/key.pem')
  }
  const kb = config.killbill ? createKillBill(config.killbill, context) : undefined
  const billing = opts.billing === undefined ? (kb === undefined ? undefined : killBillBillingService(kb.client, {planName: kb.planName, threshold: kb.creditThreshold})) : (opts.billing ?? undefined)
  const identity =
    opts.identity === undefined
      ? libraryIdentityService(identityClients({keystone: admin.keystone, killbill: kb?.client, logger, settings: identitySettings(config)}))
      : (opts.identity ?? undefined)
  const app = buildApiServer({
    admin,
    billing,
    bodyLimit: api.body_limit,
    https,
    identity,
    logger,
    readiness: readinessProbe(targets, context),
    reconciler,
    sessions,
    verifier,
  })
  return {
    app,
    async close(): Promise<void> {
      await app.close()
      await engineStore?.close().catch(() => undefined)
    },
    reconciler,
    sessions,
    verifier,
  }
}

function readTlsFile(key: string, path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (error) {
    throw new ConfigError(key, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, `${key.split('.')[1]}: ${path}  (readable by this user)`)
  }
}

/**
 * A simulator, a configuration for it, and `serve` over it on a free loopback port, with the
 * simulated app's job runner pointed at it and every log line kept (to look for secrets).
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {AddressInfo} from 'node:net'

import type {BillingService, IdentityService} from '../../../src/lib/api/ports.js'
import {createApiRuntime} from '../../../src/lib/api/runtime.js'
import {type Config, loadConfig} from '../../../src/lib/config/index.js'
import {CallLedger} from '../../../src/lib/http/index.js'
import {createLogger} from '../../../src/lib/output/logger.js'
import {createReconcileEngine} from '../../../src/lib/runtime/reconcile-engine.js'
import {AppJobRunner, type CloudEnv} from '../../../src/sim/concertim/job-runner.js'
import {type Simulator, startSimulator, type StartOptions} from '../../../src/sim/index.js'

export const JWT_SECRET = 'sim-shared-jwt-secret-0123456789abcdef'

export interface ServeWorld {
  baseUrl: string
  config: Config
  dir: string
  /** Every log line serve wrote. */
  logs: string[]
  runtime: ReturnType<typeof createApiRuntime>
  runner: AppJobRunner
  sim: Simulator
  stop(): Promise<void>
  /** A full sync into Concertim (so devices exist before status changes). */
  sync(): Promise<void>
  /** A user of a project, with a password of its own, and the cloud_env the app would send for them. */
  user(projectId: string, name?: string): {cloudEnv: CloudEnv; userId: string}
}

export interface ServeWorldOptions extends StartOptions {
  /** Default: none (501); 'killbill': over the simulated Kill Bill (the configuration's). */
  billing?: 'killbill' | BillingService
  extraApi?: Record<string, unknown>
  /** Default: none (501); 'keystone': the identity library over the simulated Keystone (and Kill Bill). */
  identity?: 'keystone' | IdentityService
  reconcileAfterAction?: boolean
}

export async function startServeWorld(opts: ServeWorldOptions = {}): Promise<ServeWorld> {
  const sim = await startSimulator({preset: 'small', seed: 7, ...opts})
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-serve-'))
  const doc = {
    ...sim.config({logLevel: 'info'}),
    api: {jwt_secret: JWT_SECRET, port: 0, ...opts.extraApi},
    http: {retries: 0, retry_base_ms: 10},
    lock_dir: dir,
    store: {path: join(dir, 'view.json')},
  }
  const configPath = join(dir, 'config.yaml')
  writeFileSync(configPath, JSON.stringify(doc, null, 2))
  const config = loadConfig({env: {}, path: configPath}).config
  const logs: string[] = []
  const logger = createLogger({level: 'debug', stream: {write: (s: string) => logs.push(s)}})
  let runtime: ReturnType<typeof createApiRuntime>
  try {
    runtime = createApiRuntime(config, {logger, settings: {retries: 0, retryBaseMs: 10}}, logger, {billing: opts.billing === 'killbill' ? undefined : (opts.billing ?? null), identity: opts.identity === 'keystone' ? undefined : (opts.identity ?? null), reconcileAfterAction: opts.reconcileAfterAction})
    await runtime.app.listen({host: '127.0.0.1', port: 0})
  } catch (error) {
    await sim.stop()
    throw error
  }
  const {port} = runtime.app.server.address() as AddressInfo
  const baseUrl = `http://127.0.0.1:${port}`
  const runner = new AppJobRunner({baseUrl, jwtSecret: JWT_SECRET, state: sim.concertim, timeoutMs: 20_000, waitMs: () => 5})
  let made = 0
  return {
    baseUrl,
    config,
    dir,
    logs,
    runner,
    runtime,
    sim,
    async stop() {
      await runtime.close()
      await sim.stop()
      rmSync(dir, {force: true, recursive: true})
    },
    async sync() {
      const {engine, store} = createReconcileEngine(config, {ledger: new CallLedger(), settings: {retries: 0}})
      try {
        await engine.sync()
      } finally {
        await store.close()
      }
    },
    user(projectId, name) {
      made++
      const id = `u${String(made).padStart(31, '0')}`
      const password = `pw-${name ?? 'user'}-${made}-secret`
      sim.world.addUser({defaultProjectId: projectId, description: '', domainId: 'default', email: null, enabled: true, id, name: name ?? `CM_tester${made}`, password})
      const member = sim.world.roleByName('member') ?? sim.world.addRole({id: 'member-role-id', name: 'member'})
      sim.world.assign({projectId, roleId: member.id, userId: id})
      return {cloudEnv: {auth_url: `${sim.endpoints.keystone}/v3`, password, project_id: projectId, user_id: id}, userId: id}
    },
  }
}

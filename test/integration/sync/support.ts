/**
 * A simulator plus a configuration file in a temporary directory (view store and lock inside it),
 * and two ways to sync: in-process through the engine (with its own call ledger) and the real CLI.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type Config, loadConfig} from '../../../src/lib/config/index.js'
import {CallLedger} from '../../../src/lib/http/index.js'
import type {Scope} from '../../../src/lib/model/scope.js'
import type {ListenOutcome, ReconcileReport, RunOptions} from '../../../src/lib/reconcile/engine.js'
import {createReconcileEngine} from '../../../src/lib/runtime/reconcile-engine.js'
import {type Simulator, startSimulator, type StartOptions} from '../../../src/sim/index.js'
import {type CliRun, runCli} from '../../support/cli.js'

export interface SyncRun extends ReconcileReport {
  /** Calls made, by system (the ledger of this run). */
  ledger: CallLedger
  /** Write calls made to every system. */
  writes: number
}

export interface SyncWorld {
  cli(args: string[], opts?: {timeoutMs?: number}): Promise<CliRun>
  config: Config
  configPath: string
  dir: string
  reconcile(scope: Scope): Promise<ListenOutcome & {ledger: CallLedger; writes: number}>
  sim: Simulator
  stop(): Promise<void>
  storePath: string
  sync(opts?: RunOptions): Promise<SyncRun>
}

export interface WorldOptions extends StartOptions {
  /** Extra configuration merged over the simulator's (e.g. `{sync: {...}, store: {...}}`). */
  extra?: Record<string, unknown>
}

export async function startSyncWorld(opts: WorldOptions = {}): Promise<SyncWorld> {
  const sim = await startSimulator({preset: 'small', seed: 7, ...opts})
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-sync-'))
  const storePath = join(dir, 'view.json')
  const base = sim.config({logLevel: 'warn'})
  const doc: Record<string, unknown> = {
    ...base,
    http: {retries: 0, retry_base_ms: 10},
    lock_dir: dir,
    store: {path: storePath},
  }
  // Sections of `extra` are merged into the simulator's (one level deep).
  for (const [k, v] of Object.entries(opts.extra ?? {})) {
    const before = doc[k]
    doc[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof before === 'object' && before !== null ? {...before, ...v} : v
  }
  // JSON is YAML.
  const configPath = join(dir, 'config.yaml')
  writeFileSync(configPath, JSON.stringify(doc, null, 2))
  const config = loadConfig({env: {}, path: configPath}).config

  const engineRun = async <T>(fn: (e: ReturnType<typeof createReconcileEngine>['engine']) => Promise<T>): Promise<T & {ledger: CallLedger; writes: number}> => {
    const ledger = new CallLedger()
    const {engine, store} = createReconcileEngine(config, {ledger, settings: {retries: 0, retryBaseMs: 10}})
    try {
      const out = await fn(engine)
      return {...out, ledger, writes: ledger.writes()}
    } finally {
      await store.close()
    }
  }

  return {
    cli: async (args, o = {}) => runCli([...args, '--config', configPath], {timeoutMs: o.timeoutMs ?? 60_000}),
    config,
    configPath,
    dir,
    reconcile: async (scope) => engineRun(async (e) => e.reconcile(scope)),
    sim,
    async stop() {
      await sim.stop()
      rmSync(dir, {force: true, recursive: true})
    },
    storePath,
    sync: async (o = {}) => engineRun(async (e) => e.sync(o)),
  }
}

/** What every top-level stack of the simulated world owns: servers (groups and server groups included), volumes, networks. */
export function expectedMembers(sim: Simulator): Map<string, {networks: string[]; servers: string[]; volumes: string[]}> {
  const out = new Map<string, {networks: string[]; servers: string[]; volumes: string[]}>()
  const collect = (stackId: string, into: {networks: string[]; servers: string[]; volumes: string[]}): void => {
    const s = sim.world.stacks.get(stackId)
    if (s === undefined) return
    for (const r of s.resources) {
      if (r.physicalId === '') continue
      if (r.type === 'OS::Nova::Server') into.servers.push(r.physicalId)
      else if (r.type === 'OS::Cinder::Volume') into.volumes.push(r.physicalId)
      else if (r.type === 'OS::Neutron::Net') into.networks.push(r.physicalId)
      else if (r.type === 'OS::Heat::ResourceGroup') collect(r.physicalId, into)
      else if (r.type === 'OS::Nova::ServerGroup') into.servers.push(...(sim.world.serverGroups.get(r.physicalId)?.members ?? []))
    }
  }
  for (const s of sim.world.stacks.all()) {
    if (s.parentId !== null || s.deletedAt !== null) continue
    const m = {networks: [] as string[], servers: [] as string[], volumes: [] as string[]}
    collect(s.id, m)
    // Only what exists.
    m.servers = [...new Set(m.servers)].filter((id) => sim.world.servers.get(id) !== undefined)
    m.volumes = [...new Set(m.volumes)].filter((id) => sim.world.volumes.get(id) !== undefined)
    m.networks = [...new Set(m.networks)].filter((id) => sim.world.networks.get(id) !== undefined)
    out.set(s.id, m)
  }
  return out
}

/** Concertim's devices by the cloud id in their metadata (several when duplicated). */
export function devicesByInstance(sim: Simulator): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const d of sim.concertim.devices.values()) {
    const id = d.metadata.openstack_instance_id
    if (typeof id !== 'string') continue
    out.set(id, [...(out.get(id) ?? []), d.id])
  }
  return out
}

export function racksByStack(sim: Simulator): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const r of sim.concertim.racks.values()) {
    const id = r.metadata.openstack_stack_id
    if (typeof id !== 'string') continue
    out.set(id, [...(out.get(id) ?? []), r.id])
  }
  return out
}

/** Writes of a run by system and method, for messages. */
export function writesOf(ledger: CallLedger): string {
  return JSON.stringify(ledger.summary.filter((r) => r.method !== 'GET'))
}

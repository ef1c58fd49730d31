/**
 * A simulator with a configuration file (lock inside a temporary directory), Concertim users to make
 * identities for, the in-process identity functions on a call ledger, and the real CLI.
 */
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type Config, loadConfig} from '../../../src/lib/config/index.js'
import {CallLedger} from '../../../src/lib/http/index.js'
import type {IdentityClients} from '../../../src/lib/identity/index.js'
import {createIdentityRuntime} from '../../../src/lib/runtime/identity.js'
import type {TeamRecord, UserRecord} from '../../../src/sim/concertim/state.js'
import {type Simulator, startSimulator, type StartOptions} from '../../../src/sim/index.js'
import {type CliRun, runCli} from '../../support/cli.js'

export interface IdentityWorld {
  /** A new Concertim user (no cloud_user_id) and, with `ownTeam`, its `<login>_team` where it is admin. */
  addConcertimUser(login: string, opts?: {ownTeam?: boolean}): {team?: TeamRecord; user: UserRecord}
  cli(args: string[], opts?: {built?: boolean; env?: NodeJS.ProcessEnv; stdin?: string; timeoutMs?: number}): Promise<CliRun>
  /** In-process clients on a fresh ledger (`dryRun`: the HTTP layer's guard on). */
  clients(opts?: {dryRun?: boolean}): {clients: IdentityClients; ledger: CallLedger}
  config: Config
  configPath: string
  dir: string
  sim: Simulator
  stop(): Promise<void>
}

export async function startIdentityWorld(opts: StartOptions & {extra?: Record<string, unknown>} = {}): Promise<IdentityWorld> {
  const sim = await startSimulator({preset: 'small', seed: 5, ...opts})
  const dir = mkdtempSync(join(tmpdir(), 'concertim-os-identity-'))
  const doc: Record<string, unknown> = {...sim.config({logLevel: 'warn'}), http: {retries: 0, retry_base_ms: 10}, lock_dir: dir, store: {path: join(dir, 'view.json')}, ...opts.extra}
  const configPath = join(dir, 'config.yaml')
  writeFileSync(configPath, JSON.stringify(doc, null, 2))
  const config = loadConfig({env: {}, path: configPath}).config
  return {
    addConcertimUser(login, o = {}) {
      const user = sim.concertim.addUser({email: `${login}@example.com`, login, name: login, password: `${login}-concertim-pw`})
      if (!o.ownTeam) return {user}
      const team = sim.concertim.addTeam({name: `${login}_team`, single_user: true})
      sim.concertim.addTeamRole({role: 'admin', team_id: team.id, user_id: user.id})
      return {team, user}
    },
    cli: async (args, o = {}) => runCli([...args, '--config', configPath], {built: o.built, env: o.env, timeoutMs: o.timeoutMs ?? 60_000, ...(o.stdin === undefined ? {} : {stdin: o.stdin})}),
    clients(o = {}) {
      const ledger = new CallLedger()
      const {clients} = createIdentityRuntime(config, {dryRun: o.dryRun, ledger, settings: {retries: 0, retryBaseMs: 10}})
      return {clients, ledger}
    },
    config,
    configPath,
    dir,
    sim,
    async stop() {
      await sim.stop()
      rmSync(dir, {force: true, recursive: true})
    },
  }
}

/** What exists for a login and its team in every system: to count objects after runs. */
export function identityObjects(sim: Simulator, login: string, team?: string): {accounts: string[]; closedAccounts: string[]; concertimTeam?: {billing_acct_id: null | string; project_id: null | string}; concertimUser?: null | string; grants: string[]; projects: string[]; users: string[]} {
  const w = sim.world
  const users = [...w.users.values()].filter((u) => u.name === `CM_${login}`).map((u) => u.id)
  const projects = team === undefined ? [] : [...w.projects.values()].filter((p) => p.name === `CM_${team}`).map((p) => p.id)
  const grants = w.assignments.filter((a) => projects.includes(a.projectId)).map((a) => `${w.users.get(a.userId)?.name}:${w.roles.get(a.roleId)?.name}`).sort()
  const tagged = [...sim.killbill.customFields.values()].filter((f) => f.name === 'project_cloud_id' && projects.includes(f.value)).map((f) => f.objectId)
  const keyed = [...sim.killbill.accounts.values()].filter((a) => projects.includes(a.externalKey) || tagged.includes(a.accountId))
  const cUser = [...sim.concertim.users.values()].find((u) => u.login === login)
  const cTeam = team === undefined ? undefined : [...sim.concertim.teams.values()].find((t) => t.name === team)
  return {
    accounts: keyed.filter((a) => !a.closed).map((a) => a.accountId),
    closedAccounts: keyed.filter((a) => a.closed).map((a) => a.accountId),
    concertimTeam: cTeam === undefined ? undefined : {billing_acct_id: cTeam.billing_acct_id, project_id: cTeam.project_id},
    concertimUser: cUser?.cloud_user_id,
    grants,
    projects,
    users,
  }
}

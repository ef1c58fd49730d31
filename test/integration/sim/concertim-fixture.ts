/**
 * A running simulated Concertim app (and MRD) for the conformance tests: real HTTP on loopback,
 * global fetch, and a seeded world with a team admin, a team member and an outsider.
 */
import {Faults} from '../../../src/sim/faults.js'
import {listen, type RunningServer} from '../../../src/sim/http-app.js'
import {createConcertimApp, type ConcertimApp} from '../../../src/sim/concertim/app.js'
import {createMrdApp, type MrdOptions} from '../../../src/sim/concertim/mrd.js'
import {ConcertimState, type RackRecord, type TeamRecord, type TemplateRecord, type UserRecord} from '../../../src/sim/concertim/state.js'

export const JWT_SECRET = 'a-32-character-shared-jwt-secret'

export interface Reply {
  body: unknown
  headers: Headers
  status: number
  text: string
}

export interface CallOptions {
  accept?: null | string
  body?: unknown
  /** Raw body (sent as is). */
  raw?: string
  /** `Authorization` header value; default: the root token. */
  token?: null | string
}

export class ConcertimFixture {
  admin!: UserRecord
  app!: ConcertimApp
  faults = new Faults(7)
  instanceTemplate!: TemplateRecord
  member!: UserRecord
  mrd?: RunningServer
  outsider!: UserRecord
  rack!: RackRecord
  rootToken!: string
  server!: RunningServer
  state!: ConcertimState
  team!: TeamRecord

  get url(): string {
    return this.server.url
  }

  async start(opts: {deletionDelayMs?: number; mrd?: Omit<MrdOptions, 'jwtSecret'>; now?: () => number} = {}): Promise<this> {
    this.state = new ConcertimState({now: opts.now})
    this.app = createConcertimApp(this.state, {deletionDelayMs: opts.deletionDelayMs ?? 1, faults: this.faults, jwtSecret: JWT_SECRET})
    this.server = await listen(this.app.listener())
    if (opts.mrd) this.mrd = await listen(createMrdApp(this.state, {...opts.mrd, faults: this.faults, jwtSecret: JWT_SECRET}).listener())
    this.team = this.state.addTeam({billing_acct_id: 'kb-1', name: 'alpha', project_id: 'proj-1'})
    this.admin = this.state.addUser({cloud_user_id: 'cu-admin', email: 'ada@example.com', login: 'ada', name: 'Ada Admin', password: 'secret1'})
    this.member = this.state.addUser({cloud_user_id: 'cu-member', email: 'mo@example.com', login: 'mo', name: 'Mo Member', password: 'secret2'})
    this.outsider = this.state.addUser({email: 'oz@example.com', login: 'oz', name: 'Oz Outsider', password: 'secret3'})
    this.state.addTeamRole({role: 'admin', team_id: this.team.id, user_id: this.admin.id})
    this.state.addTeamRole({role: 'member', team_id: this.team.id, user_id: this.member.id})
    this.instanceTemplate = this.state.addTemplate({foreign_id: 'flavor-small', height: 2, name: 'm1.small', ram: 2048, vcpus: 1, disk: 10})
    this.rack = this.state.addRack({metadata: {openstack_stack_id: 'stack-1'}, name: 'Rack-1', order_id: 'ord-1', status: 'ACTIVE', team_id: this.team.id, u_height: 10})
    this.rootToken = await this.login('admin', 'admin')
    return this
  }

  async stop(): Promise<void> {
    await this.state.settleJobs()
    await this.server.close()
    await this.mrd?.close()
  }

  /** Log in and return the `Authorization` header value (`Bearer <jwt>`). */
  async login(login: string, password: string): Promise<string> {
    const res = await this.call('POST', '/users/sign_in.json', {body: {user: {login, password}}, token: null})
    const header = res.headers.get('authorization')
    if (res.status !== 201 || header === null) throw new Error(`login of ${login} failed: ${res.status} ${res.text}`)
    return header
  }

  async call(method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
    return request(this.url, method, path, {...opts, token: opts.token === undefined ? this.rootToken : opts.token})
  }

  /** Create a device through the API as root and return its JSON. */
  async createDevice(device: Record<string, unknown>, templateId = this.instanceTemplate.id): Promise<Record<string, unknown>> {
    const res = await this.call('POST', '/api/v1/nodes', {body: {device, template_id: templateId}})
    if (res.status !== 200) throw new Error(`device create failed: ${res.status} ${res.text}`)
    return res.body as Record<string, unknown>
  }
}

export async function request(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = {}
  if (opts.accept !== null) headers.Accept = opts.accept ?? 'application/json'
  if (opts.token !== null && opts.token !== undefined) headers.Authorization = opts.token
  let body: string | undefined
  if (opts.raw !== undefined) body = opts.raw
  else if (opts.body !== undefined) body = JSON.stringify(opts.body)
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  const res = await fetch(base + path, {body, headers, method, redirect: 'manual'})
  const text = await res.text()
  let parsed: unknown
  try {
    parsed = text === '' ? undefined : JSON.parse(text)
  } catch {
    parsed = undefined
  }
  return {body: parsed, headers: res.headers, status: res.status, text}
}

export function instanceDevice(name: string, rackId: string, startU: number | string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    description: `This is ${name}`,
    details: {login_user: 'ubuntu', private_ips: '10.0.0.5', public_ips: '1.1.1.1', ssh_key: 'abc', type: 'Device::ComputeDetails', volume_details: {}},
    location: {facing: 'f', rack_id: rackId, start_u: startU},
    metadata: {openstack_instance_id: `os-${name}`},
    name,
    status: 'ACTIVE',
    type: 'Instance',
    ...extra,
  }
}

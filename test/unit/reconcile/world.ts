/**
 * Test worlds for the reconcile engine: a small cloud builder, a Concertim state with the seeded
 * templates, and `applyToConcertim` — a faithful-enough in-memory apply that turns a plan into the next
 * ConcertimState (so that "the second sync is empty" can be tested without HTTP).
 */
import type {Baseline} from '../../../src/lib/model/baseline.js'
import {EMPTY_BASELINE} from '../../../src/lib/model/baseline.js'
import type {BillingState} from '../../../src/lib/model/billing.js'
import {NO_BILLING} from '../../../src/lib/model/billing.js'
import type {CloudState, Flavor, Network, Server, Stack, Volume} from '../../../src/lib/model/cloud.js'
import type {ConcertimDevice, ConcertimRack, ConcertimState, ConcertimTeam, ConcertimTemplate} from '../../../src/lib/model/concertim.js'
import type {JsonObject} from '../../../src/lib/model/json.js'
import type {Action, ActionResult, Plan} from '../../../src/lib/model/plan.js'
import {recordResults} from '../../../src/lib/reconcile/baseline.js'
import {desire, type DesireOptions} from '../../../src/lib/reconcile/desire.js'
import {plan, type PlanOptions} from '../../../src/lib/reconcile/plan.js'

export const SEEDED_TEMPLATES: ConcertimTemplate[] = [
  {description: null, disk: null, foreignId: null, height: 1, id: 'tpl-network', name: 'network', ram: null, tag: 'network', vcpus: null},
  {description: null, disk: null, foreignId: null, height: 2, id: 'tpl-volume', name: 'volume', ram: null, tag: 'volume', vcpus: null},
]

export const TEAM: ConcertimTeam = {billingAcctId: 'acct-1', id: 'team-1', name: 'Team One', projectId: 'proj-1'}

export function flavor(id: string, vcpus = 2, name = `m1.${id}`): Flavor {
  return {disk: 10, id, name, ram: 2048, vcpus}
}

export function server(id: string, over: Partial<Server> = {}): Server {
  return {
    fixedIps: ['10.0.0.5'],
    flavorId: 'small',
    floatingIps: [],
    id,
    keyName: 'key-1',
    name: `vm-${id}`,
    networkNames: ['private'],
    powerState: 1,
    projectId: 'proj-1',
    status: 'ACTIVE',
    taskState: null,
    vmState: 'active',
    volumeIds: [],
    ...over,
  }
}

export function volume(id: string, over: Partial<Volume> = {}): Volume {
  return {
    attachments: [],
    availabilityZone: 'nova',
    bootable: false,
    encrypted: false,
    id,
    name: `vol-${id}`,
    projectId: 'proj-1',
    size: 10,
    status: 'available',
    volumeType: '__DEFAULT__',
    ...over,
  }
}

export function network(id: string, over: Partial<Network> = {}): Network {
  return {
    adminStateUp: true,
    id,
    l2Adjacency: true,
    mtu: 1450,
    name: `net-${id}`,
    portSecurityEnabled: true,
    projectId: 'proj-1',
    shared: false,
    status: 'ACTIVE',
    ...over,
  }
}

export function stack(id: string, members: Partial<Stack['resources']> = {}, over: Partial<Stack> = {}): Stack {
  return {
    id,
    name: `stack-${id}`,
    outputs: [{description: 'the IP', key: 'ip', value: '10.0.0.5'}],
    owner: 'CM_alice',
    projectId: 'proj-1',
    resources: {networks: [], servers: [], volumes: [], ...members},
    resourcesComplete: true,
    status: 'CREATE_COMPLETE',
    statusReason: 'Stack CREATE completed successfully',
    ...over,
  }
}

export function cloud(over: Partial<CloudState> = {}): CloudState {
  return {
    complete: {flavors: true, networks: true, projects: true, servers: true, stacks: true, volumes: true},
    flavors: [flavor('small', 2), flavor('large', 8)],
    networks: [],
    projects: [{id: 'proj-1', name: 'CM_team-one'}],
    servers: [],
    stacks: [],
    volumes: [],
    ...over,
  }
}

/** A cloud with one stack: two servers, one volume, one network. */
export function basicCloud(): CloudState {
  return cloud({
    networks: [network('n1')],
    servers: [server('s1'), server('s2', {flavorId: 'large', floatingIps: ['172.24.4.10'], volumeIds: ['v1']})],
    stacks: [stack('st1', {networks: ['n1'], servers: ['s1', 's2'], volumes: ['v1']})],
    volumes: [volume('v1', {status: 'in-use'})],
  })
}

export function concertim(over: Partial<ConcertimState> = {}): ConcertimState {
  return {devices: [], racks: [], teams: [TEAM], templates: [...SEEDED_TEMPLATES], ...over}
}

let sequence = 0

/**
 * Applies a plan to a Concertim state as the app would (ids assigned, metadata replaced whole,
 * details merged, refs resolved). Failed and blocked actions are skipped. Returns the new state and
 * the results.
 */
export function applyToConcertim(state: ConcertimState, p: Plan): {results: ActionResult[]; state: ConcertimState} {
  const templates = new Map(state.templates.map((t) => [t.id, {...t}]))
  const racks = new Map(state.racks.map((r) => [r.id, {...r, metadata: {...r.metadata}}]))
  const devices = new Map(state.devices.map((d) => [d.id, {...d, details: {...d.details}, metadata: {...d.metadata}}]))
  const created = new Map<string, string>()
  const results: ActionResult[] = []
  const ok = (a: Action, id: string): void => {
    results.push({concertimId: id, key: a.key, kind: a.kind, object: a.object, ok: true})
  }
  for (const a of p.actions) {
    if (a.failed !== undefined || a.blocked !== undefined) continue
    if (a.object === 'template' && a.kind === 'create' && a.body !== null) {
      const id = `tpl-${++sequence}`
      const b = a.body
      templates.set(id, {description: b.description ?? null, disk: b.disk ?? null, foreignId: b.foreign_id ?? null, height: b.height, id, name: b.name, ram: b.ram ?? null, tag: null, vcpus: b.vcpus ?? null})
      created.set(a.key, id)
      ok(a, id)
    } else if (a.object === 'template' && a.kind === 'update' && a.body !== null && a.concertimId !== null) {
      const t = templates.get(a.concertimId) as ConcertimTemplate
      Object.assign(t, {...(a.body.name === undefined ? {} : {name: a.body.name}), ...(a.body.ram === undefined ? {} : {ram: a.body.ram}), ...(a.body.disk === undefined ? {} : {disk: a.body.disk}), ...(a.body.vcpus === undefined ? {} : {vcpus: a.body.vcpus})})
      ok(a, a.concertimId)
    } else if (a.object === 'rack' && a.kind === 'create' && a.body !== null) {
      const id = `rack-${++sequence}`
      const b = a.body
      racks.set(id, {creationOutput: b.creation_output ?? null, id, metadata: b.metadata ?? {}, name: b.name ?? id, orderId: b.order_id, status: b.status, teamId: b.team_id, uHeight: b.u_height ?? 42})
      created.set(a.key, id)
      ok(a, id)
    } else if (a.object === 'rack' && a.kind === 'update' && a.body !== null && a.concertimId !== null) {
      const r = racks.get(a.concertimId) as ConcertimRack
      const b = a.body
      if (b.name !== undefined) r.name = b.name
      if (b.status !== undefined) r.status = b.status
      if (b.creation_output !== undefined) r.creationOutput = b.creation_output
      if (b.metadata !== undefined) r.metadata = b.metadata
      if (b.order_id !== undefined) r.orderId = b.order_id
      if (b.u_height !== undefined) r.uHeight = b.u_height
      ok(a, a.concertimId)
    } else if (a.object === 'device' && a.kind === 'create' && a.body !== null) {
      const id = `dev-${++sequence}`
      const b = a.body
      const rackId = a.refs?.rack === undefined ? b.location.rack_id : (created.get(a.refs.rack) as string)
      const templateId = a.refs?.template === undefined ? b.template_id : (created.get(a.refs.template) as string)
      const height = (templates.get(templateId) as ConcertimTemplate).height
      devices.set(id, {
        description: b.description ?? null,
        details: {...b.details},
        id,
        location: {endU: b.location.start_u + height - 1, facing: b.location.facing ?? 'f', startU: b.location.start_u},
        metadata: b.metadata ?? {},
        name: b.name,
        rackId,
        status: b.status,
        templateId,
        type: b.type,
      })
      for (const c of a.supersedes ?? []) devices.delete(c.concertimId)
      ok(a, id)
    } else if (a.object === 'device' && a.kind === 'update' && a.body !== null && a.concertimId !== null) {
      const d = devices.get(a.concertimId) as ConcertimDevice
      const b = a.body
      if (b.name !== undefined) d.name = b.name
      if (b.status !== undefined) d.status = b.status
      if (b.details !== undefined) d.details = {...d.details, ...b.details}
      if (b.metadata !== undefined) d.metadata = b.metadata as JsonObject
      if (b.location !== undefined) {
        const height = d.location === null ? (templates.get(d.templateId ?? '')?.height ?? 1) : d.location.endU - d.location.startU + 1
        d.location = {endU: b.location.start_u + height - 1, facing: b.location.facing, startU: b.location.start_u}
      }
      for (const c of a.supersedes ?? []) devices.delete(c.concertimId)
      ok(a, a.concertimId)
    } else if (a.kind === 'delete' && a.concertimId !== null) {
      if (a.object === 'device') devices.delete(a.concertimId)
      else {
        racks.delete(a.concertimId)
        for (const [id, d] of devices) if (d.rackId === a.concertimId) devices.delete(id)
      }
      ok(a, a.concertimId)
    }
  }
  return {results, state: {...state, devices: [...devices.values()], racks: [...racks.values()], templates: [...templates.values()]}}
}

export interface SyncOutcome {
  baseline: Baseline
  plan: Plan
  state: ConcertimState
}

/** observe is the caller's job; this runs desire → plan → apply (in memory) → record. */
export function sync(
  c: CloudState,
  state: ConcertimState,
  baseline: Baseline = EMPTY_BASELINE,
  opts: {billing?: BillingState; desire?: DesireOptions; plan?: PlanOptions} = {},
): SyncOutcome {
  const p = plan(desire(c, state, opts.billing ?? NO_BILLING, opts.desire), state, baseline, opts.plan)
  const applied = applyToConcertim(state, p)
  return {baseline: recordResults(baseline, p, applied.results), plan: p, state: applied.state}
}

export function summary(p: Plan): string[] {
  return p.actions.map((a) => `${a.kind} ${a.object} ${a.key}${a.failed === undefined ? '' : ' FAILED'}${a.blocked === undefined ? '' : ` BLOCKED:${a.blocked.code}`}`)
}

/**
 * The simulator answers every recorded call (test/fixtures/recorded/*.json, made by
 * test/real/record.ts against a real OpenStack Zed) as the real one did: same status, same keys
 * recursively and value types, the same relevant headers, and the same paging (a next link where
 * the real cloud gave one, and a second page behind it).
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'

import {parseLenientJson} from '../../../src/lib/http/json-body.js'
import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {CALLS, type CallService, type CallTargets, HEADERS_OF_INTEREST, normalise, type RecordedAnswer, type RecordedCall, resolve} from '../../support/recorded-calls.js'
import {login, type Session} from '../../support/openstack-client.js'
import {shapeDifferences, type ShapeOptions} from '../../support/shape.js'

interface RecordedEntry {
  answer: RecordedAnswer
  nextPage?: RecordedAnswer
}

const recorded = (service: CallService): Record<string, RecordedEntry> =>
  (JSON.parse(readFileSync(new URL(`../../fixtures/recorded/${service}.json`, import.meta.url), 'utf8')) as {calls: Record<string, RecordedEntry>}).calls

/** Keys whose members are data (names, ids), compared by value type only. */
const DICTIONARIES = [
  'servers[].addresses',
  'servers[].metadata',
  'servers[].flavor.extra_specs',
  'server.addresses',
  'server.metadata',
  'server.flavor.extra_specs',
  'flavors[].extra_specs',
  'flavor.extra_specs',
  'volumes[].metadata',
  'volume.metadata',
  'stack.parameters',
  '[].metrics',
  'metrics',
  'resource.metrics',
  '[].measures.measures',
]
/** Keys present only on some records (a server in ERROR has `fault`), or only when the cloud has the thing. */
const OPTIONAL = ['servers[].fault', 'server.fault', 'links', 'users[].email', 'users[].description', 'users[].default_project_id']
const SHAPE: ShapeOptions = {dictionaries: DICTIONARIES, extraKeys: OPTIONAL}
/** Values whose type depends on the data (a Heat output is whatever the template says). */
const ANY_TYPE = new Set(['stack.outputs[].output_value'])

/**
 * Prepare a body for the shape comparison: tuples (Gnocchi's `[time, granularity, value]`) become
 * objects keyed by position, so each position's type is compared; data-typed values are dropped.
 */
function comparable(v: unknown, path = ''): unknown {
  if (Array.isArray(v)) {
    if (v.length > 0 && v.every((x) => Array.isArray(x))) return v.map((x: unknown[]) => Object.fromEntries(x.map((y, i) => [String(i), comparable(y)])))
    return v.map((x) => comparable(x, `${path}[]`))
  }
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).filter(([k]) => !ANY_TYPE.has(path ? `${path}.${k}` : k)).map(([k, x]) => [k, comparable(x, path ? `${path}.${k}` : k)]))
  }
  return v
}

describe('simulator against recorded real OpenStack answers', () => {
  let sim: Simulator
  let admin: Session
  let member: Session
  let targets: CallTargets & {password: string; projectName: string; username: string}
  let bases: Record<string, string>

  before(async () => {
    sim = await startSimulator({preset: 'small', seed: 11})
    admin = await login(sim)
    const world = sim.world
    const team = sim.cloud.teams.find((t) => world.stacks.partition(t.projectId).some((s) => s.parentId === null))
    if (team === undefined) throw new Error('no team with a stack')
    member = await login(sim, `CM_${team.users[1].login}`, team.users[1].password, team.projectName)
    const stack = world.stacks.partition(team.projectId).find((s) => s.parentId === null)
    const server = world.servers.all().find((s) => s.addresses.length > 0 && s.vmState === 'active' && world.gnocchiTable('instance').get(s.id) !== undefined)
    const volume = world.volumes.all()[0]
    if (stack === undefined || server === undefined || volume === undefined) throw new Error('small preset lacks a stack, a metered server or a volume')
    const resource = world.gnocchiTable('instance').get(server.id)
    // The minicloud's servers have two hours of measures (its whole life, as any server younger than
    // the archive policy's retention): Gnocchi's rate series then starts one period after the mean.
    for (const id of Object.values(resource?.metrics ?? {})) {
      const m = world.gnocchiMetrics.get(id)
      if (m !== undefined) m.createdAt = world.now() - 2 * 3_600_000
    }
    targets = {
      domainId: 'default',
      flavorId: world.flavors.all()[0].id,
      gnocchiMetricId: resource?.metrics['memory.usage'] ?? '',
      gnocchiResourceId: server.id,
      memberProjectId: member.projectId,
      networkId: world.networks.all()[0].id,
      password: sim.credentials.keystone.password,
      projectId: admin.projectId,
      projectName: sim.credentials.keystone.projectName,
      roleId: world.roleByName('member')?.id ?? '',
      serverId: server.id,
      stackId: stack.id,
      stackName: stack.name,
      userId: sim.cloud.adminUserId,
      username: sim.credentials.keystone.username,
      volumeId: volume.id,
    }
    bases = Object.fromEntries(Object.entries(sim.endpoints).map(([k, v]) => [k, v]))
  })
  after(async () => sim.stop())

  const ask = async (call: RecordedCall, url: string): Promise<RecordedAnswer & {links: {body: unknown; link?: string}}> => {
    const headers: Record<string, string> = {accept: 'application/json', ...call.headers}
    if (call.as !== 'none') headers['x-auth-token'] = (call.as === 'admin' ? admin : member).token
    if (call.body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(url, {body: call.body === undefined ? undefined : resolve(JSON.stringify(call.body), targets), headers, method: call.method, redirect: 'manual'})
    const text = await res.text()
    let body: unknown = text
    let nonFinite = false
    try {
      body = text === '' ? null : JSON.parse(text)
    } catch {
      if (/\bNaN\b|\bInfinity\b/.test(text)) {
        body = parseLenientJson(text)
        nonFinite = true
      }
    }
    const out: Record<string, string> = {}
    for (const h of HEADERS_OF_INTEREST) {
      const v = res.headers.get(h)
      if (v !== null) out[h] = v
    }
    return {body: normalise(body, bases), headers: out, links: {body, link: res.headers.get('link')?.match(/<([^>]+)>;\s*rel="next"/)?.[1]}, nonFinite, status: res.status}
  }

  const compare = (real: RecordedAnswer, got: RecordedAnswer, what: string): void => {
    expect(got.status, `${what}: status (body ${JSON.stringify(got.body).slice(0, 300)})`).to.equal(real.status)
    for (const [h, v] of Object.entries(real.headers)) {
      expect(got.headers, `${what}: header ${h}`).to.have.property(h)
      if (h === 'content-type') expect(got.headers[h].split(';')[0], `${what}: content-type`).to.equal(v.split(';')[0])
      if (h === 'vary' || h === 'openstack-api-version' || h === 'x-openstack-nova-api-version') expect(got.headers[h], `${what}: ${h}`).to.equal(v)
    }
    for (const h of ['location', 'link', 'www-authenticate', 'x-subject-token']) {
      if (!(h in real.headers)) expect(got.headers, `${what}: header ${h} that the real cloud does not send`).not.to.have.property(h)
    }
    expect(got.nonFinite === true, `${what}: a bare NaN in the body exactly where the real cloud wrote one`).to.equal(real.nonFinite === true)
    expect(shapeDifferences(comparable(real.body), comparable(got.body), SHAPE), `${what}: body shape`).to.deep.equal([])
  }

  for (const call of CALLS) {
    it(`${call.service}: ${call.method} ${call.path} (${call.name})`, async function () {
      const entry = recorded(call.service)[call.name]
      if (entry === undefined) expect.fail(`no recording of ${call.service} ${call.name}: run 'npm run record:real' against a real cloud`)
      const got = await ask(call, `${sim.endpoints[call.service]}${resolve(call.path, targets)}`)
      compare(entry.answer, got, call.name)
      if (call.next) {
        const next = call.next.kind === 'header' ? got.links.link : ((got.links.body as Record<string, {href: string; rel: string}[] | undefined>)[call.next.key] ?? []).find((l) => l.rel === 'next')?.href
        expect(next !== undefined, `${call.name}: a next link exactly when the real cloud gave one`).to.equal(entry.nextPage !== undefined)
        if (next !== undefined && entry.nextPage) {
          const page2 = await ask(call, next)
          compare(entry.nextPage, page2, `${call.name} (page 2)`)
          expect(JSON.stringify(page2.body)).not.to.equal(JSON.stringify(got.body))
        }
      }
    })
  }
})

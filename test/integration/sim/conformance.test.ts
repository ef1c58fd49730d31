import {expect} from 'chai'
import {readFileSync} from 'node:fs'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import type {Server} from '../../../src/sim/world.js'
import {getJson, login, type Session} from '../../support/openstack-client.js'
import {shapeDifferences} from '../../support/shape.js'

const FIXTURES = '/work/shared/fixtures/api'
const fixture = (p: string): unknown => JSON.parse(readFileSync(`${FIXTURES}/${p}`, 'utf8'))
const SERVER_DICTS = ['servers[].addresses', 'servers[].metadata', 'servers[].flavor.extra_specs', 'servers[].scheduler_hints', 'servers[].image.properties']

describe('simulator conformance with real OpenStack samples', () => {
  let sim: Simulator
  let admin: Session
  let member: Session
  let server: Server

  before(async () => {
    sim = await startSimulator({preset: 'small', seed: 7})
    admin = await login(sim)
    const team = sim.cloud.teams[0]
    member = await login(sim, `CM_${team.users[1].login}`, team.users[1].password, team.projectName)
    const candidate = sim.world.servers.partition(team.projectId).find((s) => s.volumeIds.length > 0 && s.addresses.length > 0 && s.keyName !== null)
    if (candidate === undefined) throw new Error('generator made no server with volumes and addresses in team 0')
    server = candidate
  })
  after(async () => sim.stop())

  it('keystone: POST /v3/auth/tokens has the sample token shape and X-Subject-Token', async () => {
    const res = await fetch(`${sim.endpoints.keystone}/v3/auth/tokens`, {
      body: JSON.stringify({auth: {identity: {methods: ['password'], password: {user: {id: sim.cloud.adminUserId, password: sim.credentials.keystone.password}}}, scope: {project: {id: sim.cloud.adminProjectId}}}}),
      headers: {'content-type': 'application/json'},
      method: 'POST',
    })
    expect(res.status).to.equal(201)
    expect(res.headers.get('x-subject-token')).to.match(/^gAAAAA/)
    expect(shapeDifferences(fixture('keystone/auth-password-project-scoped-response.json'), await res.json())).to.deep.equal([])
  })

  it('nova: GET /servers/detail at 2.1 (admin) matches servers-details-v2.1', async () => {
    const {body, status} = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1&limit=1&uuid=${server.id}`, admin.token)
    expect(status).to.equal(200)
    expect(shapeDifferences(fixture('nova/servers-details-v2.1.json'), body, {dictionaries: SERVER_DICTS})).to.deep.equal([])
  })

  it('nova: GET /servers/detail at 2.100 (project member) matches servers-details-v2.100', async () => {
    const {body, headers} = await getJson(`${sim.endpoints.nova}/v2.1/servers/detail?limit=1&uuid=${server.id}`, member.token, {'OpenStack-API-Version': 'compute 2.100'})
    expect(headers.get('openstack-api-version')).to.equal('compute 2.100')
    expect(shapeDifferences(fixture('nova/servers-details-v2.100.json'), body, {dictionaries: SERVER_DICTS})).to.deep.equal([])
  })

  it('nova: GET /flavors/detail at 2.75 matches flavors-detail-v2.75', async () => {
    const {body} = await getJson(`${sim.endpoints.nova}/v2.1/flavors/detail`, admin.token, {'X-OpenStack-Nova-API-Version': '2.75'})
    expect(shapeDifferences(fixture('nova/flavors-detail-v2.75.json'), body, {dictionaries: ['flavors[].extra_specs']})).to.deep.equal([])
  })

  it('heat: stacks list, show, resources, outputs and output show match the samples', async () => {
    const base = `${sim.endpoints.heat}/v1/${member.projectId}`
    const list = await getJson(`${base}/stacks`, member.token)
    expect(shapeDifferences(fixture('heat/stacks-list-response.json'), list.body)).to.deep.equal([])
    const stack = sim.world.stacks.get(sim.cloud.teams[0].stackIds[0])
    if (stack === undefined) throw new Error('no stack')
    stack.outputs.push({description: 'an output whose value failed', error: 'The Referenced Attribute (server ip) is incorrect.', key: 'broken', value: null})
    const show = await getJson(`${base}/stacks/${stack.name}/${stack.id}`, member.token)
    expect(shapeDifferences(fixture('heat/stack-show-response.json'), show.body, {dictionaries: ['stack.parameters']})).to.deep.equal([])
    const resources = await getJson(`${base}/stacks/${stack.name}/${stack.id}/resources`, member.token)
    expect(shapeDifferences(fixture('heat/resources-list-response.json'), resources.body)).to.deep.equal([])
    const outputs = await getJson(`${base}/stacks/${stack.name}/${stack.id}/outputs`, member.token)
    expect(shapeDifferences(fixture('heat/stack-outputs-list-response.json'), outputs.body)).to.deep.equal([])
    const output = await getJson(`${base}/stacks/${stack.name}/${stack.id}/outputs/broken`, member.token)
    expect(shapeDifferences(fixture('heat/stack-output-show-response.json'), output.body)).to.deep.equal([])
  })

  it('cinder: GET /volumes/detail at 3.69 (admin) matches volumes-list-detailed-v3.69', async () => {
    const {body} = await getJson(`${sim.endpoints.cinder}/v3/${admin.projectId}/volumes/detail?all_tenants=1&limit=3`, admin.token, {'OpenStack-API-Version': 'volume 3.69'})
    const volumes = (body as {volumes: unknown[]}).volumes
    expect(volumes).to.have.length(3)
    expect(shapeDifferences(fixture('cinder/volumes-list-detailed-v3.69.json'), {volumes}, {dictionaries: ['volumes[].metadata']})).to.deep.equal([])
  })

  it('the shape checker itself rejects a changed type, a missing key and an extra key', () => {
    const sample = {a: 1, b: {c: 'x'}}
    expect(shapeDifferences(sample, {a: '1', b: {c: 'x'}})).to.deep.equal(['a: expected number, got string'])
    expect(shapeDifferences(sample, {a: 1, b: {}})).to.deep.equal(['b.c: missing'])
    expect(shapeDifferences(sample, {a: 1, b: {c: 'y', d: true}})).to.deep.equal(['b.d: unexpected key'])
  })
})

import {expect} from 'chai'

import {HttpError} from '../../../src/lib/http/index.js'
import {HeatClient} from '../../../src/lib/openstack/heat.js'
import {KeystoneSession} from '../../../src/lib/openstack/keystone.js'
import type {HeatResource, HeatStack} from '../../../src/lib/openstack/types.js'
import {FakeCloud, FAST_HTTP, PROJECT_ID} from './support/fake-cloud.js'
import {fixture} from './support/fixtures.js'

const HEAT = `/heat/v1/${PROJECT_ID}`
const STACK = {id: '3095aefc-09fb-4bc7-b1f0-f21a304e864c', stack_name: 'simple_stack'}

function session(cloud: FakeCloud): KeystoneSession {
  return new KeystoneSession({auth: {authUrl: cloud.authUrl, password: 'pw-heat-test', project: {id: PROJECT_ID}, user: {id: 'u'}}}, FAST_HTTP)
}

describe('openstack/heat: HeatClient', () => {
  let cloud: FakeCloud
  beforeEach(async () => {
    cloud = await FakeCloud.start()
  })
  afterEach(async () => cloud.close())

  it('lists the stacks of every project (global_tenant) across pages by links', async () => {
    const base = fixture<{stacks: HeatStack[]}>('heat/stacks-list-response.json').stacks[0]
    const all = Array.from({length: 5}, (_, i) => ({...base, id: `st-${i}`, project: `p-${i % 2}`, stack_name: `stack-${i}`}))
    cloud.on('GET', `${HEAT}/stacks`, (req) => {
      const limit = Number(req.query.get('limit'))
      const marker = req.query.get('marker')
      const start = marker === null ? 0 : all.findIndex((s) => s.id === marker) + 1
      const page = all.slice(start, start + limit)
      const links = page.length === limit ? [{href: `http://heat.internal:8004/v1/${PROJECT_ID}/stacks?global_tenant=true&limit=${limit}&marker=${page.at(-1)?.id}`, rel: 'next'}] : []
      return {body: {links, stacks: page}}
    })
    const stacks = await new HeatClient(session(cloud), {pageSize: 2}).listStacks()
    expect(stacks.map((s) => s.id)).to.deep.equal(all.map((s) => s.id))
    expect(stacks[1].project).to.equal('p-1')
    const reqs = cloud.requestsTo(`${HEAT}/stacks`)
    expect(reqs.map((r) => r.query.get('marker'))).to.deep.equal([null, 'st-1', 'st-3'])
    expect(reqs.every((r) => r.query.get('global_tenant') === 'true')).to.equal(true)
  })

  it('gets one stack by name and id, null on 404', async () => {
    cloud.on('GET', `${HEAT}/stacks/simple_stack/${STACK.id}`, () => ({body: fixture('heat/stack-show-response.json')}))
    cloud.on('GET', `${HEAT}/stacks/gone/x`, () => ({body: {code: 404, error: {message: 'The Stack (gone) could not be found.', type: 'EntityNotFound'}, explanation: 'The resource could not be found.', title: 'Not Found'}, status: 404}))
    const heat = new HeatClient(session(cloud))
    const stack = await heat.getStack(STACK)
    expect(stack?.parameters['OS::project_id']).to.equal('3ab5b02f-a01f-4f95-afa1-e254afc4a435')
    expect(stack?.stack_owner).to.equal('simple_username')
    expect(await heat.getStack({id: 'x', stack_name: 'gone'})).to.equal(null)
  })

  it('lists resources with nested_depth, nested ones carrying parent_resource', async () => {
    const [random] = fixture<{resources: HeatResource[]}>('heat/resources-list-response.json').resources
    const group: HeatResource = {...random, logical_resource_id: 'nodes', physical_resource_id: 'nested-stack-id', resource_name: 'nodes', resource_type: 'OS::Heat::ResourceGroup'}
    const server: HeatResource = {...random, logical_resource_id: '0', parent_resource: 'nodes', physical_resource_id: 'server-uuid', resource_name: '0', resource_type: 'OS::Nova::Server'}
    cloud.on('GET', `${HEAT}/stacks/simple_stack/${STACK.id}/resources`, () => ({body: {resources: [random, group, server]}}))
    const resources = await new HeatClient(session(cloud)).listResources(STACK, {nestedDepth: 2})
    expect(resources?.map((r) => r.resource_type)).to.deep.equal(['OS::Heat::RandomString', 'OS::Heat::ResourceGroup', 'OS::Nova::Server'])
    expect(resources?.[2]).to.include({parent_resource: 'nodes', physical_resource_id: 'server-uuid'})
    expect(cloud.requestsTo(/resources$/)[0].query.get('nested_depth')).to.equal('2')
  })

  it('lists outputs and reads one', async () => {
    cloud.on('GET', `${HEAT}/stacks/simple_stack/${STACK.id}/outputs`, () => ({body: fixture('heat/stack-outputs-list-response.json')}))
    cloud.on('GET', `${HEAT}/stacks/simple_stack/${STACK.id}/outputs/output_name`, () => ({body: fixture('heat/stack-output-show-response.json')}))
    const heat = new HeatClient(session(cloud))
    expect(await heat.listOutputs(STACK)).to.deep.equal([{description: 'output description', output_key: 'output name'}])
    expect(await heat.getOutput(STACK, 'output_name')).to.deep.include({output_key: 'output_name', output_value: 'output_value'})
    // "output name" has a space: it must be URL-encoded in the path.
    cloud.on('GET', `${HEAT}/stacks/simple_stack/${STACK.id}/outputs/output%20name`, () => ({body: {output: {output_key: 'output name', output_value: 1}}}))
    expect((await heat.getOutput(STACK, 'output name'))?.output_value).to.equal(1)
  })

  it('a refused global listing is an HttpError with Heat\'s message', async () => {
    cloud.on('GET', `${HEAT}/stacks`, () => ({
      body: {code: 403, error: {message: 'You are not authorized to use global_index.', type: 'Forbidden'}, explanation: 'Access was denied to this resource.', title: 'Forbidden'},
      status: 403,
    }))
    const err = await new HeatClient(session(cloud))
      .listStacks()
      .catch((error: unknown) => error)
    expect(err).to.be.instanceOf(HttpError)
    expect((err as HttpError).serverMessage).to.equal('You are not authorized to use global_index.')
    expect((err as HttpError).message).to.contain('heat: GET').and.contain('HTTP 403')
  })
})

import {expect} from 'chai'

import type {Device, NewDevice, NewRack, NewTemplate} from '../../../src/lib/concertim/types.js'
import {HttpError} from '../../../src/lib/http/errors.js'
import type {Action} from '../../../src/lib/model/plan.js'
import {apply, type ConcertimWriter} from '../../../src/lib/reconcile/apply.js'
import {toConcertimDevice} from '../../../src/lib/concertim/to-model.js'
import {toServer, toVolume} from '../../../src/lib/openstack/to-model.js'
import {membershipOf} from '../../../src/lib/reconcile/observe/index.js'
import type {CinderVolume, HeatResource, NovaServer} from '../../../src/lib/openstack/types.js'

const resource = (type: string, id: string, parent?: string): HeatResource => ({
  logical_resource_id: id,
  physical_resource_id: id,
  resource_name: id,
  resource_status: 'CREATE_COMPLETE',
  resource_type: type,
  ...(parent === undefined ? {} : {parent_resource: parent}),
})

describe('observe: client records → model', () => {
  it('maps a server: fixed and floating IPs, the embedded flavor, attached volumes, states', () => {
    const s = toServer({
      addresses: {a: [{addr: '10.0.0.5', 'OS-EXT-IPS:type': 'fixed', version: 4}, {addr: '172.24.4.9', 'OS-EXT-IPS:type': 'floating', version: 4}], b: [{addr: '10.1.0.2', version: 4}]},
      created: '',
      flavor: {disk: 10, ephemeral: 0, original_name: 'm1.small', ram: 2048, swap: 0, vcpus: 1},
      id: 's1',
      image: '',
      key_name: null,
      metadata: {},
      name: 'vm',
      'OS-EXT-STS:power_state': 4,
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:vm_state': 'stopped',
      'os-extended-volumes:volumes_attached': [{id: 'v1'}],
      status: 'SHUTOFF',
      tenant_id: 'p1',
      updated: '',
      user_id: 'u',
    } as NovaServer)
    expect(s).to.include({flavorId: null, flavorName: 'm1.small', powerState: 4, projectId: 'p1', vmState: 'stopped'})
    expect(s.fixedIps).to.deep.equal(['10.0.0.5', '10.1.0.2'])
    expect(s.floatingIps).to.deep.equal(['172.24.4.9'])
    expect(s.networkNames).to.deep.equal(['a', 'b'])
    expect(s.volumeIds).to.deep.equal(['v1'])
  })

  it("maps a volume: Cinder's string booleans become booleans", () => {
    const v = toVolume({attachments: [{server_id: 's1'}], availability_zone: 'nova', bootable: 'true', created_at: '', description: null, encrypted: false, id: 'v1', metadata: {}, name: null, size: 5, status: 'in-use', updated_at: null, user_id: 'u', volume_type: null, 'os-vol-tenant-attr:tenant_id': 'p1'} as CinderVolume)
    expect(v).to.include({bootable: true, encrypted: false, name: null, projectId: 'p1', size: 5})
  })

  it('stack membership: servers (groups and server groups), volumes, networks; uncreated resources skipped', () => {
    const m = membershipOf(
      [
        resource('OS::Nova::Server', 'srv-1'),
        resource('OS::Heat::ResourceGroup', 'nested-stack'),
        resource('OS::Nova::Server', 'srv-2', 'nodes'),
        resource('OS::Nova::ServerGroup', 'grp'),
        resource('OS::Cinder::Volume', 'vol-1'),
        resource('OS::Cinder::VolumeAttachment', 'att-1'),
        resource('OS::Neutron::Net', 'net-1'),
        resource('OS::Neutron::Subnet', 'sub-1'),
        {...resource('OS::Nova::Server', 'x'), physical_resource_id: ''},
      ],
      new Map([['grp', ['srv-3', 'srv-1']]]),
    )
    expect(m).to.deep.equal({networks: ['net-1'], servers: ['srv-1', 'srv-2', 'srv-3'], volumes: ['vol-1']})
  })

  it('maps a Concertim device: flat details, location, rack', () => {
    const d = toConcertimDevice({
      cost: '0.00',
      description: null,
      details: {login_user: null, private_ips: "['10.0.0.5']", public_ips: null, ssh_key: null, volume_details: {}},
      id: 'd1',
      location: {depth: 2, end_u: 3, facing: 'f', rack_id: 'r1', start_u: 2, type: 'rack'},
      metadata: {openstack_instance_id: 's1'},
      name: 'vm',
      status: 'ACTIVE',
      template_id: 't1',
      type: 'Instance',
    } as Device)
    expect(d).to.deep.include({location: {endU: 3, facing: 'f', startU: 2}, rackId: 'r1', templateId: 't1'})
    expect(d.details.private_ips).to.equal("['10.0.0.5']")
  })
})

describe('apply', () => {
  const action = (over: Partial<Action> & Pick<Action, 'key' | 'kind' | 'object'>): Action => ({body: null, changes: {}, cloudId: null, concertimId: null, name: over.key, reason: 'test', ...over}) as Action

  function writer(fail: Set<string>): ConcertimWriter & {calls: string[]} {
    const calls: string[] = []
    let n = 0
    const go = async <T>(what: string, name: string): Promise<T> => {
      calls.push(`${what} ${name}`)
      if (fail.has(name)) throw new Error(`refused ${name}`)
      return {id: `id-${++n}-${name}`} as T
    }
    return {
      calls,
      createDevice: async (b: NewDevice) => go('createDevice', `${b.name}@${b.location.rack_id}/${b.template_id}`),
      createRack: async (b: NewRack) => go('createRack', b.name ?? ''),
      createTemplate: async (b: NewTemplate) => go('createTemplate', b.name),
      deleteDevice: async (id: string) => go('deleteDevice', id),
      deleteRack: async (id: string) => go('deleteRack', id),
      updateDevice: async (id: string) => go('updateDevice', id),
      updateRack: async (id: string) => go('updateRack', id),
      updateTemplate: async (id: string) => go('updateTemplate', id),
    }
  }

  const deviceBody = (name: string) => ({details: {}, location: {rack_id: '', start_u: 1}, name, status: 'ACTIVE' as const, template_id: '', type: 'Instance' as const})

  it('runs the phases in order, fills ids created in the same plan, and fails the children of a failed parent', async () => {
    const w = writer(new Set(['bad-rack']))
    const actions: Action[] = [
      action({key: 'device:d2', kind: 'delete', object: 'device', concertimId: 'old-dev'}),
      action({body: deviceBody('d1'), key: 'device:d1', kind: 'create', object: 'device', refs: {rack: 'rack:good', template: 'template:f1'}}),
      action({body: deviceBody('d3'), key: 'device:d3', kind: 'create', object: 'device', refs: {rack: 'rack:bad'}}),
      action({body: {name: 'good', order_id: 'o1', status: 'ACTIVE', team_id: 't'}, key: 'rack:good', kind: 'create', object: 'rack'}),
      action({body: {name: 'bad-rack', order_id: 'o2', status: 'ACTIVE', team_id: 't'}, key: 'rack:bad', kind: 'create', object: 'rack'}),
      action({body: {height: 1, name: 'f1'}, key: 'template:f1', kind: 'create', object: 'template'}),
      action({failed: 'no room', key: 'device:d4', kind: 'create', object: 'device'}),
      action({blocked: {code: 'cap', message: 'too many'}, concertimId: 'x', key: 'device:d5', kind: 'delete', object: 'device'}),
    ]
    const results = await apply({actions}, w, {concurrency: 4})
    expect(w.calls[0]).to.equal('createTemplate f1')
    expect(w.calls.at(-1)).to.equal('deleteDevice old-dev')
    expect(w.calls).to.include('createDevice d1@id-2-good/id-1-f1')
    expect(w.calls.some((c) => c.includes('d3'))).to.equal(false)
    const byKey = new Map(results.map((r) => [r.key, r]))
    expect(byKey.get('device:d3')?.error).to.match(/its rack \(rack:bad\) could not be created: refused bad-rack/)
    expect(byKey.get('device:d4')).to.deep.include({error: 'no room', ok: false})
    expect(byKey.has('device:d5'), 'blocked actions are withheld').to.equal(false)
    expect(results.filter((r) => r.ok).map((r) => r.key).sort()).to.deep.equal(['device:d1', 'device:d2', 'rack:good', 'template:f1'])
  })

  describe('a device made again in the right rack: its misplaced copy is deleted only after', () => {
    const copy = {concertimId: 'old', name: 'vm', rackId: 'wrong-rack'}
    const cases: Array<{action: Action; calls: string[]; fail?: string; name: string; ok: boolean}> = [
      {action: action({body: deviceBody('vm'), key: 'device:s', kind: 'create', object: 'device', supersedes: [copy]}), calls: ['createDevice vm@/', 'deleteDevice old'], name: 'create, then delete the copy', ok: true},
      {action: action({body: deviceBody('vm'), key: 'device:s', kind: 'create', object: 'device', supersedes: [copy]}), calls: ['createDevice vm@/'], fail: 'vm@/', name: 'the create fails: the copy stays (never no device)', ok: false},
      {action: action({body: deviceBody('vm'), key: 'device:s', kind: 'create', object: 'device', supersedes: [copy]}), calls: ['createDevice vm@/', 'deleteDevice old'], fail: 'old', name: 'the delete fails: both stay, reported failed (the next run deletes it)', ok: false},
      {action: action({body: {}, concertimId: 'right', key: 'device:s', kind: 'update', object: 'device', supersedes: [copy]}), calls: ['deleteDevice old'], name: 'an update with nothing to write: only the copy goes', ok: true},
      {action: action({body: {status: 'ACTIVE'}, concertimId: 'right', key: 'device:s', kind: 'update', object: 'device', supersedes: [copy]}), calls: ['updateDevice right', 'deleteDevice old'], name: 'an update, then the copy', ok: true},
      {action: action({body: deviceBody('vm'), failed: 'no room', key: 'device:s', kind: 'create', object: 'device', supersedes: [copy]}), calls: [], name: 'a failed create: nothing is written, nothing deleted', ok: false},
    ]
    for (const c of cases) {
      it(c.name, async () => {
        const w = writer(new Set(c.fail === undefined ? [] : [c.fail]))
        const [result] = await apply({actions: [c.action]}, w)
        expect(w.calls).to.deep.equal(c.calls)
        expect(result.ok).to.equal(c.ok)
        if (c.fail === 'old') expect(result.error).to.match(/misplaced copy could not be deleted .*old.*refused old/)
      })
    }
  })
})

describe('apply: why a write failed, typed', () => {
  const action = (over: Partial<Action> & Pick<Action, 'key' | 'kind' | 'object'>): Action => ({body: null, changes: {}, cloudId: null, concertimId: null, name: over.key, reason: 'test', ...over}) as Action
  const http = (status: number) => new HttpError({kind: 'status', method: 'POST', problem: `answered ${status}`, status, system: 'concertim', url: 'https://c/api/v1/racks'})
  it('an outage of Concertim (503) is an outage, for the rack and for the device waiting on it; a 422 is refused', async () => {
    const failing: Record<string, Error> = {down: http(503), taken: http(422)}
    const w = {
      createDevice: async () => ({id: 'd'}),
      createRack: async (b: NewRack) => {
        throw failing[b.name ?? '']
      },
    } as unknown as ConcertimWriter
    const results = await apply(
      {
        actions: [
          action({body: {name: 'down', order_id: 'o', status: 'ACTIVE', team_id: 't'}, key: 'rack:down', kind: 'create', object: 'rack'}),
          action({body: {name: 'taken', order_id: 'o', status: 'ACTIVE', team_id: 't'}, key: 'rack:taken', kind: 'create', object: 'rack'}),
          action({body: {details: {}, location: {rack_id: '', start_u: 1}, name: 'd1', status: 'ACTIVE', template_id: 't', type: 'Instance'}, key: 'device:d1', kind: 'create', object: 'device', refs: {rack: 'rack:down'}}),
          action({failed: 'no room', key: 'device:d2', kind: 'create', object: 'device'}),
        ],
      },
      w,
    )
    const failure = Object.fromEntries(results.map((r) => [r.key, r.failure]))
    expect(failure).to.deep.equal({'device:d1': 'outage', 'device:d2': 'refused', 'rack:down': 'outage', 'rack:taken': 'refused'})
  })
})

import {expect} from 'chai'

import {decodeBody, entityKey, interpret, type Interpretation, novaApiStatus, parseOsloTime} from '../../../src/lib/events/index.js'
import {envelope, loadWireFixtures} from './wire-fixtures.js'

interface Expect {
  deleted?: boolean
  family: string
  key: string
  /** The payload carries the full state (true), only names the entity (false). */
  state: boolean
  check?: (i: Entity) => void
}

const SERVER_A = 'server:178b0921-8f85-4257-88b6-2e743b5a975c'

type Entity = Extract<Interpretation, {kind: 'entity'}>
/** The payload record, loosely typed for assertions. */
function rec(i: Entity): Record<string, unknown> {
  const s = i.state
  if (s === undefined || s.deleted) throw new Error('no payload record')
  return s.record as unknown as Record<string, unknown>
}
function unknownOf(i: Entity): readonly string[] {
  const s = i.state
  if (s === undefined || s.deleted) throw new Error('no payload record')
  return s.unknown
}

/** Every fixture file, what it must mean. A new fixture file without a row fails the test. */
const EXPECTED: Record<string, Expect> = {
  'cinder/volume.attach.end.json': {
    check(i) {
      expect(i.state).to.deep.include({deleted: false, kind: 'volume'})
      const r = rec(i)
      expect(r.status).to.equal('in-use')
      expect(r.size).to.equal(1)
      expect(r.attachments).to.deep.equal([{device: '/dev/vdb', serverId: 'ae81266c-a292-4e48-bf81-a3894bd62f4a'}])
      // The server's device lists its volumes: it is reconciled too.
      expect(i.related).to.deep.equal([{id: 'ae81266c-a292-4e48-bf81-a3894bd62f4a', kind: 'server'}])
    },
    family: 'cinder',
    key: 'volume:f54b1d2f-4514-4688-8da7-4bc66767b6be',
    state: true,
  },
  'cinder/volume.create.end.json': {family: 'cinder', key: 'volume:f54b1d2f-4514-4688-8da7-4bc66767b6be', state: true},
  // status "deleting" in the payload: the event type says it is gone.
  'cinder/volume.delete.end.json': {deleted: true, family: 'cinder', key: 'volume:342b0875-2c7a-48b7-a391-f4d6ea8987c0', state: true},
  'minicloud/legacy_compute.instance.create.end.json': {family: 'nova-legacy', key: 'server:7e228f2d-899d-40a6-8cf9-55e899a0188e', state: false},
  'minicloud/legacy_compute.instance.delete.end.json': {deleted: true, family: 'nova-legacy', key: 'server:bfb21750-8405-4614-8623-845249b3c8d2', state: true},
  'minicloud/legacy_compute.instance.power_off.end.json': {family: 'nova-legacy', key: 'server:d4ed20f7-640f-4c55-b097-2cf296171fab', state: false},
  'minicloud/versioned_instance.create.end.json': {
    check(i) {
      expect(rec(i)).to.deep.include({flavorId: '4e7a6f09-fc05-4c02-8524-10679a62ba71', name: 'acme-db-1', powerState: 1, projectId: 'b8f613ce095146ac8404622ebc3f9d72', status: 'ACTIVE', vmState: 'active'})
      expect(rec(i).fixedIps).to.deep.equal(['198.51.100.88'])
      expect(rec(i).networkNames).to.deep.equal(['acme-net'])
      expect(i.version).to.equal(Date.UTC(2026, 10, 22, 3, 3, 57) * 1000 + 953_717)
    },
    family: 'nova-versioned',
    key: 'server:7e228f2d-899d-40a6-8cf9-55e899a0188e',
    state: true,
  },
  'minicloud/versioned_instance.delete.end.json': {deleted: true, family: 'nova-versioned', key: 'server:bfb21750-8405-4614-8623-845249b3c8d2', state: true},
  'minicloud/versioned_instance.power_off.end.json': {
    check(i) {
      expect(rec(i)).to.deep.include({powerState: 4, status: 'SHUTOFF', vmState: 'stopped'})
      expect(unknownOf(i)).to.include('volumeIds')
    },
    family: 'nova-versioned',
    key: 'server:d4ed20f7-640f-4c55-b097-2cf296171fab',
    state: true,
  },
  'minicloud/versioned_instance.update.json': {family: 'nova-versioned', key: 'server:7e228f2d-899d-40a6-8cf9-55e899a0188e', state: true},
  'neutron/network.create.end.json': {
    check(i) {
      expect(rec(i)).to.deep.equal({
        adminStateUp: true,
        id: '7a95c19d-9abc-4651-b491-f2345994e956',
        l2Adjacency: null,
        mtu: 1450,
        name: 'test-network',
        portSecurityEnabled: true,
        projectId: '5fe7c4e4e492490393c674089a178e19',
        shared: false,
        status: 'ACTIVE',
      })
    },
    family: 'neutron',
    key: 'network:7a95c19d-9abc-4651-b491-f2345994e956',
    state: true,
  },
  'neutron/network.delete.end.json': {deleted: true, family: 'neutron', key: 'network:7a95c19d-9abc-4651-b491-f2345994e956', state: true},
  'nova-legacy/instance-update-error-during-schedule.json': {family: 'nova-legacy', key: 'server:4b86f534-16db-4de8-8ce0-f1ee68894835', state: false},
  'nova-legacy/instance-update-error-final.json': {family: 'nova-legacy', key: 'server:4b86f534-16db-4de8-8ce0-f1ee68894835', state: false},
  'nova-versioned/instance-create-end.json': {family: 'nova-versioned', key: SERVER_A, state: true},
  // The state before the failure (building): the server is read (payload-currency.ts).
  'nova-versioned/instance-create-error.json': {
    check(i) {
      // No timestamp in nova's doc samples: no ordering, never dropped as stale.
      expect(i.version).to.equal(undefined)
    },
    family: 'nova-versioned',
    key: SERVER_A,
    state: false,
  },
  'nova-versioned/instance-create-start.json': {family: 'nova-versioned', key: SERVER_A, state: false},
  'nova-versioned/instance-delete-end.json': {deleted: true, family: 'nova-versioned', key: SERVER_A, state: true},
  // task_state deleting, the operation under way: the server is read.
  'nova-versioned/instance-delete-start.json': {family: 'nova-versioned', key: SERVER_A, state: false},
  'nova-versioned/instance-power_off-end.json': {family: 'nova-versioned', key: SERVER_A, state: true},
  'nova-versioned/instance-power_on-end.json': {family: 'nova-versioned', key: SERVER_A, state: true},
  'nova-versioned/instance-resume-end.json': {family: 'nova-versioned', key: SERVER_A, state: true},
  // The fake driver's sample says power_state running while suspended: taken as sent, no crash.
  'nova-versioned/instance-suspend-end.json': {
    check(i) {
      expect(rec(i)).to.deep.include({powerState: 1, status: 'SUSPENDED', vmState: 'suspended'})
    },
    family: 'nova-versioned',
    key: SERVER_A,
    state: true,
  },
  'nova-versioned/instance-update.json': {
    check(i) {
      expect(rec(i)).to.deep.include({status: 'ACTIVE', taskState: 'scheduling', vmState: 'active'})
      // block_devices is [] (bdms_in_notifications on, none attached): known to be empty.
      expect(rec(i).volumeIds).to.deep.equal([])
      expect(unknownOf(i)).to.not.include('volumeIds')
    },
    family: 'nova-versioned',
    key: SERVER_A,
    state: true,
  },
}

describe('events: every real notification fixture', () => {
  const fixtures = loadWireFixtures()

  it('has a row for every fixture file (and no row without a file)', () => {
    expect(fixtures.map((f) => f.file).sort()).to.deep.equal(Object.keys(EXPECTED).sort())
  })

  for (const f of fixtures) {
    for (const body of f.bodies) {
      it(`${f.file} (${body.envelope})`, () => {
        const decoded = decodeBody(Buffer.from(body.text))
        if (!decoded.ok) throw new Error(decoded.reason)
        expect(decoded.envelope).to.equal(body.envelope)
        expect(decoded.message.eventType).to.equal(f.eventType)
        const i = interpret(decoded.message)
        if (i.kind !== 'entity') throw new Error(`${i.kind}: ${i.reason}`)
        const want = EXPECTED[f.file]
        expect(i.family).to.equal(want.family)
        expect(entityKey(i.ref)).to.equal(want.key)
        expect(i.state !== undefined).to.equal(want.state)
        if (want.deleted !== undefined) expect(i.state?.deleted).to.equal(want.deleted)
        else if (i.state !== undefined) expect(i.state.deleted).to.equal(false)
        want.check?.(i)
      })
    }
  }
})

describe('events: decoding', () => {
  it('rejects what is not a notification with a reason, never throws', () => {
    const bad = ['', 'not json', '[]', '42', '{"oslo.version": "2.0"}', '{"oslo.version": "2.0", "oslo.message": "{broken"}', '{"oslo.version": "1.0", "oslo.message": "{}"}', '{"payload": {}}', '{"oslo.version":"2.0","oslo.message":"[1]"}', '\u0000\u00ff']
    for (const b of bad) {
      const d = decodeBody(Buffer.from(b))
      expect(d.ok, b).to.equal(false)
      if (!d.ok) expect(d.reason).to.be.a('string').and.not.equal('')
    }
  })

  it('flattens _context_ keys and reads oslo timestamps in µs (no zone = UTC)', () => {
    const d = decodeBody(envelope({_context_project_id: 'p', event_type: 'x.y', message_id: 'm', payload: {}, timestamp: '2026-11-22 03:03:57.918563'}, 'v2'))
    if (!d.ok) throw new Error(d.reason)
    expect(d.message.context).to.deep.equal({project_id: 'p'})
    expect(d.message.timestampUs).to.equal(Date.UTC(2026, 10, 22, 3, 3, 57) * 1000 + 918_563)
    expect(parseOsloTime('2016-03-07T16:23:31.013411+00:00')).to.equal(Date.UTC(2016, 2, 7, 16, 23, 31) * 1000 + 13_411)
    expect(parseOsloTime('2016-03-07T17:23:31+01:00')).to.equal(Date.UTC(2016, 2, 7, 16, 23, 31) * 1000)
    expect(parseOsloTime('yesterday')).to.equal(undefined)
  })
})

describe('events: interpretation of every family', () => {
  const msg = (eventType: string, payload: unknown) => ({context: {}, eventType, messageId: 'm', payload, timestampUs: 1})
  const kindOf = (eventType: string, payload: unknown = {}) => interpret(msg(eventType, payload)).kind

  it('heat stack events name the stack (thin: fetched), delete complete is a deletion', () => {
    for (const action of ['create', 'update', 'delete', 'suspend', 'resume', 'rollback']) {
      for (const phase of ['start', 'end', 'error']) {
        const i = interpret(msg(`orchestration.stack.${action}.${phase}`, {stack_identity: 'st-1', state: `${action.toUpperCase()}_IN_PROGRESS`}))
        if (i.kind !== 'entity') throw new Error(i.reason)
        expect(i.ref).to.deep.equal({id: 'st-1', kind: 'stack'})
        expect(i.state).to.equal(undefined)
      }
    }
    const del = interpret(msg('orchestration.stack.delete.end', {stack_identity: 'arn:openstack:heat::t1:stacks/web/st-2', state: 'DELETE_COMPLETE'}))
    expect(del).to.deep.include({kind: 'entity', ref: {id: 'st-2', kind: 'stack'}, state: {deleted: true, kind: 'stack'}})
    expect(kindOf('orchestration.stack.create.end', {})).to.equal('malformed')
  })

  it('heat autoscaling events name the stack holding the group (its nested stack changed, not its own updated_time)', () => {
    // heat/engine/notification/autoscaling.py: format_notification_body(stack) + adjustment keys.
    const body = {adjustment: 1, adjustment_type: 'change_in_capacity', capacity: 2, create_at: '2026-01-01T00:00:00', description: '', groupname: 'asg', message: 'Start resizing the group asg', stack_identity: 'st-top', stack_name: 'web', state: 'CREATE_COMPLETE', state_reason: 'Stack CREATE completed successfully', tags: null, tenant_id: 'p-1', updated_at: null, user_id: 'demo', user_identity: 'u-1', username: 'demo'}
    for (const suffix of ['start', 'end', 'error']) {
      const i = interpret(msg(`orchestration.autoscaling.${suffix}`, body))
      expect(i).to.deep.include({kind: 'entity', projectId: 'p-1', ref: {id: 'st-top', kind: 'stack'}, state: undefined})
    }
    expect(kindOf('orchestration.autoscaling.end', {})).to.equal('malformed')
  })

  it('an entity event carries the project its payload names (what listen serializes rack writes by)', () => {
    expect(interpret(msg('orchestration.stack.create.start', {stack_identity: 'st', tenant_id: 'p-h'}))).to.deep.include({projectId: 'p-h'})
    expect(interpret(msg('network.create.end', {network: {id: 'n', project_id: 'p-n', status: 'ACTIVE'}}))).to.deep.include({projectId: 'p-n'})
    expect(interpret(msg('network.delete.end', {network_id: 'n'}))).to.not.have.property('projectId')
    // The real notifications: every one about a server or volume names its project (neutron's delete only the id).
    for (const f of loadWireFixtures()) {
      const d = decodeBody(Buffer.from(f.bodies[0].text))
      if (!d.ok) throw new Error(d.reason)
      const i = interpret(d.message)
      if (i.kind !== 'entity' || i.ref.kind === 'project' || i.ref.kind === 'user' || f.eventType === 'network.delete.end') continue
      expect(i.projectId, f.file).to.be.a('string').and.not.equal('')
    }
  })

  it('keystone project and user deletions (basic and CADF), other identity events ignored', () => {
    expect(interpret(msg('identity.project.deleted', {resource_info: 'p1'}))).to.deep.include({ref: {id: 'p1', kind: 'project'}, state: {deleted: true, kind: 'project'}})
    expect(interpret(msg('identity.user.deleted', {resource_info: 'u1', target: {id: 'u1'}, typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event'}))).to.deep.include({ref: {id: 'u1', kind: 'user'}})
    expect(interpret(msg('identity.project.updated', {resource_info: 'p1'}))).to.deep.include({ref: {id: 'p1', kind: 'project'}, state: undefined})
    expect(kindOf('identity.user.created', {resource_info: 'u1'})).to.equal('ignored')
    expect(kindOf('identity.authenticate')).to.equal('ignored')
    expect(kindOf('identity.role_assignment.created')).to.equal('ignored')
    expect(kindOf('identity.project.deleted', {})).to.equal('malformed')
  })

  it('nova versioned: every lifecycle action is the server, with its state', () => {
    for (const a of ['create.end', 'delete.start', 'power_on.end', 'power_off.end', 'suspend.end', 'resume.end', 'shelve.end', 'shelve_offload.end', 'unshelve.end', 'resize.end', 'resize_confirm.end', 'rebuild.end', 'rebuild.error', 'reboot.end', 'update']) {
      const i = interpret(msg(`instance.${a}`, {'nova_object.data': {power_state: 'running', state: 'active', uuid: 's1'}}))
      expect(i, a).to.deep.include({kind: 'entity', ref: {id: 's1', kind: 'server'}})
    }
    expect(kindOf('instance.exists', {'nova_object.data': {uuid: 's1'}})).to.equal('ignored')
    expect(kindOf('instance.create.end', {'nova_object.data': {}})).to.equal('malformed')
    expect(kindOf('instance.create.end', 'x')).to.equal('malformed')
  })

  it('nova legacy: the server (thin), exists ignored', () => {
    for (const a of ['create.end', 'shelve.end', 'resize.confirm.end', 'rebuild.end', 'volume.attach', 'update']) {
      expect(interpret(msg(`compute.instance.${a}`, {instance_id: 's1', state: 'active'})), a).to.deep.include({kind: 'entity', state: undefined})
    }
    expect(kindOf('compute.instance.exists', {instance_id: 's1'})).to.equal('ignored')
    expect(kindOf('compute.instance.create.end', {})).to.equal('malformed')
  })

  it('cinder attach and detach name the servers their attachments name (any status); other volume events none', () => {
    const att = (instance: string, status: string) => ({attach_status: status, instance_uuid: instance, mountpoint: '/dev/vdb', volume_id: 'v1'})
    const relatedOf = (eventType: string, attachments: unknown[], status = 'in-use') => {
      const i = interpret(msg(eventType, {status, tenant_id: 'p1', volume_attachment: attachments, volume_id: 'v1'}))
      if (i.kind !== 'entity') throw new Error(i.reason)
      expect(i.ref).to.deep.equal({id: 'v1', kind: 'volume'})
      return i.related
    }
    const cases: Array<[string, unknown[], string[] | undefined]> = [
      ['volume.attach.start', [att('s1', 'reserved')], ['s1']],
      ['volume.attach.end', [att('s1', 'attached')], ['s1']],
      ['volume.attach.end', [att('s1', 'attached'), att('s2', 'attached'), att('s1', 'attached')], ['s1', 's2']],
      // cinder/volume/api.py attachment_delete: detach.start still lists the attachment, detach.end only those left.
      ['volume.detach.start', [att('s1', 'attached')], ['s1']],
      ['volume.detach.end', [], undefined],
      ['volume.create.end', [], undefined],
      ['volume.resize.end', [att('s1', 'attached')], undefined],
    ]
    for (const [t, attachments, servers] of cases) {
      expect(relatedOf(t, attachments), t).to.deep.equal(servers?.map((id) => ({id, kind: 'server'})))
    }
    // A volume event with no status (thin) still names them.
    expect(interpret(msg('volume.attach.end', {volume_attachment: [att('s9', 'attached')], volume_id: 'v1'}))).to.deep.include({related: [{id: 's9', kind: 'server'}], state: undefined})
  })

  it('cinder and neutron: the rest of their families', () => {
    expect(interpret(msg('volume.detach.end', {status: 'available', volume_attachment: [], volume_id: 'v1'}))).to.deep.include({kind: 'entity', ref: {id: 'v1', kind: 'volume'}})
    expect(kindOf('volume.exists', {volume_id: 'v1'})).to.equal('ignored')
    expect(kindOf('snapshot.create.end')).to.equal('ignored')
    expect(interpret(msg('network.update.end', {network: {id: 'n1', name: 'x', status: 'DOWN'}}))).to.deep.include({kind: 'entity', ref: {id: 'n1', kind: 'network'}})
    expect(kindOf('network.create.start', {network: {name: 'x'}})).to.equal('ignored')
    expect(kindOf('subnet.create.end', {subnet: {}})).to.equal('ignored')
    expect(kindOf('port.update.end')).to.equal('ignored')
    expect(kindOf('network.update.end', {})).to.equal('malformed')
  })

  it('a payload whose known field has the wrong type is malformed, with the field named (never applied)', () => {
    const nova = (data: Record<string, unknown>, eventType = 'instance.update') => msg(eventType, {'nova_object.data': {power_state: 'running', state: 'active', task_state: null, tenant_id: 'p1', uuid: 's1', ...data}, 'nova_object.name': 'InstanceUpdatePayload'})
    const wrapped = (name: string, data: unknown) => ({'nova_object.data': data, 'nova_object.name': name})
    const cinder = (p: Record<string, unknown>, eventType = 'volume.attach.end') => msg(eventType, {status: 'in-use', tenant_id: 'p1', volume_attachment: [], volume_id: 'v1', ...p})
    const neutron = (n: Record<string, unknown>) => msg('network.update.end', {network: {id: 'n1', name: 'net', status: 'ACTIVE', ...n}})
    const cases: Array<[string, ReturnType<typeof msg>, RegExp]> = [
      ['state a number', nova({state: 42}), /'state'.*number/],
      ['state a number on an event whose payload is not used', nova({state: 42}, 'instance.live_migration_post.end'), /'state'/],
      ['task_state an object', nova({task_state: {}}), /'task_state'/],
      ['power_state a boolean', nova({power_state: true}), /'power_state'/],
      ['uuid a number', nova({uuid: 7}), /'uuid'/],
      ['tenant_id a list', nova({tenant_id: ['p1']}), /'tenant_id'/],
      ['display_name a number', nova({display_name: 3}), /'display_name'/],
      ['flavor a string', nova({flavor: 'm1.small'}), /'flavor'/],
      ['flavor.flavorid a number', nova({flavor: wrapped('FlavorPayload', {flavorid: 1, name: 'm1'})}), /'flavor\.flavorid'/],
      ['ip_addresses an object', nova({ip_addresses: {}}), /'ip_addresses'/],
      ['an ip address a number', nova({ip_addresses: [wrapped('IpPayload', {address: 10, label: 'net'})]}), /'ip_addresses\[0\]\.address'/],
      ['an ip item not an object', nova({ip_addresses: ['10.0.0.1']}), /'ip_addresses\[0\]'/],
      ['block_devices a string', nova({block_devices: 'none'}), /'block_devices'/],
      ['a block device volume_id null', nova({block_devices: [wrapped('BlockDevicePayload', {volume_id: null})]}), /'block_devices\[0\]\.volume_id'/],
      ['cinder status a number', cinder({status: 1}), /'status'/],
      ['cinder size a string', cinder({size: '1'}), /'size'/],
      ['cinder volume_attachment an object', cinder({volume_attachment: {}}), /'volume_attachment'/],
      ['cinder instance_uuid a number', cinder({volume_attachment: [{attach_status: 'attached', instance_uuid: 5}]}), /'volume_attachment\[0\]\.instance_uuid'/],
      ['cinder tenant_id a number', cinder({tenant_id: 9}, 'volume.create.end'), /'tenant_id'/],
      ['neutron status a number', neutron({status: 1}), /'network\.status'/],
      ['neutron admin_state_up a string', neutron({admin_state_up: 'true'}), /'network\.admin_state_up'/],
      ['neutron mtu a string', neutron({mtu: '1500'}), /'network\.mtu'/],
      ['neutron network a list', msg('network.update.end', {network: [{id: 'n1'}]}), /'network'/],
    ]
    for (const [name, m, reason] of cases) {
      const i = interpret(m)
      expect(i.kind, name).to.equal('malformed')
      if (i.kind === 'malformed') expect(i.reason, name).to.match(reason)
    }
    // Absent and null (where nova, cinder or neutron allow it) are fine: what a payload lacks is read.
    for (const m of [nova({block_devices: null, key_name: null, task_state: null}), nova({flavor: undefined, ip_addresses: undefined}), cinder({display_name: null, size: undefined}), neutron({mtu: null})]) {
      expect(interpret(m).kind).to.equal('entity')
    }
  })

  it('an event type no family handles is unknown', () => {
    expect(kindOf('image.upload')).to.equal('unknown')
    expect(kindOf('something.else.entirely')).to.equal('unknown')
  })

  it('maps vm_state and task_state to the API status like nova', () => {
    expect(novaApiStatus('active', null)).to.equal('ACTIVE')
    expect(novaApiStatus('active', 'rebooting')).to.equal('REBOOT')
    expect(novaApiStatus('active', 'resize_migrating')).to.equal('RESIZE')
    expect(novaApiStatus('stopped', 'resize_prep')).to.equal('RESIZE')
    expect(novaApiStatus('stopped', 'powering-on')).to.equal('SHUTOFF')
    expect(novaApiStatus('resized', null)).to.equal('VERIFY_RESIZE')
    expect(novaApiStatus('error', 'rebuilding')).to.equal('REBUILD')
    expect(novaApiStatus('shelved_offloaded', null)).to.equal('SHELVED_OFFLOADED')
    expect(novaApiStatus('weird', null)).to.equal('UNKNOWN')
  })
})

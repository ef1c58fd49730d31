import {expect} from 'chai'

import {decodeLegacyValue} from '../../../src/lib/concertim/legacy.js'
import {EMPTY_BASELINE} from '../../../src/lib/model/baseline.js'
import {NO_BILLING} from '../../../src/lib/model/billing.js'
import type {CloudState} from '../../../src/lib/model/cloud.js'
import type {ConcertimDevice, ConcertimRack, ConcertimState} from '../../../src/lib/model/concertim.js'
import type {Action, DeviceCreate, Plan, RackUpdate} from '../../../src/lib/model/plan.js'
import {desire} from '../../../src/lib/reconcile/desire.js'
import {plan} from '../../../src/lib/reconcile/plan.js'
import {basicCloud, cloud, concertim, network, server, stack, summary, sync, type SyncOutcome, volume} from './world.js'

const writes = (p: Plan): Action[] => p.actions.filter((a) => a.failed === undefined && a.blocked === undefined)

function withCloud(c: CloudState, change: (c: CloudState) => Partial<CloudState>): CloudState {
  return {...c, ...change(c)}
}

/** First sync on an empty Concertim, then a second sync to settle, returning the settled outcome. */
function settled(c: CloudState): SyncOutcome {
  const first = sync(c, concertim())
  const second = sync(c, first.state, first.baseline)
  expect(summary(second.plan)).to.deep.equal([])
  return second
}

describe('reconcile/plan', () => {
  describe('first and second sync', () => {
    it('the first sync creates exactly the templates, the rack and the devices, in order', () => {
      const {plan: p} = sync(basicCloud(), concertim())
      expect(summary(p)).to.deep.equal([
        'create template template:large',
        'create template template:small',
        'create rack rack:st1',
        'create device device:n1',
        'create device device:s1',
        'create device device:s2',
        'create device device:v1',
      ])
      const rack = p.actions[2]
      expect(rack.kind === 'create' && rack.object === 'rack' && rack.body).to.deep.include({
        name: 'stack-st1',
        order_id: 'concertim-os:stack:st1',
        status: 'ACTIVE',
        team_id: 'team-1',
        u_height: 42,
      })
      const s2 = p.actions.find((a) => a.key === 'device:s2') as DeviceCreate
      expect(s2.refs).to.deep.equal({rack: 'rack:st1', template: 'template:large'})
      expect(s2.body?.details).to.deep.equal({private_ips: '10.0.0.5', public_ips: '172.24.4.10', ssh_key: 'key-1', volume_details: ['v1']})
      expect(s2.body?.metadata).to.deep.equal({net_interfaces: ['private'], openstack_instance_id: 's2', openstack_stack_id: 'st1'})
      expect(s2.body?.status).to.equal('ACTIVE')
      const n1 = p.actions.find((a) => a.key === 'device:n1') as DeviceCreate
      expect(n1.body?.template_id).to.equal('tpl-network')
      expect(n1.body?.location.start_u).to.equal(42)
      const v1 = p.actions.find((a) => a.key === 'device:v1') as DeviceCreate
      expect(v1.body?.details).to.deep.equal({availability_zone: 'nova', bootable: false, encrypted: false, size: 10, volume_type: '__DEFAULT__'})
      expect(v1.body?.status).to.equal('ACTIVE')
    })

    it('new devices never overlap: instances and volumes from the bottom, networks from the top', () => {
      const {state} = sync(basicCloud(), concertim())
      const spans = state.devices.map((d) => [d.location?.startU ?? 0, d.location?.endU ?? 0, d.type] as const)
      expect(spans).to.deep.include.members([
        [1, 2, 'Instance'], // s1: small, 2 vCPU → 2U
        [3, 7 - 1, 'Instance'], // s2: large, 8 vCPU → 4U
        [7, 8, 'Volume'],
        [42, 42, 'Network'],
      ])
    })

    it('the second sync (first applied) is empty: zero writes', () => {
      const first = sync(basicCloud(), concertim())
      const second = sync(basicCloud(), first.state, first.baseline)
      expect(second.plan.actions).to.deep.equal([])
      expect(Object.keys(second.plan.observed)).to.have.length(first.plan.actions.length)
    })

    it('is deterministic: the same inputs give the same plan', () => {
      const a = plan(desire(basicCloud(), concertim(), NO_BILLING), concertim(), EMPTY_BASELINE)
      const b = plan(desire(basicCloud(), concertim(), NO_BILLING), concertim(), EMPTY_BASELINE)
      expect(JSON.stringify(a)).to.equal(JSON.stringify(b))
    })

    it('a stack of a project not linked to a team gives nothing', () => {
      const c = cloud({servers: [server('s1', {projectId: 'other'})], stacks: [stack('st1', {servers: ['s1']}, {projectId: 'other'})]})
      expect(summary(sync(c, concertim()).plan)).to.deep.equal(['create template template:large', 'create template template:small'])
    })
  })

  describe('each change gives only the needed actions', () => {
    const base = settled(basicCloud())
    const table: {change: (c: CloudState) => Partial<CloudState>; expect: string[]; fields?: Record<string, unknown>; name: string}[] = [
      {
        change: (c) => ({servers: c.servers.map((s) => (s.id === 's1' ? {...s, status: 'SHUTOFF', vmState: 'stopped'} : s))}),
        expect: ['update device device:s1'],
        fields: {status: 'STOPPED'},
        name: 'server stopped',
      },
      {
        change: (c) => ({servers: c.servers.map((s) => (s.id === 's1' ? {...s, vmState: 'suspended'} : s))}),
        expect: ['update device device:s1'],
        fields: {status: 'SUSPENDED'},
        name: 'server suspended',
      },
      {
        change: (c) => ({servers: c.servers.map((s) => (s.id === 's1' ? {...s, vmState: 'error'} : s))}),
        expect: ['update device device:s1'],
        fields: {status: 'FAILED'},
        name: 'server errored',
      },
      {
        change: (c) => ({servers: c.servers.map((s) => (s.id === 's1' ? {...s, vmState: 'resized'} : s))}),
        expect: [],
        name: 'server resized (awaiting confirm) stays ACTIVE',
      },
      {
        change: (c) => ({servers: c.servers.map((s) => (s.id === 's1' ? {...s, floatingIps: ['172.24.4.99']} : s))}),
        expect: ['update device device:s1'],
        fields: {details: {public_ips: '172.24.4.99'}},
        name: 'floating IP added',
      },
      {
        change: (c) => ({servers: c.servers.map((s) => (s.id === 's1' ? {...s, name: 'renamed'} : s))}),
        expect: ['update device device:s1'],
        fields: {name: 'renamed'},
        name: 'server renamed',
      },
      {
        change: (c) => ({stacks: c.stacks.map((s) => ({...s, status: 'UPDATE_IN_PROGRESS', statusReason: 'Stack UPDATE started'}))}),
        expect: ['update rack rack:st1'],
        fields: {status: 'IN_PROGRESS'},
        name: 'stack updating',
      },
      {
        change: (c) => ({stacks: c.stacks.map((s) => ({...s, status: 'UPDATE_COMPLETE'}))}),
        expect: [],
        name: 'stack updated (same reason, still ACTIVE): nothing to write',
      },
      {
        change: (c) => ({volumes: c.volumes.map((v) => ({...v, size: 20}))}),
        expect: ['update device device:v1'],
        fields: {details: {size: 20}},
        name: 'volume extended',
      },
      {
        change: (c) => ({networks: c.networks.map((n) => ({...n, status: 'DOWN'}))}),
        expect: ['update device device:n1'],
        fields: {status: 'STOPPED'},
        name: 'network down',
      },
      {
        change: (c) => ({
          stacks: c.stacks.map((s) => ({...s, resources: {...s.resources, volumes: ['v1', 'v2']}})),
          volumes: [...c.volumes, volume('v2')],
        }),
        expect: ['create device device:v2'],
        name: 'volume added',
      },
      {
        change: (c) => ({
          networks: [...c.networks, network('n2')],
          stacks: c.stacks.map((s) => ({...s, resources: {...s.resources, networks: ['n1', 'n2']}})),
        }),
        expect: ['create device device:n2'],
        name: 'network added',
      },
      {
        change: (c) => ({
          servers: [...c.servers, server('s3', {projectId: 'proj-1'})],
          stacks: [...c.stacks, stack('st2', {servers: ['s3']})],
        }),
        expect: ['create rack rack:st2', 'create device device:s3'],
        name: 'stack added',
      },
      {
        change: (c) => ({flavors: c.flavors.map((f) => (f.id === 'small' ? {...f, ram: 4096} : f))}),
        expect: ['update template template:small'],
        fields: {ram: 4096},
        name: 'flavor ram changed',
      },
    ]
    for (const row of table) {
      it(row.name, () => {
        const {plan: p} = sync(withCloud(basicCloud(), row.change), base.state, base.baseline)
        expect(summary(p)).to.deep.equal(row.expect)
        if (row.fields !== undefined) expect(p.actions[0].body).to.deep.include(row.fields)
      })
    }

    it('an update sends only the owned fields that changed', () => {
      const {plan: p} = sync(withCloud(basicCloud(), table[0].change), base.state, base.baseline)
      expect(p.actions[0].body).to.deep.equal({status: 'STOPPED'})
      expect(p.actions[0].changes).to.deep.equal({status: {from: 'ACTIVE', to: 'STOPPED'}})
    })

    it('a metadata change sends the whole metadata, keeping keys we do not own', () => {
      const state: ConcertimState = {
        ...base.state,
        racks: base.state.racks.map((r) => ({...r, metadata: {...r.metadata, operator_note: 'keep me'}})),
      }
      const c = withCloud(basicCloud(), (x) => ({stacks: x.stacks.map((s) => ({...s, statusReason: 'Stack UPDATE completed'}))}))
      const {plan: p} = sync(c, state, base.baseline)
      expect(summary(p)).to.deep.equal(['update rack rack:st1'])
      const md = (p.actions[0] as RackUpdate).body?.metadata
      expect(md).to.include({operator_note: 'keep me', stack_status_reason: 'Stack UPDATE completed'})
    })

    it('never blanks net_interfaces on devices where we do not compute it', () => {
      const state: ConcertimState = {
        ...base.state,
        devices: base.state.devices.map((d) => (d.type === 'Volume' ? {...d, metadata: {...d.metadata, net_interfaces: "['x']"}} : d)),
      }
      const c = withCloud(basicCloud(), (x) => ({volumes: x.volumes.map((v) => ({...v, status: 'available'}))}))
      const {plan: p} = sync(c, state, base.baseline)
      expect(summary(p)).to.deep.equal(['update device device:v1'])
      expect(p.actions[0].body).to.deep.equal({status: 'AVAILABLE'})
    })

    it('names a Concertim edit of an owned field as such, and restores it', () => {
      const state: ConcertimState = {...base.state, devices: base.state.devices.map((d) => (d.name === 'vm-s1' ? {...d, status: 'FAILED'} : d))}
      const {plan: p} = sync(basicCloud(), state, base.baseline)
      expect(summary(p)).to.deep.equal(['update device device:s1'])
      expect(p.actions[0].reason).to.match(/edited in Concertim/)
    })
  })

  describe('deletion safety', () => {
    const base = settled(basicCloud())
    const noS1 = withCloud(basicCloud(), (c) => ({
      servers: c.servers.filter((s) => s.id !== 's1'),
      stacks: c.stacks.map((s) => ({...s, resources: {...s.resources, servers: ['s2']}})),
    }))

    it('a deleted server is not deleted on the first miss: blocked, and pending confirmation', () => {
      const {plan: p} = sync(noS1, base.state, base.baseline)
      expect(summary(p)).to.deep.equal(['delete device device:s1 BLOCKED:unconfirmed'])
      expect(p.pendingConfirmations).to.deep.equal([{cloudId: 's1', cloudKind: 'server', key: 'device:s1'}])
    })

    it('a deleted server is deleted when a direct GET confirmed the 404', () => {
      const {plan: p} = sync(noS1, base.state, base.baseline, {plan: {confirmedGone: new Set(['s1'])}})
      expect(summary(p)).to.deep.equal(['delete device device:s1'])
    })

    it('a deleted server whose GET cannot tell is deleted on the second consecutive complete miss', () => {
      const unknown = new Map([['s1', 'unknown' as const]])
      const first = sync(noS1, base.state, base.baseline, {plan: {direct: unknown}})
      expect(summary(first.plan)).to.deep.equal(['delete device device:s1 BLOCKED:unconfirmed'])
      expect(first.baseline.entries['device:s1'].misses).to.equal(1)
      // Unasked, the second miss still waits for the GET...
      const asking = sync(noS1, first.state, first.baseline)
      expect(summary(asking.plan)).to.deep.equal(['delete device device:s1 BLOCKED:unconfirmed'])
      expect(asking.plan.pendingConfirmations).to.have.length(1)
      // ...which, unable to tell again, lets the second complete miss delete it.
      const second = sync(noS1, first.state, first.baseline, {plan: {direct: unknown}})
      expect(summary(second.plan)).to.deep.equal(['delete device device:s1'])
      const third = sync(noS1, second.state, second.baseline)
      expect(third.plan.actions).to.deep.equal([])
      expect(third.baseline.entries).to.not.have.property('device:s1')
    })

    it('a miss followed by a sighting resets the count', () => {
      const first = sync(noS1, base.state, base.baseline)
      const back = sync(basicCloud(), first.state, first.baseline)
      expect(back.baseline.entries['device:s1'].misses).to.equal(0)
      const again = sync(noS1, back.state, back.baseline)
      expect(summary(again.plan)).to.deep.equal(['delete device device:s1 BLOCKED:unconfirmed'])
    })

    it('a deleted stack deletes its rack (recursively) once confirmed, not its devices one by one', () => {
      const gone = cloud({flavors: basicCloud().flavors})
      const {plan: p} = sync(gone, base.state, base.baseline, {plan: {confirmedGone: new Set(['st1'])}})
      expect(summary(p)).to.deep.equal(['delete rack rack:st1'])
      expect(p.actions[0].reason).to.match(/4 device/)
    })

    it('an incomplete listing deletes nothing, with the reason', () => {
      const c = {...noS1, complete: {...noS1.complete, servers: false}}
      const {plan: p, baseline} = sync(c, base.state, base.baseline, {plan: {confirmedGone: new Set(['s1'])}})
      expect(summary(p)).to.deep.equal(['delete device device:s1 BLOCKED:incomplete'])
      expect(p.actions[0].blocked?.message).to.match(/servers listing was incomplete/)
      expect(baseline.entries['device:s1'].misses, 'an incomplete listing is not a miss').to.equal(0)
    })

    it('a partial (down-cell) server record blocks every server delete, and its own device is kept', () => {
      const c = withCloud(noS1, (x) => ({servers: [...x.servers.map((s) => (s.id === 's2' ? {...s, partial: true} : s))]}))
      const {plan: p} = sync(c, base.state, base.baseline, {plan: {confirmedGone: new Set(['s1'])}})
      expect(summary(p)).to.deep.equal(['delete device device:s1 BLOCKED:incomplete'])
      expect(p.kept).to.deep.equal(['device:s2'])
    })

    it('an incomplete stack listing deletes no rack', () => {
      const c = {...cloud({flavors: basicCloud().flavors}), complete: {...basicCloud().complete, stacks: false}}
      const {plan: p} = sync(c, base.state, base.baseline, {plan: {confirmedGone: new Set(['st1'])}})
      expect(summary(p)).to.deep.equal([
        'delete device device:n1 BLOCKED:incomplete',
        'delete device device:s1 BLOCKED:incomplete',
        'delete device device:s2 BLOCKED:incomplete',
        'delete device device:v1 BLOCKED:incomplete',
        'delete rack rack:st1 BLOCKED:incomplete',
      ])
    })

    it('a stack whose resources could not all be listed loses no device', () => {
      const c = withCloud(noS1, (x) => ({stacks: x.stacks.map((s) => ({...s, resourcesComplete: false}))}))
      const {plan: p} = sync(c, base.state, base.baseline, {plan: {confirmedGone: new Set(['s1'])}})
      expect(summary(p)).to.deep.equal(['delete device device:s1 BLOCKED:incomplete'])
    })

    it('hand-made racks and devices are never touched', () => {
      const handRack: ConcertimRack = {creationOutput: null, id: 'hand-rack', metadata: {}, name: 'my-rack', orderId: 'o-hand', status: 'ACTIVE', teamId: 'team-1', uHeight: 42}
      const handDevice = (id: string, rackId: string, u: number): ConcertimDevice => ({
        description: null,
        details: {},
        id,
        location: {endU: u, facing: 'f', startU: u},
        metadata: {note: 'by hand'},
        name: `hand-${id}`,
        rackId,
        status: 'ACTIVE',
        templateId: 'tpl-network',
        type: 'Network',
      })
      const rackId = base.state.racks[0].id
      const state: ConcertimState = {
        ...base.state,
        devices: [...base.state.devices, handDevice('h1', 'hand-rack', 1), handDevice('h2', rackId, 30)],
        racks: [...base.state.racks, handRack],
      }
      const {plan: p} = sync(basicCloud(), state, base.baseline)
      expect(p.actions).to.deep.equal([])
      // Even when the stack is confirmed gone, a rack with a hand-made device in it is not deleted.
      const gone = sync(cloud({flavors: basicCloud().flavors}), state, base.baseline, {plan: {confirmedGone: new Set(['st1'])}})
      expect(summary(gone.plan)).to.deep.equal([
        'delete device device:n1 BLOCKED:unconfirmed',
        'delete device device:s1 BLOCKED:unconfirmed',
        'delete device device:s2 BLOCKED:unconfirmed',
        'delete device device:v1 BLOCKED:unconfirmed',
        'delete rack rack:st1 BLOCKED:unmanaged-contents',
      ])
      // Our devices in it whose objects are gone go; the rack stays for the hand-made one.
      const confirmed = sync(cloud({flavors: basicCloud().flavors}), state, base.baseline, {plan: {confirmedGone: new Set(['st1', 's1', 's2', 'v1', 'n1'])}})
      expect(summary(confirmed.plan)).to.deep.equal([
        'delete device device:n1',
        'delete device device:s1',
        'delete device device:s2',
        'delete device device:v1',
        'delete rack rack:st1 BLOCKED:unmanaged-contents',
      ])
      expect(confirmed.state.devices.map((d) => d.id)).to.include.members(['h1', 'h2'])
    })

    it('more deletes than the cap: all blocked, and the plan says so', () => {
      const stacks = Array.from({length: 8}, (_, i) => stack(`st${i}`, {servers: [`s${i}`]}))
      const servers = stacks.map((_, i) => server(`s${i}`))
      const many = settled(cloud({servers, stacks}))
      const gone = new Set(stacks.map((s) => s.id))
      const {plan: p} = sync(cloud(), many.state, many.baseline, {plan: {confirmedGone: gone}})
      expect(p.maxDeletes).to.equal(5)
      expect(p.deletionCapExceeded).to.equal(true)
      expect(summary(p)).to.have.length(8)
      for (const a of p.actions) expect(a.blocked?.code).to.equal('cap')
      expect(writes(p)).to.deep.equal([])
      const allowed = sync(cloud(), many.state, many.baseline, {plan: {allowMassDelete: true, confirmedGone: gone}})
      expect(writes(allowed.plan)).to.have.length(8)
      const raised = plan(desire(cloud(), many.state, NO_BILLING), many.state, many.baseline, {confirmedGone: gone, maxDeletes: 8})
      expect(raised.deletionCapExceeded).to.equal(false)
      expect(writes(raised)).to.have.length(8)
    })

    it('a direct GET that finds the object stops the deletion, resets its misses and marks the listing inconsistent', () => {
      const first = sync(noS1, base.state, base.baseline, {plan: {direct: new Map([['s1', 'unknown' as const]])}})
      expect(first.baseline.entries['device:s1'].misses).to.equal(1)
      const found = sync(noS1, first.state, first.baseline, {plan: {direct: new Map([['s1', 'exists' as const]])}})
      expect(summary(found.plan)).to.deep.equal(['delete device device:s1 BLOCKED:exists'])
      expect(found.baseline.entries['device:s1'].misses, 'exists resets the misses').to.equal(0)
      expect(found.plan.inconsistencies).to.have.length(1)
      expect(found.plan.inconsistencies[0]).to.match(/nova server listing missed 1 object.*s1/)
      // and the next sync is a first miss again, not a second
      const next = sync(noS1, found.state, found.baseline, {plan: {direct: new Map([['s1', 'unknown' as const]])}})
      expect(summary(next.plan)).to.deep.equal(['delete device device:s1 BLOCKED:unconfirmed'])
    })

    it('a listing a GET proved wrong deletes only on a 404, and counts no miss', () => {
      const noS1S2 = withCloud(basicCloud(), (c) => ({servers: [], stacks: c.stacks.map((s) => ({...s, resources: {...s.resources, servers: []}}))}))
      const first = sync(noS1S2, base.state, base.baseline, {plan: {direct: new Map([['s1', 'unknown' as const], ['s2', 'unknown' as const]])}})
      const {plan: p, baseline} = sync(noS1S2, first.state, first.baseline, {plan: {direct: new Map([['s1', 'exists' as const], ['s2', 'unknown' as const]])}})
      expect(summary(p)).to.deep.equal(['delete device device:s1 BLOCKED:exists', 'delete device device:s2 BLOCKED:incomplete'])
      expect(baseline.entries['device:s2'].misses).to.equal(1)
      const q = plan(desire(noS1S2, first.state, NO_BILLING), first.state, first.baseline, {direct: new Map([['s1', 'exists' as const], ['s2', 'gone' as const]])})
      expect(summary(q)).to.deep.equal(['delete device device:s1 BLOCKED:exists', 'delete device device:s2'])
    })

    it('an object the cloud still lists is never deleted, even when no stack shows it any more', () => {
      // s1 is listed by nova but no stack's resources name it (nested deeper, another project's stack…).
      const hidden = withCloud(basicCloud(), (c) => ({stacks: c.stacks.map((s) => ({...s, resources: {...s.resources, servers: ['s2']}}))}))
      const {plan: p, baseline} = sync(hidden, base.state, base.baseline, {plan: {confirmedGone: new Set(['s1'])}})
      expect(summary(p)).to.deep.equal(['delete device device:s1 BLOCKED:exists'])
      expect(p.pendingConfirmations).to.deep.equal([])
      expect(p.inconsistencies).to.deep.equal([])
      expect(baseline.entries['device:s1'].misses).to.equal(0)
    })

    it('a token not proven to see every project deletes nothing, in sync or in listen', () => {
      const {plan: p} = sync(noS1, base.state, base.baseline, {plan: {confirmedGone: new Set(['s1']), seesAllProjects: false}})
      expect(summary(p)).to.deep.equal(['delete device device:s1 BLOCKED:visibility'])
      const gone = withCloud(basicCloud(), () => ({networks: [], servers: [], volumes: []}))
      const q = sync(gone, base.state, base.baseline, {plan: {confirmedGone: new Set(['s2']), scope: {id: 's2', kind: 'server'}, seesAllProjects: false}})
      expect(summary(q.plan)).to.deep.equal(['delete device device:s2 BLOCKED:visibility'])
    })

    it('one-entity reconciles never count a miss (only a complete full sync does)', () => {
      const gone = withCloud(basicCloud(), () => ({networks: [], servers: [], volumes: []}))
      let outcome = {baseline: base.baseline, state: base.state}
      for (let i = 0; i < 3; i++) {
        outcome = sync(gone, outcome.state, outcome.baseline, {plan: {direct: new Map([['s2', 'unknown' as const]]), scope: {id: 's2', kind: 'server'}}})
        expect(outcome.baseline.entries['device:s2'].misses).to.equal(0)
      }
      const q = sync(gone, outcome.state, outcome.baseline, {plan: {direct: new Map([['s2', 'unknown' as const]]), scope: {id: 's2', kind: 'server'}}})
      expect(summary(q.plan)).to.deep.equal(['delete device device:s2 BLOCKED:unconfirmed'])
    })

    it("a stack's devices wait for its GET before any of theirs is asked; a rack that stays has them asked", () => {
      const gone = cloud({flavors: basicCloud().flavors})
      const {plan: p} = sync(gone, base.state, base.baseline)
      expect(p.pendingConfirmations).to.deep.equal([{cloudId: 'st1', cloudKind: 'stack', key: 'rack:st1'}])
      const stays = sync(gone, base.state, base.baseline, {plan: {direct: new Map([['st1', 'exists' as const]])}})
      expect(stays.plan.pendingConfirmations.map((c) => c.cloudId).sort()).to.deep.equal(['n1', 's1', 's2', 'v1'])
    })

    it("a team's stand-alone rack goes in the same sync as its last device (no second sync)", () => {
      const lone = cloud({flavors: basicCloud().flavors, servers: [server('s9')]})
      const opts = {desire: {standaloneServers: 'team_rack' as const}}
      const first = sync(lone, concertim(), undefined, opts)
      const settledLone = sync(lone, first.state, first.baseline, opts)
      expect(summary(settledLone.plan)).to.deep.equal([])
      const empty = cloud({flavors: basicCloud().flavors})
      const asks = sync(empty, settledLone.state, settledLone.baseline, opts)
      expect(summary(asks.plan)).to.deep.equal(['delete device device:s9 BLOCKED:unconfirmed', 'delete rack rack:project:proj-1 BLOCKED:unconfirmed'])
      const {plan: p} = sync(empty, settledLone.state, settledLone.baseline, {...opts, plan: {confirmedGone: new Set(['s9'])}})
      expect(summary(p)).to.deep.equal(['delete device device:s9', 'delete rack rack:project:proj-1'])
    })

    it('a scoped reconcile (listen) deletes nothing outside its scope', () => {
      // The event is about server s2 only: observe put only s2 (and its stack) into the cloud state.
      const c = withCloud(basicCloud(), (x) => ({networks: [], servers: x.servers.filter((s) => s.id === 's2'), volumes: []}))
      const {plan: p} = sync(c, base.state, base.baseline, {plan: {confirmedGone: new Set(['s1', 'n1', 'v1']), scope: {id: 's2', kind: 'server'}}})
      expect(p.actions).to.deep.equal([])
      const gone = withCloud(basicCloud(), (x) => ({networks: [], servers: x.servers.filter((s) => s.id === 's1'), volumes: []}))
      const q = sync(gone, base.state, base.baseline, {plan: {confirmedGone: new Set(['s2']), scope: {id: 's2', kind: 'server'}}})
      expect(summary(q.plan)).to.deep.equal(['delete device device:s2'])
    })
  })

  describe('legacy values written by the original service', () => {
    it('Python-repr values equal to ours are recognised as equal (zero writes)', () => {
      const base = settled(basicCloud())
      const legacy: ConcertimState = {
        ...base.state,
        devices: base.state.devices.map((d) => {
          if (d.type !== 'Instance') return d
          return {
            ...d,
            details: {
              ...d.details,
              private_ips: "['10.0.0.5']",
              public_ips: d.details.public_ips === '' ? '[]' : `['${String(d.details.public_ips)}']`,
              volume_details: d.name === 'vm-s2' ? "['v1']" : '[]',
            },
            metadata: {...d.metadata, net_interfaces: "['private']"},
          }
        }),
        racks: base.state.racks.map((r) => ({
          ...r,
          metadata: {
            ...r.metadata,
            openstack_stack_output: "[('ip', {'output_key': 'ip', 'output_value': '10.0.0.5', 'description': 'the IP'})]",
          },
        })),
      }
      const {plan: p} = sync(basicCloud(), legacy, EMPTY_BASELINE, {plan: {decode: decodeLegacyValue}})
      expect(summary(p)).to.deep.equal([])
      // Without the decoder, they differ: the test can fail.
      const raw = sync(basicCloud(), legacy, EMPTY_BASELINE)
      expect(summary(raw.plan)).to.include('update rack rack:st1')
    })

    it('legacy "None", "True" and numbers as strings are recognised', () => {
      const base = settled(basicCloud())
      const legacy: ConcertimState = {
        ...base.state,
        devices: base.state.devices.map((d) => (d.type === 'Network' ? {...d, details: {...d.details, admin_state_up: 'True', mtu: '1450', shared: 'False'}} : d)),
      }
      expect(sync(basicCloud(), legacy, EMPTY_BASELINE, {plan: {decode: decodeLegacyValue}}).plan.actions).to.deep.equal([])
    })

    it('legacy device names (dots and underscores made hyphens) are kept, not renamed', () => {
      const c = cloud({servers: [server('s1', {name: 'web.node_1'})], stacks: [stack('st1', {servers: ['s1']})]})
      const first = sync(c, concertim())
      const legacy = {...first.state, devices: first.state.devices.map((d) => ({...d, name: 'web-node-1'}))}
      expect(sync(c, legacy, EMPTY_BASELINE).plan.actions).to.deep.equal([])
    })

    it('a legacy rack with order_id "None" gets its deterministic order id', () => {
      const base = settled(basicCloud())
      const legacy = {...base.state, racks: base.state.racks.map((r) => ({...r, orderId: 'None'}))}
      const {plan: p} = sync(basicCloud(), legacy, base.baseline)
      expect(summary(p)).to.deep.equal(['update rack rack:st1'])
      expect(p.actions[0].body).to.deep.equal({order_id: 'concertim-os:stack:st1'})
    })
  })

  describe('placement and rack growth', () => {
    it('a rack that is too small grows first: the rack update comes before the device create', () => {
      const base = settled(basicCloud())
      const small: ConcertimState = {...base.state, racks: base.state.racks.map((r) => ({...r, uHeight: 8}))}
      // Move the network device down so that the rack (8 U) holds everything: 1-2, 3-6, 7-8 and the network…
      const fitted = {...small, devices: small.devices.map((d) => (d.type === 'Network' ? {...d, location: {endU: 9, facing: 'f' as const, startU: 9}} : d))}
      const c = withCloud(basicCloud(), (x) => ({servers: [...x.servers, server('s3')], stacks: x.stacks.map((s) => ({...s, resources: {...s.resources, servers: ['s1', 's2', 's3']}}))}))
      const {plan: p, state} = sync(c, {...fitted, racks: fitted.racks.map((r) => ({...r, uHeight: 9}))}, base.baseline)
      expect(summary(p)).to.deep.equal(['update rack rack:st1', 'create device device:s3'])
      expect(p.actions[0].body).to.deep.equal({u_height: 11})
      const s3 = state.devices.find((d) => d.name === 'vm-s3')
      expect(s3?.location).to.deep.equal({endU: 11, facing: 'f', startU: 10})
    })

    it('a new rack is created tall enough for its devices', () => {
      const servers = Array.from({length: 12}, (_, i) => server(`s${String(i).padStart(2, '0')}`, {flavorId: 'large'}))
      const c = cloud({servers, stacks: [stack('big', {servers: servers.map((s) => s.id)})]})
      const {plan: p} = sync(c, concertim())
      const rack = p.actions.find((a) => a.object === 'rack')
      expect(rack?.body).to.deep.include({u_height: 48})
    })

    it('a device that fits nowhere (even at 72 U) is a failed action, not a device without a place', () => {
      const servers = Array.from({length: 19}, (_, i) => server(`s${String(i).padStart(2, '0')}`, {flavorId: 'large'}))
      const c = cloud({servers, stacks: [stack('big', {servers: servers.map((s) => s.id)})]})
      const {plan: p} = sync(c, concertim())
      const failed = p.actions.filter((a) => a.failed !== undefined)
      expect(failed.map((a) => a.key)).to.deep.equal(['device:s18'])
      expect(failed[0].failed).to.match(/full even at 72 U/)
      expect(failed[0].body).to.equal(null)
      expect(p.actions.find((a) => a.object === 'rack')?.body).to.deep.include({u_height: 72})
    })

    it('a device without a valid location is moved to a free place', () => {
      const base = settled(basicCloud())
      const broken = {...base.state, devices: base.state.devices.map((d) => (d.name === 'vm-s1' ? {...d, location: null} : d))}
      const {plan: p} = sync(basicCloud(), broken, base.baseline)
      expect(summary(p)).to.deep.equal(['update device device:s1'])
      expect(p.actions[0].body).to.deep.equal({location: {facing: 'f', start_u: 1}})
    })
  })

  describe('naming collisions', () => {
    it('two servers with the same name in one stack get distinct device names', () => {
      const c = cloud({servers: [server('a', {name: 'web'}), server('b', {name: 'web'}), server('c', {name: 'web_1'})], stacks: [stack('st1', {servers: ['a', 'b', 'c']})]})
      const {state} = sync(c, concertim())
      expect(state.devices.map((d) => d.name).sort()).to.deep.equal(['web', 'web-1', 'web-2'])
    })

    it('a hand-made device already using the name is not renamed; ours gets a suffix', () => {
      const base = settled(cloud({stacks: [stack('st1')]}))
      const rackId = base.state.racks[0].id
      const hand: ConcertimDevice = {description: null, details: {}, id: 'h', location: {endU: 20, facing: 'f', startU: 20}, metadata: {}, name: 'web', rackId, status: 'ACTIVE', templateId: 'tpl-network', type: 'Network'}
      const c = cloud({servers: [server('a', {name: 'web'})], stacks: [stack('st1', {servers: ['a']})]})
      const {plan: p} = sync(c, {...base.state, devices: [hand]}, base.baseline)
      expect(summary(p)).to.deep.equal(['create device device:a'])
      expect((p.actions[0] as DeviceCreate).body?.name).to.equal('web-2')
    })

    it('two stacks with names equal once made valid get distinct rack names in one team', () => {
      const c = cloud({stacks: [stack('a', {}, {name: 'my.stack'}), stack('b', {}, {name: 'my-stack'})]})
      const {state} = sync(c, concertim())
      expect(state.racks.map((r) => r.name).sort()).to.deep.equal(['my-stack', 'my-stack-2'])
      expect(sync(c, state).plan.actions).to.deep.equal([])
    })

    it('a flavor named like an existing template gets a unique template name', () => {
      const c = cloud({flavors: [{disk: 1, id: 'f1', name: 'volume', ram: 1, vcpus: 1}]})
      const {plan: p} = sync(c, concertim())
      expect(p.actions[0].body).to.deep.include({name: 'volume-2'})
    })
  })

  describe('templates', () => {
    it('a height change is reported, not sent (Concertim cannot change it)', () => {
      const base = settled(basicCloud())
      const c = withCloud(basicCloud(), (x) => ({flavors: x.flavors.map((f) => (f.id === 'small' ? {...f, vcpus: 4} : f))}))
      const {plan: p} = sync(c, base.state, base.baseline)
      expect(summary(p)).to.deep.equal(['update template template:small'])
      expect(p.actions[0].body).to.deep.equal({vcpus: 4})
      expect(p.notices.map((n) => n.message).join('\n')).to.match(/cannot change a template's height/)
    })

    it('a server whose flavor is unknown gives a failed action, the rest goes on', () => {
      const c = cloud({servers: [server('a', {flavorId: 'gone'}), server('b')], stacks: [stack('st1', {servers: ['a', 'b']})]})
      const {plan: p} = sync(c, concertim())
      expect(summary(p)).to.include('create device device:a FAILED')
      expect(summary(p)).to.include('create device device:b')
    })

    it('a missing volume template gives a clear failed action, not a crash', () => {
      const c = cloud({stacks: [stack('st1', {volumes: ['v1']})], volumes: [volume('v1')]})
      const {plan: p} = sync(c, concertim({templates: []}))
      const v = p.actions.find((a) => a.key === 'device:v1')
      expect(v?.failed).to.match(/no template tagged 'volume'/)
    })
  })

  describe('billing', () => {
    it('the order id comes from the Kill Bill subscription tagged with the stack', () => {
      const billing = {enabled: true, subscriptionsByStack: new Map([['st1', ['sub-1']]])}
      const {plan: p} = sync(basicCloud(), concertim(), EMPTY_BASELINE, {billing})
      expect(p.actions.find((a) => a.object === 'rack')?.body).to.deep.include({order_id: 'sub-1'})
    })

    it('an order tagged later replaces the deterministic one', () => {
      const base = settled(basicCloud())
      const billing = {enabled: true, subscriptionsByStack: new Map([['st1', ['sub-1']]])}
      const {plan: p} = sync(basicCloud(), base.state, base.baseline, {billing})
      expect(summary(p)).to.deep.equal(['update rack rack:st1'])
      expect(p.actions[0].body).to.deep.equal({order_id: 'sub-1'})
    })

    it('several subscriptions for one stack fail that rack only', () => {
      const c = withCloud(basicCloud(), (x) => ({servers: [...x.servers, server('s9')], stacks: [...x.stacks, stack('st2', {servers: ['s9']})]}))
      const billing = {enabled: true, subscriptionsByStack: new Map([['st1', ['sub-1', 'sub-2']]])}
      const {plan: p} = sync(c, concertim(), EMPTY_BASELINE, {billing})
      expect(summary(p).filter((s) => s.includes('FAILED'))).to.deep.equal([
        'create rack rack:st1 FAILED',
        'create device device:n1 FAILED',
        'create device device:s1 FAILED',
        'create device device:s2 FAILED',
        'create device device:v1 FAILED',
      ])
      expect(summary(p)).to.include('create rack rack:st2')
      expect(summary(p)).to.include('create device device:s9')
    })
  })

  describe('options', () => {
    it('requireCmPrefix: no new rack for a stack whose owner is not CM_', () => {
      const c = cloud({servers: [server('s1')], stacks: [stack('st1', {servers: ['s1']}, {owner: 'admin'})]})
      const {plan: p} = sync(c, concertim(), EMPTY_BASELINE, {desire: {requireCmPrefix: true}})
      expect(summary(p).filter((s) => !s.includes('template'))).to.deep.equal([])
      expect(summary(sync(c, concertim()).plan)).to.include('create rack rack:st1')
    })

    it('standaloneServers team_rack: one rack per team for servers in no stack, stable', () => {
      const c = cloud({servers: [server('lone')]})
      expect(summary(sync(c, concertim()).plan).filter((s) => !s.includes('template'))).to.deep.equal([])
      const first = sync(c, concertim(), EMPTY_BASELINE, {desire: {standaloneServers: 'team_rack'}})
      expect(summary(first.plan).filter((s) => !s.includes('template'))).to.deep.equal(['create rack rack:project:proj-1', 'create device device:lone'])
      const rack = first.plan.actions.find((a) => a.object === 'rack')
      expect(rack?.body).to.deep.include({name: 'Team-One-servers', order_id: 'concertim-os:project:proj-1'})
      const second = sync(c, first.state, first.baseline, {desire: {standaloneServers: 'team_rack'}})
      expect(second.plan.actions).to.deep.equal([])
    })
  })

  describe('a stack Heat is building (standaloneServers team_rack)', () => {
    const team = {desire: {standaloneServers: 'team_rack' as const}}
    const lone = server('lone')
    const cases: Array<{cloud: Partial<CloudState>; name: string; placed: boolean}> = [
      {cloud: {stacks: [stack('st1', {servers: []})]}, name: 'no stack in progress: placed stand-alone', placed: true},
      {cloud: {stacks: [stack('st1', {servers: []}, {inProgress: true, status: 'CREATE_IN_PROGRESS'})]}, name: 'a stack of its project in CREATE_IN_PROGRESS: kept', placed: false},
      {cloud: {stacks: [stack('st1', {servers: []}, {inProgress: true})]}, name: 'a nested stack in progress (a scaling): kept', placed: false},
      {cloud: {stacksInProgressOf: ['proj-1']}, name: 'a stack of its project in progress, not observed in full: kept', placed: false},
      {cloud: {stacksInProgressOf: ['proj-2']}, name: "another project's stack in progress: placed", placed: true},
      {cloud: {stacks: [stack('st1', {servers: ['lone']}, {inProgress: true})]}, name: 'the stack in progress lists it: in its rack', placed: false},
    ]
    for (const c of cases) {
      it(c.name, () => {
        const d = desire(cloud({servers: [lone], ...c.cloud}), concertim(), NO_BILLING, team.desire)
        const device = d.devices.find((x) => x.key === 'device:lone')
        expect(device?.rackKey === 'rack:project:proj-1', 'placed stand-alone').to.equal(c.placed)
        if (!c.placed && device === undefined) expect(d.keep, 'neither placed nor deleted').to.include('device:lone')
      })
    }

    it("a stand-alone server's device and rack are kept, not updated nor deleted, while a stack of its project is in progress", () => {
      const settledOnce = sync(cloud({servers: [lone]}), concertim(), EMPTY_BASELINE, team)
      const building = cloud({servers: [server('lone', {status: 'SHUTOFF', vmState: 'stopped'})], stacks: [stack('st1', {}, {inProgress: true, status: 'CREATE_IN_PROGRESS'})]})
      const during = sync(building, settledOnce.state, settledOnce.baseline, {...team, plan: {allowMassDelete: true}})
      expect(summary(during.plan).filter((x) => x.includes('project') || x.includes('lone'))).to.deep.equal([])
      expect(during.plan.kept).to.include.members(['device:lone', 'rack:project:proj-1'])
    })

    it('a server created mid-way is not placed stand-alone, then lands in its stack rack when Heat lists it', () => {
      const building = cloud({servers: [server('s1'), lone], stacks: [stack('st1', {servers: ['s1']}, {inProgress: true, status: 'CREATE_IN_PROGRESS'})]})
      const first = sync(building, concertim(), EMPTY_BASELINE, team)
      expect(summary(first.plan).filter((x) => x.includes('lone') || x.includes('project'))).to.deep.equal([])
      const done = cloud({servers: [server('s1'), lone], stacks: [stack('st1', {servers: ['s1', 'lone']})]})
      const second = sync(done, first.state, first.baseline, team)
      expect(summary(second.plan)).to.include('create device device:lone')
      expect(second.state.devices.filter((x) => x.metadata.openstack_instance_id === 'lone').map((x) => x.rackId)).to.deep.equal([first.state.racks[0].id])
    })
  })

  describe('a device of ours in the wrong rack (Concertim cannot move it)', () => {
    const team = {desire: {standaloneServers: 'team_rack' as const}}
    /** `lone` shown stand-alone, then found to belong to stack st1 (as a server created mid-way used to be placed). */
    function misplaced(): {after: CloudState; before: SyncOutcome} {
      const c = cloud({servers: [server('s1'), server('lone')], stacks: [stack('st1', {servers: ['s1']})]})
      const first = sync(c, concertim(), EMPTY_BASELINE, team)
      const before = sync(c, first.state, first.baseline, team)
      expect(summary(before.plan)).to.deep.equal([])
      return {after: cloud({servers: [server('s1'), server('lone')], stacks: [stack('st1', {servers: ['s1', 'lone']})]}), before}
    }
    const rackOf = (state: ConcertimState, key: string) => state.racks.find((r) => r.metadata.openstack_stack_id === key || r.metadata.openstack_standalone_servers_project_id === key)?.id

    it('is made again in the right rack and the misplaced one is deleted after it (not a notice)', () => {
      const {after, before} = misplaced()
      const old = before.state.devices.find((d) => d.metadata.openstack_instance_id === 'lone') as ConcertimDevice
      const moved = sync(after, before.state, before.baseline, team)
      const create = moved.plan.actions.find((a) => a.key === 'device:lone') as DeviceCreate
      expect(create.kind).to.equal('create')
      expect(create.body?.location.rack_id).to.equal(rackOf(before.state, 'st1'))
      expect(create.supersedes).to.deep.equal([{concertimId: old.id, name: old.name, rackId: old.rackId}])
      expect(moved.plan.notices.map((n) => n.message).join('\n')).to.not.match(/cannot move between racks, so it is left/)
      const copies = moved.state.devices.filter((d) => d.metadata.openstack_instance_id === 'lone')
      expect(copies.map((d) => d.rackId)).to.deep.equal([rackOf(before.state, 'st1')])
      // Converged: the next run writes nothing for it.
      const next = sync(after, moved.state, moved.baseline, team)
      expect(summary(next.plan).filter((x) => x.includes('device'))).to.deep.equal([])
    })

    it('a failure between the create and the delete leaves two copies: the next run keeps the right one, deletes the other', () => {
      const {after, before} = misplaced()
      const old = before.state.devices.find((d) => d.metadata.openstack_instance_id === 'lone') as ConcertimDevice
      const moved = sync(after, before.state, before.baseline, team)
      // As if the delete had failed: the misplaced copy is still there.
      const both: ConcertimState = {...moved.state, devices: [...moved.state.devices, old]}
      expect(both.devices.filter((d) => d.metadata.openstack_instance_id === 'lone')).to.have.length(2)
      const repair = sync(after, both, before.baseline, team)
      const action = repair.plan.actions.find((a) => a.key === 'device:lone')
      expect(action?.kind, 'no third copy').to.equal('update')
      expect(action?.kind === 'update' && action.object === 'device' && action.supersedes).to.deep.equal([{concertimId: old.id, name: old.name, rackId: old.rackId}])
      expect(repair.state.devices.filter((d) => d.metadata.openstack_instance_id === 'lone').map((d) => d.rackId)).to.deep.equal([rackOf(before.state, 'st1')])
    })

    it('the misplaced copies it deletes count towards the deletion cap', () => {
      const {after, before} = misplaced()
      const capped = sync(after, before.state, before.baseline, {...team, plan: {maxDeletes: 0}})
      expect(capped.plan.deletionCapExceeded).to.equal(true)
      expect(capped.plan.actions.find((a) => a.key === 'device:lone')?.blocked?.code).to.equal('cap')
      expect(capped.state.devices.filter((d) => d.metadata.openstack_instance_id === 'lone')).to.have.length(1)
      const allowed = sync(after, before.state, before.baseline, {...team, plan: {allowMassDelete: true, maxDeletes: 0}})
      expect(allowed.plan.actions.find((a) => a.key === 'device:lone')?.blocked).to.equal(undefined)
    })

    it('a device that is not ours in the wrong rack is never touched', () => {
      const {after, before} = misplaced()
      const handMade: ConcertimDevice = {...(before.state.devices.find((d) => d.metadata.openstack_instance_id === 'lone') as ConcertimDevice), id: 'hand-made', metadata: {}, name: 'vm-lone'}
      const state = {...before.state, devices: [...before.state.devices, handMade]}
      const moved = sync(after, state, before.baseline, team)
      expect(moved.plan.actions.flatMap((a) => (a.object === 'device' && a.kind !== 'delete' ? (a.supersedes ?? []) : [])).map((c) => c.concertimId)).to.not.include('hand-made')
      expect(moved.state.devices.map((d) => d.id)).to.include('hand-made')
    })
  })

  describe('unknown statuses', () => {
    it('are shown as FAILED and reported once per value', () => {
      const c = cloud({servers: [server('a', {vmState: 'levitating'}), server('b', {vmState: 'levitating'})], stacks: [stack('st1', {servers: ['a', 'b']})]})
      const d = desire(c, concertim(), NO_BILLING)
      expect(d.unknownStatuses).to.deep.equal([{source: 'nova server state', value: 'levitating'}])
      expect(d.devices.map((x) => x.status)).to.deep.equal(['FAILED', 'FAILED'])
    })
  })
})

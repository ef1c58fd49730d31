import {expect} from 'chai'

import {parsePeriod, periodAt, previousPeriod, recordDateIn} from '../../../src/lib/billing/period.js'
import {isSubscriptionId, planCosts, planTeams, planUsage, type RackCharges} from '../../../src/lib/billing/plan.js'
import {ratingsFromTable} from '../../../src/lib/billing/ratings.js'
import {unitTypeOf, usageTrackingId} from '../../../src/lib/billing/usage-record.js'
import type {Device, Rack, Team} from '../../../src/lib/concertim/types.js'

const SUB = '0b7c7f4e-5a1b-4c7e-9f0a-1d2e3f4a5b6c'
const SUB2 = '1b7c7f4e-5a1b-4c7e-9f0a-1d2e3f4a5b6c'
const ACCOUNT = '2b7c7f4e-5a1b-4c7e-9f0a-1d2e3f4a5b6c'

const team = (over: Partial<Team> = {}): Team => ({billing_acct_id: ACCOUNT, billing_period_end: null, billing_period_start: null, cost: '0.0', credits: '0.0', id: 't1', name: 'acme', project_id: 'p1', ...over})
const rack = (over: Partial<Rack> = {}): Rack =>
  ({cost: '0.00', creation_output: null, id: 'r1', metadata: {openstack_stack_id: 's1'}, name: 'rack-1', network_details: {}, order_id: SUB, owner: team(), status: 'ACTIVE', u_height: 42, ...over}) as Rack
const device = (id: string, cloudId: string | undefined, cost = '0.00', rackId = 'r1'): Device =>
  ({cost, description: null, details: {}, id, location: {depth: 2, end_u: 1, facing: 'f', rack_id: rackId, start_u: 1, type: 'rack'}, metadata: cloudId === undefined ? {} : {openstack_instance_id: cloudId}, name: id, status: 'ACTIVE', template_id: 'tpl', type: 'Instance'}) as Device

const ratings = (rows: [string, string, string, number][]) => ratingsFromTable(['begin', 'end', 'qty', 'rate', 'id', 'type', 'project_id'], rows.map(([id, type, project, rate]) => ['b', 'e', 1, rate, id, type, project]))

describe('billing: period', () => {
  const cases: [string, string, string, string, string][] = [
    ['2026-12-04T12:00:00Z', '2026-12', '2026-12-01', '2027-01-01', '2026-12-31'],
    ['2026-02-28T23:59:59Z', '2026-02', '2026-02-01', '2026-03-01', '2026-02-28'],
    ['2024-02-01T00:00:00Z', '2024-02', '2024-02-01', '2024-03-01', '2024-02-29'],
  ]
  for (const [at, id, start, end, lastDay] of cases) {
    it(`${at} is in ${id}`, () => {
      expect(periodAt(Date.parse(at))).to.include({end, id, lastDay, start})
    })
  }
  it('parses YYYY-MM only', () => {
    expect(parsePeriod('2026-11')?.start).to.equal('2026-11-01')
    for (const bad of ['2026-13', '2026-00', '2026-1', 'nov', '2026-11-01']) expect(parsePeriod(bad), bad).to.equal(undefined)
  })
  it('the previous month crosses years', () => {
    expect(previousPeriod(parsePeriod('2027-01')!).id).to.equal('2026-12')
  })
  it('records are dated today while the month runs, its last day once it is over', () => {
    const p = parsePeriod('2026-11')!
    expect(recordDateIn(p, Date.parse('2026-11-15T10:00:00Z'))).to.equal('2026-11-15')
    expect(recordDateIn(p, Date.parse('2026-12-01T02:00:00Z'))).to.equal('2026-11-30')
  })
})

describe('billing: CloudKitty rows', () => {
  it('sums per resource and type and per project, by column name, ignoring null rates', () => {
    const r = ratingsFromTable(['begin', 'end', 'qty', 'rate', 'project_id', 'type', 'id'], [
      ['b', 'e', 1, 0.25000000000000006, 'p1', 'instance', 'a'],
      ['b', 'e', 1, 0.1, 'p1', 'vcpus', 'a'],
      ['b', 'e', 1, 0.5, 'p2', 'instance', 'b'],
      ['b', 'e', null, null, 'p2', 'instance', 'b'],
    ])
    expect(r.byResource.get('a')).to.deep.equal(new Map([['instance', 0.25000000000000006], ['vcpus', 0.1]]))
    expect(r.byProject.get('p1')).to.be.closeTo(0.35, 1e-12)
    expect(r.byProject.get('p2')).to.equal(0.5)
  })
  it('no rows, no columns: nothing (as CloudKitty answers an empty month)', () => {
    expect(ratingsFromTable([], []).byResource.size).to.equal(0)
  })
  it('a missing column is an error naming it', () => {
    expect(() => ratingsFromTable(['begin', 'rate'], [['b', 1]])).to.throw(/no 'id' column/)
  })
})

describe('billing: tracking ids', () => {
  it('are deterministic and differ in each input', () => {
    const id = usageTrackingId(SUB, 'openstack-billed-instance', '2026-12', 1.5)
    expect(id).to.match(/^cos-2026-12-[\da-f]{32}$/)
    expect(usageTrackingId(SUB, 'openstack-billed-instance', '2026-12', 1.5000000000000002)).to.equal(id)
    for (const other of [usageTrackingId(SUB2, 'openstack-billed-instance', '2026-12', 1.5), usageTrackingId(SUB, 'openstack-billed-vcpus', '2026-12', 1.5), usageTrackingId(SUB, 'openstack-billed-instance', '2026-11', 1.5), usageTrackingId(SUB, 'openstack-billed-instance', '2026-12', 1.6)]) {
      expect(other).to.not.equal(id)
    }
  })
  it('unit types are openstack-billed-<type>', () => {
    expect(unitTypeOf('volume.size')).to.equal('openstack-billed-volume.size')
  })
})

describe('billing: planCosts', () => {
  it('devices get their resource total, racks the sum of their devices; equal values (at 2 decimals) are not planned', () => {
    const plan = planCosts({
      devices: [device('d1', 'a', '0.35'), device('d2', 'b'), device('d3', undefined), device('d4', 'zzz')],
      racks: [rack()],
      ratings: ratings([['a', 'instance', 'p1', 0.25000000000000006], ['a', 'vcpus', 'p1', 0.1], ['b', 'instance', 'p1', 1.004]]),
    })
    expect(plan.changes).to.deep.equal([
      {from: 0, id: 'd2', kind: 'device', name: 'd2', to: 1},
      {from: 0, id: 'r1', kind: 'rack', name: 'rack-1', to: 1.35},
    ])
    expect(plan.unrated).to.equal(1)
    expect(plan.billable).to.have.length(1)
    expect(plan.billable[0].charges.get('instance')).to.be.closeTo(1.254, 1e-9)
  })
  it("a member remembered from earlier in the month (its device gone) stays in its subscription's charges, not in the rack's cost", () => {
    const plan = planCosts({
      devices: [device('d1', 'a', '1.00')],
      members: new Map([[SUB, new Set(['gone'])]]),
      racks: [rack({cost: '1.00'})],
      ratings: ratings([['a', 'instance', 'p1', 1], ['gone', 'instance', 'p1', 4]]),
    })
    expect(plan.changes).to.deep.equal([])
    expect(plan.billable[0].charges.get('instance')).to.equal(5)
    expect([...plan.billable[0].members].sort()).to.deep.equal(['a', 'gone'])
  })

  it('hand-made racks are left alone; racks without a Kill Bill order or account are not billed', () => {
    const plan = planCosts({
      devices: [],
      racks: [rack({id: 'hand', metadata: {}}), rack({id: 'nobill', order_id: 'concertim-os:stack:s2'}), rack({id: 'noacct', order_id: SUB2, owner: team({billing_acct_id: null})})],
      ratings: ratings([]),
    })
    expect(plan.changes).to.deep.equal([])
    expect(plan.billable).to.deep.equal([])
    expect(isSubscriptionId(SUB)).to.equal(true)
    expect(isSubscriptionId('concertim-os:stack:x')).to.equal(false)
  })
})

describe('billing: planUsage', () => {
  const period = parsePeriod('2026-12')!
  const billable: RackCharges[] = [{accountId: ACCOUNT, charges: new Map([['instance', 2.5000000000000004], ['vcpus', 1]]), members: new Set(), rackId: 'r1', rackName: 'rack-1', subscriptionId: SUB, teamName: 'acme'}]
  const cases: {held: [string, number][]; name: string; out: {amount: number; recorded: number; unit: string}[]; over: string[]}[] = [
    {held: [], name: 'nothing recorded yet: the whole month-to-date', out: [{amount: 2.5, recorded: 0, unit: 'openstack-billed-instance'}, {amount: 1, recorded: 0, unit: 'openstack-billed-vcpus'}], over: []},
    {held: [['openstack-billed-instance', 2], ['openstack-billed-vcpus', 1]], name: 'part recorded: the delta only', out: [{amount: 0.5, recorded: 2, unit: 'openstack-billed-instance'}], over: []},
    {held: [['openstack-billed-instance', 2.5], ['openstack-billed-vcpus', 1.0000000001]], name: 'equal within the precision: nothing', out: [], over: []},
    {held: [['openstack-billed-instance', 3], ['openstack-billed-vcpus', 1]], name: 'more recorded than rated: reported, not recorded', out: [], over: ['openstack-billed-instance']},
    {held: [['openstack-billed-instance', 2.5], ['openstack-billed-vcpus', 1], ['openstack-billed-memory', 0.2]], name: 'a unit no longer rated counts as 0', out: [], over: ['openstack-billed-memory']},
  ]
  for (const c of cases) {
    it(c.name, () => {
      const plan = planUsage({billable, period, recordDate: '2026-12-04', rolledUp: new Map([[SUB, new Map(c.held)]])})
      expect(plan.records.map((r) => ({amount: r.amount, recorded: r.recorded, unit: r.unitType}))).to.deep.equal(c.out)
      expect(plan.overRecorded.map((o) => o.unitType)).to.deep.equal(c.over)
      for (const r of plan.records) expect(r.trackingId).to.equal(usageTrackingId(SUB, r.unitType, '2026-12', r.recorded))
    })
  }
  it('a subscription whose usage could not be read is skipped', () => {
    expect(planUsage({billable, period, recordDate: '2026-12-04', rolledUp: new Map()}).records).to.deep.equal([])
  })
})

describe('billing: planTeams', () => {
  const period = parsePeriod('2026-12')!
  it('cost, credits and the period, only what differs, the period as a pair', () => {
    const changes = planTeams({credits: new Map([[ACCOUNT, 20.004]]), period, ratings: ratings([['a', 'instance', 'p1', 12.345]]), teams: [team()]})
    expect(changes).to.deep.equal([
      {
        before: {billing_period_end: null, billing_period_start: null, cost: '0.0', credits: '0.0'},
        id: 't1',
        name: 'acme',
        update: {billing_period_end: '2027-01-01', billing_period_start: '2026-12-01', cost: '12.35', credits: '20.00'},
      },
    ])
    const same = team({billing_period_end: '2027-01-01', billing_period_start: '2026-12-01', cost: '12.35', credits: '20.0'})
    expect(planTeams({credits: new Map([[ACCOUNT, 20.004]]), period, ratings: ratings([['a', 'instance', 'p1', 12.345]]), teams: [same]})).to.deep.equal([])
  })
  it('no project: nothing; no account: cost only; unread credits: kept', () => {
    const changes = planTeams({credits: new Map(), period, ratings: ratings([['a', 'instance', 'p1', 1]]), teams: [team({id: 'x', project_id: null}), team({billing_acct_id: null}), team({id: 't3'})]})
    expect(changes.map((c) => [c.id, Object.keys(c.update).sort()])).to.deep.equal([
      ['t1', ['cost']],
      ['t3', ['billing_period_end', 'billing_period_start', 'cost']],
    ])
  })
})

import {expect} from 'chai'
import {rmSync} from 'node:fs'

import {periodAt} from '../../../src/lib/billing/period.js'
import {ratedFrames} from '../../../src/sim/rating.js'
import {type BillingWorld, expectedUsage, killBillUsage, plain, ratedByResource, startBillingWorld} from './support.js'

const HOUR = 3_600_000
const money = (n: number) => Math.round(n * 100) / 100

describe('billing reconcile (in-process, simulator)', function () {
  this.timeout(60_000)
  let w: BillingWorld

  beforeEach(async () => {
    w = await startBillingWorld()
  })
  afterEach(async () => w.stop())

  it('puts costs on the right devices, racks and teams, credits and the period on teams, and records usage equal to CloudKitty', async () => {
    const run = await w.bill()
    expect(run.exitCode, JSON.stringify(run.problems)).to.equal(0)
    const p = periodAt(w.clock.now)
    const rated = ratedByResource(w, p.startMs, p.endMs)
    const c = w.sim.concertim
    let costed = 0
    for (const d of c.devices.values()) {
      const id = d.metadata.openstack_instance_id as string
      const expected = money([...(rated.get(id)?.values() ?? [])].reduce((a, b) => a + b, 0))
      expect(d.cost, `device ${d.name}`).to.be.closeTo(expected, 1e-9)
      if (expected > 0) costed++
    }
    expect(costed).to.be.greaterThan(0)
    for (const r of c.racks.values()) {
      const sum = c.devicesOfRack(r.id).reduce((a, {device}) => a + money([...(rated.get(device.metadata.openstack_instance_id as string)?.values() ?? [])].reduce((x, y) => x + y, 0)), 0)
      expect(r.cost, `rack ${r.name}`).to.be.closeTo(sum, 0.011)
    }
    const byProject = new Map<string, number>()
    for (const f of ratedFrames(w.sim.world, p.startMs, p.endMs)) byProject.set(f.project_id, (byProject.get(f.project_id) ?? 0) + f.rate)
    for (const t of c.teams.values()) {
      if (t.project_id === null) continue
      expect(Number(t.cost), `team ${t.name}`).to.equal(money(byProject.get(t.project_id) ?? 0))
      expect([t.billing_period_start, t.billing_period_end]).to.deep.equal([p.start, p.end])
      const account = t.billing_acct_id as string
      const cba = w.sim.killbill.accountCBA(account)
      // The catalog prices its units at 1 USD (others not at all): the draft invoice is the period's priced usage.
      const prices = w.sim.killbill.plans.get('openstack-standard-monthly')!.usagePrices
      const usage = w.sim.killbill.subscriptionsOf(account).reduce((n, s) => n + [...w.sim.killbill.rolledUp(s.subscriptionId, p.start, p.end)].reduce((a, [unit, amount]) => a + amount * (prices[unit] ?? 0), 0), 0)
      expect(Number(t.credits), `team ${t.name} credits`).to.be.closeTo(money(cba - usage), 0.011)
    }
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expectedUsage(w)))
    expect(run.counts.usageRecorded).to.be.greaterThan(0)
    // Bulk: CloudKitty is read in one summary page for the whole cloud. A first run ever does not
    // bill the previous month retroactively (nothing says this tool billed it; --period does that).
    expect(run.settled).to.equal(undefined)
    expect(run.ledger.bySystem().cloudkitty.calls).to.equal(1)
  })

  it('a second run with no rating change writes nothing', async () => {
    await w.bill()
    const again = await w.bill()
    expect(again.exitCode).to.equal(0)
    expect(again.writes, JSON.stringify(again.ledger.summary.filter((r) => r.method !== 'GET'))).to.equal(0)
    expect(again.counts.usagePlanned + again.counts.costChanges + again.counts.teamChanges).to.equal(0)
  })

  it('a no-change run reads no usage from Kill Bill (the usage last seen is kept); with the view lost it reads it and records nothing', async () => {
    await w.bill()
    const usageGets = (r: {ledger: {summary: {count: number; method: string; system: string}[]}}) => r.ledger.summary.filter((x) => x.system === 'killbill' && x.method === 'GET').reduce((n, x) => n + x.count, 0)
    const again = await w.bill()
    const accounts = new Set([...w.sim.concertim.teams.values()].map((t) => t.billing_acct_id)).size
    expect(usageGets(again)).to.equal(accounts) // the credits' account reads only
    rmSync(w.storePath, {force: true})
    const rows = w.sim.killbill.usage.length
    const lost = await w.bill()
    expect(usageGets(lost)).to.be.greaterThan(accounts)
    expect(lost.writes).to.equal(0)
    expect(w.sim.killbill.usage.length).to.equal(rows)
  })

  it('a rating change writes only what it changes and posts only the delta', async () => {
    await w.bill()
    const before = killBillUsage(w)
    const usageRows = w.sim.killbill.usage.length
    // One flavor costs more from now on: only its servers' devices, their racks and teams change.
    const server = [...w.sim.world.servers.values()].find((s) => w.sim.concertim.devices.size > 0 && [...w.sim.concertim.devices.values()].some((d) => d.metadata.openstack_instance_id === s.id))!
    const flavor = server.flavorId
    const changed = new Set([...w.sim.world.servers.values()].filter((s) => s.flavorId === flavor).map((s) => s.id))
    w.sim.world.rating.instanceHourly.set(flavor, (w.sim.world.rating.instanceHourly.get(flavor) ?? 0) + 0.5)
    const run = await w.bill()
    expect(run.exitCode).to.equal(0)
    const devicesWritten = run.costs.filter((c) => c.kind === 'device')
    const expectedDevices = [...w.sim.concertim.devices.values()].filter((d) => changed.has(d.metadata.openstack_instance_id as string)).map((d) => d.id)
    expect(devicesWritten.map((d) => d.id).sort()).to.deep.equal(expectedDevices.sort())
    const racksOfChanged = new Set(expectedDevices.map((id) => w.sim.concertim.rackOfDevice(w.sim.concertim.devices.get(id)!)!.id))
    expect(run.costs.filter((c) => c.kind === 'rack').map((c) => c.id).sort()).to.deep.equal([...racksOfChanged].sort())
    // Only the instance unit of those racks' subscriptions, each by exactly the difference.
    const after = expectedUsage(w)
    for (const u of run.usage) {
      expect(u.unitType).to.equal('openstack-billed-instance')
      expect(u.amount).to.be.closeTo((after.get(u.subscriptionId)!.get(u.unitType) ?? 0) - (before.get(u.subscriptionId)!.get(u.unitType) ?? 0), 1e-6)
    }
    expect(new Set(run.usage.map((u) => u.rackId))).to.deep.equal(racksOfChanged)
    expect(w.sim.killbill.usage.length).to.equal(usageRows + run.usage.length)
    expect(plain(killBillUsage(w))).to.deep.equal(plain(after))
    // Concertim: the device, rack and team PATCHes of the plan, nothing else.
    const patches = run.ledger.summary.filter((r) => r.system === 'concertim' && r.method === 'PATCH').reduce((n, r) => n + r.count, 0)
    expect(patches).to.equal(run.costs.length + run.teams.length)
  })

  it("a server deleted mid-month stays billed to its rack's subscription, and the rack's other servers keep being billed", async () => {
    await w.bill()
    const c = w.sim.concertim
    const rack = [...c.racks.values()].find((r) => c.devicesOfRack(r.id).filter(({device}) => device.type === 'Instance').length >= 2)!
    const gone = c.devicesOfRack(rack.id).find(({device}) => device.type === 'Instance')!.device.metadata.openstack_instance_id as string
    w.sim.changes.deleteServer(gone)
    w.clock.now += HOUR
    const synced = await w.sync()
    expect(synced.results.filter((r) => r.error !== undefined)).to.deep.equal([])
    expect([...c.devices.values()].some((d) => d.metadata.openstack_instance_id === gone)).to.equal(false)
    const run = await w.bill()
    expect(run.overRecorded).to.deep.equal([])
    // Kill Bill = what CloudKitty rates the rack's devices now, plus the deleted server's month-to-date.
    const p = periodAt(w.clock.now)
    const expected = expectedUsage(w)
    const units = expected.get(rack.order_id)!
    for (const [type, rate] of ratedByResource(w, p.startMs, p.endMs).get(gone) ?? []) units.set(`openstack-billed-${type}`, Math.round(((units.get(`openstack-billed-${type}`) ?? 0) + rate) * 1e6) / 1e6)
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expected))
  })

  it('costs grow as servers run: an hour later every running server costs more', async () => {
    await w.bill()
    w.clock.now += HOUR
    const run = await w.bill()
    expect(run.counts.costChanges).to.be.greaterThan(0)
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expectedUsage(w)))
  })

  it('two runs at once (no lock between them) bill once', async () => {
    const [a, b] = await Promise.all([w.bill(), w.bill()])
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expectedUsage(w)))
    const ids = w.sim.killbill.usage.map((u) => `${u.subscriptionId}/${u.trackingId}`)
    expect(new Set(ids).size).to.equal(ids.length)
    // Each record was recorded by exactly one run; a run that planned a record the other had recorded
    // found it "already recorded". (How much each run planned depends on when it read Kill Bill.)
    expect(a.counts.usageRecorded + b.counts.usageRecorded).to.equal(ids.length)
    expect(a.counts.usageDuplicate + b.counts.usageDuplicate).to.equal(a.counts.usagePlanned + b.counts.usagePlanned - ids.length)
    expect([a.exitCode, b.exitCode]).to.deep.equal([0, 0])
  })

  it('a record whose answer was lost (accepted by Kill Bill, then the connection broke) is not recorded twice', async () => {
    const plan = await w.bill({dryRun: true})
    expect(plan.usage.length).to.be.greaterThan(0)
    expect(w.sim.killbill.usage.length).to.equal(0)
    // Kill Bill took every record, but the run never learnt it: the next run retries with the same ids.
    for (const u of plan.usage) w.sim.killbill.recordUsage([{amount: u.amount, recordDate: u.recordDate, subscriptionId: u.subscriptionId, trackingId: u.trackingId, unitType: u.unitType}])
    const rows = w.sim.killbill.usage.length
    const run = await w.bill()
    expect(run.counts.usagePlanned).to.equal(0)
    expect(w.sim.killbill.usage.length).to.equal(rows)
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expectedUsage(w)))
  })

  it('dry-run: the plan, and not a single write anywhere', async () => {
    const plan = await w.bill({dryRun: true})
    expect(plan.writes).to.equal(0)
    expect(plan.counts.costChanges).to.be.greaterThan(0)
    expect(plan.counts.usagePlanned).to.be.greaterThan(0)
    expect(plan.usage.every((u) => u.outcome === 'planned' && /^cos-\d{4}-\d{2}-[\da-f]{32}$/.test(u.trackingId))).to.equal(true)
    expect(w.sim.killbill.usage).to.have.length(0)
    expect([...w.sim.concertim.devices.values()].every((d) => d.cost === 0)).to.equal(true)
  })

  it('a lower rating is reported, never posted as negative usage', async () => {
    await w.bill()
    const rows = w.sim.killbill.usage.length
    for (const f of w.sim.world.rating.instanceHourly.keys()) w.sim.world.rating.instanceHourly.set(f, 0)
    const run = await w.bill()
    expect(run.counts.usagePlanned).to.equal(0)
    expect(run.overRecorded.length).to.be.greaterThan(0)
    expect(w.sim.killbill.usage.length).to.equal(rows)
    expect(w.sim.killbill.usage.every((u) => u.amount > 0)).to.equal(true)
  })

  it('--team narrows the run to one team', async () => {
    const team = [...w.sim.concertim.teams.values()].find((t) => w.sim.concertim.racksOfTeam(t.id).length > 0)!
    const run = await w.bill({team: team.name})
    expect(run.counts.teams).to.equal(1)
    const racks = new Set(w.sim.concertim.racksOfTeam(team.id).map((r) => r.id))
    expect(run.usage.every((u) => racks.has(u.rackId))).to.equal(true)
    expect(run.teams.map((t) => t.id)).to.deep.equal([team.id])
    const other = [...w.sim.concertim.teams.values()].filter((t) => t.id !== team.id)
    expect(other.every((t) => t.billing_period_start === null)).to.equal(true)
  })

  it('an unknown --team is a usage error naming the closest team', async () => {
    const team = [...w.sim.concertim.teams.values()][0]
    const err = await w.bill({team: `${team.name}x`}).then(() => undefined, (error: unknown) => error as {exitCode: number; hint?: string; message: string})
    expect(err?.exitCode).to.equal(2)
    expect(err?.hint).to.contain(team.name)
  })

  it("a rack whose order Kill Bill does not know is reported (exit 3); the others are billed", async () => {
    const c = w.sim.concertim
    const rack = [...c.racks.values()][0]
    const unknown = '00000000-0000-4000-8000-00000000beef'
    c.renameRack(rack, {order_id: unknown})
    const run = await w.bill()
    expect(run.exitCode).to.equal(3)
    expect(run.problems.map((p) => p.id)).to.deep.equal([unknown])
    expect(run.usage.some((u) => u.subscriptionId === unknown)).to.equal(false)
    const expected = expectedUsage(w)
    expected.delete(unknown)
    const held = killBillUsage(w)
    held.delete(unknown)
    expect(plain(held)).to.deep.equal(plain(expected))
  })

  it('a 422 from Concertim is reported with its message and the rest goes on (exit 3)', async () => {
    const bad = [...w.sim.concertim.devices.values()][0]
    bad.name = 'hand edited name'
    const run = await w.bill()
    expect(run.exitCode).to.equal(3)
    const failed = run.costs.filter((c) => c.outcome === 'failed')
    expect(failed.map((c) => c.id)).to.deep.equal([bad.id])
    expect(failed[0].error).to.contain('can contain only alphanumeric characters, dots and hyphens')
    expect(run.problems.some((p) => p.message.includes('can contain only alphanumeric'))).to.equal(true)
    expect(run.counts.costsApplied).to.equal(run.counts.costChanges - 1)
    expect(run.counts.teamsApplied).to.equal(run.counts.teamChanges)
  })
})

describe('billing reconcile: month rollover', function () {
  this.timeout(60_000)
  let w: BillingWorld
  const now = new Date()
  // The last evening of the previous month, then the first hours of this one.
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)
  const lastEvening = monthStart - 4 * HOUR + 1_800_000

  beforeEach(async () => {
    w = await startBillingWorld({at: lastEvening})
  })
  afterEach(async () => w.stop())

  it("the first run of a month settles the previous month's final delta, once, dated its last day", async () => {
    await w.bill()
    const old = periodAt(lastEvening)
    const billedEvening = plain(killBillUsage(w, lastEvening))
    w.clock.now = monthStart + 2 * HOUR + 1_800_000
    const first = await w.bill()
    expect(first.exitCode, JSON.stringify(first.problems)).to.equal(0)
    expect(first.settled).to.deep.equal({id: old.id, marked: true})
    const settledLines = first.usage.filter((u) => u.period === old.id)
    expect(settledLines.length).to.be.greaterThan(0)
    expect(settledLines.every((u) => u.recordDate === old.lastDay)).to.equal(true)
    // The old month's usage is now all of CloudKitty's old month (its last four hours included).
    expect(plain(killBillUsage(w, lastEvening))).to.deep.equal(plain(expectedUsage(w, lastEvening)))
    expect(plain(killBillUsage(w, lastEvening))).to.not.deep.equal(billedEvening)
    // And the new month's own usage is recorded in the new month.
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expectedUsage(w)))
    const rows = w.sim.killbill.usage.filter((u) => u.recordDate < old.end).length
    w.clock.now += HOUR
    const second = await w.bill()
    expect(second.settled).to.equal(undefined)
    expect(second.usage.every((u) => u.period !== old.id)).to.equal(true)
    expect(w.sim.killbill.usage.filter((u) => u.recordDate < old.end).length).to.equal(rows)
    const reads = second.ledger.summary.filter((r) => r.system === 'cloudkitty').reduce((n, r) => n + r.count, 0)
    expect(reads).to.equal(1)
  })

  it('--period settles a past month by hand, Kill Bill only', async () => {
    const old = periodAt(lastEvening)
    w.clock.now = monthStart + 2 * HOUR
    const run = await w.bill({period: old})
    expect(run.period.id).to.equal(old.id)
    expect(run.costs).to.have.length(0)
    expect(run.teams).to.have.length(0)
    expect(plain(killBillUsage(w, lastEvening))).to.deep.equal(plain(expectedUsage(w, lastEvening)))
    expect([...w.sim.concertim.devices.values()].every((d) => d.cost === 0)).to.equal(true)
    const again = await w.bill({period: old})
    expect(again.counts.usagePlanned).to.equal(0)
  })
})

/**
 * `concertim-os billing reconcile` as a real process against the simulator: exit codes, the lock,
 * a system down (nothing written to Concertim), kill -9 between Kill Bill's usage and the end of the
 * run, --dry-run / --json, and no secret in any output.
 */
import {expect} from 'chai'

import type {BillingReconcileResult} from '../../../src/commands/billing/reconcile.js'
import {acquireRunLock} from '../../../src/lib/lock.js'
import {startCli} from '../../support/long-running-cli.js'
import {type BillingWorld, expectedUsage, killBillUsage, plain, startBillingWorld} from './support.js'

function costsUntouched(w: BillingWorld): boolean {
  const c = w.sim.concertim
  return [...c.devices.values()].every((d) => d.cost === 0) && [...c.racks.values()].every((r) => r.cost === 0) && [...c.teams.values()].every((t) => t.billing_period_start === null && Number(t.credits) === 0)
}

describe('concertim-os billing reconcile (real process, simulator)', function () {
  this.timeout(120_000)
  let w: BillingWorld

  beforeEach(async () => {
    w = await startBillingWorld()
  })
  afterEach(async () => w.stop())

  it('--dry-run --json: the plan and the calls by system, nothing written, no secret', async () => {
    const run = await w.cli(['billing', 'reconcile', '--dry-run', '--json'])
    expect(run.code, run.stderr).to.equal(0)
    const r = JSON.parse(run.stdout) as BillingReconcileResult
    expect(r.dryRun).to.equal(true)
    expect(r.counts.usagePlanned).to.be.greaterThan(0)
    expect(r.calls.cloudkitty.calls).to.be.at.least(1)
    expect(Object.values(r.calls).reduce((n, s) => n + s.writes, 0)).to.equal(0)
    expect(w.sim.killbill.usage).to.have.length(0)
    expect(costsUntouched(w)).to.equal(true)
    for (const secret of [w.sim.credentials.killbill.password, w.sim.credentials.killbill.apiSecret, w.sim.credentials.concertim.password, w.sim.credentials.keystone.password]) {
      expect(run.stdout + run.stderr).to.not.contain(secret)
    }
  })

  it('a run, then a run with nothing to do (exit 0, 0 writes)', async () => {
    const first = await w.cli(['billing', 'reconcile'])
    expect(first.code, first.stderr).to.equal(0)
    expect(first.stdout).to.match(/usage recorded \d+/)
    const again = await w.cli(['billing', 'reconcile', '--json'])
    expect(again.code, again.stderr).to.equal(0)
    const r = JSON.parse(again.stdout) as BillingReconcileResult
    expect(Object.values(r.calls).reduce((n, s) => n + s.writes, 0)).to.equal(0)
  })

  it('another run holding the lock: exit 75, nothing done', async () => {
    const lock = await acquireRunLock(w.dir, 'billing')
    try {
      const run = await w.cli(['billing', 'reconcile'])
      expect(run.code).to.equal(75)
      expect(w.sim.killbill.usage).to.have.length(0)
    } finally {
      await lock.release()
    }
  })

  it('Kill Bill down: exit 1, nothing written anywhere', async () => {
    w.sim.faults.set('killbill', {errorRate: 1, errorStatuses: [503]})
    const run = await w.cli(['billing', 'reconcile'])
    expect(run.code).to.equal(1)
    expect(run.stderr).to.match(/Kill Bill/)
    expect(run.stderr).to.contain('nothing was written')
    expect(costsUntouched(w)).to.equal(true)
  })

  it("Kill Bill failing after the usage (the credits' draft invoice): exit 1, Concertim untouched", async () => {
    w.sim.faults.set('killbill', {errorRate: 1, errorStatuses: [503], pathPattern: /dryRun/})
    const run = await w.cli(['billing', 'reconcile'])
    expect(run.code).to.equal(1)
    expect(w.sim.killbill.usage.length).to.be.greaterThan(0)
    expect(costsUntouched(w)).to.equal(true)
    w.sim.faults.clear()
    const again = await w.cli(['billing', 'reconcile'])
    expect(again.code, again.stderr).to.equal(0)
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expectedUsage(w)))
  })

  it('CloudKitty down: exit 1, nothing written anywhere', async () => {
    w.sim.faults.set('cloudkitty', {errorRate: 1, errorStatuses: [503]})
    const run = await w.cli(['billing', 'reconcile'])
    expect(run.code).to.equal(1)
    expect(run.stderr).to.match(/CloudKitty/)
    expect(w.sim.killbill.usage).to.have.length(0)
    expect(costsUntouched(w)).to.equal(true)
  })

  it('kill -9 between the usage POSTs and the end of the run, then a rerun: Kill Bill holds exactly CloudKitty\'s month-to-date', async () => {
    const planned = (await w.bill({dryRun: true})).usage.length
    expect(planned).to.be.greaterThan(0)
    // The credits' draft invoice (after the usage, before any Concertim write) hangs: the run is killed there.
    w.sim.faults.set('killbill', {pathPattern: /dryRun/, stall: {ms: 60_000}})
    const cli = startCli(['billing', 'reconcile', '--config', w.configPath])
    const deadline = Date.now() + 60_000
    while (w.sim.killbill.usage.length < planned && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(w.sim.killbill.usage.length).to.equal(planned)
    const killed = await cli.stop('SIGKILL')
    expect(killed.signal).to.equal('SIGKILL')
    expect(costsUntouched(w)).to.equal(true)
    w.sim.faults.clear()
    // The dead run's lock file is stale only after a while: the rerun uses another lock dir's worth of patience.
    let rerun = await w.cli(['billing', 'reconcile', '--json'])
    const until = Date.now() + 60_000
    while (rerun.code === 75 && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1000))
      rerun = await w.cli(['billing', 'reconcile', '--json'])
    }
    expect(rerun.code, rerun.stderr).to.equal(0)
    const r = JSON.parse(rerun.stdout) as BillingReconcileResult
    expect(r.counts.usagePlanned).to.equal(0)
    expect(w.sim.killbill.usage.length).to.equal(planned)
    expect(plain(killBillUsage(w))).to.deep.equal(plain(expectedUsage(w)))
    expect(costsUntouched(w)).to.equal(false)
  })

  it('usage errors: a malformed or future --period is exit 2 with an example', async () => {
    const bad = await w.cli(['billing', 'reconcile', '--period', '2026-13'])
    expect(bad.code).to.equal(2)
    expect(bad.stderr).to.contain('YYYY-MM')
    const future = await w.cli(['billing', 'reconcile', '--period', '2999-01'])
    expect(future.code).to.equal(2)
    expect(future.stderr).to.contain('has not begun')
  })
})

import {expect} from 'chai'

import type {DemoResult} from '../../../src/commands/demo.js'
import {runCli} from '../../support/cli.js'

describe('concertim-os demo (real process)', function () {
  this.timeout(120_000)

  it('syncs a small simulated cloud, shows the view, and the second sync plans nothing', async () => {
    const run = await runCli(['demo', '--json'])
    expect(run.code, run.stderr).to.equal(0)
    const demo = JSON.parse(run.stdout) as DemoResult
    expect(demo.sync.counts.create.ok).to.be.greaterThan(0)
    expect(demo.sync.failures).to.deep.equal([])
    expect(demo.view.racks.length).to.be.greaterThan(0)
    expect(demo.view.devices.length).to.be.greaterThan(demo.view.racks.length)
    expect(demo.secondPlan.actions).to.deep.equal([])
    expect(demo.secondPlan.calls).to.satisfy((calls: Record<string, {writes: number}>) => Object.values(calls).every((c) => c.writes === 0))
  })

  it('prints each step for a person and ends with the empty plan', async () => {
    const run = await runCli(['demo', '--servers', '30', '--stacks', '6'])
    expect(run.code, run.stderr).to.equal(0)
    expect(run.stdout).to.contain('== sync: OpenStack → Concertim')
    expect(run.stdout).to.match(/Created \d+, updated 0, deleted 0/)
    expect(run.stdout).to.contain('== view dump')
    expect(run.stdout).to.contain('Nothing to do: Concertim already shows the cloud.')
  })
})

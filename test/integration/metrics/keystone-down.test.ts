/** `metrics push` when Keystone, not Gnocchi, is what fails: the message names Keystone. */
import {expect} from 'chai'

import {type Simulator, startSimulator} from '../../../src/sim/index.js'
import {runCli} from '../../support/cli.js'
import {seedInstanceDevices, writeSimConfig} from './support.js'

describe('concertim-os metrics push with Keystone failing (real process, simulator)', function () {
  this.timeout(120_000)
  let sim: Simulator

  beforeEach(async () => {
    sim = await startSimulator({preset: 'small', seed: 11})
    seedInstanceDevices(
      sim,
      sim.world.servers
        .all()
        .slice(0, 3)
        .map((s) => s.id),
    )
  })
  afterEach(async () => sim.stop())

  // [what, the fault, what the message must name]
  const cases: [string, () => void, RegExp][] = [
    ['Keystone answering 503', () => sim.faults.set('keystone', {errorRate: 1, errorStatuses: [503]}), /HTTP 503/],
    ['Keystone refusing the credentials', () => sim.faults.set('keystone', {errorRate: 1, errorStatuses: [401]}), /refused the credentials/],
  ]
  for (const [what, fault, detail] of cases) {
    it(`${what}: exit 1, the message blames Keystone, not Gnocchi; nothing sent`, async () => {
      fault()
      const {path} = writeSimConfig(sim)
      const run = await runCli(['metrics', 'push', '--config', path])
      expect(run.code, run.stderr).to.equal(1)
      // oclif wraps the message at the terminal's width: read it as one line.
      const said = run.stderr.replaceAll(/\s*\n\s*›?\s*/g, ' ')
      expect(said).to.contain('cannot log in to Keystone').and.match(detail)
      expect(run.stderr).to.not.contain('cannot read the measures from Gnocchi')
      expect(sim.stats().gnocchi.requests).to.equal(0)
      expect(sim.stats().mrd.requests).to.equal(0)
    })
  }
})

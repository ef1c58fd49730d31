/**
 * The real `concertim-os serve` process: it listens where it is told, answers, and on SIGTERM
 * finishes the request in flight before it exits 0; its log has one access line per request and
 * no secret.
 */
import {expect} from 'chai'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {AppJobRunner} from '../../../src/sim/concertim/job-runner.js'
import {type Simulator, startSimulator} from '../../../src/sim/index.js'
import {freePort} from '../../support/free-port.js'
import {startCli} from '../../support/long-running-cli.js'

const SECRET = 'shutdown-test-jwt-secret-0123456789'

describe('concertim-os serve (the process)', function () {
  this.timeout(90_000)
  let sim: Simulator
  let dir: string

  before(async () => {
    sim = await startSimulator({preset: 'small', seed: 7})
    dir = mkdtempSync(join(tmpdir(), 'concertim-os-serve-cli-'))
  })
  after(async () => {
    await sim?.stop()
    rmSync(dir, {force: true, recursive: true})
  })

  it('SIGTERM lets the request in flight finish, then exits 0', async () => {
    const port = await freePort()
    const configPath = join(dir, 'config.yaml')
    writeFileSync(configPath, JSON.stringify({...sim.config({logLevel: 'info'}), lock_dir: dir, store: {path: join(dir, 'view.json')}}))
    const cli = startCli(['serve', '--config', configPath, '--port', String(port), '--log-format', 'json'], {JWT_SECRET: SECRET})
    const deadline = Date.now() + 60_000
    while (!cli.stderr().includes('"serving"')) {
      if (cli.child.exitCode !== null) throw new Error(`serve ended: ${cli.stderr()}`)
      if (Date.now() > deadline) throw new Error(`serve did not start: ${cli.stderr()}`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const runner = new AppJobRunner({baseUrl: `http://127.0.0.1:${port}`, jwtSecret: SECRET, state: sim.concertim})
    expect((await runner.getStatistics()).status).to.equal(201)
    // A slow Nova: the next request is in flight when the signal comes.
    sim.faults.set('nova', {latencyMs: 1500})
    const inFlight = runner.getStatistics()
    await new Promise((r) => setTimeout(r, 400))
    const exit = cli.stop('SIGTERM')
    const answer = await inFlight
    expect(answer.status).to.equal(201)
    const {code, stderr} = await exit
    sim.faults.clear('nova')
    expect(code).to.equal(0)
    const lines = stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
    expect(lines.filter((l) => l.msg === 'request').map((l) => `${String(l.method)} ${String(l.route)} ${String(l.status)}`)).to.deep.equal(['GET /statistics 201', 'GET /statistics 201'])
    expect(stderr).to.not.include(SECRET)
    expect(stderr).to.not.include(sim.credentials.keystone.password)
  })
})

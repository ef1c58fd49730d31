import {expect} from 'chai'
import yaml from 'js-yaml'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCli} from '../../support/cli.js'
import {startCli} from '../../support/long-running-cli.js'

describe('concertim-os sim', function () {
  this.timeout(120_000)
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sim-cli-'))
  })
  after(() => rmSync(dir, {force: true, recursive: true}))

  it('runs in the foreground, writes a working configuration (0600), and exits 0 on SIGTERM', async () => {
    const file = join(dir, 'sim.yaml')
    const cli = startCli(['sim', '--seed', '3', '--servers', '12', '--write-config', file])
    try {
      const out = await cli.waitFor((s) => s.includes('Simulator ready'))
      expect(out).to.match(/keystone[\s│]+http:\/\/127\.0\.0\.1:\d+\/v3/)
      expect(out).to.contain('OS_AUTH_URL=')
      expect(statSync(file).mode & 0o777).to.equal(0o600)
      const config = yaml.load(readFileSync(file, 'utf8')) as {openstack: {auth_url: string}}
      expect(config.openstack.auth_url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/v3$/)
      // The view and the locks live beside the configuration, not in /var/lib (EACCES as a user, shared as root).
      const written = config as unknown as {lock_dir?: string; store?: {path?: string}}
      expect(written.store?.path).to.equal(join(dir, 'sim.view.json'))
      expect(written.lock_dir).to.equal(join(dir, 'sim.locks'))
      const sync = await runCli(['sync', '--config', file, '--json'])
      expect(sync.code, sync.stderr).to.equal(0)
      expect(existsSync(join(dir, 'sim.view.json')), 'the view written beside the configuration').to.equal(true)
      const doctor = await runCli(['doctor', '--config', file, '--json'])
      const report = JSON.parse(doctor.stdout) as {checks: {check: string; outcome: string; system: string}[]; ok: boolean}
      expect(report.checks.filter((c) => c.outcome === 'fail'), doctor.stdout).to.deep.equal([])
      expect(doctor.code).to.equal(0)
    } finally {
      const end = await cli.stop('SIGTERM')
      expect(end.code, end.stderr).to.equal(0)
    }
  })

  it('--json prints the endpoints once ready; SIGINT stops it with exit 0', async () => {
    const cli = startCli(['sim', '--preset', 'empty', '--json'])
    const out = await cli.waitFor((s) => {
      try {
        return (JSON.parse(s) as {ready?: boolean}).ready === true
      } catch {
        return false
      }
    })
    const ready = JSON.parse(out) as {credentials: {keystone: {password: string; username: string}}; endpoints: Record<string, string>}
    expect(Object.keys(ready.endpoints)).to.include.members(['keystone', 'nova', 'concertim', 'killbill'])
    const res = await fetch(`${ready.endpoints.keystone}/v3/auth/tokens`, {
      body: JSON.stringify({auth: {identity: {methods: ['password'], password: {user: {domain: {name: 'Default'}, name: ready.credentials.keystone.username, password: ready.credentials.keystone.password}}}, scope: {project: {domain: {name: 'Default'}, name: 'admin'}}}}),
      headers: {'content-type': 'application/json'},
      method: 'POST',
    })
    expect(res.status).to.equal(201)
    const end = await cli.stop('SIGINT')
    expect(end.code, end.stderr).to.equal(0)
  })

  it('refuses a port that is taken with exit 1 and a hint', async () => {
    const first = startCli(['sim', '--preset', 'empty', '--json'])
    try {
      const ready = JSON.parse(await first.waitFor((s) => s.trim().endsWith('}') && s.includes('"ready"'))) as {endpoints: Record<string, string>}
      const taken = Number(new URL(ready.endpoints.keystone).port)
      const second = await runCli(['sim', '--preset', 'empty', '--port-base', String(taken)])
      expect(second.code).to.equal(1)
      expect(second.stderr).to.contain('could not start')
    } finally {
      await first.stop()
    }
  })
})

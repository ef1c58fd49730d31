/**
 * An OpenStack that cannot be read is a failure, not a plan (issue 12): wrong credentials, a closed
 * port or a stalled Keystone end `sync` (dry-run or not) and `view dump --refresh` with exit 1 and
 * the root cause named once; nothing is planned, written or recorded.
 */
import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'

import {runCli} from '../../support/cli.js'
import {startSyncWorld, type SyncWorld} from './support.js'

describe('an unreadable OpenStack (real process, simulator)', function () {
  this.timeout(120_000)
  let w: SyncWorld

  before(async () => {
    w = await startSyncWorld()
    await w.sync()
  })
  after(async () => {
    await w?.stop()
  })
  afterEach(() => {
    w.sim.faults.clear()
  })

  const run = async (args: string[], env: Record<string, string> = {}) => runCli([...args, '--config', w.configPath], {env, timeoutMs: 60_000})
  const occurrences = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length

  const WRONG = {CONCERTIM_OS_OPENSTACK_PASSWORD: 'not-the-password'}
  const cases: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['sync --dry-run with a wrong password', ['sync', '--dry-run'], WRONG, /refused the credentials/],
    ['sync with a wrong password', ['sync'], WRONG, /refused the credentials/],
    ['sync --dry-run --json with a wrong password', ['sync', '--dry-run', '--json'], WRONG, /refused the credentials/],
    ['view dump --refresh with a wrong password', ['view', 'dump', '--refresh'], WRONG, /refused the credentials/],
    ['sync --dry-run against a closed Keystone port', ['sync', '--dry-run'], {CONCERTIM_OS_OPENSTACK_AUTH_URL: 'http://127.0.0.1:1/v3'}, /could not connect/],
  ]
  for (const [name, args, env, cause] of cases) {
    it(`${name}: exit 1, the root cause once, no plan`, async () => {
      const before = existsSync(w.storePath) ? readFileSync(w.storePath, 'utf8') : ''
      const r = await run(args, env)
      expect(r.code, r.stdout + r.stderr).to.equal(1)
      const all = `${r.stdout}\n${r.stderr}`
      expect(occurrences(all, cause), all).to.equal(1)
      expect(all).to.not.match(/withheld|to delete|Plan:/)
      if (args.includes('--json')) expect((JSON.parse(r.stdout) as {error: {exitCode: number; message: string}}).error.exitCode).to.equal(1)
      expect(existsSync(w.storePath) ? readFileSync(w.storePath, 'utf8') : '', 'the view is untouched').to.equal(before)
    })
  }

  it('a stalled Keystone: exit 1 naming the timeout, no plan', async () => {
    w.sim.faults.set('keystone', {stall: {ms: 20_000}})
    const r = await run(['sync', '--dry-run'], {CONCERTIM_OS_HTTP_DEADLINE_MS: '1500', CONCERTIM_OS_HTTP_TIMEOUT_MS: '500'})
    expect(r.code, r.stdout + r.stderr).to.equal(1)
    expect(`${r.stdout}\n${r.stderr}`).to.match(/timed out|deadline|timeout/i)
    expect(r.stdout).to.not.match(/withheld|Plan:/)
  })
})

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

describe('an unattended sync leaves a record on stderr (real process, simulator)', function () {
  this.timeout(120_000)
  let w: SyncWorld

  afterEach(async () => {
    await w?.stop()
  })

  it('one log line per applied or withheld action with its ids, a summary line; --json lists the actions, counts shaped as the plan', async () => {
    w = await startSyncWorld()
    const plan = await w.cli(['sync', '--dry-run', '--json', '--log-format', 'json'])
    const planned = JSON.parse(plan.stdout) as {counts: {create: {failed: number; ok: number; planned: number}}}
    const run = await w.cli(['sync', '--json', '--log-format', 'json', '--log-level', 'info'])
    expect(run.code, run.stderr).to.equal(0)
    const result = JSON.parse(run.stdout) as {actions: {concertimId: null | string; key: string; kind: string; outcome: string}[]; counts: typeof planned.counts}
    expect(Object.keys(result.counts).sort()).to.deep.equal(Object.keys(planned.counts).sort())
    expect(result.counts.create.planned).to.equal(planned.counts.create.planned)
    expect(result.counts.create.ok).to.equal(planned.counts.create.planned)
    expect(result.actions.filter((a) => a.kind === 'create' && a.outcome === 'ok')).to.have.length(result.counts.create.ok)
    for (const a of result.actions) if (a.outcome === 'ok') expect(a.concertimId, a.key).to.be.a('string')

    // stderr: JSON to the last line; one info line per created object, with its ids; a summary.
    const lines = run.stderr.trim().split('\n').map((l) => JSON.parse(l) as {action?: string; concertimId?: string; counts?: unknown; key?: string; msg: string})
    const created = lines.filter((l) => l.action === 'create')
    expect(created).to.have.length(result.counts.create.ok)
    for (const l of created) expect(l.concertimId, l.msg).to.be.a('string')
    expect(lines.at(-1)?.msg).to.match(/^sync done: created \d+/)

    // A deletion withheld by the cap is an error line on stderr, not only stdout.
    const racks = [...w.sim.world.stacks.all()].filter((s) => s.parentId === null)
    for (const s of racks) w.sim.changes.deleteStack(s.id)
    const capped = await runCli(['sync', '--config', w.configPath, '--log-format', 'json'], {env: {CONCERTIM_OS_SYNC_MAX_DELETES: '0'}})
    expect(capped.code, capped.stderr).to.equal(4)
    const errors = capped.stderr.trim().split('\n').map((l) => JSON.parse(l) as {level: number; msg: string}).filter((l) => l.level >= 50)
    expect(errors.map((l) => l.msg).join('\n')).to.match(/more than the cap of 0/)
  })

  it('a fatal error is a JSON log line with --log-format json (stderr stays JSON to the last line)', async () => {
    w = await startSyncWorld()
    const r = await runCli(['sync', '--config', w.configPath, '--log-format', 'json'], {env: {CONCERTIM_OS_OPENSTACK_PASSWORD: 'wrong'}})
    expect(r.code).to.equal(1)
    const lines = r.stderr.trim().split('\n')
    for (const l of lines) expect(() => JSON.parse(l), l).to.not.throw()
    expect(lines.at(-1)).to.match(/refused the credentials/)
  })
})

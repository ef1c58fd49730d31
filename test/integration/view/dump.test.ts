import {expect} from 'chai'
import {load as parseYaml} from 'js-yaml'
import {statSync} from 'node:fs'

import type {ViewDumpResult} from '../../../src/commands/view/dump.js'
import {createReconcileEngine} from '../../../src/lib/runtime/reconcile-engine.js'
import {runCli} from '../../support/cli.js'
import {squeeze, squeezedCells} from '../../support/table.js'
import {startSyncWorld, type SyncWorld} from '../sync/support.js'

describe('concertim-os view dump (real process, simulator)', function () {
  this.timeout(120_000)
  let world: SyncWorld

  before(async () => {
    world = await startSyncWorld()
  })
  after(async () => {
    await world.stop()
  })

  it('before any sync: an empty view, with a warning that says what to do', async () => {
    const run = await world.cli(['view', 'dump', '--json'])
    expect(run.code).to.equal(0)
    const dump = JSON.parse(run.stdout) as ViewDumpResult
    expect(dump.racks).to.deep.equal([])
    expect(dump.warnings.join('\n')).to.contain("run 'concertim-os sync' first")
    expect(dump.teams.length).to.be.greaterThan(0)
  })

  it('after a sync: every rack and device with its Concertim, OpenStack and Kill Bill ids', async () => {
    expect((await world.cli(['sync'])).code).to.equal(0)
    const run = await world.cli(['view', 'dump', '--json'])
    expect(run.code).to.equal(0)
    const dump = JSON.parse(run.stdout) as ViewDumpResult
    const {sim} = world
    expect(dump.source).to.equal('store')
    expect(dump.lastCompleteSync).to.be.a('string')
    expect(dump.racks.map((r) => r.stackId).sort()).to.deep.equal([...sim.concertim.racks.values()].map((r) => (r.metadata as Record<string, string>).openstack_stack_id).sort())
    expect(dump.devices).to.have.length(sim.concertim.devices.size)
    for (const r of dump.racks) {
      expect(r.concertimId).to.be.a('string')
      expect(r.orderId, 'Kill Bill order').to.be.a('string')
      expect(r.teamName).to.be.a('string')
    }
    for (const d of dump.devices) {
      expect(sim.concertim.devices.get(d.concertimId as string), d.name ?? '').to.not.equal(undefined)
      expect(d.rackName).to.be.a('string')
    }
    const team = dump.teams.find((t) => dump.racks.some((r) => r.teamId === t.concertimId))!
    expect(team.projectId).to.be.a('string')
    expect(team.billingAccountId).to.be.a('string')
  })

  it('Keystone deletions listen saw are shown next to the user and team still linked, and a sync keeps them', async () => {
    const {sim} = world
    const user = [...sim.concertim.users.values()].find((u) => !u.root && typeof u.cloud_user_id === 'string' && u.cloud_user_id !== '') ?? expect.fail('a user linked to OpenStack')
    const team = [...sim.concertim.teams.values()].find((t) => typeof t.project_id === 'string' && t.project_id !== '') ?? expect.fail('a team linked to a project')
    const {engine, store} = createReconcileEngine(world.config, {settings: {retries: 0, retryBaseMs: 10}})
    await engine.noteKeystoneDeletion('user', user.cloud_user_id as string, 'identity.user.deleted', new Date('2026-11-22T06:00:00Z'))
    await engine.noteKeystoneDeletion('project', team.project_id as string, 'identity.project.deleted', new Date('2026-11-22T06:01:00Z'))
    await store.apply({put: {'listen-watermark:server:s-1': {deleted: false, version: 1}}})
    await store.close()
    // A full sync (another process) does not remove what is not its own.
    expect((await world.cli(['sync'])).code).to.be.oneOf([0, 3])
    const run = await world.cli(['view', 'dump', '--json'])
    const dump = JSON.parse(run.stdout) as ViewDumpResult
    expect(dump.users.find((u) => u.concertimId === user.id)?.cloudUserDeletedAt).to.equal('2026-11-22T06:00:00.000Z')
    expect(dump.teams.find((t) => t.concertimId === team.id)?.projectDeletedAt).to.equal('2026-11-22T06:01:00.000Z')
    expect(dump.users.filter((u) => u.cloudUserDeletedAt !== null)).to.have.length(1)
    const table = await runCli(['view', 'dump', '--config', world.configPath, '--type', 'user,team'], {env: {COLUMNS: '250'}})
    // Wide enough: one line per row (a compact table), the id whole.
    expect(table.stdout).to.contain(`${user.cloud_user_id as string} (deleted 2026-11-22T06:00:00.000Z)`)
    const narrow = await runCli(['view', 'dump', '--config', world.configPath, '--type', 'user,team'], {env: {COLUMNS: '80'}})
    expect(squeezedCells(narrow.stdout)).to.include(squeeze(`${(user.cloud_user_id as string).slice(0, 8)}… (deleted 2026-11-22T06:00:00.000Z)`))
    const again = createReconcileEngine(world.config, {settings: {retries: 0, retryBaseMs: 10}})
    expect((await again.store.get(['listen-watermark:server:s-1'])).size, 'listen\'s watermark kept').to.equal(1)
    await again.store.close()
  })

  it('--type and --team narrow it; --format yaml prints YAML', async () => {
    const all = JSON.parse((await world.cli(['view', 'dump', '--json'])).stdout) as ViewDumpResult
    const team = all.racks[0].teamName!
    const run = await world.cli(['view', 'dump', '--format', 'yaml', '--type', 'rack,device', '--team', team])
    expect(run.code).to.equal(0)
    const dump = parseYaml(run.stdout) as ViewDumpResult
    expect(dump.teams).to.deep.equal([])
    expect(dump.templates).to.deep.equal([])
    expect(dump.racks.length).to.be.greaterThan(0)
    expect(dump.racks.every((r) => r.teamName === team)).to.equal(true)
    expect(dump.devices.every((d) => d.teamName === team)).to.equal(true)
    expect(dump.racks.length).to.equal(all.racks.filter((r) => r.teamName === team).length)
  })

  it('--refresh rebuilds the same mapping from the systems and writes nothing', async () => {
    const stored = JSON.parse((await world.cli(['view', 'dump', '--json'])).stdout) as ViewDumpResult
    const before = world.sim.stats()
    const viewWritten = statSync(world.storePath).mtimeMs
    const run = await world.cli(['view', 'dump', '--json', '--refresh'])
    expect(run.code).to.equal(0)
    const after = world.sim.stats()
    const fresh = JSON.parse(run.stdout) as ViewDumpResult
    expect(fresh.source).to.equal('systems')
    const ids = (d: ViewDumpResult) => d.devices.map((x) => `${x.openstackId}=${x.concertimId}`).sort()
    expect(ids(fresh)).to.deep.equal(ids(stored))
    expect(fresh.racks.map((r) => `${r.stackId}=${r.concertimId}=${r.orderId}`).sort()).to.deep.equal(stored.racks.map((r) => `${r.stackId}=${r.concertimId}=${r.orderId}`).sort())
    // It read (more than the plain dump does), and wrote nothing anywhere.
    expect(after.concertim.requests - before.concertim.requests).to.be.greaterThan(0)
    expect(world.sim.concertim.racks.size).to.equal(stored.racks.length)
    expect(statSync(world.storePath).mtimeMs, 'the view file is not rewritten').to.equal(viewWritten)
  })

  it('the table lists each type with its count', async () => {
    const run = await world.cli(['view', 'dump'])
    expect(run.code).to.equal(0)
    expect(run.stdout).to.match(/^Racks \(\d+\)$/m)
    expect(run.stdout).to.match(/^Devices \(\d+\)$/m)
    expect(run.stdout).to.contain('Source: as recorded by the sync of')
  })

  it('the tables fit 80 columns (piped, COLUMNS=80): names whole, ids shortened but each still unique, and said so', async () => {
    const run = await runCli(['view', 'dump', '--config', world.configPath], {env: {COLUMNS: '80'}})
    expect(run.code, run.stderr).to.equal(0)
    const wide = run.stdout.split('\n').filter((l) => [...l].length > 80)
    expect(wide, wide.join('\n')).to.deep.equal([])
    const cells = squeezedCells(run.stdout)
    const shown = cells.filter((c) => c.endsWith('…'))
    for (const d of world.sim.concertim.devices.values()) {
      expect(cells).to.include(squeeze(d.name))
      // Exactly one shortened id of the table is a prefix of this device's id: none reads the same as another.
      expect(shown.filter((c) => d.id.startsWith(c.slice(0, -1))), d.id).to.have.length(1)
    }
    expect(run.stdout).to.contain('Ids shortened to fit 80 columns; view dump --format json shows them whole.')
  })

  it('a terminal wide enough shows every id whole, with no note', async () => {
    const run = await runCli(['view', 'dump', '--config', world.configPath], {env: {COLUMNS: '250'}})

    // One line per row (a compact table): each id whole on its line.
    for (const d of world.sim.concertim.devices.values()) expect(run.stdout).to.contain(` ${d.id} `)
    expect(run.stdout).to.not.contain('shortened')
  })

  it('FORCE_COLOR colours the tables even when piped; without it they are plain', async () => {
    const forced = await runCli(['view', 'dump', '--config', world.configPath, '--type', 'team'], {env: {FORCE_COLOR: '1', NO_COLOR: ''}})
    expect(forced.code, forced.stderr).to.equal(0)
    expect(forced.stdout).to.contain('\u001B[1m')
    const plain = await runCli(['view', 'dump', '--config', world.configPath, '--type', 'team'], {env: {NO_COLOR: ''}})
    expect(plain.stdout).to.not.contain('\u001B[')
  })

  it('--team naming no team: exit 2, naming it and listing the teams there are', async () => {
    const run = await world.cli(['view', 'dump', '--team', 'nosuchteam'])
    expect(run.code, run.stderr).to.equal(2)
    expect(run.stderr).to.contain("no team 'nosuchteam'")
    for (const t of world.sim.concertim.teams.values()) expect(run.stderr).to.contain(t.name)
    expect(run.stdout).to.not.contain('Nothing to show')
  })
})

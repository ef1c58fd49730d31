/**
 * Deletion safety, crash safety and the legacy values of the original service, against the
 * simulator; exit codes through the real CLI.
 */
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync, readdirSync, rmSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {acquireRunLock} from '../../../src/lib/lock.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld, writesOf} from './support.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/** Python's repr of a JSON-ish value, as the original service stored it with str(). */
function pyRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None'
  if (v === true) return 'True'
  if (v === false) return 'False'
  if (typeof v === 'number') return String(v)
  if (typeof v === 'string') return `'${v.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  if (Array.isArray(v)) return `[${v.map((x) => pyRepr(x)).join(', ')}]`
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`)
    .join(', ')}}`
}

describe('sync safety (against the simulator)', function () {
  this.timeout(90_000)
  let w: SyncWorld

  afterEach(async () => {
    await w?.stop()
  })

  it('a listing that fails mid-way deletes nothing, says why, and exits 3', async () => {
    w = await startSyncWorld({extra: {openstack: {page_size: 5}}})
    await w.sync()
    const [stackId] = [...expectedMembers(w.sim).keys()].sort()
    const victim = expectedMembers(w.sim).get(stackId)?.servers[0] ?? ''
    w.sim.changes.deleteServer(victim)
    w.sim.faults.set('nova', {failListingAfterPages: 2, pathPattern: /servers/})

    const run = await w.sync()
    expect(run.problems.join('\n')).to.match(/nova server listing failed/)
    expect(run.results.filter((r) => r.kind === 'delete')).to.deep.equal([])
    // Nothing deleted; what is known in full (e.g. a volume now detached) is still kept up to date.
    expect(run.ledger.summary.filter((r) => r.method === 'DELETE'), writesOf(run.ledger)).to.deep.equal([])
    expect(run.actions.filter((a) => a.kind !== 'delete').every((a) => a.kind === 'update' && a.cloudId !== null && w.sim.world.volumes.get(a.cloudId) !== undefined)).to.equal(true)
    const withheld = run.actions.filter((a) => a.kind === 'delete')
    expect(withheld.length).to.be.greaterThan(0)
    for (const a of withheld) expect(a.blocked?.message, a.key).to.match(/servers listing was incomplete/)
    expect(devicesByInstance(w.sim).has(victim)).to.equal(true)

    // The CLI reports it and exits 3 (with the page size of 5 in its configuration too).
    const cli = await w.cli(['sync', '--json'], {timeoutMs: 60_000})
    expect(cli.code, cli.stderr).to.equal(3)
    const out = JSON.parse(cli.stdout) as {counts: {delete: {ok: number}}; problems: string[]}
    expect(out.counts.delete.ok).to.equal(0)
    expect(out.problems.join('\n')).to.match(/listing failed/)
    expect(devicesByInstance(w.sim).has(victim)).to.equal(true)

    // Once the listing works again, the device goes.
    w.sim.faults.clear('nova')
    const ok = await w.sync()
    expect(ok.results.filter((r) => r.kind === 'delete' && r.ok).map((r) => r.key)).to.deep.equal([`device:${victim}`])
  })

  it('more deletions than the cap delete nothing and exit 4; --allow-mass-delete deletes them', async () => {
    w = await startSyncWorld()
    await w.sync()
    const servers = [...expectedMembers(w.sim).values()].flatMap((m) => m.servers).sort().slice(0, 6)
    for (const id of servers) w.sim.changes.deleteServer(id)

    const capped = await w.cli(['sync', '--json'])
    expect(capped.code, capped.stderr).to.equal(4)
    const out = JSON.parse(capped.stdout) as {counts: {blocked: number; delete: {ok: number}}; deletionCapExceeded: boolean; maxDeletes: number}
    expect(out.deletionCapExceeded).to.equal(true)
    expect(out.maxDeletes).to.equal(5)
    expect(out.counts.delete.ok).to.equal(0)
    expect(out.counts.blocked).to.equal(6)
    for (const id of servers) expect(devicesByInstance(w.sim).has(id), id).to.equal(true)

    const dry = await w.cli(['sync', '--dry-run', '--json'])
    expect(dry.code).to.equal(0)
    const plan = JSON.parse(dry.stdout) as {actions: {blocked: {code: string} | null; kind: string}[]; deletionCapExceeded: boolean}
    expect(plan.deletionCapExceeded).to.equal(true)
    expect(plan.actions.filter((a) => a.kind === 'delete').every((a) => a.blocked?.code === 'cap')).to.equal(true)

    const allowed = await w.cli(['sync', '--json', '--allow-mass-delete'])
    expect(allowed.code, allowed.stderr).to.equal(0)
    expect((JSON.parse(allowed.stdout) as {counts: {delete: {ok: number}}}).counts.delete.ok).to.equal(6)
    for (const id of servers) expect(devicesByInstance(w.sim).has(id), id).to.equal(false)
  })

  it('a hand-made rack and hand-made devices survive every sync, even when their neighbours go', async () => {
    w = await startSyncWorld()
    await w.sync()
    const team = [...w.sim.concertim.teams.values()][0]
    const volumeTemplate = w.sim.concertim.templateByTag('volume')
    const handRack = w.sim.concertim.addRack({name: 'handmade', order_id: 'hand-1', status: 'ACTIVE', team_id: team.id, u_height: 10})
    const handDevice = w.sim.concertim.addDevice({name: 'hand-dev', rack_id: handRack.id, start_u: 1, status: 'ACTIVE', template_id: volumeTemplate?.id ?? '', type: 'Volume'})
    // A hand-made device inside one of our racks.
    const [stackId] = [...racksByStack(w.sim).keys()].sort()
    const ourRack = w.sim.concertim.racks.get(racksByStack(w.sim).get(stackId)?.[0] ?? '')
    const used = new Set(w.sim.concertim.devicesOfRack(ourRack?.id ?? '').flatMap((p) => Array.from({length: p.location.end_u - p.location.start_u + 1}, (_, i) => p.location.start_u + i)))
    let free = ourRack?.u_height ?? 42
    while (used.has(free) || used.has(free - 1)) free--
    const intruder = w.sim.concertim.addDevice({name: 'hand-in-ours', rack_id: ourRack?.id ?? '', start_u: free - 1, status: 'ACTIVE', template_id: volumeTemplate?.id ?? '', type: 'Volume'})

    expect((await w.sync()).writes).to.equal(0)
    w.sim.changes.deleteStack(stackId)
    for (let i = 0; i < 3; i++) {
      const run = await w.sync()
      expect(run.results.filter((r) => r.kind === 'delete' && r.key === `rack:${stackId}`)).to.deep.equal([])
      const held = run.actions.find((a) => a.key === `rack:${stackId}`)
      expect(held?.blocked?.code).to.equal('unmanaged-contents')
    }
    expect(w.sim.concertim.racks.has(handRack.id)).to.equal(true)
    expect(w.sim.concertim.devices.has(handDevice.device.id)).to.equal(true)
    expect(w.sim.concertim.devices.has(intruder.device.id)).to.equal(true)
    expect(w.sim.concertim.racks.has(ourRack?.id ?? '')).to.equal(true)
  })

  it('kill -9 in the middle of apply, then sync again: converged, no duplicate', async () => {
    w = await startSyncWorld({extra: {sync: {concurrency: 2}}})
    // Slow writes: the CLI is surely mid-apply when the first device lands.
    w.sim.faults.set('concertim', {latencyMs: 60, methods: ['POST', 'PATCH', 'DELETE']})
    const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.js', 'sync', '--config', w.configPath], {cwd: ROOT, env: {...process.env, NO_COLOR: '1'}, stdio: 'ignore'})
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)))
    const deadline = Date.now() + 60_000
    while (w.sim.concertim.devices.size < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
    child.kill('SIGKILL')
    expect(await exited).to.equal('SIGKILL')
    // Writes the killed run had sent are still being answered by the simulator (60 ms each): let them
    // land, as they would on a real Concertim, before counting and syncing again.
    await new Promise((r) => setTimeout(r, 500))
    const members = expectedMembers(w.sim)
    const total = [...members.values()].reduce((n, m) => n + m.servers.length + m.volumes.length + m.networks.length, 0)
    const partial = w.sim.concertim.devices.size
    expect(partial, 'killed mid-apply').to.be.within(3, total - 1)
    expect(existsSync(w.storePath), 'the killed run recorded nothing').to.equal(false)

    w.sim.faults.clear('concertim')
    const again = await w.sync()
    expect(again.results.filter((r) => !r.ok)).to.deep.equal([])
    expect(again.results.filter((r) => r.kind === 'create' && r.object === 'device')).to.have.length(total - partial)
    for (const [id, ids] of devicesByInstance(w.sim)) expect(ids, `devices of ${id}`).to.have.length(1)
    for (const [id, ids] of racksByStack(w.sim)) expect(ids, `racks of ${id}`).to.have.length(1)
    const foreign = [...w.sim.concertim.templates.values()].map((t) => t.foreign_id).filter((f) => f !== null)
    expect(new Set(foreign).size).to.equal(foreign.length)
    expect(w.sim.concertim.devices.size).to.equal(total)
    expect((await w.sync()).writes).to.equal(0)
  })

  it("reads the original service's legacy values (Python reprs, 'None') without spurious updates or duplicates", async () => {
    w = await startSyncWorld()
    await w.sync()
    // Rewrite what the first sync wrote in the shapes the original service stored.
    for (const d of w.sim.concertim.devices.values()) {
      if (d.type === 'Instance') {
        const ips = (v: unknown) => (typeof v === 'string' && v !== '' ? v.split(', ') : [])
        d.details = {
          ...d.details,
          private_ips: pyRepr(ips(d.details.private_ips)),
          public_ips: pyRepr(ips(d.details.public_ips)),
          ssh_key: d.details.ssh_key ?? 'None',
          volume_details: pyRepr(d.details.volume_details),
        }
        d.metadata = {...d.metadata, net_interfaces: pyRepr(d.metadata.net_interfaces)}
      }
    }
    let legacyRacks = 0
    for (const r of w.sim.concertim.racks.values()) {
      const outputs = (r.metadata.openstack_stack_output as {description: unknown; output_key: string; output_value: unknown}[]) ?? []
      r.metadata = {
        ...r.metadata,
        openstack_stack_output: pyRepr(outputs.map((o) => [o.output_key, {description: o.description, output_key: o.output_key, output_value: o.output_value}])).replace(/^\[(.*)\]$/, (_m, inner: string) => `[${inner.replaceAll(/\['([^']*)', \{/g, "('$1', {").replaceAll(/\}\]/g, '})')}]`),
        openstack_stack_owner: r.metadata.openstack_stack_owner ?? 'None',
        stack_status_reason: r.metadata.stack_status_reason === '' ? 'None' : r.metadata.stack_status_reason,
      }
      if (outputs.length > 0) legacyRacks++
    }
    expect(legacyRacks, 'some rack has outputs to read back').to.be.greaterThan(0)
    expect([...w.sim.concertim.racks.values()].some((r) => /^\[\('/.test(String(r.metadata.openstack_stack_output)))).to.equal(true)
    const sample = [...w.sim.concertim.devices.values()].find((d) => d.type === 'Instance')
    expect(sample?.details.private_ips).to.match(/^\['/)
    const devices = w.sim.concertim.devices.size

    rmSync(w.storePath)
    const run = await w.sync()
    expect(run.actions.map((a) => `${a.kind} ${a.key}: ${a.reason}`)).to.deep.equal([])
    expect(run.writes).to.equal(0)
    expect(w.sim.concertim.devices.size).to.equal(devices)
  })

  it('a second sync while one runs exits 75 at once; --dry-run takes no lock, writes no file and makes no write call', async () => {
    w = await startSyncWorld()
    const lock = await acquireRunLock(w.dir, 'sync')
    try {
      const second = await w.cli(['sync', '--json'])
      expect(second.code, second.stderr).to.equal(75)
      expect((JSON.parse(second.stdout) as {error: {code: string}}).error.code).to.equal('E_LOCKED')
      expect(w.sim.concertim.racks.size).to.equal(0)

      const before = readdirSync(w.dir).sort()
      const dry = await w.cli(['sync', '--dry-run', '--json'])
      expect(dry.code, dry.stderr).to.equal(0)
      const plan = JSON.parse(dry.stdout) as {actions: Record<string, unknown>[]; calls: Record<string, {calls: number; writes: number}>; counts: {create: {failed: number; ok: number; planned: number}}; dryRun: boolean; notices: unknown[]}
      expect(plan.dryRun).to.equal(true)
      expect(plan.counts.create.planned).to.be.greaterThan(0)
      expect(plan.counts.create).to.include({failed: 0, ok: 0})
      expect(Object.keys(plan.actions[0]).sort()).to.deep.equal(['blocked', 'changes', 'cloudId', 'concertimId', 'failed', 'key', 'kind', 'name', 'object', 'reason'])
      expect(Object.values(plan.calls).reduce((n, s) => n + s.writes, 0)).to.equal(0)
      expect(plan.calls.concertim.calls).to.be.greaterThan(0)
      expect(readdirSync(w.dir).sort()).to.deep.equal(before)
      expect(w.sim.concertim.racks.size).to.equal(0)
    } finally {
      await lock.release()
    }
    const run = await w.cli(['sync', '--json'])
    expect(run.code, run.stderr).to.equal(0)
    expect(w.sim.concertim.racks.size).to.be.greaterThan(0)
  })
})

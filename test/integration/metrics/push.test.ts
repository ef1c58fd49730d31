import {expect} from 'chai'
import http from 'node:http'

import {acquireRunLock} from '../../../src/lib/lock.js'
import type {MetricsPushResult} from '../../../src/commands/metrics/push.js'
import {createMrdApp} from '../../../src/sim/concertim/mrd.js'
import {listen, type RunningServer} from '../../../src/sim/http-app.js'
import {type Simulator, startSimulator} from '../../../src/sim/index.js'
import {runCli} from '../../support/cli.js'
import {squeeze, squeezedCells, tablesIn} from '../../support/table.js'
import {startCli} from '../../support/long-running-cli.js'
import {LocalServer} from '../../support/local-server.js'
import {addDevice, gnocchiOf, metricOf, seedInstanceDevices, setExact, silence, writeSimConfig} from './support.js'

interface Expected {
  cpu_load: number
  iops: number
  network_usage: number
  ram_usage: number
  throughput: number
}

/**
 * Shape server `id` so that its metrics are known by hand: 2 vCPUs at 50 %, 1 GiB of 4 GiB used,
 * every disk and NIC an exact counter (one more of each is added: several disks and NICs).
 */
function shapeServer(sim: Simulator, id: string): Expected {
  const {disks, instance, nics} = gnocchiOf(sim, id)
  if (instance === undefined) throw new Error('no instance resource')
  setExact(sim, instance, 'cpu', 'cumulative', 1e9) // 1e9 ns/s over 2 vCPUs = 50 %
  setExact(sim, instance, 'vcpus', 'gauge', 2)
  setExact(sim, instance, 'memory', 'gauge', 4096)
  setExact(sim, instance, 'memory.usage', 'gauge', 1024)
  let throughput = 0
  let iops = 0
  disks.forEach((d, i) => {
    const [rb, wb, rr, wr] = [1000 * (i + 1), 500, 10 * (i + 1), 5]
    setExact(sim, d, 'disk.device.read.bytes', 'cumulative', rb)
    setExact(sim, d, 'disk.device.write.bytes', 'cumulative', wb)
    setExact(sim, d, 'disk.device.read.requests', 'cumulative', rr)
    setExact(sim, d, 'disk.device.write.requests', 'cumulative', wr)
    throughput += rb + wb
    iops += rr + wr
  })
  addDevice(sim, id, 'instance_disk', {'disk.device.read.bytes': 7000, 'disk.device.read.requests': 70, 'disk.device.write.bytes': 3000, 'disk.device.write.requests': 30})
  throughput += 10_000
  iops += 100
  let network = 0
  nics.forEach((n, i) => {
    setExact(sim, n, 'network.incoming.bytes', 'cumulative', 2000 * (i + 1))
    setExact(sim, n, 'network.outgoing.bytes', 'cumulative', 100)
    network += 2000 * (i + 1) + 100
  })
  addDevice(sim, id, 'instance_network_interface', {'network.incoming.bytes': 40_000, 'network.outgoing.bytes': 2000})
  network += 42_000
  return {cpu_load: 50, iops, network_usage: network, ram_usage: 25, throughput}
}

/** Every metric of a server stops: nothing in the window. */
function silenceServer(sim: Simulator, id: string): void {
  const {disks, instance, nics} = gnocchiOf(sim, id)
  for (const r of [instance, ...disks, ...nics]) if (r) for (const name of Object.keys(r.metrics)) silence(sim, r, name)
}

function parse(stdout: string): MetricsPushResult {
  return JSON.parse(stdout) as MetricsPushResult
}

describe('concertim-os metrics push (real process, simulator)', function () {
  this.timeout(120_000)
  let sim: Simulator
  let servers: string[]
  let expected: Expected
  let devices: Map<string, string>
  const UNKNOWN_SERVER = '00000000-0000-4000-8000-000000000000'

  beforeEach(async () => {
    sim = await startSimulator({preset: 'small', seed: 11})
    const now = sim.world.now()
    servers = sim.world.servers
      .all()
      .filter((s) => s.createdAt < now - 3_600_000 && sim.world.gnocchiTable('instance').get(s.id) !== undefined)
      .map((s) => s.id)
      .slice(0, 4)
    expect(servers).to.have.length(4)
    expected = shapeServer(sim, servers[0])
    silenceServer(sim, servers[1])
    devices = seedInstanceDevices(sim, [...servers, UNKNOWN_SERVER])
    // A volume device carrying an id: not ours to measure.
    const [anyDevice] = [...sim.concertim.devices.values()]
    const rack = sim.concertim.rackOfDevice(anyDevice)
    sim.concertim.addDevice({metadata: {openstack_instance_id: servers[0]}, name: 'a-volume', rack_id: rack?.id ?? '', start_u: 70, status: 'available', template_id: sim.concertim.templateByTag('volume')?.id ?? '', type: 'Volume'})
  })
  afterEach(async () => sim.stop())

  it('sends hand-computable values (several disks and NICs summed, CPU over vCPUs); no data is counted, never sent as 0', async () => {
    const {path} = writeSimConfig(sim, {metrics: {ttl: 600}})
    const run = await runCli(['metrics', 'push', '--config', path, '--json'])
    expect(run.code, run.stderr).to.equal(0)
    const r = parse(run.stdout)
    const a = r.devices.find((d) => d.instanceId === servers[0])
    expect(a?.values).to.deep.equal(expected)
    const silent = r.devices.find((d) => d.instanceId === servers[1])
    expect(silent?.values).to.deep.equal({})
    expect(silent?.missing.cpu_load).to.equal('no-recent-measures')
    const unknown = r.devices.find((d) => d.instanceId === UNKNOWN_SERVER)
    expect(unknown?.missing).to.deep.equal({cpu_load: 'not-in-gnocchi', iops: 'not-in-gnocchi', network_usage: 'not-in-gnocchi', ram_usage: 'not-in-gnocchi', throughput: 'not-in-gnocchi'})
    expect(r.counts).to.include({devices: 5, failed: 0, invalid: 0, servers: 5, unknownDevices: 0})
    expect(r.counts.noData).to.be.at.least(10)
    expect(r.counts.sent).to.equal(r.counts.values)
    expect(r.source).to.equal('concertim')
    // Batch: three aggregates queries, whatever the number of servers.
    expect(r.gnocchi.calls).to.equal(3)
    expect(sim.stats().gnocchi.requests).to.equal(3)

    // What the MRD got: valid bodies, one metric per request, nothing for the silent servers.
    const received = sim.concertim.metrics.received
    expect(received).to.have.length(r.counts.sent)
    for (const m of received) expect(m).to.include({slope: 'both', ttl: 600, type: 'double'})
    const ofA = Object.fromEntries(received.filter((m) => m.deviceId === devices.get(servers[0])).map((m) => [m.name, [m.value, m.units]]))
    expect(ofA).to.deep.equal({
      cpu_load: [50, '%'],
      iops: [expected.iops, 'OPS/s'],
      network_usage: [expected.network_usage, 'B/s'],
      ram_usage: [25, '%'],
      throughput: [expected.throughput, 'B/s'],
    })
    expect(received.filter((m) => m.deviceId === devices.get(servers[1]) || m.deviceId === devices.get(UNKNOWN_SERVER))).to.deep.equal([])
  })

  it('values do not depend on Ceilometer\'s polling interval: measures every 10 s into 300 s periods give the same values (rate:mean / granularity would give 1/30)', async () => {
    const {disks, instance, nics} = gnocchiOf(sim, servers[0])
    for (const r of [instance, ...disks, ...nics]) if (r) for (const name of Object.keys(r.metrics)) metricOf(sim, r, name).pollingS = 10
    const {path} = writeSimConfig(sim, {metrics: {ttl: 600}})
    const run = await runCli(['metrics', 'push', '--config', path, '--json'])
    expect(run.code, run.stderr).to.equal(0)
    expect(parse(run.stdout).devices.find((d) => d.instanceId === servers[0])?.values).to.deep.equal(expected)
  })

  it('a new server (its series begin inside the window: Gnocchi answers NaN for the gaps) gets its values once it has two complete periods', async () => {
    const fresh = servers[2]
    const want = shapeServer(sim, fresh)
    const {disks, instance, nics} = gnocchiOf(sim, fresh)
    // Three to four periods old: its two latest complete periods have ended more than metrics.rate_settle ago.
    const begun = Math.floor((sim.world.now() - 900_000) / 300_000) * 300_000
    for (const r of [instance, ...disks, ...nics]) if (r) for (const name of Object.keys(r.metrics)) metricOf(sim, r, name).createdAt = begun
    const {path} = writeSimConfig(sim, {metrics: {ttl: 600}})
    const run = await runCli(['metrics', 'push', '--config', path, '--json'])
    expect(run.code, run.stderr).to.equal(0)
    const r = parse(run.stdout)
    expect(r.devices.find((d) => d.instanceId === fresh)?.values).to.deep.equal(want)
    expect(r.devices.find((d) => d.instanceId === servers[0])?.values).to.deep.equal(expected)
  })

  it('a Gnocchi without the disk and NIC resource types: those metrics are not-in-gnocchi, the others are sent (exit 0)', async () => {
    sim.world.gnocchiResources.delete('instance_disk')
    sim.world.gnocchiResources.delete('instance_network_interface')
    const {path} = writeSimConfig(sim, {metrics: {ttl: 600}})
    const run = await runCli(['metrics', 'push', '--config', path, '--json'])
    expect(run.code, run.stderr).to.equal(0)
    const r = parse(run.stdout)
    const a = r.devices.find((d) => d.instanceId === servers[0])
    expect(a?.values).to.deep.equal({cpu_load: 50, ram_usage: 25})
    expect(a?.missing).to.deep.equal({iops: 'not-in-gnocchi', network_usage: 'not-in-gnocchi', throughput: 'not-in-gnocchi'})
    expect(r.gnocchi.missingTypes).to.deep.equal(['instance_disk', 'instance_network_interface'])
    expect(r.gnocchi.calls).to.equal(3)
    // doctor says so, as a warning (metrics still flow).
    const doctor = await runCli(['doctor', '--config', path, '--json'])
    const row = (JSON.parse(doctor.stdout) as {checks: {check: string; detail: string; outcome: string}[]}).checks.find((c) => c.check === 'gnocchi resource types')
    expect(row?.outcome, doctor.stdout).to.equal('warn')
    expect(row?.detail).to.match(/instance_disk or instance_network_interface/)
  })

  it('--dry-run prints the values and sends nothing (and takes no lock)', async () => {
    const {dir, path} = writeSimConfig(sim)
    const lock = await acquireRunLock(`${dir}/locks`, 'metrics')
    try {
      const run = await runCli(['metrics', 'push', '--config', path, '--dry-run'])
      expect(run.code, run.stderr).to.equal(0)
      expect(run.stdout).to.contain('Dry run: nothing was sent')
      // The table fits the terminal (80 columns here): cells wrap, so read them back whole.
      const [head, ...rows] = tablesIn(run.stdout)[0].map((row) => row.map((c) => squeeze(c)))
      expect(head).to.include('cpu_load%')
      const server0 = rows.find((r) => r[0] === 'server-0')
      expect(server0, run.stdout).to.include.members(['50', '25'])
      expect(rows.flat()).to.include(squeeze('- (not-in-gnocchi)'))
      expect(sim.stats().mrd.requests).to.equal(0)
      expect(sim.concertim.metrics.received).to.deep.equal([])
    } finally {
      await lock.release()
    }
  })

  it('another run holds the lock: exit 75, nothing done', async () => {
    const {dir, path} = writeSimConfig(sim)
    const lock = await acquireRunLock(`${dir}/locks`, 'metrics')
    try {
      const run = await runCli(['metrics', 'push', '--config', path])
      expect(run.code).to.equal(75)
      expect(run.stderr).to.contain("another 'metrics' is running")
      expect(sim.stats().gnocchi.requests).to.equal(0)
    } finally {
      await lock.release()
    }
  })

  it('Gnocchi down: exit 1 with a clear message, nothing sent', async () => {
    sim.faults.set('gnocchi', {errorRate: 1, errorStatuses: [503]})
    const {path} = writeSimConfig(sim)
    const run = await runCli(['metrics', 'push', '--config', path])
    expect(run.code).to.equal(1)
    expect(run.stderr).to.contain('cannot read the measures from Gnocchi, so no metric was sent').and.contain('503')
    expect(sim.stats().mrd.requests).to.equal(0)
  })

  it('MRD 503 on some requests: retried, every metric arrives, exit 0', async () => {
    sim.faults.set('mrd', {errorRate: 0.3, errorStatuses: [503], methods: ['PUT']})
    const {path} = writeSimConfig(sim, {http: {max_retry_delay_ms: 50, retries: 10, retry_base_ms: 1}})
    const run = await runCli(['metrics', 'push', '--config', path, '--json'])
    expect(run.code, run.stderr).to.equal(0)
    const r = parse(run.stdout)
    expect(r.counts.failed).to.equal(0)
    expect(sim.concertim.metrics.received).to.have.length(r.counts.values)
    expect(sim.faults.counters.get('mrd')?.errors).to.be.greaterThan(0)
    expect(r.calls.mrd.errors).to.equal(sim.faults.counters.get('mrd')?.errors)
  })

  it('MRD 503 that persists for one device: its metrics fail (exit 3), the others are unaffected', async () => {
    const bad = devices.get(servers[0]) ?? ''
    sim.faults.set('mrd', {errorRate: 1, errorStatuses: [503], pathPattern: new RegExp(bad)})
    const {path} = writeSimConfig(sim)
    const run = await runCli(['metrics', 'push', '--config', path, '--json'])
    expect(run.code).to.equal(3)
    const r = parse(run.stdout)
    expect(r.counts.failed).to.equal(5)
    expect(r.problems.every((p) => p.deviceId === bad && p.outcome === 'failed' && p.message.includes('503'))).to.equal(true)
    const others = r.counts.values - 5
    expect(others).to.be.greaterThan(0)
    expect(r.counts.sent).to.equal(others)
    expect(sim.concertim.metrics.received.filter((m) => m.deviceId !== bad)).to.have.length(others)
  })

  it('a 422 from the MRD is reported with its message: exit 3', async () => {
    // A proxy that spoils one device's bodies on their way to the (simulated) MRD, which then refuses them.
    const bad = devices.get(servers[0]) ?? ''
    const upstream = new URL(sim.endpoints.mrd)
    const proxy = await new LocalServer(async (req, res, body) => {
      const spoiled = req.url?.includes(bad) ? JSON.stringify({...(JSON.parse(body) as object), units: '<b>'}) : body
      const answer = await new Promise<{body: string; status: number}>((resolve, reject) => {
        const out = http.request({headers: {...req.headers, 'content-length': Buffer.byteLength(spoiled)}, host: upstream.hostname, method: req.method, path: req.url, port: upstream.port}, (up) => {
          let text = ''
          up.on('data', (c: Buffer) => {
            text += c.toString()
          })
          up.on('end', () => resolve({body: text, status: up.statusCode ?? 500}))
        })
        out.on('error', reject)
        out.end(spoiled)
      })
      res.writeHead(answer.status, {'Content-Type': 'application/json'})
      res.end(answer.body)
    }).start()
    try {
      const {path} = writeSimConfig(sim, {concertim: {...sim.config().concertim, mrd_url: proxy.url}})
      const run = await runCli(['metrics', 'push', '--config', path])
      expect(run.code).to.equal(3)
      expect(run.stdout).to.contain('5 rejected')
      expect(squeezedCells(run.stdout).some((c) => c.includes(squeeze('units: units cannot contain any of the'))), run.stdout).to.equal(true)
      expect(sim.concertim.metrics.received.filter((m) => m.deviceId === bad)).to.deep.equal([])
      expect(sim.concertim.metrics.received.length).to.be.greaterThan(0)
    } finally {
      await proxy.stop()
    }
  })

  it('a device the MRD does not know yet (404): counted, left for the next run, the others sent (exit 0)', async () => {
    // An MRD whose data source map refreshes only once: a device created afterwards stays unknown.
    const mrd = createMrdApp(sim.concertim, {dsmFrequencyMs: 1e9, dsmThrottleMs: 1e9, jwtSecret: sim.credentials.jwtSecret})
    const server: RunningServer = await listen(mrd.listener())
    try {
      const {path} = writeSimConfig(sim, {concertim: {...sim.config().concertim, mrd_url: server.url}})
      const first = await runCli(['metrics', 'push', '--config', path, '--json'])
      expect(first.code, first.stderr).to.equal(0)
      const [late] = seedInstanceDevices(sim, [servers[2]]).values()
      const run = await runCli(['metrics', 'push', '--config', path, '--json'])
      expect(run.code, run.stderr).to.equal(0)
      const r = parse(run.stdout)
      expect(r.counts.unknownDevices).to.equal(1)
      expect(r.problems).to.have.length(1)
      expect(r.problems[0]).to.include({deviceId: late, outcome: 'unknown-device'})
      expect(r.problems[0].message).to.contain('Unknown host')
      expect(r.counts.sent).to.equal(parse(first.stdout).counts.sent)
    } finally {
      await server.close()
    }
  })

  it('--every runs passes until SIGTERM, then exits 0', async () => {
    const {path} = writeSimConfig(sim)
    const cli = startCli(['metrics', 'push', '--config', path, '--every', '1s', '--json', '--log-level', 'info'])
    // Wait for two passes (two JSON lines), then stop it.
    const jsonLines = (out: string) => out.split('\n').filter((l) => l.startsWith('{'))
    await cli.waitFor((out) => jsonLines(out).length >= 2).catch(() => undefined)
    const {code, stderr, stdout} = await cli.stop('SIGTERM')
    const passes = jsonLines(stdout).map((l) => JSON.parse(l) as MetricsPushResult)
    expect(passes.length, stderr).to.be.at.least(2)
    expect(code, stderr).to.equal(0)
    expect(stderr).to.contain('stopped')
    for (const p of passes) expect(p.counts.sent).to.equal(p.counts.values)
  })
})

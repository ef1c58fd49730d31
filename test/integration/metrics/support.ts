/**
 * Helpers for `metrics push` against the simulator (integration tests and the benchmark): give
 * Concertim an Instance device per server (as a sync would: `metadata.openstack_instance_id`), write
 * the CLI config, and shape Gnocchi measures so that expectations can be computed by hand.
 */
import {dump} from 'js-yaml'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {Simulator} from '../../../src/sim/index.js'
import type {GnocchiMetric, GnocchiResource, MeasureModel} from '../../../src/sim/world.js'

/** One 1U Instance device per server id, in racks of 72 U; returns server id → device id. */
export function seedInstanceDevices(sim: Simulator, serverIds: readonly string[]): Map<string, string> {
  const state = sim.concertim
  const team = [...state.teams.values()][0] ?? state.addTeam({name: 'metrics-team', project_id: 'metrics-project'})
  const template = state.addTemplate({foreign_id: `flavor-${state.templates.size}`, height: 1, name: `metrics-1u-${state.templates.size}`, ram: 4096, vcpus: 2})
  const out = new Map<string, string>()
  let rackId = ''
  serverIds.forEach((serverId, i) => {
    const u = (i % 72) + 1
    if (u === 1) rackId = state.addRack({name: `metrics-rack-${state.racks.size}`, order_id: `metrics-order-${state.racks.size}`, status: 'ACTIVE', team_id: team.id, u_height: 72}).id
    const placed = state.addDevice({
      metadata: {openstack_instance_id: serverId},
      name: `server-${i}`,
      rack_id: rackId,
      start_u: u,
      status: 'ACTIVE',
      template_id: template.id,
      type: 'Instance',
    })
    out.set(serverId, placed.device.id)
  })
  return out
}

/** The CLI config for the simulator, with a private lock dir, fast retries and extra keys, as a YAML file. */
export function writeSimConfig(sim: Simulator, extra: Record<string, unknown> = {}): {dir: string; path: string} {
  const dir = mkdtempSync(join(tmpdir(), 'cos-metrics-'))
  const config = {
    ...sim.config({logLevel: 'warn'}),
    http: {retries: 2, retry_base_ms: 5, max_retry_delay_ms: 100},
    lock_dir: join(dir, 'locks'),
    store: {path: join(dir, 'view.json'), type: 'file'},
    ...extra,
  }
  const path = join(dir, 'config.yaml')
  writeFileSync(path, dump(config))
  return {dir, path}
}

/** Gnocchi's instance resource of a server and its disk / NIC resources. */
export function gnocchiOf(sim: Simulator, serverId: string): {disks: GnocchiResource[]; instance: GnocchiResource | undefined; nics: GnocchiResource[]} {
  const related = sim.world.gnocchiOfInstance(serverId)
  return {
    disks: related.filter((r) => r.type === 'instance_disk'),
    instance: sim.world.gnocchiTable('instance').get(serverId),
    nics: related.filter((r) => r.type === 'instance_network_interface'),
  }
}

/** The metric of a resource by name (throws when the resource has none). */
export function metricOf(sim: Simulator, resource: GnocchiResource, name: string): GnocchiMetric {
  const id = resource.metrics[name]
  const m = id === undefined ? undefined : sim.world.gnocchiMetrics.get(id)
  if (m === undefined) throw new Error(`resource ${resource.id} has no metric ${name}`)
  return m
}

/**
 * Make a metric exact: a gauge at `level`, or a counter growing by exactly `level` per second (so
 * rate:mean = level × granularity). Integer levels keep the simulator's rounding out of the way.
 */
export function setExact(sim: Simulator, resource: GnocchiResource, name: string, kind: MeasureModel['kind'], level: number): void {
  const m = metricOf(sim, resource, name)
  m.model = {kind, level, seed: m.model.seed, spread: 0}
  m.createdAt = Math.floor(m.createdAt / 1000) * 1000
  m.pushed = undefined
}

/** A metric that has no measures yet (created in the future of the window). */
export function silence(sim: Simulator, resource: GnocchiResource, name: string): void {
  metricOf(sim, resource, name).createdAt = sim.world.now() + 3_600_000
}

/** Add a disk (or NIC) resource to a server with exact counters. */
export function addDevice(sim: Simulator, serverId: string, type: 'instance_disk' | 'instance_network_interface', levels: Record<string, number>): GnocchiResource {
  const instance = sim.world.gnocchiTable('instance').get(serverId)
  if (instance === undefined) throw new Error(`no instance resource ${serverId}`)
  const id = `${serverId.slice(0, 8)}-${type}-${sim.world.gnocchiOfInstance(serverId).length}`
  const metrics: Record<string, string> = {}
  const createdAt = Math.floor(sim.world.now() / 1000) * 1000 - 86_400_000
  for (const [name, level] of Object.entries(levels)) {
    const metricId = `${id}-${name}`
    sim.world.addMetric({archivePolicy: 'ceilometer-low-rate', createdAt, id: metricId, model: {kind: 'cumulative', level, seed: 1, spread: 0}, name, resourceId: id, unit: name.endsWith('bytes') ? 'B' : 'request'})
    metrics[name] = metricId
  }
  return sim.world.addGnocchiResource({
    attributes: {instance_id: serverId, name: id},
    createdByProjectId: 'service',
    createdByUserId: 'ceilometer',
    endedAt: null,
    id,
    metrics,
    projectId: instance.projectId,
    startedAt: createdAt,
    type,
    userId: instance.userId,
  })
}

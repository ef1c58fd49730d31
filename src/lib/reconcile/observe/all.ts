/**
 * The full observation (`sync`): every listing of the cloud, concurrently and to the last page;
 * Concertim and Kill Bill in full.
 */
import {type ObservationProblem, problemOf} from '../../model/problem.js'
import pLimit from 'p-limit'
import type {BillingState} from '../../model/billing.js'
import {NO_BILLING} from '../../model/billing.js'
import type {Project, Server, Stack} from '../../model/cloud.js'
import {managedRackKey} from '../plan.js'
import {treeVersions} from '../stack-tree.js'
import {toFlavor, toServer, toPartialServer, toVolume, toNetwork} from '../../openstack/to-model.js'
import {toConcertimDevice} from '../../concertim/to-model.js'
import type {Observation, ObserveClients, ObserveOptions, StackCacheEntry} from './types.js'
import {HeatReader, toStack} from './heat-membership.js'
import {isUnreadable, listing, message, readBilling, readConcertimBase} from './reads.js'

export async function observeAll(clients: ObserveClients, options: ObserveOptions): Promise<Observation> {
  const os = clients.openstack
  const problems: ObservationProblem[] = []
  const heat = new HeatReader(clients, options.loadStackCache, problems)

  const concertimBase = readConcertimBase(clients.concertim)
  // Each listing becomes model records as it arrives: the raw records (10,000 servers', devices',
  // volumes' JSON) are not kept while the stacks are read.
  const devicesP = clients.concertim.devices().then((ds) => ds.map((d) => toConcertimDevice(d)))
  // Do not leave a rejection unhandled while the cloud is read.
  concertimBase.catch(() => undefined)
  devicesP.catch(() => undefined)

  const [flavors, projects, stacks, servers, volumes, networks] = await Promise.all([
    listing('nova flavor', problems, async () => (await os.nova.listFlavors()).map((f) => toFlavor(f))),
    options.projects === true ? listing('keystone project', problems, async () => (await os.keystone.listProjects()).items) : Promise.resolve({complete: true, items: []}),
    listing('heat stack', problems, async () => os.heat.listStacks({globalTenant: true, showNested: true})),
    (async () => {
      try {
        const l = await os.nova.listServersAs(
          (s) => toServer(s),
          (s) => toPartialServer(s),
        )
        if (!l.complete) problems.push({kind: 'partial', message: `nova returned ${l.partial.length} partial server record(s) (a cell is down): no server is deleted`, part: 'servers', system: 'nova'})
        return {complete: true, items: [...l.servers, ...l.partial]}
      } catch (error) {
        if (isUnreadable(error)) throw error
        problems.push(problemOf('servers', error, `the nova server listing failed: ${message(error)}`))
        return {complete: false, items: [] as Server[]}
      }
    })(),
    listing('cinder volume', problems, async () => (await os.cinder.listVolumes()).map((v) => toVolume(v))),
    listing('neutron network', problems, async () => (await os.neutron.listNetworks()).map((n) => toNetwork(n))),
  ])
  const base = await concertimBase
  const linked = new Set(base.teams.map((t) => t.projectId).filter((p): p is string => p !== null && p !== ''))

  const limit = pLimit(Math.max(1, options.concurrency))
  const stackCache = new Map<string, StackCacheEntry>()
  const topLevel = stacks.items.filter((s) => s.parent === undefined || s.parent === null)
  const trees = treeVersions(stacks.items)
  await heat.prepare(topLevel.map((s) => s.id))
  let stacksComplete = stacks.complete
  const modelStacks: Stack[] = []
  await Promise.all(
    topLevel.map(async (s) => {
      // Stacks of projects no team shows are not needed (their project id is in the listing for admins).
      if (s.project !== undefined && s.project !== null && !linked.has(s.project)) {
        modelStacks.push(toStack(s, {outputs: [], owner: s.stack_owner ?? null, projectId: s.project, resources: {networks: [], servers: [], volumes: []}, version: ''}))
        return
      }
      const tree = trees.get(s.id)
      const read = await limit(async () => heat.membership(s, {tree}))
      if (read.outcome === 'failed') stacksComplete = false
      if (read.outcome !== 'ok') return
      stackCache.set(s.id, read.entry)
      modelStacks.push(toStack(s, read.entry, tree))
    }),
  )
  const devices = await devicesP

  let billing: BillingState = NO_BILLING
  if (clients.killbill !== undefined) {
    const orderOf = new Map<string, null | string>()
    for (const r of base.racks) {
      const key = managedRackKey(r, options.decode)
      if (key !== null) orderOf.set(key.slice('rack:'.length), r.orderId)
    }
    billing = await readBilling(clients.killbill, 'all', orderOf, options.concurrency, problems)
  }

  return {
    billing,
    cloud: {
      complete: {flavors: flavors.complete, networks: networks.complete, projects: projects.complete, servers: servers.complete, stacks: stacksComplete, volumes: volumes.complete},
      flavors: flavors.items,
      networks: networks.items,
      projects: projects.items.map((p): Project => ({id: p.id, name: p.name})),
      servers: servers.items,
      stacks: modelStacks,
      volumes: volumes.items,
    },
    concertim: {...base, devices},
    confirmedGone: new Set(),
    problems,
    stackCache,
    stacksRead: heat.read,
  }
}

/**
 * A synced simulator world for `billing reconcile`: `sync` has made the racks and devices (racks
 * carry the Kill Bill subscription of their stack as order id), the clock is the test's, and a run
 * can be made in-process (with its own call ledger) or through the real CLI. Expectations are
 * computed from the simulator's own state (its rated frames, Concertim records, Kill Bill usage),
 * never through the code under test.
 */
import {CallLedger} from '../../../src/lib/http/index.js'
import {type BillingOptions, type BillingReport, runBillingReconcile} from '../../../src/lib/billing/reconcile.js'
import {periodAt} from '../../../src/lib/billing/period.js'
import {createBillingClients} from '../../../src/lib/runtime/billing.js'
import {ratedFrames} from '../../../src/sim/rating.js'
import {startSyncWorld, type SyncWorld} from '../sync/support.js'

export interface BillingWorld extends SyncWorld {
  /** One run in-process at the world's clock. */
  bill(opts?: Partial<BillingOptions>): Promise<BillingReport & {ledger: CallLedger; writes: number}>
  clock: {now: number}
}

/** A small world synced at `at` (default: the middle of the current hour of the current month). */
export async function startBillingWorld(opts: {at?: number; extra?: Record<string, unknown>; seed?: number} = {}): Promise<BillingWorld> {
  const clock = {now: opts.at ?? Math.floor(Date.now() / 3_600_000) * 3_600_000 + 1_800_000}
  const world = await startSyncWorld({extra: opts.extra, now: () => clock.now, seed: opts.seed ?? 7})
  const first = await world.sync()
  const failed = first.results.filter((r) => r.error !== undefined)
  if (failed.length > 0 || first.problems.length > 0) throw new Error(`the first sync failed: ${JSON.stringify({failed, problems: first.problems})}`)
  return Object.assign(world, {
    async bill(o: Partial<BillingOptions> = {}) {
      const ledger = new CallLedger()
      const {clients, store} = createBillingClients(world.config, {ledger, settings: {retries: 0, retryBaseMs: 10}})
      try {
        const report = await runBillingReconcile(clients, {concurrency: 8, dryRun: false, now: clock.now, settleGraceMs: 0, ...o})
        return {...report, ledger, writes: ledger.writes()}
      } finally {
        await store.close()
      }
    },
    clock,
  })
}

/** CloudKitty's month-to-date per cloud id and type (the simulator's rated frames), for a period start..end. */
export function ratedByResource(world: BillingWorld, startMs: number, endMs: number): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>()
  for (const f of ratedFrames(world.sim.world, startMs, endMs)) {
    let types = out.get(f.id)
    if (!types) out.set(f.id, (types = new Map()))
    types.set(f.type, (types.get(f.type) ?? 0) + f.rate)
  }
  return out
}

/** Per rack (with a subscription): Kill Bill unit type → what CloudKitty rates its devices this period, rounded as usage. */
export function expectedUsage(world: BillingWorld, at = world.clock.now): Map<string, Map<string, number>> {
  const p = periodAt(at)
  const rated = ratedByResource(world, p.startMs, p.endMs)
  const out = new Map<string, Map<string, number>>()
  const c = world.sim.concertim
  for (const rack of c.racks.values()) {
    const charges = new Map<string, number>()
    for (const {device} of c.devicesOfRack(rack.id)) {
      const id = device.metadata.openstack_instance_id
      for (const [type, rate] of (typeof id === 'string' ? rated.get(id) : undefined) ?? []) charges.set(`openstack-billed-${type}`, (charges.get(`openstack-billed-${type}`) ?? 0) + rate)
    }
    out.set(rack.order_id, new Map([...charges].map(([k, v]) => [k, Math.round(v * 1e6) / 1e6])))
  }
  return out
}

/** Kill Bill's rolled-up usage of every rack's subscription in the period of `at`, rounded as usage. */
export function killBillUsage(world: BillingWorld, at = world.clock.now): Map<string, Map<string, number>> {
  const p = periodAt(at)
  const out = new Map<string, Map<string, number>>()
  for (const rack of world.sim.concertim.racks.values()) {
    const sums = world.sim.killbill.rolledUp(rack.order_id, p.start, p.end)
    out.set(rack.order_id, new Map([...sums].map(([k, v]) => [k, Math.round(v * 1e6) / 1e6])))
  }
  return out
}

/** Plain objects of nested maps, for deep equality with readable diffs. */
export function plain(m: Map<string, Map<string, number>>): Record<string, Record<string, number>> {
  return Object.fromEntries([...m].map(([k, v]) => [k, Object.fromEntries([...v].filter(([, n]) => n !== 0).sort(([a], [b]) => a.localeCompare(b)))]))
}

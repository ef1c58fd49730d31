/**
 * The composition root of `billing reconcile`: CloudKitty (through the Keystone session, with the
 * billing page size), Concertim, Kill Bill when its section is present, and the view store that
 * keeps which month was last settled. lib/billing builds no client; commands, tests and benchmarks
 * build them here. The caller closes the store.
 */
import {createConcertim} from '../concertim/index.js'
import type {Config} from '../config/index.js'
import type {HttpContext} from '../http/index.js'
import {createKillBill} from '../killbill/index.js'
import {CloudKittyClient, createOpenStack} from '../openstack/index.js'
import type {Logger} from '../output/logger.js'
import type {BillingClients, Membership, UsageSnapshot} from '../billing/reconcile.js'
import {openViewStore} from '../store/index.js'
import type {ViewStore} from '../store/types.js'

/** The view store's named value holding the last month settled (`YYYY-MM`). */
export const SETTLED_VALUE = 'billing_settled_period'
/** The view store's named value holding the usage last seen in Kill Bill: `{period, subscriptions: {id: {unit: amount}}}`. */
export const USAGE_VALUE = 'billing_usage_seen'
/** The view store's named value holding the members billed to each subscription: `{<YYYY-MM>: {subscription: [cloud ids]}}` (the last two months). */
export const MEMBERS_VALUE = 'billing_members'

export function createBillingClients(config: Config, ctx: HttpContext, logger?: Logger): {clients: BillingClients; store: ViewStore} {
  const settings = ctx.settings ?? {}
  const context: HttpContext = {...ctx, settings: {...settings, maxInFlightPerHost: Math.max(settings.maxInFlightPerHost ?? 0, config.billing.concurrency)}}
  const openstack = createOpenStack(config.openstack as unknown as Record<string, unknown>, context)
  const concertim = createConcertim(config.concertim, context)
  const killbill = config.killbill === undefined || config.killbill === null ? undefined : createKillBill(config.killbill, context).client
  const store = openViewStore(config.store)
  if (logger) store.onWarning = (message) => logger.warn(message)
  let snapshot: Promise<Record<string, unknown>> | undefined
  const values = async () => (snapshot ??= store.load().then((v) => v.values))
  const clients: BillingClients = {
    cloudkitty: new CloudKittyClient(openstack.keystone, {pageSize: config.billing.page_size}),
    concertim: {
      devices: async () => concertim.api.devices(),
      racks: async () => concertim.api.racks(),
      teams: async () => concertim.api.teams(),
      // Costs are set without reading the answers back: ~11k PATCHes on a cloud-10k first run, each
      // answered with the whole device (a rack's with all its devices) that billing never reads.
      updateDevice: async (id, update) => concertim.api.setDeviceCost(id, update.cost),
      updateRack: async (id, update) => concertim.api.setRackCost(id, update.cost),
      updateTeam: async (id, update) => concertim.api.updateTeam(id, update),
    },
    ...(killbill === undefined ? {} : {killbill}),
    logger,
    settlement: {
      async markSettled(periodId) {
        await store.apply({values: {[SETTLED_VALUE]: periodId}})
      },
      async settledThrough() {
        try {
          const v = (await values())[SETTLED_VALUE]
          return typeof v === 'string' ? v : undefined
        } catch (error) {
          logger?.warn({err: (error as Error).message}, 'cannot read which month was last settled; settling the previous month again (records nothing twice)')
          return undefined
        }
      },
    },
    membership: {
      async load(periodId) {
        const all = (await values())[MEMBERS_VALUE] as Record<string, unknown> | undefined
        const of = all?.[periodId]
        const out: Membership = new Map()
        if (typeof of !== 'object' || of === null) return out
        for (const [sub, ids] of Object.entries(of as Record<string, unknown>)) if (Array.isArray(ids)) out.set(sub, new Set(ids.filter((i): i is string => typeof i === 'string')))
        return out
      },
      async save(periodId, members) {
        const all = {...((await values())[MEMBERS_VALUE] as Record<string, unknown> | undefined), [periodId]: Object.fromEntries([...members].map(([sub, ids]) => [sub, [...ids].sort()]))}
        // The last two months: the current one and the one being settled.
        const kept = Object.fromEntries(Object.entries(all).sort(([a], [b]) => b.localeCompare(a)).slice(0, 2))
        await store.apply({values: {[MEMBERS_VALUE]: kept}})
        ;(await values())[MEMBERS_VALUE] = kept
      },
    },
    usageCache: {
      async load(periodId) {
        const v = (await values())[USAGE_VALUE] as {period?: unknown; subscriptions?: unknown} | undefined
        if (v?.period !== periodId || typeof v.subscriptions !== 'object' || v.subscriptions === null) return undefined
        const out: UsageSnapshot = new Map()
        for (const [sub, units] of Object.entries(v.subscriptions as Record<string, unknown>)) {
          if (typeof units !== 'object' || units === null) continue
          out.set(sub, new Map(Object.entries(units as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number')))
        }
        return out
      },
      async save(periodId, seen) {
        const subscriptions = Object.fromEntries([...seen].map(([sub, units]) => [sub, Object.fromEntries(units)]))
        await store.apply({values: {[USAGE_VALUE]: {period: periodId, subscriptions}}})
      },
    },
  }
  return {clients, store}
}

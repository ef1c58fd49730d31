/**
 * The composition root of the reconcile engine: the clients of every system a configuration names
 * (OpenStack, Concertim, Kill Bill when its section is present) on one HTTP context, the view
 * store, and the engine over them. lib/reconcile builds no client (DESIGN §2); commands, tests and
 * benchmarks build the engine here.
 */
import {createConcertim} from '../concertim/index.js'
import type {Config} from '../config/index.js'
import type {HttpContext} from '../http/index.js'
import {createKillBill} from '../killbill/index.js'
import {createOpenStack} from '../openstack/index.js'
import type {Logger} from '../output/logger.js'
import {DeletionWindow} from '../reconcile/deletion/index.js'
import {engineOptionsFromConfig, type EngineOptions, ReconcileEngine} from '../reconcile/engine.js'
import {openViewStore} from '../store/index.js'
import type {ViewStore} from '../store/types.js'

/**
 * The engine for a configuration: OpenStack, Concertim and (when its section is present) Kill Bill
 * clients on one HTTP context, and the view store. The caller closes the store.
 */
export function createReconcileEngine(
  config: Config,
  ctx: HttpContext,
  logger?: Logger,
  overrides: Pick<EngineOptions, 'recordInBackground'> & {listen?: boolean} = {},
): {engine: ReconcileEngine; openstack: ReturnType<typeof createOpenStack>; store: ViewStore} {
  const {listen, ...rest} = overrides
  const options: EngineOptions = {...engineOptionsFromConfig(config), ...rest}
  // listen: a cap on deletions over time, since each of its plans deletes little.
  if (listen === true) options.deleteWindow = new DeletionWindow(config.listen.max_deletes ?? 20, (config.listen.delete_window_s ?? 600) * 1000)
  const settings = ctx.settings ?? {}
  const context: HttpContext = {...ctx, settings: {...settings, maxInFlightPerHost: Math.max(settings.maxInFlightPerHost ?? 0, options.concurrency)}}
  const openstack = createOpenStack(config.openstack as unknown as Record<string, unknown>, context)
  const concertim = createConcertim(config.concertim, context)
  const killbill = config.killbill === undefined || config.killbill === null ? undefined : createKillBill(config.killbill, context).client
  const store = openViewStore(config.store)
  const engine = new ReconcileEngine({concertim: concertim.api, ...(killbill === undefined ? {} : {killbill}), openstack}, store, logger, {
    ...options,
    defaultRackHeight: concertim.defaultRackHeight,
  })
  return {engine, openstack, store}
}

/**
 * The composition root of the identity functions (`users create|delete`, later the HTTP API): the
 * Keystone session, Concertim and (with billing) Kill Bill clients of a configuration on one HTTP
 * context, with the `identity:` settings.
 */
import {createConcertim} from '../concertim/index.js'
import type {Config} from '../config/index.js'
import type {HttpContext} from '../http/index.js'
import {identityClients, type IdentityClients, identitySettings} from '../identity/index.js'
import {createKillBill} from '../killbill/index.js'
import {createOpenStack, type OpenStack} from '../openstack/index.js'
import type {Logger} from '../output/logger.js'

export function createIdentityRuntime(config: Config, ctx: HttpContext, logger?: Logger): {clients: IdentityClients; openstack: OpenStack} {
  const openstack = createOpenStack(config.openstack as unknown as Record<string, unknown>, ctx)
  const concertim = createConcertim(config.concertim, ctx).api
  const killbill = config.killbill === undefined || config.killbill === null ? undefined : createKillBill(config.killbill, ctx).client
  return {clients: identityClients({concertim, keystone: openstack.keystone, killbill, logger, settings: identitySettings(config)}), openstack}
}

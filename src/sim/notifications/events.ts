/**
 * What OpenStack publishes for one change of the simulated cloud: the notifications of the service
 * that made it, on that service's control exchange.
 */
import type {World, WorldChange} from '../world.js'
import {cinderNotifications} from './cinder.js'
import {heatNotifications} from './heat.js'
import {neutronNotifications} from './neutron.js'
import {novaNotifications} from './nova.js'
import type {NotificationFormat, OsloNotification} from './oslo.js'

/** Control exchange per service: nova, heat, neutron set their own; cinder keeps oslo's default `openstack`. */
export interface ServiceExchanges {
  cinder: string
  heat: string
  keystone: string
  neutron: string
  nova: string
}

export const DEFAULT_EXCHANGES: ServiceExchanges = {cinder: 'openstack', heat: 'heat', keystone: 'keystone', neutron: 'neutron', nova: 'nova'}

export interface NotificationOptions {
  exchanges: ServiceExchanges
  /** nova's `notification_format` (other services only have their legacy format). */
  format: NotificationFormat
  glanceUrl: string
}

export function notificationsFor(world: World, change: WorldChange, opts: NotificationOptions): OsloNotification[] {
  switch (change.kind) {
    case 'network':
      return neutronNotifications(world, change, opts.exchanges.neutron)
    case 'server':
      return novaNotifications(world, change, {format: opts.format, glanceUrl: opts.glanceUrl}).map((n) => ({...n, exchange: opts.exchanges.nova}))
    case 'stack':
      return heatNotifications(world, change, opts.exchanges.heat)
    case 'volume':
      return cinderNotifications(world, change, opts.exchanges.cinder)
  }
}

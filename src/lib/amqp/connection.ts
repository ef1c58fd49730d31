/**
 * RabbitMQ connection settings from the `rmq` section (the original service's keys) and a
 * short-lived connection for checks. `listen` builds its resident, recovering consumer on top.
 */
import amqp from 'amqplib'
import {readFileSync} from 'node:fs'

import type {RmqSection} from '../config/index.js'
import {ConfigError} from '../errors.js'

/** The exchanges OpenStack services publish notifications on (oslo.messaging control_exchange). */
export const NOTIFICATION_EXCHANGES = ['nova', 'heat', 'cinder', 'openstack', 'neutron', 'keystone'] as const

export interface AmqpTarget {
  /** The URL without the password, for messages. */
  display: string
  socketOptions: Record<string, unknown>
  url: string
}

export function amqpTarget(rmq: RmqSection): AmqpTarget {
  if (!rmq.rmq_address) {
    throw new ConfigError('rmq.rmq_address', 'is empty: name the RabbitMQ host OpenStack publishes its notifications on', 'rmq_address: rabbitmq.example.com')
  }
  const scheme = rmq.tls ? 'amqps' : 'amqp'
  const vhost = encodeURIComponent(rmq.rmq_path === '/' ? '/' : rmq.rmq_path.replace(/^\//, ''))
  const user = encodeURIComponent(rmq.rmq_username)
  const pass = encodeURIComponent(rmq.rmq_password ?? '')
  const hostPort = `${rmq.rmq_address}:${rmq.rmq_port}`
  const socketOptions: Record<string, unknown> = {timeout: 10_000}
  if (rmq.tls) {
    socketOptions.rejectUnauthorized = !rmq.insecure
    if (rmq.ca_file) socketOptions.ca = [readFileSync(rmq.ca_file)]
  }
  return {
    display: `${scheme}://${rmq.rmq_username}@${hostPort}/${vhost}`,
    socketOptions,
    url: `${scheme}://${user}:${pass}@${hostPort}/${vhost}?heartbeat=30`,
  }
}

/** Open a connection, run `fn`, always close it. */
export async function withConnection<T>(target: AmqpTarget, fn: (conn: amqp.ChannelModel) => Promise<T>): Promise<T> {
  const conn = await amqp.connect(target.url, target.socketOptions)
  conn.on('error', () => {
    /* reported through the awaited calls; an unhandled 'error' would crash the process */
  })
  try {
    return await fn(conn)
  } finally {
    await conn.close().catch(() => undefined)
  }
}

/** Which of `names` exist, checked passively (nothing is declared). */
export async function existingExchanges(conn: amqp.ChannelModel, names: readonly string[]): Promise<Record<string, boolean>> {
  const out: Record<string, boolean> = {}
  for (const name of names) {
    // A failed passive check closes its channel, so each check gets its own.
     
    const ch = await conn.createChannel()
    ch.on('error', () => {
      /* 404 NOT_FOUND closes the channel; handled below */
    })
    try {
       
      await ch.checkExchange(name)
      out[name] = true
       
      await ch.close()
    } catch {
      out[name] = false
    }
  }
  return out
}

import {amqpTarget, existingExchanges, NOTIFICATION_EXCHANGES, withConnection} from '../amqp/connection.js'
import type {RmqSection} from '../config/index.js'
import {CheckChain, CheckFailure, type CheckResult} from './check.js'

/** The broker connection (reachability, credentials, vhost) and the notification exchanges, checked passively. */
export async function checkRabbitMq(rmq: RmqSection): Promise<CheckResult[]> {
  const chain = new CheckChain('rabbitmq')
  let exchanges: Record<string, boolean> = {}
  await chain.step('connection', async () => {
    const target = amqpTarget(rmq)
    try {
      exchanges = await withConnection(target, (conn) => existingExchanges(conn, NOTIFICATION_EXCHANGES))
    } catch (error) {
      const e = error as Error & {code?: string}
      const text = `${e.code ?? ''} ${e.message}`
      if (/ACCESS_REFUSED|403/.test(text)) throw new CheckFailure(`${target.display}: the broker refused the credentials`, 'check rmq.rmq_username and the password, and that the user has permissions on the vhost (rabbitmqctl list_permissions)')
      if (/NOT_ALLOWED|vhost/i.test(text)) throw new CheckFailure(`${target.display}: vhost '${rmq.rmq_path}' is not open to this user`, 'check rmq.rmq_path (the vhost OpenStack uses, usually /)')
      throw new CheckFailure(`${target.display}: cannot connect (${text.trim()})`, 'check rmq.rmq_address and rmq.rmq_port, and that RabbitMQ listens there')
    }
    return `${target.display} accepted the credentials`
  })
  await chain.step('notification exchanges', async () => {
    const missing = NOTIFICATION_EXCHANGES.filter((x) => !exchanges[x])
    if (missing.length === NOTIFICATION_EXCHANGES.length) {
      throw new CheckFailure('none of the exchanges nova, heat, cinder, openstack, neutron, keystone exists', 'enable notifications in the OpenStack services ([oslo_messaging_notifications] driver = messagingv2) and point rmq at their broker and vhost')
    }
    if (missing.length > 0) {
      throw new CheckFailure(`missing: ${missing.join(', ')} (present: ${NOTIFICATION_EXCHANGES.filter((x) => exchanges[x]).join(', ')})`, "a service whose exchange is missing has not published a notification yet, or has notifications off; listen reports it and binds when it appears", 'warn')
    }
    return `${NOTIFICATION_EXCHANGES.join(', ')} exist`
  })
  return chain.results
}

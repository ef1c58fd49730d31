/**
 * listen's recovery against the real RabbitMQ (each test in its own vhost): a broker error during
 * set-up after a reconnect, the queue's bound and a changed bound (406), a full reconcile after every
 * gap, the durable flag that does not match OpenStack's exchanges, another consumer on the queue.
 */
import {expect} from 'chai'

import amqp from 'amqplib'

import {OtherConsumersError} from '../../../src/lib/amqp/consumer.js'
import {QueueArgumentsError} from '../../../src/lib/amqp/topology.js'
import {healthStatus} from '../../../src/lib/listen/health.js'
import {AMQP_URL, requireService} from '../../support/services.js'
import {createVhost, declareOsloExchanges, Publisher, queueDepth, rabbitmqctl, type TestVhost, until} from './broker.js'
import {ALL_EXCHANGES, DLQ, QUEUE, testService} from './support.js'

const applied = async () => ({applied: true})

async function closeConnectionsOf(vhost: TestVhost): Promise<void> {
  const conns = await rabbitmqctl('list_connections', '-q', '--no-table-headers', 'pid', 'vhost')
  const ours = conns.split('\n').filter((l) => l.endsWith(`\t${vhost.name}`)).map((l) => l.split('\t')[0])
  for (const pid of ours) await rabbitmqctl('close_connection', pid, 'listen test: forced close').catch(() => undefined)
}

function notification(id: string): string {
  return JSON.stringify({event_type: 'compute.instance.power_off.end', message_id: id, payload: {instance_id: id, state: 'stopped'}, timestamp: '2026-01-01 00:00:00.000000'})
}

describe('listen recovery on a real RabbitMQ', function () {
  this.timeout(60_000)
  let vhost: TestVhost

  before(async function () {
    await requireService(this, 'RabbitMQ', AMQP_URL)
  })

  beforeEach(async () => {
    vhost = await createVhost()
  })

  afterEach(async () => {
    await vhost.drop()
  })

  it('a broker error during set-up after a reconnect is handled (no uncaught exception): it reconnects again and consumes', async () => {
    await declareOsloExchanges(vhost.url, ['nova'])
    const svc = testService(vhost, applied, {
      beforeSetup: async (model, connects) => {
        if (connects !== 2) return
        // The broker closes this connection with an error while it is being set up (a hard error,
        // 503 COMMAND_INVALID, as a socket reset would be: amqplib emits 'error' on the connection,
        // which has no listener of amqplib's until set-up is done; the test adds none either).
        const closed = new Promise<void>((resolve) => model.once('close', () => resolve()))
        const ch = await model.createChannel()
        ch.on('error', () => undefined)
        await ch.assertExchange('listen-test-bad', 'no-such-type').catch(() => undefined)
        await closed
      },
    })
    await svc.start()
    try {
      await closeConnectionsOf(vhost)
      await until(() => svc.consumer.status().reconnects >= 2 && svc.consumer.status().consuming, 20_000, 'the second reconnection')
      const pub = await Publisher.open(vhost.url)
      await pub.publish('nova', 'notifications.info', notification('after'))
      await pub.close()
      await until(() => svc.stats.counters.applied === 1, 5000, 'a message after the recovery')
    } finally {
      await svc.stop()
    }
  })

  it('the queue is bounded (x-max-length, drop-head: the oldest go to the dead-letter queue, itself bounded)', async () => {
    await declareOsloExchanges(vhost.url, ['nova'])
    const topology = {deadLetterMaxLength: 3, deadLetterQueue: DLQ, deliveryLimit: 20, exchanges: ALL_EXCHANGES, maxLength: 5, queue: QUEUE}
    const svc = testService(vhost, applied, {topology})
    await svc.start()
    await svc.stop()
    // listen is stopped: OpenStack goes on publishing.
    const pub = await Publisher.open(vhost.url)
    for (let i = 0; i < 12; i++) await pub.publish('nova', 'notifications.info', notification(`s${i}`), false)
    await pub.confirm()
    await pub.close()
    await until(async () => (await queueDepth(vhost.url, QUEUE)) === 5, 5000, 'the queue at its bound')
    await until(async () => (await queueDepth(vhost.url, DLQ)) === 3, 5000, 'the dead-letter queue at its bound')
    const queues = await rabbitmqctl('list_queues', '-p', vhost.name, '-q', '--no-table-headers', 'name', 'arguments')
    expect(queues).to.match(/x-max-length.*5/)
    expect(queues).to.match(/x-overflow.*drop-head/)
  })

  it('a queue declared with other arguments (a changed bound) stops the start with a clear error and the way to migrate', async () => {
    await declareOsloExchanges(vhost.url, ['nova'])
    // As an earlier version declared it: no bound.
    const old = testService(vhost, applied, {topology: {deadLetterQueue: DLQ, deliveryLimit: 20, exchanges: ALL_EXCHANGES, queue: QUEUE}})
    await old.start()
    await old.stop()
    const svc = testService(vhost, applied)
    let error: unknown
    try {
      await svc.start()
    } catch (error_) {
      error = error_
    } finally {
      await svc.stop()
    }
    expect(error).to.be.instanceOf(QueueArgumentsError)
    expect((error as Error).message).to.match(/queue 'concertim-os.notifications' exists with other arguments .*x-max-length/)
    expect((error as QueueArgumentsError).hint).to.match(/delete_queue 'concertim-os.notifications'.*concertim-os sync.*listen.max_length/)
  })

  it('a full reconcile runs at start and after a reconnect, and the reconnect is sub-second', async () => {
    await declareOsloExchanges(vhost.url, ['nova'])
    const runs: string[] = []
    const svc = testService(vhost, applied, {
      reconnect: {initialDelay: 100, maxDelay: 2000},
      resync: {
        minIntervalMs: 0,
        run: async (reason) => {
          runs.push(reason)
          return 'done'
        },
        settleMs: 50,
      },
    })
    await svc.start()
    try {
      await until(() => runs.length === 1, 5000, 'the full reconcile at start')
      expect(runs[0]).to.match(/^started/)
      let lost = 0
      svc.consumer['conn']?.on('disconnect', () => {
        lost = performance.now()
      })
      await closeConnectionsOf(vhost)
      await until(() => svc.consumer.status().reconnects >= 1 && svc.consumer.status().consuming, 10_000, 'the reconnection')
      expect(performance.now() - lost, 'reconnected within a second').to.be.lessThan(1000)
      await until(() => runs.length === 2, 5000, 'the full reconcile after the reconnect')
      expect(runs[1]).to.match(/reconnected/)
    } finally {
      await svc.stop()
    }
  })

  it("declare_exchanges_durable against OpenStack's non-durable exchanges: detected, said loudly, /healthz not ok, never declared our way", async () => {
    await declareOsloExchanges(vhost.url, ['nova', 'heat'], false)
    const svc = testService(vhost, applied, {topology: {deadLetterQueue: DLQ, declareExchanges: {durable: true}, deliveryLimit: 20, exchanges: ['nova', 'heat'], queue: QUEUE}})
    await svc.start()
    try {
      expect(svc.consumer.status().exchangeFlagMismatch.sort()).to.deep.equal(['heat', 'nova'])
      const h = healthStatus(svc.report())
      expect(h.code).to.equal(503)
      expect(h.body.reason).to.match(/declare_exchanges_durable/)
      // After a broker restart they are gone; listen must not declare them durable (OpenStack's declaration would then fail).
      await rabbitmqctl('delete_exchange', '-p', vhost.name, 'nova').catch(async () => {
        const c = await amqp.connect(vhost.url)
        const ch = await c.createChannel()
        await ch.deleteExchange('nova')
        await c.close()
      })
      await closeConnectionsOf(vhost)
      await until(() => svc.consumer.status().reconnects >= 1 && svc.consumer.status().consuming, 10_000, 'the reconnection')
      // OpenStack declares it again its way: that works (nothing of ours stands in its way).
      await declareOsloExchanges(vhost.url, ['nova'], false)
    } finally {
      await svc.stop()
    }
  })

  it('another listener on the queue: refused at start (file store); one appearing later turns payload states off', async () => {
    await declareOsloExchanges(vhost.url, ['nova'])
    const first = testService(vhost, applied, {consumerCheckMs: 200, otherConsumers: 'refuse'})
    await first.start()
    const second = testService(vhost, applied, {otherConsumers: 'refuse'})
    let error: unknown
    try {
      await second.start()
    } catch (error_) {
      error = error_
    } finally {
      await second.stop()
    }
    try {
      expect(error).to.be.instanceOf(OtherConsumersError)
      expect((error as Error).message).to.match(/1 other consumer is already on queue 'concertim-os.notifications'/)
      expect(first.report().payloadStates).to.equal(true)
      // An older listener (that does not check) starts consuming the same queue.
      const c = await amqp.connect(vhost.url)
      const ch = await c.createChannel()
      await ch.consume(QUEUE, () => undefined)
      await until(() => first.report().payloadStates === false, 5000, 'payload states turned off')
      expect(first.consumer.status().otherConsumers).to.equal(1)
      await c.close()
    } finally {
      await first.stop()
    }
  })
})

/** A ListenService on a test vhost with a scriptable reconciler (the engine's place). */
import {ListenService, type ListenServiceOptions} from '../../../src/lib/listen/service.js'
import {MemoryWatermarks} from '../../../src/lib/listen/watermarks.js'
import {createLogger, silentLogger} from '../../../src/lib/output/logger.js'
import type {TestVhost} from './broker.js'

export const ALL_EXCHANGES = ['nova', 'heat', 'cinder', 'openstack', 'neutron', 'keystone'] as const
export const QUEUE = 'concertim-os.notifications'
export const DLQ = 'concertim-os.notifications.dead'

export function testService(vhost: TestVhost, reconcile: ListenServiceOptions['reconcile'], over: Partial<ListenServiceOptions> = {}): ListenService {
  return new ListenService({
    connectionName: `listen-test ${vhost.name}`,
    deadLetterMalformed: true,
    debounceMs: 10,
    drainTimeoutMs: 3000,
    exchangeRecheckMs: 200,
    initialMaxRetries: 3,
    logger: process.env.LISTEN_TEST_LOG ? createLogger({format: 'text', level: 'debug'}) : silentLogger,
    maxAttempts: 3,
    prefetch: 50,
    reconcile,
    reconnect: {initialDelay: 100, maxDelay: 1000},
    retry: {baseMs: 20, maxMs: 200},
    summaryIntervalMs: 0,
    target: {display: vhost.name, socketOptions: {timeout: 5000}, url: `${vhost.url}?heartbeat=5`},
    // The queue arguments `listen` declares with the configuration's defaults (a CLI and a test service share queues).
    topology: {deadLetterMaxLength: 10_000, deadLetterQueue: DLQ, deliveryLimit: 20, exchanges: ALL_EXCHANGES, maxLength: 100_000, overflow: 'drop-head', queue: QUEUE},
    watermarks: new MemoryWatermarks(),
    ...over,
  })
}

import {Flags} from '@oclif/core'
import {hostname} from 'node:os'

import {BaseCommand} from '../lib/base-command.js'
import {AppError, LockedError} from '../lib/errors.js'
import {ExitCode} from '../lib/exit-codes.js'
import {awaitStopSignal} from '../lib/signals.js'

export default class Listen extends BaseCommand<typeof Listen> {
  static override description = `Keep Concertim current in real time: the resident RabbitMQ consumer of OpenStack's notifications.

It declares its own durable quorum queue (listen.queue) bound to the exchanges nova, heat, cinder, openstack, neutron and keystone with notifications.info|error (nova also versioned_notifications.*), checks the exchanges passively (a missing one is reported, rechecked, never created), and never consumes oslo's shared notifications.info queue. Each notification names one entity (server, stack, volume, network, project); bursts for one entity are reconciled once, with the same desire/plan/apply as sync. Messages are acked only after the Concertim write succeeded (or was not needed); while Concertim or OpenStack is down they are retried, for at most listen.max_hold_ms; one that fails listen.max_attempts times, or is not applied within that time, goes to the dead-letter queue with the reason. Reconnects at once after broker restarts, and after any gap (start, reconnect, exchanges bound late, messages given up) runs a full reconcile under the sync lock. With the file store it refuses to share its queue with another consumer. SIGTERM/SIGINT: stop consuming, finish in-flight work, ack, close, exit 0. Run it under systemd (etc/systemd/concertim-os-listen.service).`

  static override enableJsonFlag = false

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Consume with the configuration file'},
    {command: '<%= config.bin %> <%= command.id %> --health-port 9464 --log-format json', description: 'With /healthz on 127.0.0.1:9464 and JSON logs (systemd, Kubernetes)'},
  ]

  static override flags = {
    'health-port': Flags.integer({description: 'Serve GET /healthz on this port (200 connected and consuming, else 503) [default: listen.health_port].', max: 65_535, min: 0}),
    prefetch: Flags.integer({description: 'Unacknowledged messages in hand at once [default: listen.prefetch].', min: 1}),
    queue: Flags.string({description: "The queue to declare and consume [default: listen.queue]; never oslo's notifications.info.", env: 'CONCERTIM_OS_LISTEN_QUEUE'}),
  }

  async run(): Promise<void> {
    const config = this.appConfig()
    if (!config.rmq || !config.rmq.rmq_address) this.fail('listen needs the rmq section (rmq_address, rmq_username, rmq_password): where OpenStack publishes its notifications', ExitCode.USAGE, 'add an rmq: section to the configuration file')
    // amqplib, the engine and its clients are imported to run, not to list the command.
    const [{amqpTarget}, {assertOwnQueue}, {engineReconciler, heatTopLevelStack}, {viewStoreClaim}, {ListenService}, {MemoryWatermarks, SharedWatermarks}, {createReconcileEngine}, {topLevelStack}, {takeRunLock}] = await Promise.all([
      import('../lib/amqp/connection.js'),
      import('../lib/amqp/topology.js'),
      import('../lib/listen/engine-adapter.js'),
      import('../lib/listen/rack-locks.js'),
      import('../lib/listen/service.js'),
      import('../lib/listen/watermarks.js'),
      import('../lib/runtime/reconcile-engine.js'),
      import('../lib/reconcile/observe/index.js'),
      import('../lib/lock.js'),
    ])
    const l = config.listen
    const queue = this.flags.queue ?? l.queue
    assertOwnQueue(queue)
    const target = amqpTarget(config.rmq)
    const {engine, openstack, store} = createReconcileEngine(config, this.httpContext(), this.logger, {listen: true, recordInBackground: true})
    store.onWarning = (message) => this.logger.warn(message)
    if (!(await engine.seesAllProjects().catch(() => false))) {
      this.logger.error('the OpenStack token is not proven to see every project (no admin role, or its roles could not be read): listen deletes nothing until it is (other projects\' objects answer 404 to such a token); `concertim-os doctor` says more')
    }
    // A nested stack's event is reconciled as its top-level stack's (Heat asked once per stack).
    const service = new ListenService({
      initialMaxRetries: Number.POSITIVE_INFINITY,
      // Reconciles that may write one rack run one at a time (the view store knows where devices are).
      claim: viewStoreClaim(store),
      concurrency: l.concurrency,
      connectionName: `concertim-os listen ${hostname()}:${process.pid}`,
      consumerCheckMs: l.consumer_check_s * 1000,
      deadLetterMalformed: l.dead_letter_malformed,
      debounceMs: l.debounce_ms,
      drainTimeoutMs: l.drain_timeout_ms,
      healthHost: l.health_host,
      healthPort: this.flags['health-port'] ?? l.health_port ?? undefined,
      logger: this.logger,
      maxAttempts: l.max_attempts,
      maxHoldMs: l.max_hold_ms,
      // One listener per queue with the file store (its watermarks are this process's); several with redis.
      otherConsumers: store.kind === 'redis' ? 'allowed' : 'refuse',
      prefetch: this.flags.prefetch ?? l.prefetch,
      // One listener (watermarks here) may use payload states; several on one queue (redis) read the server.
      reconcile: engineReconciler(engine, this.logger, {payloadState: store.kind !== 'redis', topLevelStack: heatTopLevelStack(async (id) => topLevelStack(openstack, id))}),
      reconnect: {initialDelay: l.reconnect_initial_ms, maxDelay: l.reconnect_max_ms},
      // After a gap, a full reconcile under the sync lock (skipped while a sync runs).
      ...(l.resync_after_gap
        ? {
            resync: {
              minIntervalMs: l.resync_min_interval_s * 1000,
              run: async (reason: string) => {
                let lock
                try {
                  lock = await takeRunLock(config, 'sync')
                } catch (error) {
                  if (error instanceof LockedError) return 'skipped' as const
                  throw error
                }
                try {
                  const report = await engine.sync()
                  const failed = report.results.filter((r) => !r.ok).length
                  this.logger.info({failed, problems: report.problems.length, reason, writes: report.results.length}, 'full reconcile after a gap done')
                  return 'done' as const
                } finally {
                  await lock.release()
                }
              },
            },
          }
        : {}),
      retry: {baseMs: l.retry_base_ms, maxMs: l.retry_max_ms},
      summaryIntervalMs: l.summary_interval * 1000,
      target,
      topology: {
        deadLetterMaxLength: l.dead_letter_max_length,
        deadLetterQueue: l.dead_letter_queue,
        ...(typeof l.declare_exchanges_durable === 'boolean' ? {declareExchanges: {durable: l.declare_exchanges_durable}} : {}),
        deliveryLimit: l.delivery_limit,
        exchanges: l.exchanges,
        maxLength: l.max_length,
        overflow: l.overflow,
        queue,
      },
      watermarks: store.kind === 'redis' ? new SharedWatermarks(store) : new MemoryWatermarks(),
    })

    const {signalled, stopped} = awaitStopSignal()
    try {
      // A broker that is down at start is waited for (with backoff, said in the log), not given up
      // on: systemd's restart limit would otherwise stop listen for good during an outage.
      this.logger.info({rabbitmq: target.display}, 'connecting to RabbitMQ (retrying until it answers)')
      let first: 'started' | NodeJS.Signals
      try {
        first = await Promise.race([service.start().then(() => 'started' as const), stopped])
      } catch (error) {
        if (error instanceof AppError && error.code === 'E_HEALTH_PORT') throw error
        const hint = (error as {hint?: string}).hint ?? 'check the rmq section and that the broker is up (concertim-os doctor)'
        this.fail(`cannot consume from RabbitMQ at ${target.display}: ${(error as Error).message}`, ExitCode.FAILURE, hint)
      }
      if (first !== 'started') {
        this.logger.info({signal: first}, 'stopped before RabbitMQ answered: nothing was consumed')
        await store.close().catch(() => undefined)
        process.exit(ExitCode.OK)
      }
      this.logger.info({health: service.healthPort, queue, rabbitmq: target.display}, 'listening')
      const outcome = await Promise.race([stopped, service.failed])
      this.logger.info({signal: outcome}, 'signal received')
      // Exit within 10 s whatever happens: the broker gives back anything not acked.
      const guard = setTimeout(() => {
        this.logger.warn('shutdown took too long; exiting (unacked messages return to the queue)')
        process.exit(ExitCode.OK)
      }, Math.min(9500, l.drain_timeout_ms + 2000))
      guard.unref()
      await service.stop()
    } catch (error) {
      if (signalled() === undefined) {
        await service.stop().catch(() => undefined)
        if (error instanceof Error && !(error instanceof AppError) && !('oclif' in error)) this.fail(`listen cannot go on: ${error.message}`, ExitCode.FAILURE, (error as {hint?: string}).hint)
      }
      throw error
    } finally {
      await store.close().catch(() => undefined)
    }
    // Keep-alive HTTP sockets and timers of the clients must not hold a resident process open.
    process.exit(ExitCode.OK)
  }
}

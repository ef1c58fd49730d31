import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {awaitStopSignal} from '../lib/signals.js'

export default class Serve extends BaseCommand<typeof Serve> {
  static override description = `Serve the HTTP API the Concertim app calls (its user_handler_base_url): sign-up, teams, team roles, key pairs, the power and destroy buttons, limits, quotas, statistics, invoices, credits and orders.

Every request but GET / and GET /healthz needs "Authorization: Bearer <JWT>": HS256 with the secret shared with the app (api.jwt_secret_file, CONCERTIM_OS_API_JWT_SECRET or JWT_SECRET), with exp (a small leeway), a unique jti (a token used twice is refused) and a lifetime of at most api.max_token_lifetime_s. Success is 201 {success: true, …}; errors are {success: false, error, message} with the status of the cause: 4xx for the caller's mistakes (415 names missing fields, 406 an unknown action), 502/503/504 when OpenStack or Kill Bill fails. Cloud actions and key pairs run with the caller's cloud_env credentials (Keystone tokens cached per caller); a status change is reconciled into Concertim at once. One access-log line per request. SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0. Run it under systemd (etc/systemd/concertim-os-serve.service).`

  static override enableJsonFlag = false

  static override examples = [
    {command: 'JWT_SECRET=$(cat /opt/concertim/etc/secret) <%= config.bin %> <%= command.id %>', description: 'Serve on 127.0.0.1:42356 (api.host, api.port)'},
    {command: '<%= config.bin %> <%= command.id %> --host 0.0.0.0 --port 42356 --log-format json', description: 'Listen on every address (the app in another container), JSON logs'},
  ]

  static override flags = {
    host: Flags.string({description: 'Address to listen on [default: api.host, 127.0.0.1].', env: 'CONCERTIM_OS_API_HOST'}),
    port: Flags.integer({description: 'Port to listen on; 0 picks a free one [default: api.port, 42356].', env: 'CONCERTIM_OS_API_PORT', max: 65_535, min: 0}),
  }

  async run(): Promise<void> {
    const config = this.appConfig()
    const {createApiRuntime} = await import('../lib/api/runtime.js')
    const runtime = createApiRuntime(config, this.httpContext(), this.logger)
    const host = this.flags.host ?? config.api.host
    const port = this.flags.port ?? config.api.port
    const {stopped} = awaitStopSignal()
    try {
      await runtime.app.listen({host, port})
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const hint = code === 'EADDRINUSE' ? 'another process listens there: stop it or choose another api.port / --port' : code === 'EACCES' ? 'ports below 1024 need privileges: use a higher api.port' : undefined
      this.fail(`cannot listen on ${host}:${port}: ${(error as Error).message}`, ExitCode.USAGE, hint)
    }
    const address = runtime.app.server.address()
    this.logger.info({address: typeof address === 'object' && address !== null ? `${address.address}:${address.port}` : String(address), tls: config.api.tls_cert_file !== undefined}, 'serving')
    const signal = await stopped
    this.logger.info({signal}, 'signal received: finishing in-flight requests')
    const guard = setTimeout(() => {
      this.logger.warn('in-flight requests took too long; exiting')
      process.exit(ExitCode.OK)
    }, config.api.shutdown_timeout_s * 1000)
    guard.unref()
    await runtime.close()
    this.logger.info('stopped')
    // Keep-alive sockets of the clients must not hold the process open.
    process.exit(ExitCode.OK)
  }
}

import {BaseCommand} from '../lib/base-command.js'
import type {DoctorReport} from '../lib/doctor/index.js'
import {ExitCode} from '../lib/exit-codes.js'
import {mark, renderTable} from '../lib/output/table.js'

export default class Doctor extends BaseCommand<typeof Doctor> {
  static override description = `Check every configured system: reachable, TLS, authentication, and what concertim-os needs there.

OpenStack: Keystone reachable and accepting the credentials; roles admin, member, watcher (and rating with billing); users admin and concertim (and cloudkitty with billing); nova, heat, cinder, neutron, gnocchi (and cloudkitty) answering with the token. Concertim: the app reachable, login, a root user, the templates tagged 'volume' and 'network'; the metric reporting daemon. Kill Bill (when configured): reachable, credentials and API key, the plan. RabbitMQ (when configured): connection and the notification exchanges, checked passively (nothing is created).

Exits 0 when every check passes (warnings allowed), 1 when any fails, 2 when the configuration is invalid. Made for CI smoke tests and for the first run on a new host.`

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'Check the systems of the default configuration'},
    {command: '<%= config.bin %> <%= command.id %> --config ./config.yaml --json', description: 'As JSON, for CI'},
  ]

  async run(): Promise<DoctorReport> {
    const config = this.appConfig()
    const {runDoctor} = await import('../lib/doctor/index.js')
    const report = await runDoctor(config, this.httpContext())
    if (!this.jsonEnabled()) {
      const symbol = {fail: mark.fail(), ok: mark.ok(), skipped: mark.skip(), warn: mark.warn()}
      this.log(
        renderTable(
          ['', 'system', 'check', 'result'],
          report.checks.map((c) => [symbol[c.outcome], c.system, c.check, c.hint && c.outcome !== 'ok' ? `${c.detail}\nfix: ${c.hint}` : c.detail]),
        ),
      )
      this.log(report.ok ? `All checks passed${report.warnings ? ` (${report.warnings} warning${report.warnings > 1 ? 's' : ''})` : ''}.` : `${report.failed} check${report.failed > 1 ? 's' : ''} failed.`)
    }
    if (!report.ok) process.exitCode = ExitCode.FAILURE
    return report
  }
}

/**
 * The files shipped for running concertim-os unattended (etc/systemd, etc/sysusers.d,
 * etc/tmpfiles.d, etc/logrotate.d, crontab.example): valid for systemd, free of settings that have
 * no effect, and naming the paths the configuration defaults use.
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir, userInfo} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {configSchema, DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR} from '../../../src/lib/config/schema.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const SYSTEMD = join(ROOT, 'etc/systemd')
const LOG_DIR = '/var/log/concertim-os'
const USER = 'concertim-os'

const read = (path: string) => readFileSync(join(ROOT, path), 'utf8')
const units = readdirSync(SYSTEMD).filter((f) => /\.(service|timer)$/.test(f))

/** The settings of a unit file as [section, key, value] (comments dropped). */
function settings(text: string): [string, string, string][] {
  const out: [string, string, string][] = []
  let section = ''
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const s = /^\[(.+)\]$/.exec(line)
    if (s) section = s[1]
    else {
      const i = line.indexOf('=')
      out.push([section, line.slice(0, i).trim(), line.slice(i + 1).trim()])
    }
  }
  return out
}

const valueOf = (text: string, key: string) => settings(text).find(([, k]) => k === key)?.[2]

/** systemd's time span (`50s`, `15min`, `2min 30s`, a bare number of seconds), in ms. */
function spanMs(span: string): number {
  const units: Record<string, number> = {h: 3_600_000, min: 60_000, ms: 1, s: 1000}
  let total = 0
  for (const [, n, unit] of span.matchAll(/(\d+)\s*(ms|min|h|s)?/g)) total += Number(n) * units[unit ?? 's']
  return total
}

function hasCommand(name: string): boolean {
  return spawnSync('which', [name], {stdio: 'ignore'}).status === 0
}

describe('unattended-run files (etc/, crontab.example)', () => {
  describe('systemd units', () => {
    it('pass `systemd-analyze verify` without a warning', function () {
      if (!hasCommand('systemd-analyze')) {
        console.warn('      (skipped: systemd-analyze is not installed here; apt-get install systemd to run this check)')
        this.skip()
      }
      // The units name the installed binary; point them at one that exists here.
      const dir = mkdtempSync(join(tmpdir(), 'cos-units-'))
      for (const f of units) writeFileSync(join(dir, f), read(`etc/systemd/${f}`).replaceAll('/usr/bin/concertim-os', '/bin/true'))
      const run = spawnSync('systemd-analyze', ['verify', '--man=no', ...units.map((f) => join(dir, f))], {encoding: 'utf8'})
      // Outside a booted systemd, verify cannot load the default dependencies (sysinit.target…): not ours.
      // Verify also loads the machine's own units and reports their defects (e.g. a Debian
      // keystone.service: "Dependency After=keystone.service is dropped"): only lines about ours count.
      const othersUnit = (l: string) => {
        const unit = /^(\S+\.(?:service|timer|target|socket|mount|path)): /.exec(l)?.[1]
        return unit !== undefined && !units.includes(unit)
      }
      const problems = `${run.stdout}${run.stderr}`.split('\n').filter((l) => l.trim() !== '' && !/Unit \S+\.target not found/.test(l) && !othersUnit(l))
      expect(problems, problems.join('\n')).to.deep.equal([])
    })

    for (const f of units.filter((u) => u.endsWith('.service'))) {
      it(`${f}: no restart settings on a oneshot unit (systemd never restarts it)`, () => {
        const text = read(`etc/systemd/${f}`)
        if (valueOf(text, 'Type') !== 'oneshot') return
        const keys = settings(text).map(([, k]) => k)
        for (const k of ['RestartPreventExitStatus', 'Restart', 'RestartSec']) expect(keys, `${k}=`).to.not.include(k)
      })
    }

    for (const f of units.filter((u) => u.endsWith('.timer'))) {
      it(`${f}: Persistent= only with OnCalendar= (it has no effect on monotonic timers)`, () => {
        const text = read(`etc/systemd/${f}`)
        if (valueOf(text, 'Persistent') !== undefined) expect(valueOf(text, 'OnCalendar'), 'OnCalendar=').to.not.equal(undefined)
      })
    }

    it('concertim-os-metrics.service: the start timeout is longer than the HTTP deadline, so a stall ends in the tool\'s own error', () => {
      const text = read('etc/systemd/concertim-os-metrics.service')
      const env = settings(text)
        .filter(([, k]) => k === 'Environment')
        .map(([, , v]) => v)
      const deadline = env.map((e) => /^CONCERTIM_OS_HTTP_DEADLINE_MS=(\d+)$/.exec(e)?.[1]).find((v) => v !== undefined)
      const deadlineMs = deadline === undefined ? (configSchema.properties.http.properties.deadline_ms as {default: number}).default : Number(deadline)
      const timeout = valueOf(text, 'TimeoutStartSec')
      expect(timeout, 'TimeoutStartSec=').to.not.equal(undefined)
      expect(spanMs(timeout!)).to.be.above(deadlineMs)
    })

    it('run as the user sysusers.d creates, with the default configuration path', () => {
      for (const f of units.filter((u) => u.endsWith('.service'))) {
        const text = read(`etc/systemd/${f}`)
        expect(valueOf(text, 'User'), f).to.equal(USER)
        expect(text, f).to.contain(`CONCERTIM_OS_CONFIG=${DEFAULT_CONFIG_PATH}`)
      }
    })
  })

  describe('sysusers.d, tmpfiles.d and logrotate entries', () => {
    it('exist and name the user, the state directory of the defaults and the log directory', () => {
      expect(read('etc/sysusers.d/concertim-os.conf')).to.match(new RegExp(`^u\\s+${USER}\\s`, 'm'))
      const tmpfiles = read('etc/tmpfiles.d/concertim-os.conf')
      expect(tmpfiles).to.match(new RegExp(`^d\\s+${DEFAULT_STATE_DIR}\\s+\\d+\\s+${USER}\\s+${USER}`, 'm'))
      expect(tmpfiles).to.match(new RegExp(`^d\\s+${LOG_DIR}\\s+\\d+\\s+${USER}\\s+${USER}`, 'm'))
      expect(read('etc/logrotate.d/concertim-os')).to.contain(`${LOG_DIR}/*.log {`)
    })

    it('the state directory is where the defaults put the view store and the locks', () => {
      const props = configSchema.properties as Record<string, {default?: string; properties?: Record<string, {default?: string}>}>
      expect(props.lock_dir.default).to.equal(DEFAULT_STATE_DIR)
      expect(props.store.properties?.path.default?.startsWith(`${DEFAULT_STATE_DIR}/`)).to.equal(true)
    })

    it('are accepted by systemd-tmpfiles, systemd-sysusers and logrotate (where installed)', function () {
      // tmpfiles and logrotate resolve the owner: check them with this user's names in its place.
      const me = `${userInfo().username} ${spawnSync('id', ['-gn'], {encoding: 'utf8'}).stdout.trim()}`
      const dir = mkdtempSync(join(tmpdir(), 'cos-ops-'))
      const asMe = (path: string) => {
        const out = join(dir, path.replaceAll('/', '_'))
        writeFileSync(out, read(path).replaceAll(`${USER} ${USER}`, me), {mode: 0o644})
        return out
      }
      const checks: [string, string[]][] = [
        ['systemd-tmpfiles', ['--root', join(dir, 'root'), '--create', asMe('etc/tmpfiles.d/concertim-os.conf')]],
        ['systemd-sysusers', ['--dry-run', join(ROOT, 'etc/sysusers.d/concertim-os.conf')]],
        ['logrotate', ['--debug', '--state', join(dir, 'logrotate.state'), asMe('etc/logrotate.d/concertim-os')]],
      ]
      const present = checks.filter(([cmd]) => hasCommand(cmd))
      if (present.length === 0) {
        console.warn('      (skipped: none of systemd-tmpfiles, systemd-sysusers, logrotate is installed here)')
        this.skip()
      }
      for (const [cmd, args] of present) {
        const run = spawnSync(cmd, args, {encoding: 'utf8'})
        const out = `${run.stdout}${run.stderr}`
        expect(run.status, `${cmd} ${args.join(' ')}\n${out}`).to.equal(0)
        expect(out, `${cmd} ${args.join(' ')}`).to.not.match(/\berror\b|ignoring|unknown/i)
      }
    })
  })

  describe('crontab.example', () => {
    const crontab = read('crontab.example')
    const variables = new Map([...crontab.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]))

    it('sets PATH (cron\'s is minimal: /usr/bin/env node must be found) and NODE_OPTIONS as the sync unit does', () => {
      expect(variables.get('PATH')).to.match(/(^|:)\/usr\/bin(:|$)/)
      const unit = settings(read('etc/systemd/concertim-os-sync.service')).find(([, k, v]) => k === 'Environment' && v.startsWith('NODE_OPTIONS='))
      expect(unit, 'the sync unit sets NODE_OPTIONS').to.not.equal(undefined)
      expect(variables.get('NODE_OPTIONS')).to.equal(unit![2].slice('NODE_OPTIONS='.length))
      expect(variables.get('CONCERTIM_OS_CONFIG')).to.equal(DEFAULT_CONFIG_PATH)
    })

    it('logs into the directory tmpfiles.d creates (which logrotate rotates)', () => {
      const logs = [...crontab.matchAll(/2>>\s*(\S+)/g)].map((m) => m[1])
      expect(logs).to.have.length.above(0)
      for (const l of logs) expect(l.startsWith(`${LOG_DIR}/`) && l.endsWith('.log'), l).to.equal(true)
    })
  })

  it('README lists every shipped file', () => {
    const readme = read('README.md')
    for (const f of ['crontab.example', 'etc/sysusers.d/concertim-os.conf', 'etc/tmpfiles.d/concertim-os.conf', 'etc/logrotate.d/concertim-os', ...units]) expect(readme, f).to.contain(f)
  })
})

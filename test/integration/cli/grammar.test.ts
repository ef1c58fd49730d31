/**
 * The command line's grammar: -h, "did you mean" for commands and flags, JSON errors under --json,
 * flags checked before the configuration is read, and a root help that says where to start.
 */
import {expect} from 'chai'

import {runCli} from '../../support/cli.js'

const MISSING_CONFIG = ['--config', '/nonexistent/concertim-os.yaml']

/** oclif's error text as one line (it wraps long messages, each line starting with ›). */
const flat = (s: string): string => s.replaceAll(/\s+(›\s+)?/g, ' ')

describe('command-line grammar', function () {
  this.timeout(60_000)

  it('-h is --help for every command', async () => {
    for (const args of [['sync', '-h'], ['view', 'dump', '-h']]) {
      const r = await runCli(args)
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).to.equal(0)
      expect(r.stdout, args.join(' ')).to.contain('USAGE')
    }
  })

  it('a misspelt command suggests the closest one, in the words the user types, and exits 2', async () => {
    const r = await runCli(['vie', 'dump'])
    expect(r.code).to.equal(2)
    expect(flat(r.stderr)).to.contain("did you mean 'concertim-os view dump'?")
    expect(r.stderr).to.not.contain('vie:dump')
    const s = await runCli(['synk'])
    expect(s.code).to.equal(2)
    expect(flat(s.stderr)).to.contain("'concertim-os sync'")
  })

  it('a command that resembles nothing points at --help', async () => {
    const r = await runCli(['frobnicate'])
    expect(r.code).to.equal(2)
    expect(flat(r.stderr)).to.contain("'frobnicate' is not a concertim-os command")
    expect(flat(r.stderr)).to.contain('concertim-os --help')
  })

  it('synk --json prints the error as JSON on stdout', async () => {
    const r = await runCli(['synk', '--json'])
    expect(r.code).to.equal(2)
    const out = JSON.parse(r.stdout) as {error: {code: string; exitCode: number; hint: string; message: string}}
    expect(out.error.code).to.equal('E_USAGE')
    expect(out.error.exitCode).to.equal(2)
    expect(out.error.message).to.contain("'synk' is not a concertim-os command")
    expect(out.error.hint).to.contain("'concertim-os sync'")
  })

  it('a misspelt flag suggests the closest one', async () => {
    const r = await runCli(['sync', '--dry-rn', ...MISSING_CONFIG])
    expect(r.code).to.equal(2)
    expect(flat(r.stderr)).to.contain('--dry-rn (did you mean --dry-run?)')
    const j = await runCli(['view', 'dump', '--refrsh', '--json', ...MISSING_CONFIG])
    expect(j.code).to.equal(2)
    expect((JSON.parse(j.stdout) as {error: {message: string}}).error.message).to.contain('did you mean --refresh?')
  })

  it('metrics push --every 15 hints 15s, before the configuration is read', async () => {
    const r = await runCli(['metrics', 'push', '--every', '15', ...MISSING_CONFIG])
    expect(r.code).to.equal(2)
    expect(flat(r.stderr)).to.contain("--every '15'")
    expect(flat(r.stderr)).to.contain('--every 15s')
    expect(r.stderr).to.not.contain('does not exist')
  })

  it('view dump --json --format yaml is a usage error (exit 2), not silently JSON; --json --format json is fine', async () => {
    const r = await runCli(['view', 'dump', '--json', '--format', 'yaml', ...MISSING_CONFIG])
    expect(r.code).to.equal(2)
    const out = JSON.parse(r.stdout) as {error: {code: string; message: string}}
    expect(out.error.code).to.equal('E_USAGE')
    expect(out.error.message).to.contain('--json')
    expect(out.error.message).to.contain('--format yaml')
    const ok = await runCli(['view', 'dump', '--json', '--format', 'json', ...MISSING_CONFIG])
    expect((JSON.parse(ok.stdout) as {error: {code: string}}).error.code, 'only the missing configuration').to.equal('E_CONFIG')
  })

  it('the root help has examples and says to start with concertim-os demo', async () => {
    const r = await runCli(['--help'])
    expect(r.code).to.equal(0)
    expect(r.stdout).to.contain('EXAMPLES')
    expect(r.stdout).to.contain('Start with `concertim-os demo`')
    expect(r.stdout).to.match(/\$ concertim-os sync --dry-run/)
  })
})

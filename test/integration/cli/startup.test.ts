/**
 * Start-up: `--help` and `--version` read oclif's manifest instead of importing every command, and
 * no command module pulls in the heavy clients (amqplib, ioredis, undici, axios, the simulator) just
 * to be listed: they are imported where they are used. Behaviour only, never times (see
 * `npm run bench -- startup` for those).
 */
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))
const HEAVY = ['amqplib', 'ioredis', 'undici', 'axios', 'ora', 'src/sim/index.', 'dist/sim/index.']

/** The modules `node <args>` imported (URLs), with its exit code and output. */
function importsOf(args: string[]): {code: null | number; modules: string[]; stdout: string} {
  const dir = mkdtempSync(join(tmpdir(), 'cos-imports-'))
  const file = join(dir, 'imports.txt')
  try {
    const env: NodeJS.ProcessEnv = {...process.env, NO_COLOR: '1', RECORD_IMPORTS_FILE: file}
    const r = spawnSync(process.execPath, ['--import', './test/support/record-imports.mjs', ...args], {cwd: ROOT, encoding: 'utf8', env, timeout: 60_000})
    return {code: r.status, modules: existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [], stdout: r.stdout}
  } finally {
    rmSync(dir, {force: true, recursive: true})
  }
}

/** Which of HEAVY the modules include. */
function heavyIn(modules: string[]): string[] {
  return HEAVY.filter((h) => modules.some((m) => (h.includes('/') ? m.includes(`/${h}`) : m.includes(`/node_modules/${h}/`))))
}

/** The command ids of src/commands (`metrics push` for src/commands/metrics/push.ts). */
function sourceCommands(): string[] {
  const dir = join(ROOT, 'src', 'commands')
  return (readdirSync(dir, {recursive: true}) as string[])
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, '').split(/[\\/]/).join(':'))
    .sort()
}

describe('start-up', function () {
  this.timeout(120_000)

  it('from the sources (no manifest), --help imports every command yet none of amqplib, ioredis, undici, axios, ora or the simulator', () => {
    const r = importsOf(['--import', 'tsx', 'bin/dev.js', '--help'])
    expect(r.code).to.equal(0)
    expect(r.modules.some((m) => m.endsWith('/src/commands/sync.ts')), 'the commands were imported').to.equal(true)
    expect(heavyIn(r.modules)).to.deep.equal([])
  })

  it('from the sources, sync --help and view dump --help import none of them either', () => {
    for (const args of [['sync', '--help'], ['view', 'dump', '--help'], ['metrics', 'push', '-h']]) {
      const r = importsOf(['--import', 'tsx', 'bin/dev.js', ...args])
      expect(r.code, args.join(' ')).to.equal(0)
      expect(heavyIn(r.modules), args.join(' ')).to.deep.equal([])
    }
  })

  describe('the built CLI (npm run build)', function () {
    before(function () {
      // These run the built CLI (bin/run.js → dist/): `npm test` runs after `npm ci`, whose prepare builds it.
      if (!existsSync(join(ROOT, 'dist', 'commands'))) {
        console.warn('      (skipped: dist/ is not built; run npm run build)')
        this.skip()
      }
    })

    it('the manifest lists every command of src/commands and matches the build', async () => {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, unknown>; version: string}
      expect(Object.keys(manifest.commands).sort()).to.deep.equal(sourceCommands())
      const {isCurrent} = await import('../../../src/lib/cli/manifest.js')
      expect(isCurrent(ROOT), 'oclif.manifest.json is stale: npm run build').to.equal(true)
    })

    it('--help, --version and sync --help import no command module at all', () => {
      for (const args of [['--help'], ['--version'], ['sync', '--help']]) {
        const r = importsOf(['bin/run.js', ...args])
        expect(r.code, args.join(' ')).to.equal(0)
        expect(r.modules.filter((m) => m.includes('/dist/commands/')), args.join(' ')).to.deep.equal([])
        expect(heavyIn(r.modules), args.join(' ')).to.deep.equal([])
      }
      const help = importsOf(['bin/run.js', '--help']).stdout
      for (const id of sourceCommands()) expect(help).to.contain(`  ${id.split(':')[0]} `) // commands and topics
    })

    it('--version prints the line oclif would (its userAgent) without loading @oclif/core', async () => {
      const r = importsOf(['bin/run.js', '--version'])
      expect(r.code).to.equal(0)
      expect(r.modules.filter((m) => m.includes('/node_modules/@oclif/'))).to.deep.equal([])
      const {Config} = await import('@oclif/core')
      expect(r.stdout).to.equal(`${(await Config.load(ROOT)).userAgent}\n`)
      // Anywhere but first, it is a flag of the command, as oclif has it.
      const late = spawnSync(process.execPath, ['bin/run.js', 'sync', '--version'], {cwd: ROOT, encoding: 'utf8', env: {...process.env, NO_COLOR: '1'}})
      expect(late.status).to.equal(2)
      expect(late.stderr).to.contain('--version')
    })
  })
})

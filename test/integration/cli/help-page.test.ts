/**
 * The built CLI prints help pages before @oclif/core loads (lib/cli/quick-help.ts, help-page.ts):
 * for every command and topic and the root page, at several widths, with and without colour, its
 * output is byte for byte oclif's (CONCERTIM_OS_OCLIF_HELP=1 has oclif print them), and it does not
 * load @oclif/core. With a stale or absent manifest, oclif answers. Behaviour only, never times.
 */
import {expect} from 'chai'
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {currentManifest} from '../../../src/lib/cli/manifest.js'
import {ptyAvailable} from '../../support/pty.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

interface Run {
  code: null | number
  modules: string[]
  stderr: string
  stdout: string
}

/** A HOME of no theme and no user plugins, so that the machine's own never decide the test. */
const HOME = mkdtempSync(join(tmpdir(), 'cos-help-home-'))

/** The test's environment without what sets oclif's width, colour, theme, plugins or debug: the cases add theirs. */
function neutralEnv(): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {...process.env, HOME}
  for (const k of Object.keys(base)) if (k.startsWith('CONCERTIM_OS_') || k.startsWith('OCLIF_') || k.startsWith('XDG_') || ['CI', 'COLUMNS', 'DEBUG', 'FORCE_COLOR', 'NODE_ENV', 'NO_COLOR'].includes(k)) delete base[k]
  return base
}

/** `node bin/run.js ARGS` in `root` with `env` over a neutral environment. */
function run(args: string[], env: NodeJS.ProcessEnv, opts: {root?: string; recordImports?: boolean} = {}): Promise<Run> {
  const base = neutralEnv()
  const dir = opts.recordImports ? mkdtempSync(join(tmpdir(), 'cos-help-')) : undefined
  const file = dir && join(dir, 'imports.txt')
  const pre = file ? ['--import', join(ROOT, 'test/support/record-imports.mjs')] : []
  const child = spawn(process.execPath, [...pre, 'bin/run.js', ...args], {cwd: opts.root ?? ROOT, env: {...base, ...env, ...(file ? {RECORD_IMPORTS_FILE: file} : {})}, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      const modules = file && existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []
      if (dir) rmSync(dir, {force: true, recursive: true})
      resolve({code, modules, stderr, stdout})
    })
  })
}

/** Run `jobs` at most `n` at a time. */
async function pool<T>(jobs: (() => Promise<T>)[], n: number): Promise<T[]> {
  const results: T[] = []
  let next = 0
  await Promise.all(
    Array.from({length: n}, async () => {
      while (next < jobs.length) {
        const i = next++
        results[i] = await jobs[i]()
      }
    }),
  )
  return results
}

const OCLIF = {CONCERTIM_OS_OCLIF_HELP: '1'}

/** Node's warnings name the process: `(node:1234)`. */
const withoutPid = (text: string): string => text.replaceAll(/\(node:\d+\)/g, '(node:PID)')

describe('help pages before oclif loads (the built CLI)', function () {
  this.timeout(600_000)
  after(() => rmSync(HOME, {force: true, recursive: true}))
  let ids: string[] = []
  let topics: string[] = []

  before(function () {
    // These run the built CLI (bin/run.js → dist/): `npm test` runs after `npm ci`, whose prepare builds it.
    if (!existsSync(join(ROOT, 'dist', 'commands'))) {
      console.warn('      (skipped: dist/ is not built; run npm run build)')
      this.skip()
    }
    const manifest = currentManifest(ROOT)
    expect(manifest, 'oclif.manifest.json is stale: npm run build').to.not.equal(undefined)
    ids = Object.keys(manifest?.commands ?? {}).sort()
    topics = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {oclif: {topics: Record<string, unknown>}}).oclif.topics).sort()
  })

  /** Every page, each way of asking for it. */
  function everyRequest(): string[][] {
    const words = [...ids, ...topics].map((id) => id.split(':'))
    return [[], ['--help'], ['-h'], ['help'], ['help', '--help'], ...words.flatMap((w) => [[...w, '--help'], [...w, '-h'], ['help', ...w]])]
  }

  /** The root page and each command's and topic's, asked the usual way. */
  function everyPage(): string[][] {
    return [['--help'], ...[...ids, ...topics].map((id) => [...id.split(':'), '--help'])]
  }

  const ENVS: [name: string, env: NodeJS.ProcessEnv, requests: () => string[][]][] = [
    ['80 columns (a pipe), no colour', {}, everyRequest],
    ['OCLIF_COLUMNS=120', {OCLIF_COLUMNS: '120'}, everyPage],
    ['OCLIF_COLUMNS=40', {OCLIF_COLUMNS: '40'}, everyPage],
    ['COLUMNS=40 (oclif reads no COLUMNS: 80 on a pipe)', {COLUMNS: '40'}, () => [['--help'], ['sync', '--help']]],
    ['FORCE_COLOR=1', {FORCE_COLOR: '1'}, everyPage],
    ['FORCE_COLOR=1 OCLIF_COLUMNS=40', {FORCE_COLOR: '1', OCLIF_COLUMNS: '40'}, everyPage],
    ['FORCE_COLOR=3 OCLIF_COLUMNS=120', {FORCE_COLOR: '3', OCLIF_COLUMNS: '120'}, () => [['--help'], ['sync', '--help'], ['users', 'create', '--help']]],
    ['FORCE_COLOR=1 NO_COLOR=1 (supports-color on, ansis off)', {FORCE_COLOR: '1', NO_COLOR: '1'}, () => [['--help'], ['sync', '--help']]],
    ['FORCE_COLOR=0', {FORCE_COLOR: '0'}, () => [['--help'], ['sync', '--help']]],
    ['CI=true', {CI: 'true'}, () => [['--help'], ['sync', '--help']]],
    ['CI=true FORCE_COLOR=1', {CI: 'true', FORCE_COLOR: '1'}, () => [['--help'], ['sync', '--help']]],
  ]

  for (const [name, env, requests] of ENVS) {
    it(`${name}: every page is oclif's, byte for byte, and @oclif/core is not loaded`, async () => {
      const reqs = requests()
      const runs = await pool(
        reqs.flatMap((args) => [() => run(args, env, {recordImports: true}), () => run(args, {...env, ...OCLIF})]),
        4,
      )
      for (const [i, args] of reqs.entries()) {
        const [fast, oclif] = [runs[2 * i], runs[2 * i + 1]]
        const what = `concertim-os ${args.join(' ')}`
        expect(oclif.code, what).to.equal(0)
        expect(oclif.stdout.length, what).to.be.greaterThan(100)
        expect(fast.stdout, what).to.equal(oclif.stdout)
        expect(withoutPid(fast.stderr), what).to.equal(withoutPid(oclif.stderr))
        expect(fast.code, what).to.equal(oclif.code)
        expect(fast.modules.filter((m) => m.includes('/node_modules/@oclif/')), `${what}: loaded oclif`).to.deep.equal([])
      }
      if (env.FORCE_COLOR === '1' && env.NO_COLOR === undefined) expect(runs[0].stdout).to.contain('\u001B[1mUSAGE\u001B[22m')
    })
  }

  it('on a terminal (util-linux script), with its width and colours, the pages are oclif\'s', async function () {
    // A real terminal needs util-linux `script` (a pseudo-terminal); not every machine has it.
    if (!ptyAvailable()) {
      console.warn('      (skipped: no pseudo-terminal here: util-linux `script` is missing)')
      this.skip()
    }
    const onTerminal = (args: string[], env: NodeJS.ProcessEnv): string => {
      const command = `stty cols 100 rows 24; exec ${[process.execPath, 'bin/run.js', ...args].join(' ')}`
      return execFileSync('script', ['-qfec', command, '/dev/null'], {cwd: ROOT, encoding: 'utf8', env: {...neutralEnv(), TERM: 'xterm', ...env}, timeout: 60_000})
    }
    for (const args of [['--help'], ['sync', '--help'], ['users', 'create', '--help'], ['help', 'billing']]) {
      const fast = onTerminal(args, {})
      expect(fast, args.join(' ')).to.equal(onTerminal(args, OCLIF))
      expect(fast, args.join(' ')).to.contain('\u001B[1m') // a terminal has colour
    }
    // CI=true on a terminal (a CI runner with a pty): supports-color and ansis turn colour off; the page is still oclif's.
    for (const args of [['--help'], ['sync', '--help']]) {
      const fast = onTerminal(args, {CI: 'true'})
      expect(fast, `CI=true ${args.join(' ')}`).to.equal(onTerminal(args, {CI: 'true', ...OCLIF}))
      expect(fast, `CI=true ${args.join(' ')}`).to.contain('USAGE')
    }
  })

  it('what it does not print exactly as oclif does is left to oclif (unknown command, other flags, misspelt topic)', async () => {
    for (const args of [['sync', '--dry-run', '--help'], ['--help', 'sync'], ['snyc', '--help'], ['help', 'snyc'], ['users', '--help', 'create'], ['help', 'help'], ['sync', 'help', '--help']]) {
      const [fast, oclif] = await Promise.all([run(args, {}, {recordImports: true}), run(args, OCLIF)])
      expect(fast.stdout, args.join(' ')).to.equal(oclif.stdout)
      expect(fast.code, args.join(' ')).to.equal(oclif.code)
      expect(fast.modules.some((m) => m.includes('/node_modules/@oclif/core/')), `${args.join(' ')}: oclif answered`).to.equal(true)
    }
  })

  it('a stdout that fails (a full disk): exit 1 with the error on stderr, as oclif', function () {
    // A stdout that fails with ENOSPC needs Linux's /dev/full.
    if (!existsSync('/dev/full')) {
      console.warn('      (skipped: no /dev/full here)')
      this.skip()
    }
    const onFull = (env: NodeJS.ProcessEnv) => {
      const fd = openSync('/dev/full', 'w')
      try {
        return spawnSync(process.execPath, ['bin/run.js', 'sync', '--help'], {cwd: ROOT, encoding: 'utf8', env: {...neutralEnv(), ...env}, stdio: ['ignore', fd, 'pipe']})
      } finally {
        closeSync(fd)
      }
    }
    const [fast, oclif] = [onFull({}), onFull(OCLIF)]
    expect(oclif.status).to.equal(1)
    expect(fast.status).to.equal(1)
    expect(fast.stderr).to.contain('ENOSPC')
  })

  it('a theme or user plugins (oclif reads them from HOME): oclif answers', async () => {
    for (const [file, content] of [['.config/concertim-os/theme.json', '{"sectionHeader": "red"}'], ['.local/share/concertim-os/package.json', '{}']]) {
      const home = mkdtempSync(join(tmpdir(), 'cos-help-home-'))
      try {
        mkdirSync(join(home, file, '..'), {recursive: true})
        writeFileSync(join(home, file), content)
        const [fast, oclif] = await Promise.all([run(['sync', '--help'], {FORCE_COLOR: '1', HOME: home}, {recordImports: true}), run(['sync', '--help'], {...OCLIF, FORCE_COLOR: '1', HOME: home})])
        expect(fast.stdout, file).to.equal(oclif.stdout)
        expect(fast.modules.some((m) => m.includes('/node_modules/@oclif/core/')), `${file}: oclif answered`).to.equal(true)
      } finally {
        rmSync(home, {force: true, recursive: true})
      }
    }
  })

  describe('a copy of the package whose manifest is stale or absent', () => {
    let copy: string
    before(() => {
      copy = mkdtempSync(join(tmpdir(), 'cos-help-copy-'))
      mkdirSync(join(copy, 'bin'))
      copyFileSync(join(ROOT, 'bin', 'run.js'), join(copy, 'bin', 'run.js'))
      copyFileSync(join(ROOT, 'package.json'), join(copy, 'package.json'))
      symlinkSync(join(ROOT, 'dist'), join(copy, 'dist'))
      symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'))
    })
    after(() => rmSync(copy, {force: true, recursive: true}))

    it('stale (another build\'s fingerprint, an old description): oclif answers from the modules', async () => {
      const manifest = JSON.parse(readFileSync(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {build: {fingerprint: string}; commands: Record<string, {description: string}>}
      manifest.build.fingerprint = '0'.repeat(64)
      manifest.commands.sync.description = 'STALE description'
      writeFileSync(join(copy, 'oclif.manifest.json'), JSON.stringify(manifest))
      for (const args of [['sync', '--help'], ['--help']]) {
        const [fast, oclif] = await Promise.all([run(args, {}, {recordImports: true, root: copy}), run(args, OCLIF)])
        expect(fast.stdout, args.join(' ')).to.not.contain('STALE')
        expect(fast.stdout, args.join(' ')).to.equal(oclif.stdout)
        expect(fast.modules.some((m) => m.includes('/node_modules/@oclif/core/')), 'oclif answered').to.equal(true)
      }
    })

    it('absent: oclif answers from the modules', async () => {
      rmSync(join(copy, 'oclif.manifest.json'), {force: true})
      const [fast, oclif] = await Promise.all([run(['sync', '--help'], {}, {recordImports: true, root: copy}), run(['sync', '--help'], OCLIF)])
      expect(fast.stdout).to.equal(oclif.stdout)
      expect(fast.modules.some((m) => m.includes('/node_modules/@oclif/core/')), 'oclif answered').to.equal(true)
    })
  })
})

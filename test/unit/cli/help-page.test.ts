import {expect} from 'chai'
import {createRequire} from 'node:module'

import {helpPage, type HelpModel, helpSubject, PLAIN, stringWidth, TEXT_CHARACTERS, wrapAnsi} from '../../../src/lib/cli/help-page.js'
import {helpWidth, plainEnvironment, plainPackage} from '../../../src/lib/cli/quick-help.js'

/** The modules oclif's help uses, from where @oclif/core loads them. */
const fromCore = createRequire(createRequire(import.meta.url).resolve('@oclif/core'))
const realWidth = fromCore('string-width') as (s: string) => number
const realWrap = fromCore('wrap-ansi') as (s: string, columns: number, opts: {hard: boolean}) => string

/** A small deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

describe('help pages without oclif (lib/cli/help-page): the text primitives', () => {
  it('every character a page may hold is one column for string-width 4 (here and in oclif) and NFC-stable', () => {
    let n = 0
    for (let code = 0x20; code <= 0x2300; code++) {
      const ch = String.fromCodePoint(code)
      if (!TEXT_CHARACTERS.test(ch)) continue
      n++
      expect(realWidth(ch), `U+${code.toString(16)}`).to.equal(1)
      expect(stringWidth(ch), `U+${code.toString(16)}`).to.equal(1)
      expect(ch.normalize(), `U+${code.toString(16)}`).to.equal(ch)
    }
    expect(n).to.be.greaterThan(200)
    for (const ch of ['\t', '\u001B', '\u200B', '😀', '中', '\u0301']) expect(TEXT_CHARACTERS.test(ch), JSON.stringify(ch)).to.equal(false)
  })

  it('wraps as wrap-ansi 7 {hard: true} does: words, long words, spaces, blank lines, bold and underline across breaks', () => {
    const next = random(42)
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]
    const WORDS = ['a', 'of', 'the', 'Concertim', 'OpenStack’s', '—', 'x'.repeat(45), 'user_handler_base_url', '--log-level=<option>', 'é', '→', '', '', '[default:', '10%']
    for (let i = 0; i < 3000; i++) {
      const words = Array.from({length: 1 + Math.floor(next() * 30)}, () => {
        const w = pick(WORDS)
        const r = next()
        if (r < 0.08) return `\u001B[1m${w}\u001B[22m`
        if (r < 0.16) return `\u001B[4m${w}\u001B[24m`
        if (r < 0.2) return `${w}\n`
        return w
      })
      const text = (next() < 0.2 ? '  ' : '') + words.join(' ') + (next() < 0.2 ? ' ' : '')
      const columns = 1 + Math.floor(next() * 80)
      expect(wrapAnsi(text, columns), `${JSON.stringify(text)} at ${columns}`).to.equal(realWrap(text, columns, {hard: true}))
      expect(stringWidth(text)).to.equal(realWidth(text))
    }
  })
})

const MODEL: HelpModel = {
  bin: 'cos',
  commands: [
    {aliases: [], args: {}, description: 'Sync it.\nMore.', examples: ['<%= config.bin %> <%= command.id %>'], flags: {'dry-run': {allowNo: false, description: 'Write nothing.', name: 'dry-run', type: 'boolean'}}, id: 'sync', strict: true},
    {args: {}, description: 'Dump it.', flags: {}, id: 'view:dump'},
    {description: 'Display help for <%= config.bin %>.', id: 'help'},
  ],
  description: 'cos: a CLI',
  helpFlags: ['-h'],
  topics: [{description: 'Views', name: 'view'}],
  userAgent: 'cos/1.0.0 linux-x64 node-v20.0.0',
}

describe('help pages without oclif (lib/cli/help-page): what is asked', () => {
  for (const [argv, subject] of [
    [[], {kind: 'root'}],
    [['--help'], {kind: 'root'}],
    [['-h'], {kind: 'root'}],
    [['help'], {kind: 'root'}],
    [['help', '--help'], {kind: 'root'}],
    [['sync', '--help'], {id: 'sync', kind: 'command'}],
    [['sync', '-h'], {id: 'sync', kind: 'command'}],
    [['help', 'sync'], {id: 'sync', kind: 'command'}],
    [['view', 'dump', '--help'], {id: 'view:dump', kind: 'command'}],
    [['help', 'view', 'dump'], {id: 'view:dump', kind: 'command'}],
    [['view', '--help'], {kind: 'topic', name: 'view'}],
    [['help', 'view'], {kind: 'topic', name: 'view'}],
    // Left to oclif: its did-you-mean, errors, other flags, help flags elsewhere, `help help` (the root page there).
    [['snyc', '--help'], undefined],
    [['help', 'snyc'], undefined],
    [['sync'], undefined],
    [['--help', 'sync'], undefined],
    [['sync', '--dry-run', '--help'], undefined],
    [['help', 'help'], undefined],
    [['sync', 'help', '--help'], undefined],
    [['help', 'sync', '--help'], undefined],
    [['view:dump', '--help'], undefined],
    [['sync', '--', '--help'], undefined],
    [['--version'], undefined],
  ] as const) {
    it(`${argv.join(' ') || '(nothing)'}: ${subject ? JSON.stringify(subject) : 'oclif'}`, () => {
      expect(helpSubject(argv, MODEL)).to.deep.equal(subject)
    })
  }
})

describe('help pages without oclif (lib/cli/help-page): what it leaves to oclif', () => {
  const page = (model: HelpModel, id = 'sync', maxWidth = 80): string | undefined => helpPage(model, {id, kind: 'command'}, {maxWidth, style: PLAIN})
  const withSync = (change: Record<string, unknown>): HelpModel => ({...MODEL, commands: MODEL.commands.map((c) => (c.id === 'sync' ? {...c, ...change} : c))})
  const dryRun = MODEL.commands[0].flags?.['dry-run']

  it('writes the plain command page', () => {
    expect(page(MODEL)).to.contain('USAGE\n  $ cos sync [--dry-run]\n').and.contain('\n  $ cos sync\n')
  })

  for (const [what, model] of [
    ['a flag with a char', withSync({flags: {'dry-run': {...dryRun, char: 'n'}}})],
    ['a required flag', withSync({flags: {'dry-run': {...dryRun, required: true}}})],
    ['a flag summary', withSync({flags: {'dry-run': {...dryRun, summary: 'S'}}})],
    ['a hidden flag', withSync({flags: {'dry-run': {...dryRun, hidden: true}}})],
    ['exclusive flags', withSync({flags: {'dry-run': {...dryRun, exclusive: ['x']}}})],
    ['a command summary', withSync({summary: 'S'})],
    ['aliases', withSync({aliases: ['s']})],
    ['a state', withSync({state: 'beta'})],
    ['a usage', withSync({usage: 'sync X'})],
    ['dynamic help', withSync({hasDynamicHelp: true})],
    ['another template', withSync({description: 'Sync <%= config.dirname %>'})],
    ['a tab', withSync({description: 'Sync\tit'})],
    ['an emoji', withSync({description: 'Sync 😀'})],
    ['an escape code', withSync({description: 'Sync \u001B[1mit\u001B[22m'})],
    ['a wide character', withSync({description: 'Sync 中'})],
  ] as const) {
    it(`${what}: oclif writes the page`, () => {
      expect(page(MODEL)).to.be.a('string')
      expect(page(model as HelpModel)).to.equal(undefined)
    })
  }

  it('a width under 40 (only OCLIF_COLUMNS gives one; a terminal is 40 at least): oclif writes the page', () => {
    expect(page(MODEL, 'sync', 39)).to.equal(undefined)
    expect(page(MODEL, 'sync', 40)).to.be.a('string')
  })

  it('a command with sub-commands: oclif writes the page', () => {
    expect(page({...MODEL, commands: [...MODEL.commands, {description: 'Deep.', id: 'view:dump:all'}]}, 'view:dump')).to.equal(undefined)
  })
})

describe('help pages without oclif (lib/cli/quick-help): when oclif must answer', () => {
  const HOME = '/home/u'
  const CLI = {bin: 'concertim-os', dirname: 'concertim-os'}
  const none = (): boolean => false
  it('a plain environment: the launcher may answer', () => {
    expect(plainEnvironment({HOME}, 'linux', CLI, none)).to.equal(true)
    expect(plainEnvironment({HOME, OCLIF_COLUMNS: '100', COLUMNS: '50', NO_COLOR: '1'}, 'linux', CLI, none)).to.equal(true)
  })

  for (const [what, env, platform] of [
    ['CONCERTIM_OS_OCLIF_HELP=1', {CONCERTIM_OS_OCLIF_HELP: '1'}, 'linux'],
    ['DEBUG=*', {DEBUG: '*'}, 'linux'],
    ['CONCERTIM_OS_DEBUG=1', {CONCERTIM_OS_DEBUG: '1'}, 'linux'],
    ['NODE_ENV=development', {NODE_ENV: 'development'}, 'linux'],
    ['NODE_ENV=test', {NODE_ENV: 'test'}, 'linux'],
    ['another OCLIF_ setting', {OCLIF_NEXT_VERSION: '1'}, 'linux'],
    ['Windows', {}, 'win32'],
  ] as const) {
    it(`${what}: oclif answers`, () => {
      expect(plainEnvironment({HOME, ...env}, platform, CLI, none)).to.equal(false)
    })
  }

  it('the scoped variables are named from the bin, the directories from dirname', () => {
    const cli = {bin: 'cos', dirname: 'cos-dir'}
    expect(plainEnvironment({COS_DEBUG: '1', HOME}, 'linux', cli, none)).to.equal(false)
    expect(plainEnvironment({COS_DIR_DEBUG: '1', HOME}, 'linux', cli, none)).to.equal(true)
    expect(plainEnvironment({HOME}, 'linux', cli, (p) => p === '/home/u/.config/cos-dir/theme.json')).to.equal(false)
    expect(plainEnvironment({COS_CONFIG_DIR: '/c', HOME}, 'linux', cli, (p) => p === '/c/theme.json')).to.equal(false)
  })

  it('no HOME: oclif answers', () => {
    expect(plainEnvironment({}, 'linux', CLI, none)).to.equal(false)
  })

  for (const [what, env, file] of [
    ['a theme', {}, '/home/u/.config/concertim-os/theme.json'],
    ['a theme in XDG_CONFIG_HOME', {XDG_CONFIG_HOME: '/x'}, '/x/concertim-os/theme.json'],
    ['a theme in CONCERTIM_OS_CONFIG_DIR', {CONCERTIM_OS_CONFIG_DIR: '/c'}, '/c/theme.json'],
    ['user plugins', {}, '/home/u/.local/share/concertim-os/package.json'],
    ['user plugins in XDG_DATA_HOME', {XDG_DATA_HOME: '/d'}, '/d/concertim-os/package.json'],
    ['user plugins in CONCERTIM_OS_DATA_DIR', {CONCERTIM_OS_DATA_DIR: '/e'}, '/e/package.json'],
  ] as const) {
    it(`${what} (${file}): oclif answers`, () => {
      expect(plainEnvironment({HOME, ...env}, 'linux', CLI, (p) => p === file)).to.equal(false)
      expect(plainEnvironment({HOME, ...env}, 'linux', CLI, (p) => p === `${file}.x`)).to.equal(true)
    })
  }

  it('package.json: only the oclif settings it knows, as they are', () => {
    const oclif = {additionalHelpFlags: ['-h'], bin: 'concertim-os', commands: './dist/commands', dirname: 'concertim-os', helpClass: './dist/lib/cli/help', hooks: {command_not_found: './x'}, plugins: ['@oclif/plugin-help'], topicSeparator: ' ', topics: {view: {description: 'V'}}}
    expect(plainPackage({name: 'p', oclif})).to.equal(true)
    for (const change of [{state: 'beta'}, {helpOptions: {}}, {theme: {}}, {flexibleTaxonomy: true}, {topicSeparator: ':'}, {hooks: {prerun: './x'}}, {plugins: ['@oclif/plugin-help', '@oclif/plugin-plugins']}, {helpClass: './other'}, {description: 'D'}, {additionalVersionFlags: ['-v']}, {topics: {view: {description: 'V', hidden: true}}}]) {
      expect(plainPackage({name: 'p', oclif: {...oclif, ...change}}), JSON.stringify(change)).to.equal(false)
    }
  })

  it('the width: OCLIF_COLUMNS, else a terminal\'s (40 at least; 80 when it says 0), else 80', () => {
    const tty = (w: number) => ({getWindowSize: () => [w, 24], isTTY: true})
    expect(helpWidth({}, {isTTY: false})).to.equal(80)
    expect(helpWidth({COLUMNS: '50'}, {isTTY: false})).to.equal(80)
    expect(helpWidth({OCLIF_COLUMNS: '50'}, {isTTY: false})).to.equal(50)
    expect(helpWidth({OCLIF_COLUMNS: 'x'}, tty(100))).to.equal(100)
    expect(helpWidth({OCLIF_COLUMNS: '0'}, tty(100))).to.equal(100)
    expect(helpWidth({}, tty(30))).to.equal(40)
    expect(helpWidth({}, tty(0))).to.equal(80)
    expect(helpWidth({}, tty(200))).to.equal(200)
  })
})

describe('help pages without oclif (lib/cli/help-page): implicit topics', () => {
  it('a prefix of several commands that package.json does not declare (oclif describes it by its collation order): oclif writes the page', () => {
    const model: HelpModel = {...MODEL, commands: [...MODEL.commands, {description: 'A.', id: 'db:a'}, {description: 'B.', id: 'db:b'}]}
    expect(helpPage(model, {kind: 'root'}, {maxWidth: 80, style: PLAIN})).to.equal(undefined)
    expect(helpPage({...model, topics: [...model.topics, {description: 'DB', name: 'db'}]}, {kind: 'root'}, {maxWidth: 80, style: PLAIN})).to.contain('  db    DB\n')
  })
})

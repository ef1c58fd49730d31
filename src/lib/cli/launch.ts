/**
 * How bin/run.js and bin/dev.js start oclif. The manifest (see ./manifest.ts) is used only by the
 * built CLI and only when it is current; otherwise — and always from the sources (bin/dev.js, which
 * the tests spawn) — the commands are found by importing their modules, so a stale manifest can
 * never hide a command or show old flags.
 *
 * `--version` is answered before @oclif/core is loaded (loading it is most of a start-up's CPU): the
 * same line oclif prints (its `config.userAgent`), from package.json alone. So are help requests
 * in the built CLI with a current manifest (`--help`, `-h`, `<command> --help`, `help <command>`…):
 * see ./quick-help.ts, which leaves to oclif whatever it cannot print exactly as oclif does.
 */
import {readFileSync} from 'node:fs'
import {arch, release} from 'node:os'
import {setFlagsFromString} from 'node:v8'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Interfaces} from '@oclif/core'

import type {HelpPjson} from './quick-help.js'

/** What `--version` prints, as oclif does (`<name>/<version> <platform>-<arch> node-<node version>`; WSL is `wsl`). */
export function versionLine(pjson: {name: string; version?: string}, host: {arch: string; nodeVersion: string; platform: string; release: string} = {arch: arch(), nodeVersion: process.version, platform: process.platform, release: release()}): string {
  const platform = host.platform === 'linux' && host.release.toLowerCase().includes('microsoft') ? 'wsl' : host.platform
  return `${pjson.name}/${pjson.version ?? '0.0.0'} ${platform}-${host.arch === 'ia32' ? 'x86' : host.arch} node-${host.nodeVersion}`
}

/** Whether oclif would print the version for these arguments (its `versionAddition`: the first one only). */
export function asksVersion(argv: readonly string[], pjson: Interfaces.PJSON): boolean {
  return argv[0] !== undefined && ['--version', ...(pjson.oclif.additionalVersionFlags ?? [])].includes(argv[0])
}

/**
 * Whether these arguments may ask for a help page (none; `help …`; a help flag last): only then is
 * the launcher's help (./quick-help.ts) loaded, so a command's run never pays for it.
 */
export function mayAskHelp(argv: readonly string[], pjson: Interfaces.PJSON): boolean {
  return argv.length === 0 || argv[0] === 'help' || ['--help', ...(pjson.oclif.additionalHelpFlags ?? [])].includes(argv.at(-1) ?? '')
}

/**
 * V8's old generation may grow by this percentage over what survived each full collection (its own
 * factor goes up to 4 as the heap grows): a one-shot run at cloud scale — sync, metrics push —
 * otherwise leaves far more garbage uncollected than it keeps alive. A soft setting, read at every
 * collection: the heap still grows as far as the work needs (no cap, no out-of-memory at a larger
 * cloud). 50 was measured to cost no CPU (metrics push at cloud-10k: 444 -> 379 MB peak RSS, CPU
 * 13.0 -> 12.0 s; 25 cost +29% CPU, 10 +73%). listen too: its live heap is small (~45 MB at
 * cloud-10k: the view and the messages in flight) but, left to V8, it grew to ~210 MB between
 * collections while a backlog was consumed (peak RSS 388–450 MB at cloud-10k; 247–257 MB with it, at
 * the same CPU per notification). Not for the simulator (`sim`, a test double); never over the
 * user's own NODE_OPTIONS or node flags.
 */
export const HEAP_GROWING_PERCENT = 50

/** Whether the launcher sets V8's heap growth for this run (see HEAP_GROWING_PERCENT): every command but the simulator. */
export function tunesHeapGrowth(argv: readonly string[], nodeOptions: string | undefined, execArgv: readonly string[]): boolean {
  if (argv[0] === 'sim') return false
  return ![nodeOptions ?? '', ...execArgv].some((o) => /heap[-_]growing[-_]percent/.test(o))
}

export async function launch(opts: {development?: boolean; dir: string}): Promise<unknown> {
  if (tunesHeapGrowth(process.argv.slice(2), process.env.NODE_OPTIONS, process.execArgv)) setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`)
  const root = dirname(dirname(opts.dir.startsWith('file:') ? fileURLToPath(opts.dir) : opts.dir))
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
  // oclif runs `init` hooks before it answers --version: with none declared, it is answered here.
  if (!opts.development && pjson.oclif.hooks?.init === undefined && asksVersion(process.argv.slice(2), pjson)) {
    process.stdout.write(`${versionLine(pjson)}\n`)
    return
  }
  if (!opts.development && pjson.oclif.hooks?.init === undefined && mayAskHelp(process.argv.slice(2), pjson)) {
    const {answerHelp} = await import('./quick-help.js')
    if (await answerHelp(root, pjson as unknown as HelpPjson, process.argv.slice(2), versionLine(pjson))) return
  }
  const [{Config, execute, Plugin}, {isCurrent}] = await Promise.all([import('@oclif/core'), import('./manifest.js')])
  // From the sources, commands are imported from src/ (oclif maps dist/ to src/ in development).
  // Unlike oclif's execute({development: true}), no debug mode: errors read as in the built CLI
  // (the tests spawn bin/dev.js); DEBUG=* still shows oclif's traces and stacks.
  if (opts.development) process.env.NODE_ENV = 'development'
  const useManifest = !opts.development && isCurrent(root)
  if (useManifest) return execute({dir: opts.dir})
  const rootPlugin = new Plugin({ignoreManifest: true, isRoot: true, pjson, root})
  await rootPlugin.load()
  const config = new Config({plugins: new Map([[rootPlugin.name, rootPlugin]]), root})
  await config.load()
  // The plugins package.json names (e.g. @oclif/plugin-help), which a given plugin map skips.
  await config.loadPluginsAndCommands({force: true})
  return execute({loadOptions: config})
}

/**
 * How bin/run.js and bin/dev.js start oclif. The manifest (see ./manifest.ts) is used only by the
 * built CLI and only when it is current; otherwise — and always from the sources (bin/dev.js, which
 * the tests spawn) — the commands are found by importing their modules, so a stale manifest can
 * never hide a command or show old flags.
 */
import {Config, execute, type Interfaces, Plugin} from '@oclif/core'
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {isCurrent} from './manifest.js'

export async function launch(opts: {development?: boolean; dir: string}): Promise<unknown> {
  const root = dirname(dirname(opts.dir.startsWith('file:') ? fileURLToPath(opts.dir) : opts.dir))
  // From the sources, commands are imported from src/ (oclif maps dist/ to src/ in development).
  // Unlike oclif's execute({development: true}), no debug mode: errors read as in the built CLI
  // (the tests spawn bin/dev.js); DEBUG=* still shows oclif's traces and stacks.
  if (opts.development) process.env.NODE_ENV = 'development'
  const useManifest = !opts.development && isCurrent(root)
  if (useManifest) return execute({dir: opts.dir})
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
  const rootPlugin = new Plugin({ignoreManifest: true, isRoot: true, pjson, root})
  await rootPlugin.load()
  const config = new Config({plugins: new Map([[rootPlugin.name, rootPlugin]]), root})
  await config.load()
  // The plugins package.json names (e.g. @oclif/plugin-help), which a given plugin map skips.
  await config.loadPluginsAndCommands({force: true})
  return execute({loadOptions: config})
}

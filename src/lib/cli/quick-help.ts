/**
 * The launcher's answer to a help request before @oclif/core loads (./launch.ts): the page of
 * ./help-page.ts, from the current manifest, at oclif's width and in oclif's colours — only in the
 * built CLI, and only when nothing oclif would read could make its page differ (a theme, user
 * plugins, debug output, a package.json setting this does not know). Otherwise, or with
 * CONCERTIM_OS_OCLIF_HELP=1, oclif answers as before.
 */
import {existsSync, readFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {join} from 'node:path'

import type {BuiltManifest} from './manifest.js'

import {helpPage, type HelpCommand, type HelpModel, helpSubject, PLAIN, type PageStyle} from './help-page.js'

/** Set (to anything) to have oclif print every help page, as before this module. */
export const OCLIF_HELP_ENV = 'CONCERTIM_OS_OCLIF_HELP'

/** The package.json we read (its `oclif` section, which `plainPackage` checks key by key). */
export interface HelpPjson {
  description?: string
  name: string
  oclif: Record<string, unknown>
  version?: string
}

/** The package.json oclif settings this answers with, each as it must be (anything else: oclif answers). */
const OCLIF_SETTINGS: Record<string, (v: unknown, pjson: HelpPjson) => boolean> = {
  additionalHelpFlags: (v) => Array.isArray(v) && v.every((f) => typeof f === 'string' && /^-[a-z]$|^--[a-z][a-z-]*$/.test(f)),
  bin: (v) => typeof v === 'string' && /^[a-z][a-z0-9-]*$/.test(v),
  commands: (v) => typeof v === 'string',
  dirname: (v) => typeof v === 'string' && /^[a-z][a-z0-9-]*$/.test(v),
  helpClass: (v) => v === './dist/lib/cli/help',
  hooks: (v) => typeof v === 'object' && v !== null && Object.keys(v).every((k) => k === 'command_not_found'),
  plugins: (v) => Array.isArray(v) && v.length === 1 && v[0] === '@oclif/plugin-help',
  topicSeparator: (v) => v === ' ',
  topics: (v) => typeof v === 'object' && v !== null && Object.values(v).every((t) => typeof t === 'object' && t !== null && Object.keys(t).every((k) => k === 'description')),
}

/** Whether package.json's oclif section holds only settings this knows, as it needs them. */
export function plainPackage(pjson: HelpPjson): boolean {
  return Object.entries(pjson.oclif).every(([k, v]) => OCLIF_SETTINGS[k]?.(v, pjson) === true) && typeof pjson.oclif.bin === 'string'
}

/**
 * Whether oclif would read nothing from this environment that changes its help page (the width
 * and colour aside, which `helpWidth` and the colour modules give): not Windows, no debug, not
 * development, no OCLIF_ setting but OCLIF_COLUMNS, no theme file, no user plugins.
 */
export function plainEnvironment(env: NodeJS.ProcessEnv, platform: string, cli: {bin: string; dirname: string}, exists: (path: string) => boolean): boolean {
  const {bin, dirname} = cli
  if (platform === 'win32') return false
  if ((env[OCLIF_HELP_ENV] ?? '') !== '' || (env.DEBUG ?? '') !== '') return false
  if (['development', 'test'].includes(env.NODE_ENV ?? '')) return false
  if (Object.keys(env).some((k) => k.startsWith('OCLIF_') && k !== 'OCLIF_COLUMNS')) return false
  // oclif's scopedEnvVar: CONCERTIM_OS_<K> from the bin's name.
  const scoped = (k: string): string | undefined => env[`${bin.replaceAll('@', '').replaceAll(/[/-]/g, '_')}_${k}`.toUpperCase()] || undefined
  if (scoped('DEBUG') !== undefined) return false
  const home = env.HOME
  if (!home) return false
  const configDir = scoped('CONFIG_DIR') ?? join(env.XDG_CONFIG_HOME || join(home, '.config'), dirname)
  const dataDir = scoped('DATA_DIR') ?? join(env.XDG_DATA_HOME || join(home, '.local/share'), dirname)
  return !exists(join(configDir, 'theme.json')) && !exists(join(dataDir, 'package.json'))
}

/** oclif's help width (its screen module's stdtermwidth): OCLIF_COLUMNS, else the terminal's (40 at least), else 80. */
export function helpWidth(env: NodeJS.ProcessEnv, stdout: {getWindowSize?: () => number[]; isTTY?: boolean}): number {
  const columns = Number.parseInt(env.OCLIF_COLUMNS ?? '', 10)
  if (columns) return columns
  if (!stdout.isTTY || !stdout.getWindowSize) return 80
  const width = stdout.getWindowSize()[0]
  return width < 1 ? 80 : Math.max(width, 40)
}

/**
 * oclif's colorize('bold'|'underline', …): ansis's when supports-color sees colour on stdout and
 * stderr. Both are loaded from where @oclif/core loads them, so they decide as they do in oclif.
 */
function pageStyle(): PageStyle {
  const fromCore = createRequire(createRequire(import.meta.url).resolve('@oclif/core'))
  const supportsColor = fromCore('supports-color') as {stderr: unknown; stdout: unknown}
  if (!supportsColor.stdout || !supportsColor.stderr) return PLAIN
  const mod = fromCore('ansis') as {__esModule?: boolean; default?: PageStyle} & PageStyle
  const ansis = mod.__esModule ? (mod.default as PageStyle) : mod
  return {bold: (t) => ansis.bold(t), underline: (t) => ansis.underline(t)}
}

/** The manifest of @oclif/plugin-help next to ours, when it is the one its package.json names. */
function pluginHelpCommands(root: string): HelpCommand[] | undefined {
  const dir = join(root, 'node_modules', '@oclif', 'plugin-help')
  try {
    const pjson = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {version: string}
    const manifest = JSON.parse(readFileSync(join(dir, 'oclif.manifest.json'), 'utf8')) as BuiltManifest
    if (manifest.version !== pjson.version) return undefined
    return Object.values(manifest.commands).map((c) => ({description: c.description, id: c.id}))
  } catch {
    return undefined
  }
}

/** What the pages are made of: package.json, our manifest and the help plugin's command. */
export function helpModel(root: string, pjson: HelpPjson, manifest: BuiltManifest, userAgent: string): HelpModel | undefined {
  const plugin = pluginHelpCommands(root)
  if (!plugin) return undefined
  const topics = Object.entries((pjson.oclif.topics ?? {}) as Record<string, {description?: string}>).map(([name, t]) => ({...t, name}))
  // As the manifest has them: ./help-page.ts checks every field it is given.
  const commands = Object.values(manifest.commands) as unknown as HelpCommand[]
  return {
    bin: pjson.oclif.bin as string,
    commands: [...commands, ...plugin],
    description: pjson.description ?? '',
    helpFlags: (pjson.oclif.additionalHelpFlags ?? []) as string[],
    topics,
    userAgent,
  }
}

/**
 * Print the help page for `argv` as oclif would, when this module can; true when it did. Reads
 * the manifest only when it is current (./manifest.ts).
 */
export async function answerHelp(root: string, pjson: HelpPjson, argv: readonly string[], userAgent: string): Promise<boolean> {
  if (!plainPackage(pjson)) return false
  const cli = {bin: pjson.oclif.bin as string, dirname: typeof pjson.oclif.dirname === 'string' ? pjson.oclif.dirname : pjson.name}
  if (!plainEnvironment(process.env, process.platform, cli, existsSync)) return false
  if ((globalThis as {oclif?: unknown}).oclif !== undefined) return false // oclif's settings, set by someone
  const {currentManifest} = await import('./manifest.js')
  const manifest = currentManifest(root)
  if (!manifest) return false
  const model = helpModel(root, pjson, manifest, userAgent)
  const subject = model && helpSubject(argv, model)
  if (!model || !subject) return false
  let style: PageStyle
  try {
    style = pageStyle()
  } catch {
    return false
  }
  const page = helpPage(model, subject, {maxWidth: helpWidth(process.env, process.stdout), style})
  if (page === undefined) return false
  // As oclif writes it: console.log, with oclif's handler of stdout errors (a reader gone, EPIPE, is
  // no error; any other, such as a full disk, is thrown: exit 1).
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') return
    throw error
  })
  // eslint-disable-next-line no-console
  console.log(page.slice(0, -1))
  return true
}

/**
 * oclif's command manifest (`oclif.manifest.json`): what `--help`, `--version` and the command
 * lookup read instead of importing every command module (the `oclif` dev package that writes it
 * with `oclif manifest` is not a dependency; this writes the same format with @oclif/core's own
 * Plugin). It also records a fingerprint of the built command modules, so a manifest left over from
 * an older build — one that could hide a new command or show old flags — is never used (`isCurrent`).
 * Reading it loads no @oclif/core (the launcher answers `--help` from it before oclif loads).
 */
import type {Interfaces} from '@oclif/core'
import {createHash} from 'node:crypto'
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join, relative, sep} from 'node:path'

export const MANIFEST_FILE = 'oclif.manifest.json'
/** Where the built commands are (package.json `oclif.commands`). */
const COMMANDS_DIR = join('dist', 'commands')

export type BuiltManifest = Interfaces.Manifest & {build?: {fingerprint: string}}

/** A digest of every built command module (path and content); '' when there is none. */
export function commandsFingerprint(root: string): string {
  const dir = join(root, COMMANDS_DIR)
  if (!existsSync(dir)) return ''
  const files = (readdirSync(dir, {recursive: true}) as string[]).filter((f) => f.endsWith('.js')).sort()
  const hash = createHash('sha256')
  for (const f of files) hash.update(`${f.split(sep).join('/')}\0`).update(readFileSync(join(dir, f))).update('\0')
  return hash.digest('hex')
}

function packageVersion(root: string): string {
  return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {version: string}).version
}

/** `root`'s manifest when it was written for this package version and exactly these built commands; else undefined. */
export function currentManifest(root: string): BuiltManifest | undefined {
  let manifest: BuiltManifest
  try {
    manifest = JSON.parse(readFileSync(join(root, MANIFEST_FILE), 'utf8')) as BuiltManifest
  } catch {
    return undefined
  }
  const current = manifest.version === packageVersion(root) && manifest.build?.fingerprint !== undefined && manifest.build.fingerprint === commandsFingerprint(root)
  return current ? manifest : undefined
}

/** Whether `root`'s manifest was written for this package version and exactly these built commands. */
export function isCurrent(root: string): boolean {
  return currentManifest(root) !== undefined
}

/** Build the manifest of the built commands under `root` (importing each once) and write it. */
export async function writeManifest(root: string): Promise<BuiltManifest> {
  const {Plugin} = await import('@oclif/core')
  const pjson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Interfaces.PJSON
  // Like `oclif manifest`: every command must load, and the manifest is built from the modules.
  const plugin = new Plugin({errorOnManifestCreate: true, ignoreManifest: true, isRoot: true, pjson, respectNoCacheDefault: true, root})
  await plugin.load()
  const manifest: BuiltManifest = {...plugin.manifest, build: {fingerprint: commandsFingerprint(root)}}
  if (Object.keys(manifest.commands).length === 0) throw new Error(`no command found under ${relative(process.cwd(), join(root, COMMANDS_DIR)) || '.'}: build first (tsc)`)
  writeFileSync(join(root, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
  return manifest
}

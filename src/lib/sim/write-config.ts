/**
 * Writes the simulator's ready configuration for the CLI: YAML, mode 0600 (it holds passwords),
 * atomically (a temporary file in the same directory, then a rename), so a reader never sees half.
 *
 * The view (`store.path`) and the locks (`lock_dir`) go beside the configuration file: the defaults
 * under /var/lib/concertim-openstack-service are not writable by a normal user, and as root they
 * would mix the simulator's view with a real one (or another simulator's).
 */
import {randomBytes} from 'node:crypto'
import {chmodSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {basename, dirname, extname, join, resolve} from 'node:path'

import yaml from 'js-yaml'

/** `store.path` and `lock_dir` for a configuration at `file`: `<dir>/<name>.view.json`, `<dir>/<name>.locks`. */
export function simStatePaths(file: string): {lock_dir: string; store: {path: string}} {
  const full = resolve(file)
  const stem = basename(full, extname(full))
  return {lock_dir: join(dirname(full), `${stem}.locks`), store: {path: join(dirname(full), `${stem}.view.json`)}}
}

/** The simulator's configuration with its own view and locks beside `file`, written to `file`. */
export function writeSimConfig(file: string, config: Record<string, unknown>): void {
  const state = simStatePaths(file)
  const store = typeof config.store === 'object' && config.store !== null ? config.store : {}
  writeConfigAtomically(file, {...config, lock_dir: state.lock_dir, store: {...store, ...state.store}})
}

export function writeConfigAtomically(file: string, config: unknown): void {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
  try {
    writeFileSync(tmp, yaml.dump(config, {lineWidth: 200, noRefs: true}), {flag: 'wx', mode: 0o600})
    chmodSync(tmp, 0o600)
    renameSync(tmp, file)
  } catch (error) {
    rmSync(tmp, {force: true})
    throw error
  }
}

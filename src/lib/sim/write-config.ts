/**
 * Writes the simulator's ready configuration for the CLI: YAML, mode 0600 (it holds passwords),
 * atomically (a temporary file in the same directory, then a rename), so a reader never sees half.
 */
import {randomBytes} from 'node:crypto'
import {chmodSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'

import yaml from 'js-yaml'

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

/**
 * The real OpenStack response bodies of the shared specs (`/work/shared/fixtures/api/`), read from
 * disk: each call returns a fresh copy that a test may change.
 */
import {readFileSync} from 'node:fs'

const ROOT = new URL('../../../../../shared/fixtures/api/', import.meta.url)

export function fixture<T = Record<string, unknown>>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, ROOT), 'utf8')) as T
}

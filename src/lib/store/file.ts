import {mkdir, open, readFile, rename, rm} from 'node:fs/promises'
import {dirname} from 'node:path'
import lockfile from 'proper-lockfile'

import {AppError} from '../errors.js'
import type {ViewChanges, ViewEntry, ViewSnapshot, ViewStore} from './types.js'

interface FileDocument {
  entries: Record<string, ViewEntry>
  values: Record<string, unknown>
  version: 1
}

/**
 * The view as one JSON file. Every change is read-modify-write under an exclusive lock (so a
 * `sync` and a `listen` on the same host never lose each other's writes) and lands atomically
 * (temporary file, fsync, rename): a crash leaves the old or the new file, never half of one.
 */
export class FileViewStore implements ViewStore {
  readonly kind = 'file'

  constructor(readonly location: string) {}

  async apply(changes: ViewChanges): Promise<void> {
    await this.withLock(async () => {
      const doc = await this.read()
      for (const key of changes.remove ?? []) delete doc.entries[key]
      Object.assign(doc.entries, changes.put ?? {})
      for (const [k, v] of Object.entries(changes.values ?? {})) {
        if (v === null) delete doc.values[k]
        else doc.values[k] = v
      }
      await this.write(doc)
    })
  }

  async close(): Promise<void> {}

  async get(keys: string[]): Promise<Map<string, ViewEntry>> {
    const doc = await this.read()
    const out = new Map<string, ViewEntry>()
    for (const k of keys) if (doc.entries[k] !== undefined) out.set(k, doc.entries[k])
    return out
  }

  async load(): Promise<ViewSnapshot> {
    const doc = await this.read()
    return {entries: new Map(Object.entries(doc.entries)), values: doc.values}
  }

  private async read(): Promise<FileDocument> {
    let text: string
    try {
      text = await readFile(this.location, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {entries: {}, values: {}, version: 1}
      throw new AppError(`cannot read the view store ${this.location}: ${(error as Error).message}`, {code: 'E_STORE', hint: 'check the permissions of store.path, or set store.path to a writable place'})
    }
    try {
      const doc = JSON.parse(text) as Partial<FileDocument>
      return {entries: doc.entries ?? {}, values: doc.values ?? {}, version: 1}
    } catch {
      // A corrupt cache is not fatal: the systems are the truth. Start again from nothing.
      return {entries: {}, values: {}, version: 1}
    }
  }

  private async withLock<T>(fn: () => Promise<T>): Promise<T> {
    try {
      await mkdir(dirname(this.location), {recursive: true})
    } catch (error) {
      throw new AppError(`cannot create the directory of the view store ${this.location}: ${(error as Error).message}`, {code: 'E_STORE', hint: 'create it, or set store.path to a writable place'})
    }
    const release = await lockfile.lock(this.location, {
      lockfilePath: `${this.location}.lock`,
      onCompromised: () => {
        /* the write below is atomic anyway; a compromised lock only weakens exclusion */
      },
      realpath: false,
      retries: {factor: 1.5, maxTimeout: 200, minTimeout: 10, retries: 100},
      stale: 10_000,
    })
    try {
      return await fn()
    } finally {
      await release()
    }
  }

  private async write(doc: FileDocument): Promise<void> {
    const tmp = `${this.location}.${process.pid}.tmp`
    const handle = await open(tmp, 'w', 0o600)
    try {
      await handle.writeFile(JSON.stringify(doc))
      await handle.sync()
    } finally {
      await handle.close()
    }
    try {
      await rename(tmp, this.location)
    } catch (error) {
      await rm(tmp, {force: true})
      throw error
    }
  }
}

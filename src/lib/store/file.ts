import {mkdir, open, readFile, rename, rm, stat} from 'node:fs/promises'
import {dirname} from 'node:path'
import lockfile from 'proper-lockfile'

import {AppError} from '../errors.js'
import type {ViewChanges, ViewEntry, ViewSnapshot, ViewStore} from './types.js'

interface FileDocument {
  entries: Record<string, ViewEntry>
  values: Record<string, unknown>
  version: 1
}

interface Pending {
  changes: ViewChanges
  reject(error: unknown): void
  resolve(): void
}

/**
 * The view as one JSON file. Every change is read-modify-write under an exclusive lock (so a
 * `sync` and a `listen` on the same host never lose each other's writes) and lands atomically
 * (temporary file, fsync, rename): a crash leaves the old or the new file, never half of one.
 *
 * The file is parsed again only when it changed on disk (its inode, size and mtime), and changes
 * that arrive while a write is under way are committed together in the next one (group commit), so
 * that `listen`, which records one entity at a time, does not rewrite the whole view per event.
 * `apply` still resolves only once its changes are on disk.
 */
export class FileViewStore implements ViewStore {
  readonly kind = 'file'
  private cache?: {doc: FileDocument; stamp: string}
  private queue: Pending[] = []
  private writing = false

  constructor(readonly location: string) {}

  async apply(changes: ViewChanges): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({changes, reject, resolve})
      if (!this.writing) void this.commit()
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
    return {entries: new Map(Object.entries(doc.entries)), values: {...doc.values}}
  }

  /** Write every queued batch in one read-modify-write; repeat while more arrived meanwhile. */
  private async commit(): Promise<void> {
    this.writing = true
    while (this.queue.length > 0) {
      const batch = this.queue
      this.queue = []
      try {
         
        await this.withLock(async () => {
          const current = await this.read()
          // Copy on write: the cached document stays as it is on disk until the rename succeeded.
          const doc: FileDocument = {entries: {...current.entries}, values: {...current.values}, version: 1}
          for (const {changes} of batch) {
            for (const key of changes.remove ?? []) delete doc.entries[key]
            Object.assign(doc.entries, changes.put ?? {})
            for (const [k, v] of Object.entries(changes.values ?? {})) {
              if (v === null) delete doc.values[k]
              else doc.values[k] = v
            }
          }
          await this.write(doc)
        })
        for (const p of batch) p.resolve()
      } catch (error) {
        for (const p of batch) p.reject(error)
      }
    }
    this.writing = false
  }

  private async read(): Promise<FileDocument> {
    let stamp: string
    try {
      const s = await stat(this.location, {bigint: true})
      stamp = `${s.ino}:${s.size}:${s.mtimeNs}`
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {entries: {}, values: {}, version: 1}
      throw this.unreadable(error)
    }
    if (this.cache?.stamp === stamp) return this.cache.doc
    let text: string
    try {
      text = await readFile(this.location, 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {entries: {}, values: {}, version: 1}
      throw this.unreadable(error)
    }
    let doc: FileDocument
    try {
      const parsed = JSON.parse(text) as Partial<FileDocument>
      doc = {entries: parsed.entries ?? {}, values: parsed.values ?? {}, version: 1}
    } catch {
      // A corrupt cache is not fatal: the systems are the truth. Start again from nothing.
      doc = {entries: {}, values: {}, version: 1}
    }
    this.cache = {doc, stamp}
    return doc
  }

  private unreadable(error: unknown): AppError {
    return new AppError(`cannot read the view store ${this.location}: ${(error as Error).message}`, {code: 'E_STORE', hint: 'check the permissions of store.path, or set store.path to a writable place'})
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
    const s = await stat(this.location, {bigint: true})
    this.cache = {doc, stamp: `${s.ino}:${s.size}:${s.mtimeNs}`}
  }
}

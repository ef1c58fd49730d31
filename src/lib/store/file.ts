import {mkdir, open, rename, rm, stat} from 'node:fs/promises'
import {dirname} from 'node:path'
import lockfile from 'proper-lockfile'

import {AppError} from '../errors.js'
import type {ViewChanges, ViewEntry, ViewSnapshot, ViewStore} from './types.js'

/** A write waits this many times the CPU time the previous one took to build (see the class). */
const PACING = 10
/** …but never longer than this. */
const MAX_PAUSE_MS = 200

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
 * The file is parsed again only when it changed on disk (its inode, size and mtime, taken from the
 * open file that is read, so that they always describe the text parsed), and changes that arrive
 * while a write is under way are committed together in the next one (group commit), so that
 * `listen`, which records one entity at a time, does not rewrite the whole view per event. Writes
 * are paced: the next one starts no sooner than ten times the CPU time the last one took to build
 * (serializing a large view), so that writing the view takes at most a tenth of the process's time
 * however fast the changes come; they wait, grouped, meanwhile. `apply` still resolves only once its
 * changes are on disk, but `get` and `load` already see them (a process reads its own writes), and
 * `close` waits until every change is on disk.
 */
export class FileViewStore implements ViewStore {
  readonly kind = 'file'
  /** How many times the file was parsed (a figure for tests and benchmarks). */
  parses = 0
  private cache?: {doc: FileDocument; stamp: string}
  /** Bumped by every write of this store: a read that began before it must not replace its cache. */
  private generation = 0
  /** The write of the file under way, if any. */
  private fileWrite?: Promise<void>
  private queue: Pending[] = []
  /** The batch being written now (seen by readers until it is on disk, or failed). */
  private committing: Pending[] = []
  /** Called when the last queued change is on disk (or failed): `close` waits for it. */
  private idle: Array<() => void> = []
  /** A read of the file under way, shared by concurrent `get`/`load` calls. */
  private reading?: Promise<FileDocument>
  private writing = false

  constructor(readonly location: string) {}

  async apply(changes: ViewChanges): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({changes, reject, resolve})
      if (!this.writing) void this.commit()
    })
  }

  /** Resolves once every change applied so far is on disk (or has failed, which its `apply` said). */
  async close(): Promise<void> {
    if (!this.writing) return
    await new Promise<void>((resolve) => this.idle.push(resolve))
  }

  async get(keys: string[]): Promise<Map<string, ViewEntry>> {
    const doc = await this.current()
    const out = new Map<string, ViewEntry>()
    for (const k of keys) if (doc.entries[k] !== undefined) out.set(k, doc.entries[k])
    for (const {changes} of this.unwritten()) {
      for (const k of changes.remove ?? []) out.delete(k)
      for (const k of keys) if (changes.put !== undefined && Object.hasOwn(changes.put, k)) out.set(k, changes.put[k])
    }
    return out
  }

  async load(): Promise<ViewSnapshot> {
    const doc = withChanges(await this.current(), this.unwritten())
    return {entries: new Map(Object.entries(doc.entries)), values: doc.values}
  }

  /** Changes applied but not yet on disk, oldest first. */
  private unwritten(): Pending[] {
    return this.committing.length === 0 ? this.queue : [...this.committing, ...this.queue]
  }

  /** Write every queued batch in one read-modify-write; repeat while more arrived meanwhile. */
  private async commit(): Promise<void> {
    this.writing = true
    let pause = 0
    while (this.queue.length > 0) {
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause))
      const batch = this.queue
      this.queue = []
      this.committing = batch
      try {
        await this.withLock(async () => {
          const current = await this.read()
          const started = performance.now()
          // Copy on write: the cached document stays as it is on disk until the rename succeeded.
          const doc = withChanges(current, batch)
          const text = JSON.stringify(doc)
          pause = Math.min(MAX_PAUSE_MS, PACING * (performance.now() - started))
          await this.write(doc, text)
        })
        this.committing = []
        for (const p of batch) p.resolve()
      } catch (error) {
        this.committing = []
        for (const p of batch) p.reject(error)
      }
    }
    this.writing = false
    for (const resolve of this.idle.splice(0)) resolve()
  }

  /** The document as it is on disk, for readers: concurrent calls share one read. */
  private async current(): Promise<FileDocument> {
    if (this.reading === undefined) {
      this.reading = this.read(true).finally(() => {
        this.reading = undefined
      })
    }
    return this.reading
  }

  /**
   * The document as it is on disk now (a commit calls this under the lock: never a read begun
   * before it). Cheap when the file did not change since it was last read or written here. A reader
   * that finds the file changed while this store is writing it waits for that write (the change is
   * most likely its own) rather than parse the file again.
   */
  private async read(reader = false): Promise<FileDocument> {
    try {
      let s = await stat(this.location, {bigint: true})
      if (this.cache?.stamp === stampOf(s)) return this.cache.doc
      if (reader && this.fileWrite !== undefined) {
        await this.fileWrite.catch(() => undefined)
        s = await stat(this.location, {bigint: true})
        if (this.cache?.stamp === stampOf(s)) return this.cache.doc
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument()
      throw this.unreadable(error)
    }
    const generation = this.generation
    let handle
    try {
      handle = await open(this.location, 'r')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyDocument()
      throw this.unreadable(error)
    }
    let stamp: string
    let text: string
    try {
      // The stamp of the very file that is read (it may have been replaced since the stat above).
      stamp = stampOf(await handle.stat({bigint: true}))
      if (this.cache?.stamp === stamp) return this.cache.doc
      text = await handle.readFile('utf8')
    } catch (error) {
      throw this.unreadable(error)
    } finally {
      await handle.close()
    }
    let doc: FileDocument
    try {
      const parsed = JSON.parse(text) as Partial<FileDocument>
      doc = {entries: parsed.entries ?? {}, values: parsed.values ?? {}, version: 1}
    } catch {
      // A corrupt cache is not fatal: the systems are the truth. Start again from nothing.
      doc = emptyDocument()
    }
    this.parses++
    // A write of this store that finished meanwhile left a newer cache: keep it.
    if (generation === this.generation) this.cache = {doc, stamp}
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

  private async write(doc: FileDocument, text: string): Promise<void> {
    this.fileWrite = this.writeFile(doc, text)
    try {
      await this.fileWrite
    } finally {
      this.fileWrite = undefined
    }
  }

  private async writeFile(doc: FileDocument, text: string): Promise<void> {
    const tmp = `${this.location}.${process.pid}.tmp`
    const handle = await open(tmp, 'w', 0o600)
    let stamp: string
    try {
      await handle.writeFile(text)
      await handle.sync()
      // A rename keeps the inode, size and mtime: this is the stamp the file will have in place.
      stamp = stampOf(await handle.stat({bigint: true}))
    } finally {
      await handle.close()
    }
    try {
      await rename(tmp, this.location)
    } catch (error) {
      await rm(tmp, {force: true})
      throw error
    }
    // At once, so that no reader sees the new file before the cache knows it.
    this.generation++
    this.cache = {doc, stamp}
  }
}

/** A copy of the document with batches of changes applied in order (the document is not changed). */
function withChanges(current: FileDocument, batches: readonly Pending[]): FileDocument {
  const doc: FileDocument = {entries: {...current.entries}, values: {...current.values}, version: 1}
  for (const {changes} of batches) {
    for (const key of changes.remove ?? []) delete doc.entries[key]
    Object.assign(doc.entries, changes.put ?? {})
    for (const [k, v] of Object.entries(changes.values ?? {})) {
      if (v === null) delete doc.values[k]
      else doc.values[k] = v
    }
  }
  return doc
}

function emptyDocument(): FileDocument {
  return {entries: {}, values: {}, version: 1}
}

/** What identifies one version of the file: inode (a rename makes a new one), size, mtime. */
function stampOf(s: {ino: bigint; mtimeNs: bigint; size: bigint}): string {
  return `${s.ino}:${s.size}:${s.mtimeNs}`
}

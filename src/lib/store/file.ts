import {randomBytes} from 'node:crypto'
import {statSync} from 'node:fs'
import {type FileHandle, mkdir, open, rename, rm} from 'node:fs/promises'
import {dirname} from 'node:path'
import {setImmediate as nextTurn, setTimeout as sleep} from 'node:timers/promises'
import lockfile from 'proper-lockfile'

import {AppError} from '../errors.js'
import {DEFAULT_NOTE_LIFETIMES, isNoteKey, noteLifetime, type NoteLifetimes} from './notes.js'
import {isViewEntry, reportWarning, type ViewChanges, type ViewEntry, type ViewSnapshot, type ViewStore} from './types.js'

/** Changes that arrive while the view is written wait this long after that write, grouped (see the class). */
export const WRITE_INTERVAL_MS = 200
/**
 * Set by the test runner (`COS_TEST_CHECK_VIEW_BYTES=1`): each write checks that the bytes it
 * copies are still those of their entry, so that code that changes an entry in place — which
 * `documentParts` relies on never happening — fails the tests instead of leaving the entry's old
 * bytes in the file.
 */
const CHECK_BYTES = process.env.COS_TEST_CHECK_VIEW_BYTES === '1'

/** Tries to take the file's lock while another process holds it (about 20 s in all). */
const LOCK_TRIES = 100
/** Errors that no retry cures: the place is read-only or not ours. */
const NOT_WRITABLE = new Set(['EACCES', 'EPERM', 'EROFS'])

/** A note (see `notes.ts`) and when it is dropped (ms since the epoch). */
interface StoredNote {
  entry: ViewEntry
  expiresAt: number
}

export interface FileDocument {
  entries: Record<string, ViewEntry>
  notes: Record<string, StoredNote>
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
 * are paced: the next one starts 200 ms after the last one ended (at most five whole views a second
 * however fast the changes come, or cheap each write is; a view that takes 20 ms to write then
 * takes under a tenth of the time); the changes wait, grouped, meanwhile. A lone change is written
 * at once. Each entry is serialised once (`documentParts`): a write copies the bytes of those it
 * did not change. `apply` still resolves only once its changes are on disk, but `get` and `load` already see them (a process reads its own writes), and
 * `close` waits until every change is on disk.
 *
 * Notes (`notes.ts`) are kept in the same file, apart from the entries, each with the time it is
 * dropped: a write leaves the expired ones out. What is read is checked: an entry that is not a JSON
 * object is left out with a warning (the systems are the truth: the next sync writes it again).
 */
export class FileViewStore implements ViewStore {
  readonly kind = 'file'
  onWarning?: (message: string) => void
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
  /** The bytes of each entry and note as last written, by object (see `documentParts`). */
  private readonly pieces: Pieces = new WeakMap()
  private writing = false

  constructor(
    readonly location: string,
    private readonly lifetimes: NoteLifetimes = DEFAULT_NOTE_LIFETIMES,
  ) {}

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
    const now = Date.now()
    const out = new Map<string, ViewEntry>()
    for (const k of keys) {
      if (Object.hasOwn(doc.entries, k)) out.set(k, doc.entries[k])
      else if (Object.hasOwn(doc.notes, k) && doc.notes[k].expiresAt > now) out.set(k, doc.notes[k].entry)
    }
    for (const {changes} of this.unwritten()) {
      for (const k of changes.remove ?? []) out.delete(k)
      for (const k of keys) if (changes.put !== undefined && Object.hasOwn(changes.put, k)) out.set(k, changes.put[k])
    }
    return out
  }

  async load(): Promise<ViewSnapshot> {
    const doc = withChanges(await this.current(), this.unwritten(), this.lifetimes)
    return {entries: new Map(Object.entries(doc.entries)), values: doc.values}
  }

  async notes(prefix: string): Promise<Map<string, ViewEntry>> {
    const doc = withChanges(await this.current(), this.unwritten(), this.lifetimes)
    return new Map(Object.entries(doc.notes).flatMap(([k, n]) => (k.startsWith(prefix) ? [[k, n.entry] as const] : [])))
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
          // Copy on write: the cached document stays as it is on disk until the rename succeeded.
          const doc = withChanges(current, batch, this.lifetimes)
          await this.write(doc, documentParts(doc, this.pieces))
          pause = WRITE_INTERVAL_MS
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
      // A turn of the event loop (so that readers in a loop never starve the writes' I/O), then a
      // local stat in this thread: a third of the CPU of an async one, and its answer is compared
      // with the cache at once.
      await nextTurn()
      let s = statSync(this.location, {bigint: true})
      if (this.cache?.stamp === stampOf(s)) return this.cache.doc
      if (reader && this.fileWrite !== undefined) {
        await this.fileWrite.catch(() => undefined)
        s = statSync(this.location, {bigint: true})
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
      doc = this.documentOf(JSON.parse(text) as unknown)
    } catch {
      // A corrupt cache is not fatal: the systems are the truth. Start again from nothing.
      this.warn(`the view store ${this.location} is not valid JSON: it is read as empty (the next sync rebuilds it)`)
      doc = emptyDocument()
    }
    this.parses++
    // A write of this store that finished meanwhile left a newer cache: keep it.
    if (generation === this.generation) this.cache = {doc, stamp}
    return doc
  }

  /**
   * The document in what was parsed, leaving out (with a warning) what has the wrong shape. Entries
   * written before notes were kept apart (`listen-watermark:…`, `keystone:…`) become notes.
   */
  private documentOf(parsed: unknown): FileDocument {
    const doc = emptyDocument()
    if (!isViewEntry(parsed)) {
      this.warn(`the view store ${this.location} is not a JSON object: it is read as empty (the next sync rebuilds it)`)
      return doc
    }
    const now = Date.now()
    const malformed: string[] = []
    const section = (name: string): Record<string, unknown> => {
      const value = parsed[name]
      if (value === undefined || isViewEntry(value)) return value ?? {}
      malformed.push(`"${name}" (not an object)`)
      return {}
    }
    for (const [key, entry] of Object.entries(section('entries'))) {
      if (!isViewEntry(entry)) malformed.push(key)
      else if (isNoteKey(key)) doc.notes[key] = {entry, expiresAt: now + (noteLifetime(key, this.lifetimes) as number)}
      else doc.entries[key] = entry
    }
    for (const [key, note] of Object.entries(section('notes'))) {
      if (!isViewEntry(note) || !isViewEntry(note.entry) || typeof note.expiresAt !== 'number') malformed.push(key)
      else if (note.expiresAt > now) doc.notes[key] = {entry: note.entry, expiresAt: note.expiresAt}
    }
    doc.values = section('values')
    if (malformed.length > 0) {
      const shown = malformed.sort().slice(0, 5).join(', ') + (malformed.length > 5 ? ` and ${malformed.length - 5} more` : '')
      this.warn(`the view store ${this.location}: ${malformed.length} malformed entr${malformed.length === 1 ? 'y' : 'ies'} left out (${shown}): each must be a JSON object; the next sync writes them again`)
    }
    return doc
  }

  private warn(message: string): void {
    reportWarning(this, message)
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
    const release = await this.lock()
    try {
      return await fn()
    } finally {
      await release()
    }
  }

  /**
   * The file's lock, waited for while another process holds it — and only then: a read-only or
   * forbidden place fails at once (proper-lockfile's own retries would repeat any error for ~20 s).
   */
  private async lock(): Promise<() => Promise<void>> {
    const lockfilePath = `${this.location}.lock`
    let wait = 10
    for (let tries = 1; ; tries++) {
      try {
        return await lockfile.lock(this.location, {
          lockfilePath,
          onCompromised: () => {
            /* the write below is atomic anyway; a compromised lock only weakens exclusion */
          },
          realpath: false,
          retries: 0,
          stale: 10_000,
        })
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === 'ELOCKED' && tries < LOCK_TRIES) {
          await sleep(wait)
          wait = Math.min(200, wait * 1.5)
          continue
        }
        if (code === 'ELOCKED') throw new AppError(`cannot write the view store ${this.location}: another process has held its lock ${lockfilePath} for ${LOCK_TRIES} tries`, {code: 'E_STORE', hint: 'a process writing the view may hang; a crashed one\'s lock is taken over after 10 s'})
        throw this.unwritable(error, lockfilePath)
      }
    }
  }

  /** A write that failed: what, where, and what to do about it. */
  private unwritable(error: unknown, path: string): AppError {
    const code = (error as NodeJS.ErrnoException).code ?? ''
    const dir = dirname(this.location)
    const hint = NOT_WRITABLE.has(code)
      ? `the directory ${dir} is read-only or not writable by this user: make it writable, or set store.path to a writable place`
      : code === 'ENOSPC' || code === 'EDQUOT'
        ? `the disk of ${dir} is full: free some space (the view is written whole each time)`
        : 'check store.path and the disk it is on'
    return new AppError(`cannot write the view store ${this.location} (${path}): ${(error as Error).message}`, {cause: error, code: 'E_STORE', hint})
  }

  private async write(doc: FileDocument, parts: Buffer[]): Promise<void> {
    this.fileWrite = this.writeFile(doc, parts)
    try {
      await this.fileWrite
    } finally {
      this.fileWrite = undefined
    }
  }

  private async writeFile(doc: FileDocument, parts: Buffer[]): Promise<void> {
    // A new file of an unguessable name (O_CREAT|O_EXCL: never an existing file, never through a symlink).
    const tmp = `${this.location}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`
    let stamp: string
    try {
      const handle = await open(tmp, 'wx', 0o600)
      try {
        await writeAll(handle, parts)
        await handle.sync()
        // A rename keeps the inode, size and mtime: this is the stamp the file will have in place.
        stamp = stampOf(await handle.stat({bigint: true}))
      } finally {
        await handle.close()
      }
      await rename(tmp, this.location)
    } catch (error) {
      // A full disk must not also fill up with half-written copies of the view.
      await rm(tmp, {force: true}).catch(() => undefined)
      throw this.unwritable(error, tmp)
    }
    // At once, so that no reader sees the new file before the cache knows it.
    this.generation++
    this.cache = {doc, stamp}
  }
}

/**
 * Writes the parts one after another from the file's start, as one gathered write (no copy of the
 * whole view: at cloud-10k a 10 MB buffer per write, made several times a second under listen, was
 * a third of its peak memory), again from where it stopped if the kernel wrote less.
 */
export async function writeAll(handle: Pick<FileHandle, 'writev'>, parts: Buffer[]): Promise<void> {
  let rest = parts
  let position = 0
  while (rest.length > 0) {
    const {bytesWritten} = await handle.writev(rest, position)
    position += bytesWritten
    let written = bytesWritten
    let i = 0
    while (i < rest.length && written >= rest[i].byteLength) written -= rest[i++].byteLength
    rest = i < rest.length && written > 0 ? [rest[i].subarray(written), ...rest.slice(i + 1)] : rest.slice(i)
    if (bytesWritten === 0 && rest.length > 0) throw new Error('the disk took no bytes')
  }
}

/** The UTF-8 of `"key":<JSON>` of each entry and note of a record, by object (with the key it was made for). */
type Pieces = WeakMap<object, {bytes: Buffer; key: string}>

const COMMA = Buffer.from(',')

/**
 * The document as UTF-8 in parts, which joined are the very bytes of `JSON.stringify(doc)`: the bytes of each entry
 * and note as first serialised (`pieces`, by object): a write serialises only the entries and notes
 * put since the last one and copies the others' bytes (a fifth of the CPU of serialising a large
 * view whole, and no 1.5 MB string to encode and collect each time). Entries and notes are never
 * changed in place (a change puts a new object), so an object's bytes stay right.
 */
export function documentParts(doc: FileDocument, pieces: Pieces, check = CHECK_BYTES): Buffer[] {
  const parts: Buffer[] = []
  const record = (r: Record<string, unknown>): void => {
    let first = true
    for (const key of Object.keys(r)) {
      const value = r[key]
      const object = typeof value === 'object' && value !== null ? value : undefined
      let piece = object === undefined ? undefined : pieces.get(object)
      if (check && piece !== undefined && piece.key === key && !piece.bytes.equals(Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`))) {
        throw new Error(`view store: the entry ${key} was changed in place after it was written (put a new object instead)`)
      }
      if (piece === undefined || piece.key !== key) {
        const json = JSON.stringify(value) as string | undefined
        // JSON.stringify leaves out what has no JSON (undefined).
        if (json === undefined) continue
        piece = {bytes: Buffer.from(`${JSON.stringify(key)}:${json}`), key}
        if (object !== undefined) pieces.set(object, piece)
      }
      if (!first) parts.push(COMMA)
      parts.push(piece.bytes)
      first = false
    }
  }
  parts.push(Buffer.from('{"entries":{'))
  record(doc.entries)
  parts.push(Buffer.from('},"notes":{'))
  record(doc.notes)
  parts.push(Buffer.from(`},"values":${JSON.stringify(doc.values)},"version":${JSON.stringify(doc.version)}}`))
  return parts
}

/**
 * A copy of the document with batches of changes applied in order, expired notes left out (the
 * document is not changed).
 */
function withChanges(current: FileDocument, batches: readonly Pending[], lifetimes: NoteLifetimes): FileDocument {
  const now = Date.now()
  const notes = Object.fromEntries(Object.entries(current.notes).filter(([, n]) => n.expiresAt > now))
  const doc: FileDocument = {entries: {...current.entries}, notes, values: {...current.values}, version: 1}
  for (const {changes} of batches) {
    for (const key of changes.remove ?? []) {
      delete doc.entries[key]
      delete doc.notes[key]
    }
    for (const [key, entry] of Object.entries(changes.put ?? {})) {
      const lifetime = noteLifetime(key, lifetimes)
      if (lifetime === undefined) doc.entries[key] = entry
      else doc.notes[key] = {entry, expiresAt: now + lifetime}
    }
    for (const [k, v] of Object.entries(changes.values ?? {})) {
      if (v === null) delete doc.values[k]
      else doc.values[k] = v
    }
  }
  return doc
}

function emptyDocument(): FileDocument {
  return {entries: {}, notes: {}, values: {}, version: 1}
}

/** What identifies one version of the file: inode (a rename makes a new one), size, mtime. */
function stampOf(s: {ino: bigint; mtimeNs: bigint; size: bigint}): string {
  return `${s.ino}:${s.size}:${s.mtimeNs}`
}

/**
 * The view store: what this tool last wrote for every object it manages, keyed by a stable key
 * (e.g. `rack:<stack id>`), plus a few named values (e.g. the time of the last complete sync).
 * It is a cache — the systems are the truth — so losing it costs a slower run, never a duplicate.
 *
 * Two kinds behind one interface: `file` (one JSON document, written atomically under a lock) and
 * `redis` (a hash per collection, so that several `listen` processes on several hosts share it).
 * Beside the view, both keep notes with a lifetime (`listen-watermark:…`, `keystone:…`; see
 * `notes.ts`): written and read by key like entries, never part of `load()`.
 */

/** One stored entry: any JSON object. */
export type ViewEntry = Record<string, unknown>

/** Pass a warning about what was read to the store's `onWarning`, or to Node's process warnings. */
export function reportWarning(store: Pick<ViewStore, 'onWarning'>, message: string): void {
  if (store.onWarning === undefined) process.emitWarning(message, 'ViewStoreWarning')
  else store.onWarning(message)
}

/** What an entry must be when read back: a JSON object (not null, not an array, not a scalar). */
export function isViewEntry(value: unknown): value is ViewEntry {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export interface ViewChanges {
  /** Keys to remove. */
  remove?: string[]
  /** Entries to add or replace, by key. */
  put?: Record<string, ViewEntry>
  /** Named values to set (`null` removes). */
  values?: Record<string, unknown>
}

export interface ViewSnapshot {
  entries: Map<string, ViewEntry>
  values: Record<string, unknown>
}

export interface ViewStore {
  /** Apply a batch of changes; the batch is all-or-nothing. */
  apply(changes: ViewChanges): Promise<void>
  close(): Promise<void>
  /** Some entries or notes by key (missing, expired or malformed ones are absent from the map). */
  get(keys: string[]): Promise<Map<string, ViewEntry>>
  readonly kind: 'file' | 'redis'
  /** The view: every entry and value (never the notes, see `notes.ts`). Malformed entries are left out, with a warning. */
  load(): Promise<ViewSnapshot>
  /** The live notes whose key starts with `prefix` (e.g. `keystone:`), by key. */
  notes(prefix: string): Promise<Map<string, ViewEntry>>
  /**
   * Where warnings about what was read go (a malformed entry left out, …): the command sets it to
   * its logger. Unset, they are Node process warnings (stderr).
   */
  onWarning?: (message: string) => void
  /** Where it is, for messages (no password). */
  readonly location: string
  /**
   * Keep under `key` (a watermark note) the newer of `mark` and what is stored there (the higher
   * version; deleted once deleted) and start its lifetime again, in one atomic step, so that
   * processes sharing the store never move it back. Stores shared by several processes implement
   * it (`redis`).
   */
  advanceMark?(key: string, mark: {deleted: boolean; version: number}): Promise<void>
}

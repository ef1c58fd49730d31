/**
 * The view store: what this tool last wrote for every object it manages, keyed by a stable key
 * (e.g. `rack:<stack id>`), plus a few named values (e.g. the time of the last complete sync).
 * It is a cache — the systems are the truth — so losing it costs a slower run, never a duplicate.
 *
 * Two kinds behind one interface: `file` (one JSON document, written atomically under a lock) and
 * `redis` (a hash per collection, so that several `listen` processes on several hosts share it).
 */

/** One stored entry: any JSON object. */
export type ViewEntry = Record<string, unknown>

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
  /** Some entries by key (missing keys are absent from the map). */
  get(keys: string[]): Promise<Map<string, ViewEntry>>
  readonly kind: 'file' | 'redis'
  /** Everything stored. */
  load(): Promise<ViewSnapshot>
  /** Where it is, for messages (no password). */
  readonly location: string
  /**
   * Keep under `key` the newer of `mark` and what is stored there (the higher version; deleted once
   * deleted), in one atomic step, so that processes sharing the store never move it back. Stores
   * shared by several processes implement it (`redis`).
   */
  advanceMark?(key: string, mark: {deleted: boolean; version: number}): Promise<void>
}

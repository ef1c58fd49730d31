/**
 * Per-entity watermarks: the version (oslo timestamp, µs) of the newest event applied, and whether
 * the entity was deleted. An older event never overwrites a newer state. Kept in memory (bounded);
 * with the `redis` store also shared, so that several `listen` processes on one queue agree.
 */
import {type ViewStore, WATERMARK_PREFIX as PREFIX} from '../store/index.js'
import type {Watermark} from './policy.js'

export interface Watermarks {
  /** The watermark this process knows, without I/O (for a quick drop of stale events). */
  peek(key: string): undefined | Watermark
  /** The newest watermark known anywhere. */
  get(key: string): Promise<undefined | Watermark>
  set(key: string, mark: Watermark): Promise<void>
}

export class MemoryWatermarks implements Watermarks {
  private readonly marks = new Map<string, Watermark>()

  constructor(private readonly maxEntries = 200_000) {}

  get size(): number {
    return this.marks.size
  }

  async get(key: string): Promise<undefined | Watermark> {
    return this.peek(key)
  }

  peek(key: string): undefined | Watermark {
    return this.marks.get(key)
  }

  async set(key: string, mark: Watermark): Promise<void> {
    this.marks.delete(key)
    this.marks.set(key, mark)
    // Oldest first out: the entities not heard of for longest.
    while (this.marks.size > this.maxEntries) {
      const first = this.marks.keys().next()
      if (first.done) break
      this.marks.delete(first.value)
    }
  }
}

/** Memory in front of the view store (notes `listen-watermark:<kind>:<id>`, which expire: see `store/notes.ts`). */
export class SharedWatermarks implements Watermarks {
  constructor(
    private readonly store: ViewStore,
    private readonly local: MemoryWatermarks = new MemoryWatermarks(),
  ) {}

  async get(key: string): Promise<undefined | Watermark> {
    const mine = this.local.peek(key)
    const entry = (await this.store.get([PREFIX + key])).get(PREFIX + key)
    const theirs = entry && typeof entry.version === 'number' ? {deleted: entry.deleted === true, version: entry.version} : undefined
    return newer(mine, theirs)
  }

  peek(key: string): undefined | Watermark {
    return this.local.peek(key)
  }

  async set(key: string, mark: Watermark): Promise<void> {
    await this.local.set(key, newer(this.local.peek(key), mark) ?? mark)
    // Never moved back by a process that applied an older event after another applied a newer one.
    if (this.store.advanceMark !== undefined) await this.store.advanceMark(PREFIX + key, {deleted: mark.deleted, version: mark.version})
    else await this.store.apply({put: {[PREFIX + key]: {deleted: mark.deleted, version: mark.version}}})
  }
}

function newer(a: undefined | Watermark, b: undefined | Watermark): undefined | Watermark {
  if (a === undefined) return b
  if (b === undefined) return a
  return {deleted: a.deleted || b.deleted, version: Math.max(a.version, b.version)}
}

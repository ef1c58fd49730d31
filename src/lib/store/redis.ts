import type {Redis} from 'ioredis'
import {createRequire} from 'node:module'

import {AppError} from '../errors.js'
import {redactText} from '../output/redact.js'
import {DEFAULT_NOTE_LIFETIMES, isNoteKey, noteLifetime, type NoteLifetimes} from './notes.js'
import {isViewEntry, reportWarning, type ViewChanges, type ViewEntry, type ViewSnapshot, type ViewStore} from './types.js'

/**
 * ioredis, loaded when a Redis store is opened: importing it costs ~230 ms of CPU, which every
 * command with a file store (and every run of one that only reads) would otherwise pay at start.
 */
const load = createRequire(import.meta.url)
function redisClass(): typeof Redis {
  return (load('ioredis') as {Redis: typeof Redis}).Redis
}

/**
 * Advance a watermark note atomically: the higher version, deleted once deleted, and its lifetime
 * started again (PX) in the same step. The JSON is written by hand: cjson would print a 16-digit µs
 * version with 14 significant digits.
 */
const ADVANCE_MARK = `
local version = tonumber(ARGV[1])
local deleted = ARGV[2] == '1'
local current = redis.call('GET', KEYS[1])
if current then
  local ok, c = pcall(cjson.decode, current)
  if ok and type(c) == 'table' then
    if type(c.version) == 'number' and c.version > version then version = c.version end
    if c.deleted == true then deleted = true end
  end
end
redis.call('SET', KEYS[1], '{"deleted":' .. (deleted and 'true' or 'false') .. ',"version":' .. string.format('%.0f', version) .. '}', 'PX', ARGV[3])
return 1
`

/** Remove hash fields that still hold the (malformed) value that was read: never a newer write. */
const DROP_IF_UNCHANGED = `
local dropped = 0
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then
    redis.call('HDEL', KEYS[1], ARGV[i])
    dropped = dropped + 1
  end
end
return dropped
`

/** Keys read per MGET when all notes of a kind are read. */
const READ_CHUNK = 500

/**
 * The view in Redis: one hash of entries and one hash of named values under a key prefix. A batch
 * of changes is one MULTI/EXEC transaction; entries are independent keys of the hash, so several
 * processes updating different objects never overwrite each other.
 *
 * Notes (`notes.ts`) are not in the hash: each is a key of its own (`<prefix>view:note:<key>`) that
 * Redis expires (PX) when its lifetime is over, so that `load()` never reads them and nothing piles
 * up. Notes that older versions kept in the hash are moved out when found. Values that are not a
 * JSON object are left out with a warning and removed.
 */
export class RedisViewStore implements ViewStore {
  readonly kind = 'redis'
  readonly location: string
  onWarning?: (message: string) => void
  private readonly entriesKey: string
  private readonly notePrefix: string
  private readonly redis: Redis
  private readonly valuesKey: string

  constructor(
    url: string,
    prefix: string,
    private readonly lifetimes: NoteLifetimes = DEFAULT_NOTE_LIFETIMES,
  ) {
    this.location = redactText(url)
    this.entriesKey = `${prefix}view:entries`
    this.notePrefix = `${prefix}view:note:`
    this.valuesKey = `${prefix}view:values`
    const RedisClient = redisClass()
    this.redis = new RedisClient(url, {connectTimeout: 10_000, enableOfflineQueue: true, lazyConnect: true, maxRetriesPerRequest: 3})
    this.redis.on('error', () => {
      /* surfaced by the failing command; an unhandled 'error' would crash the process */
    })
  }

  async apply(changes: ViewChanges): Promise<void> {
    // Sent at once when connected, so that a read issued after this call is answered after it.
    const tx = (this.redis.status === 'wait' ? await this.client() : this.redis).multi()
    const removed = changes.remove ?? []
    const puts = Object.entries(changes.put ?? {})
    // A note's key is also removed from the hash, where older versions kept it.
    const fromHash = [...removed, ...puts.filter(([k]) => isNoteKey(k)).map(([k]) => k)]
    if (fromHash.length > 0) tx.hdel(this.entriesKey, ...fromHash)
    const notesRemoved = removed.filter((k) => isNoteKey(k))
    if (notesRemoved.length > 0) tx.del(...notesRemoved.map((k) => this.notePrefix + k))
    const entries = puts.filter(([k]) => !isNoteKey(k))
    if (entries.length > 0) tx.hset(this.entriesKey, Object.fromEntries(entries.map(([k, v]) => [k, JSON.stringify(v)])))
    for (const [k, v] of puts) {
      const lifetime = noteLifetime(k, this.lifetimes)
      if (lifetime !== undefined) tx.set(this.notePrefix + k, JSON.stringify(v), 'PX', lifetime)
    }
    for (const [k, v] of Object.entries(changes.values ?? {})) {
      if (v === null) tx.hdel(this.valuesKey, k)
      else tx.hset(this.valuesKey, k, JSON.stringify(v))
    }
    await this.run(() => tx.exec())
  }

  async advanceMark(key: string, mark: {deleted: boolean; version: number}): Promise<void> {
    if (!Number.isSafeInteger(mark.version)) throw new AppError(`view store ${this.location}: watermark version ${mark.version} is not an integer`, {code: 'E_STORE'})
    const lifetime = noteLifetime(key, this.lifetimes)
    if (lifetime === undefined) throw new AppError(`view store ${this.location}: ${key} is not a watermark note`, {code: 'E_STORE'})
    const redis = this.redis.status === 'wait' ? await this.client() : this.redis
    await this.run(async () => redis.eval(ADVANCE_MARK, 1, this.notePrefix + key, String(mark.version), mark.deleted ? '1' : '0', String(lifetime)))
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready' || this.redis.status === 'connecting' || this.redis.status === 'connect') await this.redis.quit().catch(() => undefined)
    else this.redis.disconnect()
  }

  async get(keys: string[]): Promise<Map<string, ViewEntry>> {
    const out = new Map<string, ViewEntry>()
    if (keys.length === 0) return out
    const redis = await this.client()
    const entryKeys = keys.filter((k) => !isNoteKey(k))
    const noteKeys = keys.filter((k) => isNoteKey(k))
    const [entries, notes] = await this.run(() =>
      Promise.all([entryKeys.length > 0 ? redis.hmget(this.entriesKey, ...entryKeys) : [], noteKeys.length > 0 ? redis.mget(...noteKeys.map((k) => this.notePrefix + k)) : []]),
    )
    const malformed: string[] = []
    const take = (k: string, raw: null | string) => {
      if (raw === null) return
      const entry = entryOf(raw)
      if (entry === undefined) malformed.push(k)
      else out.set(k, entry)
    }
    entryKeys.forEach((k, i) => take(k, entries[i]))
    noteKeys.forEach((k, i) => take(k, notes[i]))
    if (malformed.length > 0) this.warnMalformed(malformed)
    return out
  }

  async load(): Promise<ViewSnapshot> {
    const redis = await this.client()
    const [stored, values] = await this.run(() => Promise.all([redis.hgetall(this.entriesKey), redis.hgetall(this.valuesKey)]))
    const entries = new Map<string, ViewEntry>()
    const legacyNotes: [string, string][] = []
    const malformed: [string, string][] = []
    for (const [k, raw] of Object.entries(stored)) {
      const entry = entryOf(raw)
      if (entry === undefined) malformed.push([k, raw])
      else if (isNoteKey(k)) legacyNotes.push([k, raw])
      else entries.set(k, entry)
    }
    if (legacyNotes.length > 0) await this.moveNotesOutOfHash(legacyNotes)
    if (malformed.length > 0) {
      this.warnMalformed(malformed.map(([k]) => k))
      await this.run(async () => redis.eval(DROP_IF_UNCHANGED, 1, this.entriesKey, ...malformed.flat()))
    }
    const named: Record<string, unknown> = {}
    for (const [k, raw] of Object.entries(values)) {
      try {
        named[k] = JSON.parse(raw) as unknown
      } catch {
        reportWarning(this, `view store ${this.location}: the value '${k}' is not JSON: left out`)
      }
    }
    return {entries, values: named}
  }

  async notes(prefix: string): Promise<Map<string, ViewEntry>> {
    const redis = await this.client()
    // Notes an older version kept in the hash first: moved out, they are read with the others.
    const legacy: [string, string][] = []
    await this.run(async () => {
      for await (const page of redis.hscanStream(this.entriesKey, {count: 1000, match: `${globEscape(prefix)}*`})) {
        const fields = page as string[]
        for (let i = 0; i < fields.length; i += 2) legacy.push([fields[i], fields[i + 1]])
      }
    })
    const legacyNotes = legacy.filter(([k, raw]) => isNoteKey(k) && entryOf(raw) !== undefined)
    if (legacyNotes.length > 0) await this.moveNotesOutOfHash(legacyNotes)
    const keys = new Set<string>()
    await this.run(async () => {
      for await (const page of redis.scanStream({count: 1000, match: `${globEscape(this.notePrefix + prefix)}*`})) for (const k of page as string[]) keys.add(k)
    })
    const names = [...keys]
    const out = new Map<string, ViewEntry>()
    for (let i = 0; i < names.length; i += READ_CHUNK) {
      const chunk = names.slice(i, i + READ_CHUNK)
      const raws = await this.run(() => redis.mget(...chunk))
      chunk.forEach((name, j) => {
        const entry = raws[j] === null ? undefined : entryOf(raws[j])
        if (entry !== undefined) out.set(name.slice(this.notePrefix.length), entry)
      })
    }
    return out
  }

  private async client(): Promise<Redis> {
    if (this.redis.status === 'wait') await this.run(() => this.redis.connect())
    return this.redis
  }

  /** Notes found in the hash (written by an older version): each becomes a key with its lifetime, unless a newer one exists. */
  private async moveNotesOutOfHash(notes: [string, string][]): Promise<void> {
    const tx = this.redis.multi()
    for (const [k, raw] of notes) tx.set(this.notePrefix + k, raw, 'PX', noteLifetime(k, this.lifetimes) as number, 'NX')
    tx.hdel(this.entriesKey, ...notes.map(([k]) => k))
    await this.run(() => tx.exec())
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw new AppError(`view store ${this.location}: ${redactText((error as Error).message)}`, {code: 'E_STORE', hint: 'check store.url and that Redis is running'})
    }
  }

  private warnMalformed(keys: string[]): void {
    const shown = [...keys].sort().slice(0, 5).join(', ') + (keys.length > 5 ? ` and ${keys.length - 5} more` : '')
    reportWarning(this, `view store ${this.location}: ${keys.length} malformed entr${keys.length === 1 ? 'y' : 'ies'} left out (${shown}): each must be a JSON object; the next sync writes them again`)
  }
}

/** The entry a stored value holds, or undefined when it is not a JSON object. */
function entryOf(raw: string): undefined | ViewEntry {
  try {
    const value = JSON.parse(raw) as unknown
    return isViewEntry(value) ? value : undefined
  } catch {
    return undefined
  }
}

/** `text` matched literally in a SCAN pattern. */
function globEscape(text: string): string {
  return text.replaceAll(/[*?[\]\\]/g, String.raw`\$&`)
}

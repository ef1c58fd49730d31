import {Redis} from 'ioredis'

import {AppError} from '../errors.js'
import {redactText} from '../output/redact.js'
import type {ViewChanges, ViewEntry, ViewSnapshot, ViewStore} from './types.js'

/**
 * Advance a watermark entry atomically: the higher version, deleted once deleted. The JSON is
 * written by hand: cjson would print a 16-digit µs version with 14 significant digits.
 */
const ADVANCE_MARK = `
local version = tonumber(ARGV[2])
local deleted = ARGV[3] == '1'
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current then
  local ok, c = pcall(cjson.decode, current)
  if ok and type(c) == 'table' then
    if type(c.version) == 'number' and c.version > version then version = c.version end
    if c.deleted == true then deleted = true end
  end
end
redis.call('HSET', KEYS[1], ARGV[1], '{"deleted":' .. (deleted and 'true' or 'false') .. ',"version":' .. string.format('%.0f', version) .. '}')
return 1
`

/**
 * The view in Redis: one hash of entries and one hash of named values under a key prefix. A batch
 * of changes is one MULTI/EXEC transaction; entries are independent keys of the hash, so several
 * processes updating different objects never overwrite each other.
 */
export class RedisViewStore implements ViewStore {
  readonly kind = 'redis'
  readonly location: string
  private readonly entriesKey: string
  private readonly redis: Redis
  private readonly valuesKey: string

  constructor(url: string, prefix: string) {
    this.location = redactText(url)
    this.entriesKey = `${prefix}view:entries`
    this.valuesKey = `${prefix}view:values`
    this.redis = new Redis(url, {connectTimeout: 10_000, enableOfflineQueue: true, lazyConnect: true, maxRetriesPerRequest: 3})
    this.redis.on('error', () => {
      /* surfaced by the failing command; an unhandled 'error' would crash the process */
    })
  }

  async apply(changes: ViewChanges): Promise<void> {
    // Sent at once when connected, so that a read issued after this call is answered after it.
    const tx = (this.redis.status === 'wait' ? await this.client() : this.redis).multi()
    if (changes.remove?.length) tx.hdel(this.entriesKey, ...changes.remove)
    const puts = Object.entries(changes.put ?? {})
    if (puts.length > 0) tx.hset(this.entriesKey, Object.fromEntries(puts.map(([k, v]) => [k, JSON.stringify(v)])))
    for (const [k, v] of Object.entries(changes.values ?? {})) {
      if (v === null) tx.hdel(this.valuesKey, k)
      else tx.hset(this.valuesKey, k, JSON.stringify(v))
    }
    await this.run(() => tx.exec())
  }

  async advanceMark(key: string, mark: {deleted: boolean; version: number}): Promise<void> {
    if (!Number.isSafeInteger(mark.version)) throw new AppError(`view store ${this.location}: watermark version ${mark.version} is not an integer`, {code: 'E_STORE'})
    const redis = this.redis.status === 'wait' ? await this.client() : this.redis
    await this.run(async () => redis.eval(ADVANCE_MARK, 1, this.entriesKey, key, String(mark.version), mark.deleted ? '1' : '0'))
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready' || this.redis.status === 'connecting' || this.redis.status === 'connect') await this.redis.quit().catch(() => undefined)
    else this.redis.disconnect()
  }

  async get(keys: string[]): Promise<Map<string, ViewEntry>> {
    const out = new Map<string, ViewEntry>()
    if (keys.length === 0) return out
    const redis = await this.client()
    const values = await this.run(() => redis.hmget(this.entriesKey, ...keys))
    keys.forEach((k, i) => {
      const v = values[i]
      if (v !== null) out.set(k, JSON.parse(v) as ViewEntry)
    })
    return out
  }

  async load(): Promise<ViewSnapshot> {
    const redis = await this.client()
    const [entries, values] = await this.run(() => Promise.all([redis.hgetall(this.entriesKey), redis.hgetall(this.valuesKey)]))
    return {
      entries: new Map(Object.entries(entries).map(([k, v]) => [k, JSON.parse(v) as ViewEntry])),
      values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, JSON.parse(v) as unknown])),
    }
  }

  private async client(): Promise<Redis> {
    if (this.redis.status === 'wait') await this.run(() => this.redis.connect())
    return this.redis
  }

  private async run<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn()
    } catch (error) {
      throw new AppError(`view store ${this.location}: ${redactText((error as Error).message)}`, {code: 'E_STORE', hint: 'check store.url and that Redis is running'})
    }
  }
}

import type {StoreSection} from '../config/index.js'
import {FileViewStore} from './file.js'
import {DEFAULT_NOTE_LIFETIMES, type NoteLifetimes} from './notes.js'
import {RedisViewStore} from './redis.js'
import type {ViewStore} from './types.js'

export {FileViewStore} from './file.js'
export {DEFAULT_NOTE_LIFETIMES, KEYSTONE_NOTE_PREFIX, type NoteLifetimes, WATERMARK_PREFIX} from './notes.js'
export {RedisViewStore} from './redis.js'
export type {ViewChanges, ViewEntry, ViewSnapshot, ViewStore} from './types.js'

export function openViewStore(section: StoreSection): ViewStore {
  const lifetimes = noteLifetimesOf(section)
  if (section.type === 'redis') return new RedisViewStore(section.url as string, section.key_prefix, lifetimes)
  return new FileViewStore(section.path, lifetimes)
}

/** The notes' lifetimes the configuration gives (seconds), the defaults where it gives none. */
export function noteLifetimesOf(section: Pick<StoreSection, 'keystone_note_ttl' | 'watermark_ttl'>): NoteLifetimes {
  return {
    keystoneMs: section.keystone_note_ttl === undefined ? DEFAULT_NOTE_LIFETIMES.keystoneMs : section.keystone_note_ttl * 1000,
    watermarkMs: section.watermark_ttl === undefined ? DEFAULT_NOTE_LIFETIMES.watermarkMs : section.watermark_ttl * 1000,
  }
}

/**
 * Notes: small records the view store keeps beside the view for a while. They are not the view:
 * `load()` (which every `sync` calls) never returns them, and each one is dropped when its lifetime
 * is over, so that they cannot pile up. Two kinds, told apart by the start of their key:
 *  - `listen-watermark:<kind>:<id>`: the newest event `listen` applied to an entity. Useful for the
 *    minutes in which an older event may still arrive; hours later it only takes room.
 *  - `keystone:<kind>:<id>`: a Keystone user or project deletion `listen` saw (`view dump` shows it
 *    next to the Concertim user or team still linked to it) — kept for days.
 * A note is written like an entry (`apply`, `advanceMark`) and read by key (`get`) or all of a kind
 * (`notes(prefix)`).
 */
export const WATERMARK_PREFIX = 'listen-watermark:'
export const KEYSTONE_NOTE_PREFIX = 'keystone:'

/** How long a note of each kind is kept after it was last written, ms. */
export interface NoteLifetimes {
  keystoneMs: number
  watermarkMs: number
}

/** Six hours for a watermark, thirty days for a Keystone deletion (`store.watermark_ttl`, `store.keystone_note_ttl`). */
export const DEFAULT_NOTE_LIFETIMES: NoteLifetimes = {keystoneMs: 30 * 24 * 3600 * 1000, watermarkMs: 6 * 3600 * 1000}

/** The lifetime of the note under `key`, or undefined when `key` is an entry of the view. */
export function noteLifetime(key: string, lifetimes: NoteLifetimes): number | undefined {
  if (key.startsWith(WATERMARK_PREFIX)) return lifetimes.watermarkMs
  if (key.startsWith(KEYSTONE_NOTE_PREFIX)) return lifetimes.keystoneMs
  return undefined
}

export function isNoteKey(key: string): boolean {
  return key.startsWith(WATERMARK_PREFIX) || key.startsWith(KEYSTONE_NOTE_PREFIX)
}

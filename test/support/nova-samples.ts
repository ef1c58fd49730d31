/**
 * nova's published notification samples (test/fixtures/nova-samples, copied unchanged from
 * openstack/nova doc/notification_samples), `$ref`s resolved like nova's sample tests do: the
 * referenced file (itself resolved), then the rest of the referring object applied over it,
 * objects merged key by key, anything else replaced.
 */
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {OsloMessage} from '../../src/lib/events/index.js'

export const NOVA_SAMPLES_DIR = fileURLToPath(new URL('../fixtures/nova-samples', import.meta.url))

type Json = boolean | Json[] | null | number | string | {[k: string]: Json}

function isObj(v: Json): v is {[k: string]: Json} {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function mergeInto(base: {[k: string]: Json}, over: {[k: string]: Json}): void {
  for (const [k, v] of Object.entries(over)) {
    const b = base[k]
    if (b !== undefined && isObj(b) && isObj(v)) mergeInto(b, v)
    else base[k] = v
  }
}

function resolve(v: Json, dir: string): Json {
  if (Array.isArray(v)) return v.map((x) => resolve(x, dir))
  if (!isObj(v)) return v
  const {$ref: ref, ...rest} = v
  const resolvedRest: {[k: string]: Json} = {}
  for (const [k, x] of Object.entries(rest)) resolvedRest[k] = resolve(x, dir)
  if (typeof ref !== 'string') return resolvedRest
  const [file, pointer] = ref.split('#')
  if (pointer !== undefined && pointer !== '') throw new Error(`JSON pointer refs are not supported: ${ref}`)
  const path = join(dir, file)
  const target = resolve(JSON.parse(readFileSync(path, 'utf8')) as Json, dirname(path))
  if (!isObj(target)) throw new Error(`${ref} is not an object`)
  mergeInto(target, resolvedRest)
  return target
}

export interface NovaSample {
  eventType: string
  file: string
  message: OsloMessage
  payload: Record<string, unknown>
}

/** Every `instance-*.json` sample, resolved, as the message `interpret` takes (no timestamp: nova's samples have none). */
export function loadNovaSamples(): NovaSample[] {
  return readdirSync(NOVA_SAMPLES_DIR)
    .filter((f) => f.startsWith('instance-') && f.endsWith('.json'))
    .sort()
    .map((file) => {
      const raw = resolve(JSON.parse(readFileSync(join(NOVA_SAMPLES_DIR, file), 'utf8')) as Json, NOVA_SAMPLES_DIR) as {event_type: string; payload: Record<string, unknown>; priority: string; publisher_id: string}
      return {
        eventType: raw.event_type,
        file,
        message: {context: {}, eventType: raw.event_type, messageId: `sample-${file}`, payload: raw.payload, priority: raw.priority, publisherId: raw.publisher_id},
        payload: raw.payload,
      }
    })
}

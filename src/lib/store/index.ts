import type {StoreSection} from '../config/index.js'
import {FileViewStore} from './file.js'
import {RedisViewStore} from './redis.js'
import type {ViewStore} from './types.js'

export {FileViewStore} from './file.js'
export {RedisViewStore} from './redis.js'
export type {ViewChanges, ViewEntry, ViewSnapshot, ViewStore} from './types.js'

export function openViewStore(section: StoreSection): ViewStore {
  if (section.type === 'redis') return new RedisViewStore(section.url as string, section.key_prefix)
  return new FileViewStore(section.path)
}

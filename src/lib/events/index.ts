export {decodeBody, parseOsloTime} from './decode.js'
export {interpret, novaApiStatus, unwrapNovaObject} from './interpret.js'
export {type Decoded, entityKey, type EntityKind, type EntityRef, type Family, type Interpretation, type OsloMessage, type PayloadState} from './types.js'

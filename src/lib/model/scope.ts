/**
 * What one reconcile covers. `sync` reconciles everything; `listen` one entity. Nothing outside the
 * scope is ever deleted; creates and updates follow what `observe` put into the cloud state.
 */
export type Scope =
  | {id: string; kind: 'network'}
  | {id: string; kind: 'project'}
  | {id: string; kind: 'server'}
  | {id: string; kind: 'stack'}
  | {id: string; kind: 'volume'}
  | {kind: 'all'}

export const EVERYTHING: Scope = {kind: 'all'}

/**
 * The reconcile engine (DESIGN §3), shared by `sync` (scope = everything) and `listen` (scope = one
 * entity): observe → desire → plan → confirm the deletions that need it (direct GET → 404) → plan
 * again → apply → record the new baseline in the view store (one atomic batch).
 *
 * `dryRun` stops after the plan and writes nothing at all, not even the store.
 *
 * The view store layout (one entry per key, plain JSON):
 * - `template:<flavor id>`, `rack:<stack id>`, `rack:project:<project id>`, `device:<cloud id>` —
 *   the plan's keys: the baseline (`hash`, `misses`, `concertimId`) plus what `view dump` prints
 *   without calling the systems (`object`, `name`, `type`, `status`, `teamId`, `teamName`, the
 *   OpenStack ids, `orderId`, `rackId`, `templateId`…);
 * - `heat:<stack id>` — the stack's resources and outputs as last read, with the stack version they
 *   belong to (observe reads a stack again only when it changed);
 * - the value `lastCompleteSync` (ISO time of the last sync whose every listing was complete) and
 *   `lastSync`.
 * Losing the store never causes a duplicate: objects are matched by their own fields in Concertim.
 */
import pLimit from 'p-limit'

import {decodeLegacyValue, looksLikePythonRepr} from '../concertim/legacy.js'
import type {Config} from '../config/index.js'
import {type Baseline, type BaselineEntry, EMPTY_BASELINE} from '../model/baseline.js'
import type {ConcertimState} from '../model/concertim.js'
import type {CloudState} from '../model/cloud.js'
import type {DesiredState} from '../model/desired.js'
import type {JsonValue} from '../model/json.js'
import type {ObservationProblem} from '../model/problem.js'
import type {Action, ActionResult, DirectAnswer, PendingConfirmation, Plan} from '../model/plan.js'
import {EVERYTHING, type Scope} from '../model/scope.js'
import {tokenSeesAllProjects} from '../openstack/reach.js'
import type {Logger} from '../output/logger.js'
import type {ViewEntry, ViewStore} from '../store/types.js'
import {keystoneDeletionKey} from '../view/mapping.js'
import {apply, type ConcertimWriter} from './apply.js'
import {recordResults} from './baseline.js'
import type {DeletionWindow} from './deletion/index.js'
import {desire, type DesireOptions} from './desire.js'
import {type ConcertimReader, isStackCacheEntry, type Observation, observe, type ObserveClients, type PayloadEntity, type StackCacheEntry} from './observe/index.js'
import {stackById} from './observe/heat-membership.js'
import type {Decode} from './owned-fields.js'
import {managedDeviceKey, managedRackKey, plan} from './plan.js'

/** Legacy Python-repr values (`"['10.0.0.5']"`, `"None"`) read as the values they stand for. */
export const legacyDecode: Decode = (value: string): JsonValue => (looksLikePythonRepr(value) ? decodeLegacyValue(value) : value)

export type SyncPart = 'devices' | 'racks' | 'templates'
export const SYNC_PARTS: readonly SyncPart[] = ['templates', 'racks', 'devices']

export interface EngineClients {
  concertim: ConcertimReader & ConcertimWriter
  killbill?: ObserveClients['killbill']
  openstack: ObserveClients['openstack']
}

export interface EngineOptions {
  /** Concertim writes in flight per phase, Heat stacks read at once. */
  concurrency: number
  /** `u_height` of new racks. */
  defaultRackHeight: number
  /**
   * One-entity reconciles (listen): at most `limit` deletions in any `windowMs`; beyond it they are
   * withheld (and logged) for `sync` to decide with a full view.
   */
  deleteWindow?: DeletionWindow
  /** Default: 10% of managed objects, at least 5. */
  maxDeletes?: number
  /**
   * `listen`: a scoped reconcile returns once Concertim is written, without waiting for the view
   * store to have its record on disk (the store's readers see it at once; `store.close()` waits for
   * it). The view is a cache: a record lost in a crash costs a read of Concertim, never a duplicate.
   */
  recordInBackground?: boolean
  requireCmPrefix: boolean
  standaloneServers: 'ignore' | 'team_rack'
}

export function engineOptionsFromConfig(config: Pick<Config, 'concertim' | 'sync'>): EngineOptions {
  const sync = config.sync ?? {concurrency: 8, require_cm_prefix: false, standalone_servers: 'ignore'}
  return {
    concurrency: sync.concurrency ?? 8,
    defaultRackHeight: config.concertim.default_rack_height ?? 42,
    ...(typeof sync.max_deletes === 'number' ? {maxDeletes: sync.max_deletes} : {}),
    requireCmPrefix: sync.require_cm_prefix === true,
    standaloneServers: sync.standalone_servers === 'team_rack' ? 'team_rack' : 'ignore',
  }
}

export type ProgressEvent =
  | {applied: number; phase: 'apply'; total: number}
  | {phase: 'confirm'; total: number}
  | {phase: 'observe'}
  | {phase: 'plan'}
  | {phase: 'record'}

export interface RunOptions {
  allowMassDelete?: boolean
  dryRun?: boolean
  onProgress?: (event: ProgressEvent) => void
  /** Apply only the actions on these objects (the plan is computed in full). */
  only?: readonly SyncPart[]
  /**
   * One server's, volume's or network's reconcile (listen): its state as a notification carried it.
   * Used instead of a GET when the caches stand in for reads; a plan that needs a full look reads it.
   */
  payload?: PayloadEntity
}

export interface ReconcileReport {
  /** The actions given to apply (after `only`), blocked and failed ones included. */
  actions: readonly Action[]
  /** Whether every cloud listing was complete and nothing was partial. */
  complete: boolean
  /** Deletions that needed a direct GET: how many were asked, how many said 404, how many found the object. */
  confirmations: {asked: number; exists: number; gone: number}
  dryRun: boolean
  plan: Plan
  /** Why some part of the cloud was not known in full (nothing of it is deleted). */
  problems: string[]
  /** The observation's share of `problems`, typed (what failed, how, about which object): `listen` decides on these. */
  observationProblems: readonly ObservationProblem[]
  /** Results of the actions apply attempted (none under dryRun). */
  results: ActionResult[]
  scope: Scope
  /** Heat stacks whose resources were read (the others came from the view store). */
  stacksRead: number
  /**
   * Under dryRun: the mapping the systems show now (what a sync would record for the objects
   * that already exist), for `view dump --refresh`.
   */
  view?: Map<string, ViewEntry>
}

export interface ListenOutcome extends ReconcileReport {
  /** Some write succeeded. */
  applied: boolean
  /** Nothing to do for this entity (no action at all). */
  irrelevant: boolean
}

const OBJECT_OF: Readonly<Record<SyncPart, Action['object']>> = {devices: 'device', racks: 'rack', templates: 'template'}
const VIEW_PREFIXES = ['template:', 'rack:', 'device:'] as const
const HEAT_PREFIX = 'heat:'

const isViewKey = (key: string): boolean => VIEW_PREFIXES.some((p) => key.startsWith(p))

export function baselineFromEntries(entries: ReadonlyMap<string, ViewEntry>): Baseline {
  const out: Record<string, BaselineEntry> = {}
  for (const [key, e] of entries) {
    if (!isViewKey(key)) continue
    const entry: BaselineEntry = {hash: typeof e.hash === 'string' ? e.hash : '', misses: typeof e.misses === 'number' ? e.misses : 0}
    if (typeof e.concertimId === 'string') entry.concertimId = e.concertimId
    out[key] = entry
  }
  return {entries: out, version: 1}
}

function stackCacheFromEntries(entries: ReadonlyMap<string, ViewEntry>): Map<string, StackCacheEntry> {
  const out = new Map<string, StackCacheEntry>()
  for (const [key, e] of entries) if (key.startsWith(HEAT_PREFIX) && isStackCacheEntry(e)) out.set(key.slice(HEAT_PREFIX.length), e)
  return out
}

/**
 * What the store keeps for each baseline key: the baseline itself and the mapping `view dump`
 * prints. After a successful write the object is what was desired; otherwise it is what was observed.
 */
export function viewEntries(baseline: Baseline, desired: DesiredState, thePlan: Plan, results: readonly ActionResult[], actual: ConcertimState): Map<string, ViewEntry> {
  const templates = new Map(desired.templates.map((t) => [t.key, t]))
  const racks = new Map(desired.racks.map((r) => [r.key, r]))
  const devices = new Map(desired.devices.map((d) => [d.key, d]))
  const actions = new Map<string, Action>()
  for (const a of thePlan.actions) if (a.kind !== 'delete') actions.set(a.key, a)
  const ok = new Set(results.filter((r) => r.ok).map((r) => `${r.kind}\u0000${r.key}`))
  const teamName = new Map(actual.teams.map((t) => [t.id, t.name]))
  const rackById = new Map(actual.racks.map((r) => [r.id, r]))
  const deviceById = new Map(actual.devices.map((d) => [d.id, d]))
  const templateById = new Map(actual.templates.map((t) => [t.id, t]))
  const idOfKey = (key: string | undefined): string | undefined => (key === undefined ? undefined : baseline.entries[key]?.concertimId)

  const out = new Map<string, ViewEntry>()
  for (const [key, b] of Object.entries(baseline.entries)) {
    const a = actions.get(key)
    const written = a !== undefined && ok.has(`${a.kind}\u0000${key}`)
    const inAgreement = written || Object.hasOwn(thePlan.observed, key)
    const entry: ViewEntry = {...b}
    if (key.startsWith('template:')) {
      const d = templates.get(key)
      const t = b.concertimId === undefined ? undefined : templateById.get(b.concertimId)
      Object.assign(entry, {
        flavorId: d?.foreignId ?? t?.foreignId ?? key.slice('template:'.length),
        height: t?.height ?? d?.height ?? null,
        name: (written ? a?.name : t?.name) ?? d?.name ?? null,
        object: 'template',
      })
    } else if (key.startsWith('rack:')) {
      const d = racks.get(key)
      const r = b.concertimId === undefined ? undefined : rackById.get(b.concertimId)
      const teamId = r?.teamId ?? d?.teamId ?? null
      const body = written && a?.object === 'rack' ? a.body : null
      Object.assign(entry, {
        kind: d?.kind ?? (key.startsWith('rack:project:') ? 'standalone' : 'stack'),
        name: (written ? a?.name : r?.name) ?? d?.name ?? null,
        object: 'rack',
        orderId: body?.order_id ?? r?.orderId ?? d?.orderId ?? null,
        orderIdSource: d?.orderIdSource ?? null,
        projectId: d?.projectId ?? null,
        stackId: d?.kind === 'standalone' || key.startsWith('rack:project:') ? null : key.slice('rack:'.length),
        status: (inAgreement ? d?.status : r?.status) ?? r?.status ?? null,
        teamId,
        teamName: teamId === null ? null : (teamName.get(teamId) ?? null),
        uHeight: body?.u_height ?? r?.uHeight ?? null,
      })
    } else if (key.startsWith('device:')) {
      const d = devices.get(key)
      const dev = b.concertimId === undefined ? undefined : deviceById.get(b.concertimId)
      const create = written && a?.kind === 'create' && a.object === 'device' ? a : undefined
      const rackId = dev?.rackId ?? (create?.body?.location.rack_id || idOfKey(create?.refs?.rack)) ?? null
      const rack = rackId === null ? undefined : rackById.get(rackId)
      const teamId = rack?.teamId ?? (d === undefined ? undefined : racks.get(d.rackKey)?.teamId) ?? null
      Object.assign(entry, {
        instanceId: key.slice('device:'.length),
        name: (written ? a?.name : dev?.name) ?? d?.name ?? null,
        object: 'device',
        rackId,
        rackKey: d?.rackKey ?? null,
        stackId: d?.metadata.openstack_stack_id ?? dev?.metadata.openstack_stack_id ?? null,
        status: (inAgreement ? d?.status : dev?.status) ?? dev?.status ?? null,
        teamId,
        teamName: teamId === null ? null : (teamName.get(teamId) ?? null),
        templateId: dev?.templateId ?? (create?.body?.template_id || idOfKey(create?.refs?.template)) ?? null,
        type: d?.type ?? dev?.type ?? null,
      })
    }
    out.set(key, entry)
  }
  return out
}

/** How long Concertim's teams and templates, as last read, stand in for a scoped reconcile's reads. */
export const CONCERTIM_CACHE_MS = 30_000

/**
 * Whether a plan made on a partial view of Concertim (cached teams and templates, only the racks
 * concerned) can be applied as it is: it only updates devices that were read now. Anything else
 * (a create, which the full view might show to exist already; a template or rack write, which
 * rests on the other templates' or racks' names; a deletion) needs the full view first.
 */
export function partialPlanSuffices(thePlan: Plan): boolean {
  return thePlan.actions.every((a) => a.object === 'device' && a.kind === 'update')
}

/** What stands in for reads in a scoped observation (see `ObserveOptions`). */
interface ObservationCaches {
  flavors?: CloudState['flavors']
  teams: ConcertimState['teams']
  templates: ConcertimState['templates']
}

export class ReconcileEngine {
  /** Concertim's teams and templates as last read in full (see `CONCERTIM_CACHE_MS`). */
  private concertimCache: {at: number; teams: ConcertimState['teams']; templates: ConcertimState['templates']} | undefined
  /** Nova's flavors as last listed in full (same lifetime; listed again when an entity's flavor is not among them). */
  private flavorCache: {at: number; flavors: CloudState['flavors']} | undefined

  constructor(
    private readonly clients: EngineClients,
    private readonly store: ViewStore,
    private readonly logger: Logger | undefined,
    private readonly options: EngineOptions,
  ) {}

  /**
   * A Keystone user or project was deleted (listen): noted in the view store, which `view dump`
   * shows next to the Concertim user or team still linked to it. The engine does not match
   * Concertim users to Keystone users, and a project's racks and devices follow its own reconcile.
   */
  async noteKeystoneDeletion(kind: 'project' | 'user', id: string, event: string, at: Date = new Date()): Promise<void> {
    await this.store.apply({put: {[keystoneDeletionKey(kind, id)]: {deletedAt: at.toISOString(), event, id, kind}}})
  }

  /** Everything: the cron/timer run. */
  async sync(opts: RunOptions = {}): Promise<ReconcileReport> {
    return this.run(EVERYTHING, opts)
  }

  /**
   * One entity (for `listen`): observe what it needs, plan within its scope (nothing outside it is
   * deleted), apply, record. `irrelevant` when there was nothing to do.
   */
  async reconcile(scope: Scope, opts: Omit<RunOptions, 'only'> = {}): Promise<ListenOutcome> {
    const report = await this.run(scope, opts)
    return {
      ...report,
      applied: report.results.some((r) => r.ok),
      irrelevant: report.plan.actions.length === 0,
    }
  }

  private async run(scope: Scope, opts: RunOptions): Promise<ReconcileReport> {
    const dryRun = opts.dryRun === true
    const progress = opts.onProgress ?? (() => undefined)
    const full = scope.kind === 'all'

    // The store: everything for a full sync; for one entity, only what it needs (read lazily).
    progress({phase: 'observe'})
    const loaded = full ? (await this.store.load()).entries : new Map<string, ViewEntry>()
    const stackCache = full ? stackCacheFromEntries(loaded) : undefined
    const now = Date.now()
    const cache = this.concertimCache
    const caches: ObservationCaches | undefined =
      !full && cache !== undefined && now - cache.at < CONCERTIM_CACHE_MS
        ? {...cache, ...(this.flavorCache !== undefined && now - this.flavorCache.at < CONCERTIM_CACHE_MS ? {flavors: this.flavorCache.flavors} : {})}
        : undefined

    const first = await this.observeAndPlan(scope, opts, loaded, stackCache, caches, progress)
    // A plan on a partial view that would do more than update devices: observe in full and plan again.
    const {baseline, confirmations, desired, observation, thePlan} =
      first.observation.fromCache !== undefined && !partialPlanSuffices(first.thePlan)
        ? await this.observeAndPlan(scope, opts, loaded, stackCache, undefined, progress)
        : first
    if (observation.fromCache?.concertim !== true) this.concertimCache = {at: Date.now(), teams: observation.concertim.teams, templates: observation.concertim.templates}
    if (observation.fromCache?.flavors !== true && observation.cloud.complete.flavors) this.flavorCache = {at: Date.now(), flavors: observation.cloud.flavors}

    const objects = new Set((opts.only ?? SYNC_PARTS).map((p) => OBJECT_OF[p]))
    const actions = thePlan.actions.filter((a) => objects.has(a.object))
    const problems = [...observation.problems.map((p) => p.message), ...this.deletionProblems(thePlan)]
    const complete = problems.length === 0 && Object.values(observation.cloud.complete).every(Boolean)
    if (!full && !dryRun) this.admitToWindow(actions)
    const report: ReconcileReport = {actions, complete, confirmations, dryRun, observationProblems: observation.problems, plan: thePlan, problems, results: [], scope, stacksRead: observation.stacksRead}
    if (dryRun) {
      report.view = viewEntries(recordResults(EMPTY_BASELINE, thePlan, []), desired, thePlan, [], observation.concertim)
      return report
    }

    const applicable = actions.filter((a) => a.blocked === undefined).length
    let applied = 0
    if (applicable > 0) progress({applied, phase: 'apply', total: applicable})
    report.results = await apply({actions}, this.clients.concertim, {
      concurrency: this.options.concurrency,
      ...(this.logger === undefined ? {} : {logger: this.logger}),
      onResult: () => progress({applied: ++applied, phase: 'apply', total: applicable}),
    })
    // What this engine created is not in the cache: read in full next time.
    if (report.results.some((r) => r.kind === 'create' && r.ok)) this.concertimCache = undefined

    progress({phase: 'record'})
    const recorded = this.record(loaded, observation, desired, thePlan, report.results, baseline, complete, observation.fromCache?.ownerStack === true)
    if (full || this.options.recordInBackground !== true) await recorded
    else {
      recorded.catch((error: unknown) =>
        this.logger?.warn({err: error, scope}, `the view store could not record this change (${(error as Error).message}); it is a cache: the next reconcile reads Concertim instead`),
      )
    }
    return report
  }

  /** Observe (with Concertim's cached teams and templates when given), desire, plan, confirm the deletions. */
  private async observeAndPlan(
    scope: Scope,
    opts: RunOptions,
    loaded: Map<string, ViewEntry>,
    stackCache: Map<string, StackCacheEntry> | undefined,
    caches: ObservationCaches | undefined,
    progress: (event: ProgressEvent) => void,
  ): Promise<{baseline: Baseline; confirmations: {asked: number; exists: number; gone: number}; desired: DesiredState; observation: Observation; thePlan: Plan}> {
    const full = scope.kind === 'all'
    /** A view entry of a scoped observation, kept in `loaded` for the baseline and the record. */
    const viewEntry = async (key: string): Promise<undefined | ViewEntry> => {
      const e = loaded.get(key) ?? (await this.store.get([key])).get(key)
      if (e !== undefined) loaded.set(key, e)
      return e
    }
    const observation = await observe(
      {concertim: this.clients.concertim, killbill: this.clients.killbill, logger: this.logger, openstack: this.clients.openstack},
      {
        concurrency: this.options.concurrency,
        decode: legacyDecode,
        ...(full
          ? {}
          : {
              knownConcertimId: async (key: string) => {
                const e = await viewEntry(key)
                return typeof e?.concertimId === 'string' ? e.concertimId : undefined
              },
              knownOwnerStack: async (key: string) => {
                const e = await viewEntry(key)
                return typeof e?.stackId === 'string' ? e.stackId : undefined
              },
            }),
        loadStackCache: async (ids: readonly string[]) => {
          if (stackCache !== undefined) return stackCache
          const got = await this.store.get(ids.map((id) => `${HEAT_PREFIX}${id}`))
          const out = new Map<string, StackCacheEntry>()
          for (const [k, e] of got) {
            loaded.set(k, e)
            if (isStackCacheEntry(e)) out.set(k.slice(HEAT_PREFIX.length), e)
          }
          return out
        },
        projects: this.options.requireCmPrefix,
        scope,
        ...(caches === undefined
          ? {}
          : {cachedConcertim: caches, ...(caches.flavors === undefined ? {} : {cachedFlavors: caches.flavors}), ...(opts.payload === undefined ? {} : {payload: opts.payload})}),
      },
    )
    for (const p of observation.problems) this.logger?.warn(p.message)

    progress({phase: 'plan'})
    const desireOptions: DesireOptions = {requireCmPrefix: this.options.requireCmPrefix, standaloneServers: this.options.standaloneServers}
    const desired = desire(observation.cloud, observation.concertim, observation.billing, desireOptions)
    if (!full) {
      // The baseline entries of the keys this entity touches.
      const keys = new Set<string>([...desired.templates.map((t) => t.key), ...desired.racks.map((r) => r.key), ...desired.devices.map((d) => d.key)])
      for (const r of observation.concertim.racks) {
        const k = managedRackKey(r, legacyDecode)
        if (k !== null) keys.add(k)
      }
      for (const d of observation.concertim.devices) {
        const k = managedDeviceKey(d, legacyDecode)
        if (k !== null) keys.add(k)
      }
      const missing = [...keys].filter((k) => !loaded.has(k))
      for (const [k, e] of await this.store.get(missing)) loaded.set(k, e)
    }
    const baseline = baselineFromEntries(loaded)
    const planOptions = {
      allowMassDelete: opts.allowMassDelete === true,
      decode: legacyDecode,
      defaultRackHeight: this.options.defaultRackHeight,
      ...(this.options.maxDeletes === undefined ? {} : {maxDeletes: this.options.maxDeletes}),
      scope,
    }
    // Deletion evidence: direct GETs of the candidates, in rounds (a rack's devices are asked only
    // once their rack is known to stay), each answer planned again.
    const direct = new Map<string, DirectAnswer>()
    for (const id of observation.confirmedGone) direct.set(id, 'gone')
    const seesAllProjects = await this.seesAllProjects()
    const planWith = (): Plan => plan(desired, observation.concertim, baseline, {...planOptions, direct, seesAllProjects})
    let thePlan = planWith()
    const confirmations = {asked: 0, exists: 0, gone: 0}
    for (let round = 0; round < 3; round++) {
      const ask = thePlan.pendingConfirmations.filter((p) => !direct.has(p.cloudId))
      if (ask.length === 0) break
      progress({phase: 'confirm', total: ask.length})
      for (const [id, answer] of await this.askDirect(ask)) {
        direct.set(id, answer)
        if (answer === 'gone') confirmations.gone++
        else if (answer === 'exists') confirmations.exists++
      }
      confirmations.asked += ask.length
      thePlan = planWith()
    }
    return {baseline, confirmations, desired, observation, thePlan}
  }

  /**
   * Whether the OpenStack token is proven to see every project: it carries the admin role (without
   * it, Nova, Cinder and Neutron answer 404 for other projects' objects, and a 404 proves nothing).
   * Asked of the token in use, so a token renewed without the role is noticed at once.
   */
  async seesAllProjects(): Promise<boolean> {
    try {
      return tokenSeesAllProjects(await this.clients.openstack.keystone.roles())
    } catch (error) {
      this.logger?.warn({err: error}, `the OpenStack token's roles could not be read (${(error as Error).message}): nothing is deleted`)
      return false
    }
  }

  /** Direct GETs of the deletion candidates: gone (404), exists (found), or unknown (the GET failed). */
  private async askDirect(pending: readonly PendingConfirmation[]): Promise<Map<string, DirectAnswer>> {
    const os = this.clients.openstack
    const limit = pLimit(Math.max(1, this.options.concurrency))
    const answers = new Map<string, DirectAnswer>()
    await Promise.all(
      pending.map(async (p) =>
        limit(async () => {
          try {
            let missing: boolean
            switch (p.cloudKind) {
              case 'server': {
                missing = (await os.nova.getServer(p.cloudId)) === null
                break
              }
              case 'volume': {
                missing = (await os.cinder.getVolume(p.cloudId)) === null
                break
              }
              case 'network': {
                missing = (await os.neutron.getNetwork(p.cloudId)) === null
                break
              }
              case 'stack': {
                missing = (await stackById(os, p.cloudId)) === null
                break
              }
            }
            answers.set(p.cloudId, missing ? 'gone' : 'exists')
          } catch (error) {
            answers.set(p.cloudId, 'unknown')
            this.logger?.warn({cloudId: p.cloudId, err: error}, `could not tell whether ${p.cloudKind} ${p.cloudId} is gone: ${(error as Error).message}`)
          }
        }),
      ),
    )
    return answers
  }

  /** What deletion safety found worth failing a sync for: inconsistent listings, an unproven token. */
  private deletionProblems(thePlan: Plan): string[] {
    const out = [...thePlan.inconsistencies]
    const unseen = thePlan.actions.filter((a) => a.kind === 'delete' && a.blocked?.code === 'visibility').length
    if (unseen > 0) {
      const message = `${unseen} deletion(s) withheld: the OpenStack token has no admin role, so it is not proven to see every project (give the user the admin role on its project)`
      if (thePlan.scope.kind === 'all') out.push(message)
      else this.logger?.error({scope: thePlan.scope}, message)
    }
    return out
  }

  /**
   * listen's cap across one-entity reconciles: the deletions of this plan go only if the window has
   * room for all of them; otherwise they are withheld (code 'cap'), logged, and left to `sync`.
   */
  private admitToWindow(actions: readonly Action[]): void {
    const window = this.options.deleteWindow
    if (window === undefined) return
    const going = actions.filter((a) => a.kind === 'delete' && a.blocked === undefined)
    if (going.length === 0 || window.admit(going.length)) return
    const message = `more than ${window.limit} deletions within ${Math.round(window.windowMs / 1000)} s: withheld for the next sync to decide with a full view`
    for (const a of going) a.blocked = {code: 'cap', message}
    this.logger?.error({deletions: going.map((a) => ({concertimId: a.concertimId, key: a.key, object: a.object}))}, `listen: ${going.length} ${message}`)
  }

  /** The new baseline and mapping into the store, in one batch (only the entries that changed). */
  private async record(
    loaded: ReadonlyMap<string, ViewEntry>,
    observation: Observation,
    desired: DesiredState,
    thePlan: Plan,
    results: readonly ActionResult[],
    baseline: Baseline,
    complete: boolean,
    devicesOnly: boolean,
  ): Promise<void> {
    const full = thePlan.scope.kind === 'all'
    const next = recordResults(baseline, thePlan, results, {complete: full && complete})
    const entries = viewEntries(next, desired, thePlan, results, observation.concertim)
    // A partial read never replaces what it could not see: an entry this plan does not mention, or
    // whose deletion was withheld, keeps what the store had (with the baseline's new miss count).
    const mentioned = new Set<string>([...thePlan.kept, ...Object.keys(thePlan.observed), ...thePlan.actions.map((a) => a.key)])
    const withheld = new Set(thePlan.actions.filter((a) => a.kind === 'delete' && a.blocked !== undefined).map((a) => a.key))
    for (const [k, e] of entries) {
      const before = loaded.get(k)
      if (before === undefined) continue
      if (withheld.has(k)) entries.set(k, {...before, ...next.entries[k]})
      else if (!mentioned.has(k) && !(full && complete)) entries.set(k, before)
      else entries.set(k, e)
    }
    for (const [id, e] of observation.stackCache) entries.set(`${HEAT_PREFIX}${id}`, e as unknown as ViewEntry)
    // A full sync drops the cache of stacks it no longer needs, unless the stack listing failed.
    if (full && !observation.cloud.complete.stacks) for (const [k, e] of loaded) if (k.startsWith(HEAT_PREFIX) && !entries.has(k)) entries.set(k, e)

    // The owning stack came from the cache and Kill Bill was not asked: only the devices are known as they are.
    const kept = (k: string): boolean => !devicesOnly || k.startsWith('device:')
    const put: Record<string, ViewEntry> = {}
    for (const [k, e] of entries) {
      if (!kept(k)) continue
      const before = loaded.get(k)
      if (before === undefined || JSON.stringify(before) !== JSON.stringify(e)) put[k] = e
    }
    const remove: string[] = []
    for (const k of loaded.keys()) {
      if (entries.has(k) || !kept(k)) continue
      // A full sync owns the objects' keys and the stack cache; one entity only the keys whose objects
      // it deleted. Others' entries (listen's watermarks, Keystone deletions) are never removed here.
      if (isViewKey(k) || (full && k.startsWith(HEAT_PREFIX))) remove.push(k)
    }
    const now = new Date().toISOString()
    await this.store.apply({put, remove, values: full ? {lastSync: now, ...(complete ? {lastCompleteSync: now} : {})} : {}})
  }
}

/**
 * apply(plan) → ActionResult[]: the only writer (DESIGN §3).
 *
 * Phases run one after the other, in the plan's order: template creates, template updates, rack
 * creates, rack updates (growth before any device lands), device creates, device updates, device
 * deletes, rack deletes. Within a phase actions run concurrently (bounded). One failed action never
 * aborts the others: it is reported with the object and the reason. A create whose parent (the rack
 * or template created earlier in the same plan, `Action.refs`) was not created fails with that reason.
 *
 * A device create or update that `supersedes` copies of its device in wrong racks (Concertim cannot
 * move a device between racks) deletes them after its own write succeeded, never before: a failure
 * in between leaves the cloud object with two devices (reported as a failure; the next run keeps the
 * one in the right rack and deletes the other), never with none.
 *
 * Crash safety comes from the matching, not from here: every object carries its cloud id in its own
 * fields (template `foreign_id`, rack and device metadata), so a run after a crash finds what the
 * crashed run created and does not create it again.
 */
import pLimit from 'p-limit'

import type {ConcertimClient} from '../concertim/client.js'
import type {NewDevice, NewRack, NewTemplate, DeviceUpdate as ClientDeviceUpdate, RackUpdate as ClientRackUpdate, TemplateUpdate as ClientTemplateUpdate} from '../concertim/types.js'
import type {ObjectKind} from '../model/desired.js'
import type {Action, ActionKind, ActionResult} from '../model/plan.js'
import {type FailureKind, failureKind} from '../model/problem.js'
import type {Logger} from '../output/logger.js'

export type ConcertimWriter = Pick<
  ConcertimClient,
  'createDevice' | 'createRack' | 'createTemplate' | 'deleteDevice' | 'deleteRack' | 'updateDevice' | 'updateRack' | 'updateTemplate'
>

export interface ApplyOptions {
  /** Writes in flight at once within a phase (default 8). */
  concurrency?: number
  logger?: Logger
  /** Called after each action (for progress). */
  onResult?: (result: ActionResult, action: Action) => void
}

type Phase = `${ActionKind}:${ObjectKind}`

/** The order of the phases (DESIGN §3: templates → racks → devices; devices → racks for deletes). */
export const PHASES: readonly Phase[] = [
  'create:template',
  'update:template',
  'create:rack',
  'update:rack',
  'create:device',
  'update:device',
  'delete:device',
  'delete:rack',
]

/** Whether `apply` attempts an action at all (a `failed` one is reported, a `blocked` one withheld). */
export function isApplicable(action: Action): boolean {
  return action.blocked === undefined
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message
  return String(error)
}

export async function apply(plan: {actions: readonly Action[]}, concertim: ConcertimWriter, options: ApplyOptions = {}): Promise<ActionResult[]> {
  const limit = pLimit(Math.max(1, options.concurrency ?? 8))
  const results: ActionResult[] = []
  /** Key of a create → the new Concertim id, or the reason it was not created. */
  const created = new Map<string, {id: string} | {failure?: FailureKind; reason: string}>()

  const report = (action: Action, r: Omit<ActionResult, 'key' | 'kind' | 'object'>): void => {
    const result: ActionResult = {key: action.key, kind: action.kind, object: action.object, ...r}
    results.push(result)
    if (action.kind === 'create') created.set(action.key, r.ok && r.concertimId !== undefined ? {id: r.concertimId} : {failure: r.failure, reason: r.error ?? 'not created'})
    if (!r.ok) options.logger?.warn({key: action.key, reason: r.error}, `${action.kind} ${action.object} ${action.name}: ${r.error}`)
    options.onResult?.(result, action)
  }

  /** The id of a parent created earlier in this plan, or why there is none. */
  const parent = (what: 'rack' | 'template', key: string | undefined): {id: string} | {failure?: FailureKind; reason: string} | undefined => {
    if (key === undefined) return undefined
    const c = created.get(key)
    if (c === undefined) return {reason: `its ${what} (${key}) was not created in this run`}
    if ('reason' in c) return {failure: c.failure, reason: `its ${what} (${key}) could not be created: ${c.reason}`}
    return c
  }
  /** A child fails the way its parent did (an outage of the parent's write is the child's too). */
  const parentFailed = (p: {failure?: FailureKind; reason: string}): Error => Object.assign(new Error(p.reason), {failure: p.failure ?? 'refused'})

  const run = async (action: Action): Promise<void> => {
    if (action.failed !== undefined) {
      report(action, {error: action.failed, failure: 'refused', ok: false})
      return
    }
    try {
      const id = await write(action)
      const left = await removeSuperseded(action)
      if (left === undefined) report(action, {concertimId: id, ok: true})
      else report(action, {concertimId: id, error: left.error, failure: left.failure, ok: false})
    } catch (error) {
      report(action, {...(action.concertimId === null ? {} : {concertimId: action.concertimId}), error: messageOf(error), failure: failureKind(error), ok: false})
    }
  }

  /** The copies a device action supersedes, deleted now that it succeeded; why some are left, if any. */
  const removeSuperseded = async (action: Action): Promise<undefined | {error: string; failure: FailureKind}> => {
    if (action.object !== 'device' || action.kind === 'delete' || action.supersedes === undefined) return undefined
    const left: string[] = []
    let failure: FailureKind = 'outage'
    for (const copy of action.supersedes) {
      try {
        await concertim.deleteDevice(copy.concertimId)
      } catch (error) {
        left.push(`device ${copy.name} (${copy.concertimId}) in rack ${copy.rackId ?? '(none)'}: ${messageOf(error)}`)
        if (failureKind(error) !== 'outage') failure = 'refused'
      }
    }
    return left.length === 0 ? undefined : {error: `written, but the misplaced copy could not be deleted (${left.join('; ')}); it goes next run`, failure}
  }

  const write = async (action: Action): Promise<string> => {
    switch (`${action.kind}:${action.object}` as Phase) {
      case 'create:template': {
        const a = action as Extract<Action, {kind: 'create'; object: 'template'}>
        return (await concertim.createTemplate(a.body as NewTemplate)).id
      }
      case 'update:template': {
        const a = action as Extract<Action, {kind: 'update'; object: 'template'}>
        await concertim.updateTemplate(idOf(a), a.body as ClientTemplateUpdate)
        return idOf(a)
      }
      case 'create:rack': {
        const a = action as Extract<Action, {kind: 'create'; object: 'rack'}>
        return (await concertim.createRack(a.body as NewRack)).id
      }
      case 'update:rack': {
        const a = action as Extract<Action, {kind: 'update'; object: 'rack'}>
        await concertim.updateRack(idOf(a), a.body as ClientRackUpdate)
        return idOf(a)
      }
      case 'create:device': {
        const a = action as Extract<Action, {kind: 'create'; object: 'device'}>
        if (a.body === null) throw new Error('no body')
        const rack = parent('rack', a.refs?.rack)
        const template = parent('template', a.refs?.template)
        if (rack !== undefined && 'reason' in rack) throw parentFailed(rack)
        if (template !== undefined && 'reason' in template) throw parentFailed(template)
        const body = {
          ...a.body,
          location: {...a.body.location, ...(rack === undefined ? {} : {rack_id: rack.id})},
          template_id: template === undefined ? a.body.template_id : template.id,
        }
        return (await concertim.createDevice(body as NewDevice)).id
      }
      case 'update:device': {
        const a = action as Extract<Action, {kind: 'update'; object: 'device'}>
        // Only a misplaced copy to delete: nothing to write to the device itself.
        if (a.body !== null && Object.keys(a.body).length > 0) await concertim.updateDevice(idOf(a), a.body as ClientDeviceUpdate)
        return idOf(a)
      }
      case 'delete:device': {
        await concertim.deleteDevice(idOf(action))
        return idOf(action)
      }
      case 'delete:rack': {
        // The plan deletes a rack only when every device in it is ours: recurse takes them along.
        await concertim.deleteRack(idOf(action), {recurse: true})
        return idOf(action)
      }
      default: {
        throw new Error(`unknown action ${action.kind} ${action.object}`)
      }
    }
  }

  for (const phase of PHASES) {
    const batch = plan.actions.filter((a) => `${a.kind}:${a.object}` === phase && isApplicable(a))
    if (batch.length === 0) continue
    await Promise.all(batch.map(async (a) => limit(async () => run(a))))
  }
  return results
}

function idOf(action: Action): string {
  if (action.concertimId === null) throw new Error(`${action.kind} of ${action.key} without a Concertim id`)
  return action.concertimId
}

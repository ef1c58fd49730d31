/** Fake deliveries and a scriptable reconciler for the delivery-loop tests (no broker needed). */
import type {EntityRef} from '../../../src/lib/events/index.js'
import type {Delivery} from '../../../src/lib/listen/dispatcher.js'
import type {ReconcileHint, ReconcileOutcome} from '../../../src/lib/listen/policy.js'
import {envelope} from '../events/wire-fixtures.js'

export class FakeDelivery implements Delivery {
  acked = 0
  deadLettered: string[] = []
  /** Settled through a channel that is gone. */
  lost = false
  readonly redelivered = false

  constructor(readonly body: Buffer) {}

  ack(): boolean {
    if (this.lost) return false
    this.acked++
    return true
  }

  async deadLetter(reason: string): Promise<boolean> {
    if (this.lost) return false
    this.deadLettered.push(reason)
    this.acked++
    return true
  }

  get settled(): boolean {
    return this.acked > 0
  }
}

let ids = 0

/** A versioned nova notification about server `id`, `state` at `second` (oslo timestamp). */
export function serverEvent(id: string, opts: {deleted?: boolean; envelope?: 'v1' | 'v2'; eventType?: string; messageId?: string; second?: number; state?: string; tenant?: string} = {}): FakeDelivery {
  const second = opts.second ?? 0
  const message = {
    event_type: opts.eventType ?? (opts.deleted ? 'instance.delete.end' : 'instance.update'),
    message_id: opts.messageId ?? `m-${++ids}`,
    payload: {'nova_object.data': {display_name: `vm-${id}`, power_state: 'running', state: opts.deleted ? 'deleted' : (opts.state ?? 'active'), tenant_id: opts.tenant ?? 'p1', uuid: id}},
    priority: 'INFO',
    publisher_id: 'nova-compute:h1',
    timestamp: `2026-01-01 00:00:${String(second).padStart(2, '0')}.000000`,
  }
  return new FakeDelivery(Buffer.from(envelope(message, opts.envelope ?? 'v2')))
}

/** A heat notification about stack `id` of project `tenant` (heat/engine/api.py `format_notification_body` keys). */
export function stackEvent(id: string, second = 0, opts: {eventType?: string; tenant?: string} = {}): FakeDelivery {
  const message = {event_type: opts.eventType ?? 'orchestration.stack.update.end', message_id: `m-${++ids}`, payload: {stack_identity: id, state: 'UPDATE_COMPLETE', tenant_id: opts.tenant ?? 'p1'}, priority: 'INFO', timestamp: `2026-01-01 00:00:${String(second).padStart(2, '0')}.000000`}
  return new FakeDelivery(Buffer.from(envelope(message, 'v1')))
}

export interface Call {
  hint: ReconcileHint
  ref: EntityRef
}

/** Records calls; `script` decides each outcome (throw to fail). */
export class FakeReconciler {
  active = 0
  readonly calls: Call[] = []
  maxActive = 0

  constructor(public script: (call: Call, n: number) => Promise<ReconcileOutcome> | ReconcileOutcome = () => ({applied: true})) {}

  readonly reconcile = async (ref: EntityRef, hint: ReconcileHint): Promise<ReconcileOutcome> => {
    const call = {hint, ref}
    this.calls.push(call)
    this.active++
    this.maxActive = Math.max(this.maxActive, this.active)
    try {
      return await this.script(call, this.calls.length)
    } finally {
      this.active--
    }
  }
}

export const tick = async (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Fault injection for the simulator, per system. Tests and benchmarks set a `FaultSpec` on a system
 * and every request to that system's server passes through `Faults.intercept` before it is routed.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'

export type SimSystem =
  | 'cinder'
  | 'cloudkitty'
  | 'concertim'
  | 'glance'
  | 'gnocchi'
  | 'heat'
  | 'keystone'
  | 'killbill'
  | 'mrd'
  | 'neutron'
  | 'nova'

export interface FaultSpec {
  /** Added latency in ms for every request (before it is answered). */
  latencyMs?: number
  /** Probability 0..1 that a request is answered with one of `errorStatuses` (default [500, 502, 503]). */
  errorRate?: number
  errorStatuses?: number[]
  /** Answer the next `count` requests (or every request when count is undefined) with 429 and this Retry-After (s). */
  rateLimit?: {count?: number; retryAfterSec: number}
  /** Hold the next `count` requests (every request when undefined) this long before answering (past a client's timeout). */
  stall?: {count?: number; ms: number}
  /** Fail (500) every listing request for page number > `afterPages` (1-based; pages counted per listing path). */
  failListingAfterPages?: number
  /** Fail only requests whose path matches this (default: all requests of the system). */
  pathPattern?: RegExp
  /** Only these methods (default: all). */
  methods?: string[]
  /** Treat every token as expired (Keystone tokens, Concertim JWTs): the next authenticated call gets 401. */
  expireTokens?: boolean
  /** Nova: answer servers listings with down-cell partial records (microversion ≥ 2.69). */
  novaDownCell?: boolean
  /**
   * Nova servers, Heat stacks: leave these ids out of listings while a GET still finds them (Heat's
   * `hidden_stack_tags`, a short page that keeps its next link, a lowered microversion with a down cell).
   */
  hideFromListings?: readonly string[]
}

export interface FaultCounters {
  errors: number
  rateLimited: number
  stalled: number
}

/** Seeded PRNG (mulberry32) so that fault sequences are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d_2b_79_f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export class Faults {
  /** Latency (ms) added to every request of every system that has no `latencyMs` of its own. */
  baseLatencyMs = 0
  readonly counters = new Map<SimSystem, FaultCounters>()
  private readonly random: () => number
  private readonly specs = new Map<SimSystem, FaultSpec>()

  constructor(seed = 1) {
    this.random = seededRandom(seed)
  }

  clear(system?: SimSystem): void {
    if (system === undefined) this.specs.clear()
    else this.specs.delete(system)
  }

  get(system: SimSystem): FaultSpec | undefined {
    return this.specs.get(system)
  }

  /**
   * Apply the system's faults to a request. Returns true when the fault answered the request
   * (the router must then do nothing); false to let it through (after any latency).
   */
  async intercept(system: SimSystem, req: IncomingMessage, res: ServerResponse, page?: number): Promise<boolean> {
    const spec = this.specs.get(system)
    const applies = spec !== undefined && (!spec.methods || spec.methods.includes(req.method ?? 'GET')) && (!spec.pathPattern || spec.pathPattern.test(req.url ?? ''))
    const latency = applies && spec.latencyMs !== undefined ? spec.latencyMs : this.baseLatencyMs
    if (latency > 0) await sleep(latency)
    if (!applies) return false
    const c = this.counter(system)
    if (spec.stall && (spec.stall.count === undefined || spec.stall.count > 0)) {
      if (spec.stall.count !== undefined) spec.stall.count--
      c.stalled++
      await sleep(spec.stall.ms)
      if (res.destroyed || res.writableEnded) return true
    }
    if (spec.rateLimit && (spec.rateLimit.count === undefined || spec.rateLimit.count > 0)) {
      if (spec.rateLimit.count !== undefined) spec.rateLimit.count--
      c.rateLimited++
      res.writeHead(429, {'Content-Type': 'application/json', 'Retry-After': String(spec.rateLimit.retryAfterSec)})
      res.end(JSON.stringify({message: 'Rate limit exceeded', status: 429}))
      return true
    }
    if (spec.failListingAfterPages !== undefined && page !== undefined && page > spec.failListingAfterPages) {
      c.errors++
      res.writeHead(500, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({computeFault: {code: 500, message: 'Unexpected API Error (injected mid-listing).'}}))
      return true
    }
    if (spec.errorRate && this.random() < spec.errorRate) {
      const statuses = spec.errorStatuses ?? [500, 502, 503]
      const status = statuses[Math.floor(this.random() * statuses.length)]
      c.errors++
      res.writeHead(status, {'Content-Type': 'application/json'})
      res.end(JSON.stringify({error: {code: status, message: 'injected fault'}}))
      return true
    }
    return false
  }

  set(system: SimSystem, spec: FaultSpec): void {
    this.specs.set(system, {...spec})
  }

  private counter(system: SimSystem): FaultCounters {
    let c = this.counters.get(system)
    if (c === undefined) {
      c = {errors: 0, rateLimited: 0, stalled: 0}
      this.counters.set(system, c)
    }
    return c
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms)
  })
}

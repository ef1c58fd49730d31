/**
 * What `listen` counts: every message received ends in exactly one of applied, irrelevant, skipped
 * (unknown, ignored, stale, duplicate), malformed or dead-lettered — or is given back to the broker
 * (abandoned at shutdown, or its channel went away) and counted again when redelivered.
 * `failed` counts failed reconcile attempts. Latency is delivery → ack.
 */
export interface ListenCounters {
  /** Acks that could not be sent because the channel was gone (the broker redelivers). */
  ackLost: number
  /** Left unacked at shutdown (the broker redelivers them). */
  abandoned: number
  applied: number
  deadLettered: number
  duplicate: number
  failed: number
  ignored: number
  irrelevant: number
  malformed: number
  received: number
  /** Reconcile calls (one per coalesced burst and attempt). */
  reconciles: number
  /** Full reconciles (sync) run after a gap, and those that failed. */
  resyncs: number
  resyncsFailed: number
  stale: number
  unknown: number
}

export class ListenStats {
  readonly counters: ListenCounters = {abandoned: 0, ackLost: 0, applied: 0, deadLettered: 0, duplicate: 0, failed: 0, ignored: 0, irrelevant: 0, malformed: 0, received: 0, reconciles: 0, resyncs: 0, resyncsFailed: 0, stale: 0, unknown: 0}
  private readonly latencies: number[] = []
  private next = 0

  constructor(private readonly window = 20_000) {}

  /** Skipped = acked without a write because the event was not ours or is older news. */
  get skipped(): number {
    const c = this.counters
    return c.unknown + c.ignored + c.stale + c.duplicate + c.irrelevant
  }

  latency(ms: number): void {
    if (this.latencies.length < this.window) this.latencies.push(ms)
    else this.latencies[this.next] = ms
    this.next = (this.next + 1) % this.window
  }

  /** p50/p99 of the last `window` delivery → ack latencies (ms). */
  percentiles(): {p50: number; p99: number} | undefined {
    if (this.latencies.length === 0) return undefined
    // A typed array sorts numerically in native code: a tenth of the CPU of a comparator (a /healthz probe asks).
    const sorted = Float64Array.from(this.latencies).sort()
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
    return {p50: at(0.5), p99: at(0.99)}
  }

  /** The fields of the periodic summary line. */
  summary(): Record<string, number> {
    const c = this.counters
    const p = this.percentiles()
    return {
      applied: c.applied,
      dead_lettered: c.deadLettered,
      failed: c.failed,
      malformed: c.malformed,
      received: c.received,
      resyncs: c.resyncs,
      skipped: this.skipped,
      ...(p ? {p50_ms: Math.round(p.p50), p99_ms: Math.round(p.p99)} : {}),
    }
  }
}

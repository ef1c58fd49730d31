/**
 * The total time of one request, retries included, as the abort signal that the attempt in flight
 * (`exchange.ts`) and the wait before the next attempt listen to.
 *
 * It is a plain timer and a list of listeners rather than `AbortSignal.timeout()`: that costs
 * microseconds per request, and keeps its timer (and a weak reference) alive until it fires, long
 * after the request has finished. This one is cleared by `dispose()` when the request settles.
 */
type Listener = (event: {type: 'abort'}) => void

export class Deadline {
  aborted = false
  private listeners: Listener[] = []
  private readonly timer: NodeJS.Timeout

  constructor(ms: number) {
    this.timer = setTimeout(() => this.expire(), ms)
    // Like AbortSignal.timeout(): the deadline alone does not keep the process alive.
    this.timer.unref()
  }

  addEventListener(type: string, listener: Listener): void {
    if (type !== 'abort') return
    if (this.aborted) return
    this.listeners.push(listener)
  }

  /** The request has settled: stop the timer and forget the listeners. */
  dispose(): void {
    clearTimeout(this.timer)
    this.listeners = []
  }

  removeEventListener(type: string, listener: Listener): void {
    if (type !== 'abort') return
    const i = this.listeners.indexOf(listener)
    if (i !== -1) this.listeners.splice(i, 1)
  }

  private expire(): void {
    this.aborted = true
    // Each listener is called once.
    const listeners = this.listeners
    this.listeners = []
    for (const listener of listeners) listener({type: 'abort'})
  }
}

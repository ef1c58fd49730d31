/**
 * The deletion cap across one-entity reconciles (listen): each plan deletes little, so the per-plan
 * cap can never see a storm of them — a token that lost its reach, a cloud whose API lies for a
 * minute. This counts the deletions admitted in a sliding time window and refuses those beyond the
 * limit; `sync` (with its own cap) then decides them with a full view.
 */
export class DeletionWindow {
  private readonly admitted: number[] = []

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Admit `count` deletions now if the window has room for all of them (all or none). */
  admit(count: number): boolean {
    if (count <= 0) return true
    const t = this.now()
    while (this.admitted.length > 0 && this.admitted[0] <= t - this.windowMs) this.admitted.shift()
    if (this.admitted.length + count > this.limit) return false
    for (let i = 0; i < count; i++) this.admitted.push(t)
    return true
  }

  /** Deletions admitted in the current window. */
  get used(): number {
    const t = this.now()
    return this.admitted.filter((at) => at > t - this.windowMs).length
  }
}

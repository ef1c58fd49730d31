/**
 * What a run has created, so that a failure can remove it again (newest first). What the run
 * adopted is never in it; what cannot be undone is noted as kept, with the reason.
 */
import type {Logger} from '../output/logger.js'

interface Undo {
  object: string
  run: () => Promise<unknown>
}

export interface RollbackReport {
  /** What could not be removed, or is kept on purpose, with the reason. */
  leftBehind: string[]
  rolledBack: string[]
}

export class Journal {
  private readonly kept: string[] = []
  private readonly undos: Undo[] = []

  /** `object` was created (or changed) by this run; `undo` removes (or restores) it. */
  created(object: string, undo: () => Promise<unknown>): void {
    this.undos.push({object, run: undo})
  }

  /** `object` was created by this run and is kept on rollback (`why`). */
  keep(object: string, why: string): void {
    this.kept.push(`${object} (${why})`)
  }

  get size(): number {
    return this.undos.length
  }

  /** Undo everything recorded, newest first; an undo that fails is reported, not thrown. */
  async rollback(logger?: Logger): Promise<RollbackReport> {
    const report: RollbackReport = {leftBehind: [...this.kept], rolledBack: []}
    for (const undo of this.undos.toReversed()) {
      try {
         
        await undo.run()
        report.rolledBack.push(undo.object)
        logger?.info({object: undo.object}, 'rolled back')
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error)
        report.leftBehind.push(`${undo.object} (rollback failed: ${why})`)
        logger?.error({object: undo.object}, `rollback failed: ${why}`)
      }
    }
    this.undos.length = 0
    this.kept.length = 0
    return report
  }
}

import {expect} from 'chai'

import {AfterActionReconciler} from '../../../src/lib/api/after-action.js'
import type {Scope} from '../../../src/lib/model/scope.js'

describe('AfterActionReconciler', () => {
  it('requests for one entity while it runs share one more run; other entities run beside it', async () => {
    const runs: string[] = []
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const r = new AfterActionReconciler(
      async (scope: Scope) => {
        runs.push(scope.kind === 'all' ? 'all' : scope.id)
        if (runs.length === 1) await gate
        return {state: 'done'}
      },
      {concurrency: 4, waitMs: 5000},
    )
    const first = r.reconcile({id: 'a', kind: 'server'})
    const second = r.reconcile({id: 'a', kind: 'server'})
    const third = r.reconcile({id: 'a', kind: 'server'})
    const other = r.reconcile({id: 'b', kind: 'server'})
    await other
    expect(runs).to.deep.equal(['a', 'b'])
    release()
    expect((await Promise.all([first, second, third])).map((n) => n.state)).to.deep.equal(['done', 'done', 'done'])
    expect(runs).to.deep.equal(['a', 'b', 'a'])
    expect(r.active).to.equal(0)
  })

  it('a run that throws is a failed note; one slower than waitMs is pending', async () => {
    const failing = new AfterActionReconciler(async () => {
      throw new Error('concertim down')
    }, {concurrency: 1, waitMs: 1000})
    expect(await failing.reconcile({id: 'x', kind: 'volume'})).to.deep.equal({message: 'concertim down', state: 'failed'})
    const slow = new AfterActionReconciler(async () => new Promise((r) => setTimeout(() => r({state: 'done'}), 200)), {concurrency: 1, waitMs: 10})
    expect((await slow.reconcile({id: 'x', kind: 'volume'})).state).to.equal('pending')
  })
})

import {expect} from 'chai'

import {NO_BILLING} from '../../../src/lib/model/billing.js'
import type {Server, Stack} from '../../../src/lib/model/cloud.js'
import {desire} from '../../../src/lib/reconcile/desire.js'
import {plan} from '../../../src/lib/reconcile/plan.js'
import {applyToConcertim, cloud, concertim, server, stack} from './world.js'

describe('reconcile at scale (cloud-10k: 10,000 servers, 1,000 stacks)', () => {
  const stacks: Stack[] = []
  const servers: Server[] = []
  for (let s = 0; s < 1000; s++) {
    const ids = Array.from({length: 10}, (_, i) => `srv-${s}-${i}`)
    stacks.push(stack(`stk-${s}`, {servers: ids}, {name: `stack-${s % 100}`}))
    for (const id of ids) servers.push(server(id, {name: `node-${id.slice(-1)}`}))
  }
  const c = cloud({servers, stacks})

  it('desire + plan of a first sync take well under a second', function () {
    this.timeout(10_000)
    const t0 = performance.now()
    const p = plan(desire(c, concertim(), NO_BILLING), concertim(), {entries: {}, version: 1})
    const ms = performance.now() - t0
    expect(p.actions.length).to.equal(2 + 1000 + 10_000)
    expect(ms, `${ms.toFixed(0)} ms`).to.be.below(1000)
  })

  it('a no-change sync of 11,000 objects plans zero writes, well under a second', function () {
    this.timeout(10_000)
    const first = plan(desire(c, concertim(), NO_BILLING), concertim(), {entries: {}, version: 1})
    const state = applyToConcertim(concertim(), first).state
    const t0 = performance.now()
    const p = plan(desire(c, state, NO_BILLING), state, {entries: {}, version: 1})
    const ms = performance.now() - t0
    expect(p.actions).to.deep.equal([])
    expect(ms, `${ms.toFixed(0)} ms`).to.be.below(1000)
  })
})

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

  // Timings are benchmark figures (bench/), not test assertions: these tests assert behaviour at scale.
  it('a first sync plans every template, rack and device', function () {
    this.timeout(20_000)
    const p = plan(desire(c, concertim(), NO_BILLING), concertim(), {entries: {}, version: 1})
    expect(p.actions.length).to.equal(2 + 1000 + 10_000)
  })

  it('a no-change sync of 11,000 objects plans zero writes', function () {
    this.timeout(20_000)
    const first = plan(desire(c, concertim(), NO_BILLING), concertim(), {entries: {}, version: 1})
    const state = applyToConcertim(concertim(), first).state
    const p = plan(desire(c, state, NO_BILLING), state, {entries: {}, version: 1})
    expect(p.actions).to.deep.equal([])
  })
})

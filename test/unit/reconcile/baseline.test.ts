import {expect} from 'chai'

import type {Baseline} from '../../../src/lib/model/baseline.js'
import type {Plan} from '../../../src/lib/model/plan.js'
import {hashOwnedFields, recordResults} from '../../../src/lib/reconcile/baseline.js'

const emptyPlan: Plan = {actions: [], deletionCapExceeded: false, inconsistencies: [], kept: [], maxDeletes: 5, notices: [], observed: {}, pendingConfirmations: [], scope: {kind: 'all'}}

describe('reconcile/baseline', () => {
  it('hashOwnedFields is stable under key order and differs with values', () => {
    expect(hashOwnedFields({a: 1, b: [1, 2]})).to.equal(hashOwnedFields({b: [1, 2], a: 1}))
    expect(hashOwnedFields({a: 1})).to.not.equal(hashOwnedFields({a: 2}))
  })

  const before: Baseline = {
    entries: {
      'device:gone': {concertimId: 'd9', hash: 'h9', misses: 1},
      'device:missed': {concertimId: 'd2', hash: 'h2', misses: 0},
      'device:stale': {hash: 'hs', misses: 0},
      'rack:r1': {concertimId: 'r1', hash: 'old', misses: 0},
    },
    version: 1,
  }
  const p: Plan = {
    ...emptyPlan,
    actions: [
      {body: {status: 'ACTIVE'}, changes: {}, cloudId: 'r1', concertimId: 'r1', hash: 'new', key: 'rack:r1', kind: 'update', name: 'r', object: 'rack', reason: ''},
      {body: null, changes: {}, cloudId: 'x', concertimId: null, failed: 'no template', key: 'device:x', kind: 'create', name: 'x', object: 'device', reason: ''},
      {body: null, changes: {}, cloudId: 'n', concertimId: null, hash: 'hn', key: 'device:new', kind: 'create', name: 'n', object: 'device', reason: ''},
      {
        blocked: {code: 'unconfirmed', message: ''},
        body: null,
        changes: {},
        cloudId: 'missed',
        concertimId: 'd2',
        deletion: {direct: 'unknown', misses: 'count'},
        key: 'device:missed',
        kind: 'delete',
        name: 'm',
        object: 'device',
        reason: '',
      },
      {body: null, changes: {}, cloudId: 'gone', concertimId: 'd9', key: 'device:gone', kind: 'delete', name: 'g', object: 'device', reason: ''},
    ],
    observed: {'device:seen': {concertimId: 'd5', hash: 'h5'}},
  }

  it('records writes, misses, deletes and sightings; drops what no one mentions', () => {
    const after = recordResults(before, p, [
      {concertimId: 'r1', key: 'rack:r1', kind: 'update', object: 'rack', ok: true},
      {concertimId: 'd7', key: 'device:new', kind: 'create', object: 'device', ok: true},
      {concertimId: 'd9', key: 'device:gone', kind: 'delete', object: 'device', ok: true},
    ])
    expect(after.entries).to.deep.equal({
      'device:missed': {concertimId: 'd2', hash: 'h2', misses: 1},
      'device:new': {concertimId: 'd7', hash: 'hn', misses: 0},
      'device:seen': {concertimId: 'd5', hash: 'h5', misses: 0},
      'rack:r1': {concertimId: 'r1', hash: 'new', misses: 0},
    })
  })

  it('a failed write keeps the old hash; a scoped plan keeps entries it does not mention', () => {
    const after = recordResults(before, {...p, scope: {id: 'x', kind: 'server'}}, [{error: 'boom', key: 'rack:r1', kind: 'update', object: 'rack', ok: false}])
    expect(after.entries['rack:r1']).to.deep.equal({concertimId: 'r1', hash: 'old', misses: 0})
    expect(after.entries['device:stale']).to.deep.equal({hash: 'hs', misses: 0})
    expect(after.entries['device:gone'].misses, 'an unapplied, unblocked delete is not a miss').to.equal(1)
  })

  it('does not change its input', () => {
    const copy = JSON.parse(JSON.stringify(before)) as Baseline
    recordResults(before, p, [])
    expect(before).to.deep.equal(copy)
  })
})

import {expect} from 'chai'

import {decide, type DeletionEvidence} from '../../../../src/lib/reconcile/deletion/index.js'

/** Every combination of the evidence, with what must come of it. */
type Verdict = 'ask' | 'delete' | `withhold:${string}`

const verdict = (e: DeletionEvidence): {misses: string; verdict: Verdict} => {
  const d = decide('server s1', e)
  const v: Verdict = d.blocked === undefined ? 'delete' : d.ask ? 'ask' : `withhold:${d.blocked.code}`
  return {misses: d.misses, verdict: v}
}

const base: DeletionEvidence = {direct: 'not-asked', incomplete: null, listed: false, misses: 0, scope: 'all', seesAllProjects: true}

describe('reconcile/deletion/decide', () => {
  const DIRECT = ['gone', 'exists', 'unknown', 'not-asked'] as const
  const SCOPES = ['all', 'entity'] as const

  /** The rule, stated once more in the plainest terms, for every combination. */
  function expected(e: DeletionEvidence): {misses: string; verdict: Verdict} {
    if ((e.unmanagedContents ?? 0) > 0) return {misses: 'keep', verdict: 'withhold:unmanaged-contents'}
    if (e.listed || e.direct === 'exists') return {misses: 'reset', verdict: 'withhold:exists'}
    if (e.incomplete !== null) return {misses: 'keep', verdict: 'withhold:incomplete'}
    if (!e.seesAllProjects) return {misses: 'keep', verdict: 'withhold:visibility'}
    if (e.inconsistent === true) return e.direct === 'gone' ? {misses: 'keep', verdict: 'delete'} : {misses: 'keep', verdict: e.direct === 'not-asked' ? 'ask' : 'withhold:incomplete'}
    const miss = e.scope === 'all' ? 'count' : 'keep'
    if (e.direct === 'gone') return {misses: miss, verdict: 'delete'}
    if (e.direct === 'not-asked') return {misses: miss, verdict: 'ask'}
    // unknown: only the second complete full-sync miss deletes
    return {misses: miss, verdict: e.scope === 'all' && e.misses >= 1 ? 'delete' : 'withhold:unconfirmed'}
  }

  let combinations = 0
  for (const scope of SCOPES)
    for (const direct of DIRECT)
      for (const listed of [false, true])
        for (const incomplete of [null, 'the servers listing was incomplete'])
          for (const seesAllProjects of [true, false])
            for (const misses of [0, 1, 3])
              for (const inconsistent of [false, true])
                for (const unmanagedContents of [0, 2]) {
                  const e: DeletionEvidence = {direct, incomplete, inconsistent, listed, misses, scope, seesAllProjects, unmanagedContents}
                  combinations++
                  it(`${JSON.stringify(e)}`, () => {
                    expect(verdict(e)).to.deep.equal(expected(e))
                  })
                }

  it(`covers every combination (${2 * 4 * 2 * 2 * 2 * 3 * 2 * 2})`, () => {
    expect(combinations).to.equal(2 * 4 * 2 * 2 * 2 * 3 * 2 * 2)
  })

  // The cases the review reproduced, by name.
  const cases: Array<[string, Partial<DeletionEvidence>, Verdict, string]> = [
    ['a GET that answers 200 stops the deletion and resets the misses', {direct: 'exists', misses: 1}, 'withhold:exists', 'reset'],
    ['…even on the second miss of a full sync', {direct: 'exists', misses: 5}, 'withhold:exists', 'reset'],
    ['a listed object that is no longer shown is never deleted', {direct: 'gone', listed: true}, 'withhold:exists', 'reset'],
    ['listen: a 404 from a token proven to see all projects deletes, without counting a miss', {direct: 'gone', scope: 'entity'}, 'delete', 'keep'],
    ['listen: a 404 from a token without admin deletes nothing', {direct: 'gone', scope: 'entity', seesAllProjects: false}, 'withhold:visibility', 'keep'],
    ['listen: a GET that cannot tell never deletes, whatever the misses', {direct: 'unknown', misses: 4, scope: 'entity'}, 'withhold:unconfirmed', 'keep'],
    ['listen never counts a miss', {direct: 'not-asked', scope: 'entity'}, 'ask', 'keep'],
    ['sync: the first miss asks and counts', {}, 'ask', 'count'],
    ['sync: an incomplete listing neither deletes nor counts', {direct: 'gone', incomplete: 'x'}, 'withhold:incomplete', 'keep'],
    ['sync: a 404 from a token without admin deletes nothing', {direct: 'gone', seesAllProjects: false}, 'withhold:visibility', 'keep'],
    ['sync: an inconsistent listing deletes only on a 404', {direct: 'unknown', inconsistent: true, misses: 2}, 'withhold:incomplete', 'keep'],
  ]
  for (const [name, e, v, misses] of cases) {
    it(name, () => {
      expect(verdict({...base, ...e})).to.deep.equal({misses, verdict: v})
    })
  }

  it('says why, naming the object', () => {
    expect(decide('server s1', {...base, direct: 'exists'}).blocked?.message).to.match(/server s1 .*direct GET found it/)
    expect(decide('server s1', {...base, seesAllProjects: false}).blocked?.message).to.match(/admin role/)
  })
})

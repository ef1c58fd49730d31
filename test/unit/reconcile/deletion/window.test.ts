import {expect} from 'chai'

import {DeletionWindow} from '../../../../src/lib/reconcile/deletion/index.js'

describe('reconcile/deletion/window (listen cap over time)', () => {
  it('admits up to the limit within the window, all or none, and frees room as time passes', () => {
    let now = 0
    const w = new DeletionWindow(3, 60_000, () => now)
    expect(w.admit(2)).to.equal(true)
    expect(w.admit(2), 'all or none').to.equal(false)
    expect(w.used).to.equal(2)
    expect(w.admit(1)).to.equal(true)
    expect(w.admit(1)).to.equal(false)
    now = 59_999
    expect(w.admit(1)).to.equal(false)
    now = 60_000
    expect(w.admit(3)).to.equal(true)
    expect(w.admit(0)).to.equal(true)
  })
})

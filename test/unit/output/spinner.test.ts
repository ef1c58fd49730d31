import {expect} from 'chai'

import {canSpin} from '../../../src/lib/output/spinner.js'

const tty = (columns: number | undefined) => ({columns, isTTY: true}) as unknown as NodeJS.WriteStream

describe('spinner (lib/output/spinner)', () => {
  it('spins only on a terminal with a usable width', () => {
    expect(canSpin(tty(80), {})).to.equal(true)
    expect(canSpin(tty(20), {})).to.equal(true)
    expect(canSpin(tty(0), {}), '0 columns (ssh -tt, docker exec -t)').to.equal(false)
    expect(canSpin(tty(19), {})).to.equal(false)
    expect(canSpin(tty(undefined), {})).to.equal(false)
    expect(canSpin(tty(Number.NaN), {})).to.equal(false)
    expect(canSpin(tty(80), {TERM: 'dumb'})).to.equal(false)
    expect(canSpin({columns: 80, isTTY: false} as unknown as NodeJS.WriteStream, {})).to.equal(false)
  })
})

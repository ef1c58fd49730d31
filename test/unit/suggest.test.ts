import {expect} from 'chai'

import {closest, editDistance} from '../../src/lib/suggest.js'

describe('did you mean (lib/suggest)', () => {
  it('edit distance', () => {
    expect(editDistance('synk', 'sync')).to.equal(1)
    expect(editDistance('vie dump', 'view dump')).to.equal(1)
    expect(editDistance('', 'abc')).to.equal(3)
  })

  it('the closest known word when it is close enough, else nothing', () => {
    const commands = ['demo', 'doctor', 'listen', 'metrics push', 'sim', 'sync', 'view dump', 'metrics', 'view']
    expect(closest('synk', commands)).to.equal('sync')
    expect(closest('vie dump', commands)).to.equal('view dump')
    expect(closest('docter', commands)).to.equal('doctor')
    expect(closest('frobnicate', commands)).to.equal(undefined)
    expect(closest('--dry-rn', ['--dry-run', '--json', '--only'])).to.equal('--dry-run')
  })
})

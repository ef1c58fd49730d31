import {expect} from 'chai'

import {assignNames, deterministicOrderId, deviceName, isNameFor, rackName, suffixed} from '../../../src/lib/reconcile/naming.js'

describe('reconcile/naming', () => {
  describe('rackName: [A-Za-z0-9_-], ≤ 255', () => {
    const table: [string, string][] = [
      ['my_stack', 'my_stack'],
      ['my.stack', 'my-stack'],
      ['my stack!', 'my-stack-'],
      ['stäck', 'st-ck'],
      ['', 'rack'],
      ['x'.repeat(300), 'x'.repeat(255)],
    ]
    for (const [raw, want] of table) it(`${JSON.stringify(raw.slice(0, 20))} → ${want.slice(0, 20)}`, () => expect(rackName(raw)).to.equal(want))
    it('results always match the Concertim format', () => {
      for (const raw of ['a b.c_d', '日本', '--', 'ok-1']) expect(rackName(raw)).to.match(/^[a-zA-Z0-9\-_]*$/)
    })
  })

  describe('deviceName: [A-Za-z0-9.-], ≤ 150', () => {
    const table: [string, string][] = [
      ['web.1', 'web.1'],
      ['web_1', 'web-1'],
      ['my server', 'my-server'],
      ['', 'fallback'],
      ['y'.repeat(200), 'y'.repeat(150)],
    ]
    for (const [raw, want] of table) it(`${JSON.stringify(raw.slice(0, 20))} → ${want.slice(0, 20)}`, () => expect(deviceName(raw, 'fallback')).to.equal(want))
    it('a fallback with underscores is made valid too', () => expect(deviceName('', 'server_1')).to.equal('server-1'))
  })

  describe('suffixed / isNameFor', () => {
    it('suffixes within the limit', () => {
      expect(suffixed('abc', 1, 10)).to.equal('abc')
      expect(suffixed('abc', 2, 10)).to.equal('abc-2')
      expect(suffixed('abcdefghij', 12, 10)).to.equal('abcdefg-12')
    })
    it('recognises its own forms only', () => {
      expect(isNameFor('web', 'web', 150)).to.equal(true)
      expect(isNameFor('web-3', 'web', 150)).to.equal(true)
      expect(isNameFor('web-1', 'web', 150)).to.equal(false)
      expect(isNameFor('web-03', 'web', 150)).to.equal(false)
      expect(isNameFor('webby', 'web', 150)).to.equal(false)
    })
  })

  describe('assignNames', () => {
    it('de-duplicates deterministically in key order', () => {
      const names = assignNames(
        [
          {base: 'web', key: 'b'},
          {base: 'web', key: 'a'},
          {base: 'web', key: 'c'},
        ],
        new Set(),
        150,
      )
      expect(Object.fromEntries(names)).to.deep.equal({a: 'web', b: 'web-2', c: 'web-3'})
    })
    it('never reuses a name taken by an object it does not name', () => {
      const names = assignNames([{base: 'web', key: 'a'}], new Set(['web', 'web-2']), 150)
      expect(names.get('a')).to.equal('web-3')
    })
    it('keeps current names: a newcomer never renames an existing object', () => {
      const names = assignNames(
        [
          {base: 'web', current: 'web', key: 'z'},
          {base: 'web', key: 'a'},
        ],
        new Set(),
        150,
      )
      expect(names.get('z')).to.equal('web')
      expect(names.get('a')).to.equal('web-2')
    })
    it('renames when the current name is not a form of the base (the cloud object was renamed)', () => {
      expect(assignNames([{base: 'db', current: 'web', key: 'a'}], new Set(), 150).get('a')).to.equal('db')
    })
    it('accepts alternative forms (legacy names)', () => {
      expect(assignNames([{alsoAccepted: ['web-1'], base: 'web.1', current: 'web-1', key: 'a'}], new Set(), 150).get('a')).to.equal('web-1')
    })
    it('two objects claiming the same current name: the first key keeps it', () => {
      const names = assignNames(
        [
          {base: 'web', current: 'web', key: 'b'},
          {base: 'web', current: 'web', key: 'a'},
        ],
        new Set(),
        150,
      )
      expect(Object.fromEntries(names)).to.deep.equal({a: 'web', b: 'web-2'})
    })
  })

  it('deterministicOrderId is stable and distinct per stack', () => {
    expect(deterministicOrderId('s1')).to.equal(deterministicOrderId('s1'))
    expect(deterministicOrderId('s1')).to.not.equal(deterministicOrderId('s2'))
  })
})

import {expect} from 'chai'

import {fieldMessagesOf} from '../../../src/lib/concertim/errors.js'
import {moneyString, parseMoney} from '../../../src/lib/concertim/money.js'

describe('Concertim money (lib/concertim/money)', () => {
  const out: [number | string, string][] = [
    [0, '0'],
    [12, '12'],
    [12.5, '12.5'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1e-7, '0.0000001'],
    [-3, '-3'],
    ['77.77', '77.77'],
    [' 5.00 ', '5.00'],
  ]
  for (const [input, expected] of out) {
    it(`moneyString(${JSON.stringify(input)}) = ${expected}`, () => {
      expect(moneyString(input)).to.equal(expected)
    })
  }

  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 1e21, '1e5', '12,5', '', 'None']) {
    it(`moneyString refuses ${JSON.stringify(bad)}`, () => {
      expect(() => moneyString(bad)).to.throw(RangeError)
    })
  }

  it('parseMoney reads the app strings', () => {
    expect(parseMoney('0.0')).to.equal(0)
    expect(parseMoney('100.001')).to.equal(100.001)
    expect(parseMoney('77.77')).to.equal(77.77)
    expect(parseMoney(null)).to.be.NaN
    expect(parseMoney('$1')).to.be.NaN
  })
})

describe('fieldMessagesOf (lib/concertim/errors)', () => {
  const cases: [unknown, Record<string, string[]>][] = [
    [{name: ['has already been taken']}, {name: ['has already been taken']}],
    [{errors: {details: ['must exist', "can't be blank"]}}, {details: ['must exist', "can't be blank"]}],
    [{start_u: [{count: 0, error: 'greater_than', value: 0}, {error: 'is invalid'}]}, {start_u: ['must be greater than 0', 'is invalid']}],
    [{facing: [{error: 'inclusion', permitted: ['b', 'f'], value: 'x'}]}, {facing: ['is not included in the list']}],
    [{rack: [{error: 'blank'}]}, {rack: ["can't be blank"]}],
    [{name: [{error: 'too_long', count: 150}]}, {name: ['is too long (maximum is 150 characters)']}],
    [{errors: 'devices have been created from this template'}, {base: ['devices have been created from this template']}],
    [{errors: [{description: 'Cannot delete user as they have active racks', status: '422', title: 'Unprocessable Content'}]}, {base: ['Cannot delete user as they have active racks']}],
    [{base: ['The rack limit of 10 has been exceeded']}, {base: ['The rack limit of 10 has been exceeded']}],
    [{}, {}],
    [null, {}],
    ['', {}],
    ['<html>oops</html>', {base: ['<html>oops</html>']}],
  ]
  for (const [body, expected] of cases) {
    it(`${JSON.stringify(body)}`, () => {
      expect(fieldMessagesOf(body)).to.deep.equal(expected)
    })
  }
})

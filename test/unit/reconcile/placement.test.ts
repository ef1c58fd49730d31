import {expect} from 'chai'

import type {DeviceType} from '../../../src/lib/model/concertim.js'
import {isValidLocation, placeDevice, RackOccupancy} from '../../../src/lib/reconcile/placement.js'

describe('reconcile/placement', () => {
  type Row = {expect: {grewTo?: number; start: number} | 'none'; height: number; name: string; rack: number; taken: [number, number][]; type: DeviceType}
  const table: Row[] = [
    {expect: {start: 1}, height: 1, name: 'empty rack, instance at the bottom', rack: 42, taken: [], type: 'Instance'},
    {expect: {start: 42}, height: 1, name: 'empty rack, network at the top', rack: 42, taken: [], type: 'Network'},
    {expect: {start: 41}, height: 2, name: '2U network at the top', rack: 42, taken: [], type: 'Network'},
    {expect: {start: 3}, height: 2, name: 'volume above two 1U devices', rack: 42, taken: [[1, 2]], type: 'Volume'},
    {expect: {start: 5}, height: 2, name: 'skips a 1U gap too small', rack: 42, taken: [[1, 2], [4, 4]], type: 'Instance'},
    {expect: {start: 42}, height: 1, name: 'the top U is tried (the original never did)', rack: 42, taken: [[1, 41]], type: 'Instance'},
    {expect: {start: 41}, height: 2, name: 'exactly fits at the top', rack: 42, taken: [[1, 40]], type: 'Instance'},
    {expect: {grewTo: 43, start: 42}, height: 2, name: 'grows by what is missing', rack: 42, taken: [[1, 41]], type: 'Instance'},
    {expect: {grewTo: 46, start: 43}, height: 4, name: 'grows above the highest device', rack: 42, taken: [[1, 42]], type: 'Instance'},
    {expect: {grewTo: 43, start: 43}, height: 1, name: 'a full rack grows for a network too', rack: 42, taken: [[1, 42]], type: 'Network'},
    {expect: {start: 10}, height: 1, name: 'network from the top below a device', rack: 10, taken: [], type: 'Network'},
    {expect: {start: 9}, height: 1, name: 'network under the top device', rack: 10, taken: [[10, 10]], type: 'Network'},
    {expect: {grewTo: 72, start: 71}, height: 2, name: 'grows up to 72', rack: 70, taken: [[1, 70]], type: 'Volume'},
    {expect: 'none', height: 2, name: 'even 72 U is full', rack: 72, taken: [[1, 71]], type: 'Instance'},
    {expect: 'none', height: 3, name: 'no growth past 72', rack: 70, taken: [[1, 70]], type: 'Instance'},
    {expect: 'none', height: 0, name: 'a zero height is refused', rack: 42, taken: [], type: 'Instance'},
  ]
  for (const row of table) {
    it(row.name, () => {
      const rack = new RackOccupancy(row.rack, row.taken.map(([startU, endU]) => ({endU, startU})))
      const place = placeDevice(rack, row.height, row.type)
      if (row.expect === 'none') {
        expect(place.fits).to.equal(false)
        if (!place.fits) expect(place.reason).to.be.a('string').and.not.equal('')
        return
      }
      expect(place.fits).to.equal(true)
      if (!place.fits) return
      expect(place.startU).to.equal(row.expect.start)
      expect(place.endU).to.equal(row.expect.start + row.height - 1)
      expect(place.grewTo).to.equal(row.expect.grewTo)
      expect(place.endU).to.be.at.most(rack.height)
    })
  }

  it('successive placements never overlap', () => {
    const rack = new RackOccupancy(42)
    const spans: [number, number][] = []
    for (const [h, t] of [[2, 'Instance'], [1, 'Network'], [3, 'Instance'], [2, 'Volume'], [1, 'Network'], [4, 'Instance']] as [number, DeviceType][]) {
      const p = placeDevice(rack, h, t)
      expect(p.fits).to.equal(true)
      if (p.fits) spans.push([p.startU, p.endU])
    }
    for (const [i, a] of spans.entries()) for (const b of spans.slice(i + 1)) expect(a[1] < b[0] || b[1] < a[0], `${a} vs ${b}`).to.equal(true)
  })

  it('fills a rack to 72 U and then refuses, never overlapping', () => {
    const rack = new RackOccupancy(42)
    let placed = 0
    for (;;) {
      const p = placeDevice(rack, 4, 'Instance')
      if (!p.fits) break
      placed++
    }
    expect(placed).to.equal(18)
    expect(rack.height).to.equal(72)
  })

  it('isValidLocation follows Concertim (1 ≤ start, end ≤ height)', () => {
    expect(isValidLocation({endU: 42, startU: 42}, 42)).to.equal(true)
    expect(isValidLocation({endU: 43, startU: 42}, 42)).to.equal(false)
    expect(isValidLocation({endU: 1, startU: 0}, 42)).to.equal(false)
    expect(isValidLocation(null, 42)).to.equal(false)
  })
})

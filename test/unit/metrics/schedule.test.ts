import {expect} from 'chai'

import {nextTick, parseDuration, runOnSchedule} from '../../../src/lib/metrics/schedule.js'

describe('metrics/schedule', () => {
  const durations: [string, number | undefined][] = [
    ['15s', 15_000],
    ['500ms', 500],
    ['1m', 60_000],
    ['2min', 120_000],
    ['1m30s', 90_000],
    ['1h', 3_600_000],
    [' 15S ', 15_000],
    ['15', undefined],
    ['s', undefined],
    ['', undefined],
    ['0s', undefined],
    ['15 s', undefined],
    ['-5s', undefined],
  ]
  for (const [text, ms] of durations) it(`parseDuration(${JSON.stringify(text)}) → ${ms}`, () => expect(parseDuration(text)).to.equal(ms))

  const ticks: [string, number, {at: number; tick: number}][] = [
    ['right after the start', 1, {at: 15_000, tick: 1}],
    ['a pass that took 4 s: the next starts on the grid, not 15 s after it ended', 4000, {at: 15_000, tick: 1}],
    ['exactly on a tick: the next one', 15_000, {at: 30_000, tick: 2}],
    ['a pass that overran 2 periods: ticks in between are skipped', 37_000, {at: 45_000, tick: 3}],
  ]
  for (const [name, now, expected] of ticks) it(`nextTick: ${name}`, () => expect(nextTick(0, 15_000, now)).to.deep.equal(expected))

  it('runs passes on the grid, reports skipped ticks, and stops when aborted', async () => {
    let clock = 1_000_000
    const controller = new AbortController()
    const starts: number[] = []
    const waits: number[] = []
    const skipped: number[] = []
    const durationsMs = [2000, 40_000, 1000, 1000]
    const n = await runOnSchedule(
      15_000,
      async (i) => {
        starts.push(clock - 1_000_000)
        clock += durationsMs[i]
        if (i === 3) controller.abort()
      },
      {
        now: () => clock,
        onSkipped: (k) => skipped.push(k),
        signal: controller.signal,
        sleep: async (ms) => {
          waits.push(ms)
          clock += ms
        },
      },
    )
    expect(n).to.equal(4)
    expect(starts).to.deep.equal([0, 15_000, 60_000, 75_000])
    expect(waits).to.deep.equal([13_000, 5000, 14_000])
    expect(skipped).to.deep.equal([2])
  })
})

import {expect} from 'chai'

import type {SendProblem} from '../../../src/lib/metrics/push.js'
import type {DeviceReport} from '../../../src/lib/metrics/run.js'
import {problemsTable, valuesTable} from '../../../src/lib/output/metrics-report.js'

const device = (deviceId: string, name?: string): DeviceReport => ({deviceId, instanceId: `srv-${deviceId}`, missing: {}, name, values: {cpu_load: 1}})
const problem = (deviceId: string, metric: SendProblem['metric']): SendProblem => ({deviceId, instanceId: `srv-${deviceId}`, message: 'HTTP 503', metric, outcome: 'failed'})

describe('metrics push tables (lib/output/metrics-report)', () => {
  // Passes finish devices in any order (batches, concurrency): the rows never follow it.
  it('values: by device name, then id (a device without a name goes by its id)', () => {
    const rows = valuesTable([device('d9', 'web-2'), device('d3', 'db-1'), device('d1', 'web-2'), device('a0'), device('d2', 'app-1')]).rows
    expect(rows.map((r) => r[0])).to.deep.equal(['a0', 'app-1', 'db-1', 'web-2', 'web-2'])
    expect(rows.filter((r) => r[0] === 'web-2').map((r) => r[1])).to.deep.equal(['srv-d1', 'srv-d9'])
  })

  it('problems: by device name, then id, then metric in the table order; named where the pass kept names', () => {
    const rows = problemsTable([problem('d9', 'iops'), problem('d1', 'ram_usage'), problem('d1', 'cpu_load'), problem('zz', 'iops')], [device('d9', 'a-first'), device('d1', 'b-second')]).rows
    expect(rows.map((r) => `${r[0]} ${r[1]}`)).to.deep.equal(['a-first (d9) iops', 'b-second (d1) cpu_load', 'b-second (d1) ram_usage', 'zz iops'])
  })
})

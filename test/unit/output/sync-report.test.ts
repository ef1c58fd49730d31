import {expect} from 'chai'

import {type DryRunResult, formatPlan, type PlannedAction} from '../../../src/lib/output/sync-report.js'
import {squeeze, squeezedCells} from '../../support/table.js'

const ID = (n: number) => `${String(n).repeat(8)}-af9b-4327-a301-da7317006ec${n}`

function action(over: Partial<PlannedAction>): PlannedAction {
  return {blocked: null, changes: {}, cloudId: 'srv-1', concertimId: ID(1), failed: null, key: 'device:srv-1', kind: 'update', name: 'x', object: 'device', reason: 'restoring name', ...over}
}

function plan(actions: PlannedAction[]): DryRunResult {
  const none = {failed: 0, ok: 0, planned: 0}
  const counts = {blocked: 0, create: none, delete: none, impossible: 0, unchanged: 0, update: {...none, planned: actions.length}}
  return {actions, calls: {}, counts, deletionCapExceeded: false, dryRun: true, maxDeletes: 50, notices: [], problems: []}
}

describe('the plan for people (lib/output/sync-report formatPlan)', () => {
  const a = action({
    changes: {name: {from: 'project-alpha-cluster-node-0001-old', to: 'project-alpha-cluster-node-0001'}, status: {from: 'ACTIVE', to: 'STOPPED'}},
    name: 'project-alpha-cluster-node-0001',
  })
  const b = action({changes: {description: {from: null, to: 'gpu node'}}, cloudId: 'srv-2', concertimId: ID(2), key: 'device:srv-2', name: 'project-alpha-cluster-node-0002', reason: 'updating description'})
  const out = formatPlan(plan([a, b]), 80).out.join('\n')

  it('fits 80 columns', () => {
    const wide = out.split('\n').filter((l) => [...l].length > 80)
    expect(wide, out).to.deep.equal([])
  })

  it('shows names whole: rows that differ only at the end read differently', () => {
    const cells = squeezedCells(out)
    expect(cells, out).to.include.members([squeeze(a.name), squeeze(b.name), squeeze(ID(1)), squeeze(ID(2))])
  })

  // [what, the changed field as it must read]
  const changes: [string, string][] = [
    ['a changed name: from → to', 'name: project-alpha-cluster-node-0001-old → project-alpha-cluster-node-0001'],
    ['a changed status', 'status: ACTIVE → STOPPED'],
    ['a value Concertim lacks', 'description: (none) → gpu node'],
  ]
  for (const [what, line] of changes) {
    it(`an update row says what changes: ${what}`, () => {
      expect(squeezedCells(out).some((c) => c.includes(squeeze(line))), out).to.equal(true)
    })
  }
})

import {expect} from 'chai'

import type {HeatStack} from '../../../src/lib/openstack/types.js'
import {isInProgress, topLevelIds, treeVersions} from '../../../src/lib/reconcile/stack-tree.js'

const s = (id: string, over: Partial<HeatStack> = {}): HeatStack => ({creation_time: '2026-01-01T00:00:00Z', id, parent: null, stack_name: id, stack_status: 'CREATE_COMPLETE', updated_time: null, ...over})

describe('reconcile/stack-tree', () => {
  it('maps every listed stack to its top-level stack (undefined when a parent is not listed)', () => {
    const tops = topLevelIds([s('top'), s('group', {parent: 'top'}), s('member', {parent: 'group'}), s('orphan', {parent: 'gone'})])
    expect([...tops]).to.deep.equal([
      ['top', 'top'],
      ['group', 'top'],
      ['member', 'top'],
      ['orphan', undefined],
    ])
  })

  describe('a top-level stack version folds in its nested stacks', () => {
    const base = [s('top'), s('group', {parent: 'top'})]
    const version = (stacks: HeatStack[]) => treeVersions(stacks).get('top')
    const cases: Array<{changed: boolean; name: string; stacks: HeatStack[]}> = [
      {changed: false, name: 'nothing changed', stacks: [s('top'), s('group', {parent: 'top'})]},
      {changed: true, name: 'a scaling signal updated only the nested stack', stacks: [s('top'), s('group', {parent: 'top', stack_status: 'UPDATE_COMPLETE', updated_time: '2026-01-02T00:00:00Z'})]},
      {changed: true, name: 'a nested stack two levels down changed', stacks: [...base, s('deep', {parent: 'group', updated_time: '2026-01-03T00:00:00Z'})]},
      {changed: true, name: 'the top-level stack itself changed', stacks: [s('top', {stack_status: 'UPDATE_COMPLETE', updated_time: '2026-01-02T00:00:00Z'}), s('group', {parent: 'top'})]},
      {changed: false, name: "another tree's nested stack changed", stacks: [...base, s('other'), s('o-group', {parent: 'other', updated_time: '2026-01-05T00:00:00Z'})]},
    ]
    for (const c of cases) {
      it(c.name, () => {
        expect(version(c.stacks)?.version === version(base)?.version).to.equal(!c.changed)
      })
    }
  })

  it('a tree is in progress when its stack or any nested stack is *_IN_PROGRESS', () => {
    expect(isInProgress('CREATE_IN_PROGRESS')).to.equal(true)
    expect(isInProgress('UPDATE_COMPLETE')).to.equal(false)
    const v = treeVersions([s('a'), s('a-group', {parent: 'a', stack_status: 'UPDATE_IN_PROGRESS'}), s('b', {stack_status: 'CREATE_IN_PROGRESS'}), s('c')])
    expect([...v].map(([id, t]) => [id, t.inProgress])).to.deep.equal([
      ['a', true],
      ['b', true],
      ['c', false],
    ])
  })
})

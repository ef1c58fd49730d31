import {expect} from 'chai'
import {stripVTControlCharacters} from 'node:util'

import {fitColumns, fitIds, renderTable, terminalWidth, wrapCell} from '../../../src/lib/output/table.js'
import {squeeze, tablesIn} from '../../support/table.js'

const lines = (text: string) => stripVTControlCharacters(text).split('\n')
const widest = (text: string) => Math.max(...lines(text).map((l) => [...l].length))
/** The cells of a column, rows in order, squeezed (the head dropped). */
const column = (table: string, index: number) => (tablesIn(table)[0] ?? []).slice(1).map((row) => squeeze(row[index] ?? ''))

const UUID = (n: number) => `${String(n).repeat(8).slice(0, 8)}-af9b-4327-a301-da7317006ec${n}`

describe('tables fitted to the terminal (lib/output/table)', () => {
  describe('terminalWidth', () => {
    // [what, stdout, env, width]
    const cases: [string, {columns?: number; isTTY?: boolean}, NodeJS.ProcessEnv, number][] = [
      ['a terminal: its width', {columns: 132, isTTY: true}, {COLUMNS: '60'}, 132],
      ['piped, COLUMNS set', {isTTY: false}, {COLUMNS: '100'}, 100],
      ['piped, no COLUMNS: 80', {isTTY: false}, {}, 80],
      ['piped, a nonsense COLUMNS: 80', {isTTY: false}, {COLUMNS: 'wide'}, 80],
    ]
    for (const [what, stdout, env, width] of cases) it(what, () => expect(terminalWidth(stdout, env)).to.equal(width))
  })

  describe('renderTable within 80 columns', () => {
    const devices = [
      ['acme-hpc.cluster-2-node-1', 'Instance', 'acme', 'acme_hpc-cluster-2', UUID(1), UUID(2), 'ACTIVE'],
      ['acme-hpc.cluster-2-node-2', 'Instance', 'acme', 'acme_hpc-cluster-2', UUID(3), UUID(4), 'FAILED'],
    ]
    const head = ['device', 'type', 'team', 'rack', 'concertim id', 'openstack id', 'status']
    const plan = [['update', 'device', 'a-very-long-device-name-that-goes-on-1', UUID(5), 'restoring name\nname: "a-very-long-device-name-that-goes-on-1" → "a-very-long-device-name-that-goes-on-2"']]

    // [what, head, rows]
    const tables: [string, string[], string[][]][] = [
      ['a view dump of devices (164 columns wide unfitted)', head, devices],
      ['a plan with a long reason', ['action', 'object', 'name', 'concertim id', 'why'], plan],
      ['a doctor report', ['', 'system', 'check', 'result'], [['✓', 'openstack', 'keystone reachable', `${'the token was issued and every service in the catalog answered. '.repeat(3)}\nfix: nothing`]]],
    ]
    for (const [what, h, rows] of tables) {
      it(`${what}: no line is wider than 80, nothing is cut`, () => {
        const out = renderTable(h, rows, {width: 80})
        expect(widest(out), out).to.be.at.most(80)
        for (let i = 0; i < h.length; i++) {
          expect(column(out, i), out).to.deep.equal(rows.map((r) => squeeze(r[i])))
        }
      })
    }

    it('names that differ only at the end stay different', () => {
      const out = renderTable(['name'], [['project-alpha-cluster-node-0001'], ['project-alpha-cluster-node-0002']], {width: 22})
      const names = column(out, 0)
      expect(names[0]).to.not.equal(names[1])
      expect(names).to.deep.equal(['project-alpha-cluster-node-0001', 'project-alpha-cluster-node-0002'])
    })

    it('a table that fits keeps its natural widths', () => {
      const out = renderTable(['a', 'b'], [['x', 'y']], {width: 80})
      expect(lines(out)[0]).to.equal('┌───┬───┐')
    })
  })

  describe('fitColumns and wrapCell', () => {
    it('narrows the widest columns first, to the total', () => {
      expect(fitColumns([36, 36, 8, 6], 80)).to.deep.equal([26, 27, 8, 6])
      expect(fitColumns([10, 10], 80)).to.deep.equal([10, 10])
    })

    // [what, text, width, lines]
    const cases: [string, string, number, string[]][] = [
      ['at spaces', 'restoring the name of it', 10, ['restoring', 'the name', 'of it']],
      ['after punctuation', 'acme-hpc.cluster-2-node-1', 10, ['acme-hpc.', 'cluster-2-', 'node-1']],
      ['anywhere when it must', 'abcdefghijklmnop', 6, ['abcdef', 'ghijkl', 'mnop']],
      ['keeping its own lines', 'a\nb c', 3, ['a', 'b c']],
    ]
    for (const [what, text, width, expected] of cases) it(`wraps ${what}`, () => expect(wrapCell(text, width).split('\n')).to.deep.equal(expected))
  })
})

describe('fitIds (output/table)', () => {
  const u = (tail: string) => `0e3cb0a1-de5d-4a40-a415-${tail}`
  const cases: Array<[string, string[], string[][], number, string[][], boolean]> = [
    ['fits: left whole', ['id'], [[u('9e5df20df491')]], 80, [[u('9e5df20df491')]], false],
    ['too wide: 8 characters and an ellipsis', ['a', 'b'], [['0e3cb0a1-de5d-4a40-a415-9e5df20df491', 'a8554b0782520d27881344c9137c1b2b']], 40, [['0e3cb0a1…', 'a8554b07…']], true],
    [
      'ids sharing a long prefix keep enough to differ',
      ['id', 'other'],
      [
        [u('9e5df20df491'), 'x'.repeat(60)],
        [u('9e5df20df492'), 'y'],
      ],
      40,
      [
        [`${u('9e5df20df491')}`, 'x'.repeat(60)],
        [`${u('9e5df20df492')}`, 'y'],
      ],
      false,
    ],
    [
      'prefixes that differ at the 10th character keep 10',
      ['id', 'other'],
      [
        ['abcdef0123456789abcdef0123456789', 'x'.repeat(60)],
        ['abcdef0124456789abcdef0123456789', 'y'],
      ],
      40,
      [
        ['abcdef0123…', 'x'.repeat(60)],
        ['abcdef0124…', 'y'],
      ],
      true,
    ],
    ['an id inside text (a deleted project)', ['project'], [['a8554b0782520d27881344c9137c1b2b (deleted 2026-12-01T10:00:00Z) and more words']], 30, [['a8554b07… (deleted 2026-12-01T10:00:00Z) and more words']], true],
    ['no ids: unchanged, even when too wide', ['name'], [['n'.repeat(100)]], 40, [['n'.repeat(100)]], false],
  ]
  for (const [what, head, rows, width, want, shortened] of cases) {
    it(what, () => {
      const got = fitIds(head, rows, width)
      expect(got.rows).to.deep.equal(want)
      expect(got.shortened).to.equal(shortened)
    })
  }

  it('the same id in two cells is shortened the same way; the input is not changed', () => {
    const id = 'a8554b0782520d27881344c9137c1b2b'
    const rows = [[id, `project ${id}`, 'z'.repeat(50)]]
    const got = fitIds(['a', 'b', 'c'], rows, 40)
    expect(got.rows[0].slice(0, 2)).to.deep.equal(['a8554b07…', 'project a8554b07…'])
    expect(rows[0][0]).to.equal(id)
  })
})


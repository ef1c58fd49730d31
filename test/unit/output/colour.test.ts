import {expect} from 'chai'

import {colourLevel} from '../../../src/lib/output/colour.js'

describe('colour (lib/output/colour)', () => {
  // [what, env, stdout is a terminal, level detected for it, level]
  const cases: [string, NodeJS.ProcessEnv, boolean, 0 | 1 | 2 | 3, number][] = [
    ['a terminal: as detected', {}, true, 2, 2],
    ['piped: off', {}, false, 0, 0],
    ['NO_COLOR on a terminal: off', {NO_COLOR: '1'}, true, 3, 0],
    ['an empty NO_COLOR does nothing', {NO_COLOR: ''}, true, 3, 3],
    ['TERM=dumb: off', {TERM: 'dumb'}, true, 1, 0],
    ['FORCE_COLOR=1 piped: 16 colours', {FORCE_COLOR: '1'}, false, 0, 1],
    ['FORCE_COLOR=2 piped: 256 colours', {FORCE_COLOR: '2'}, false, 0, 2],
    ['FORCE_COLOR=3 piped: true colour', {FORCE_COLOR: '3'}, false, 0, 3],
    ['FORCE_COLOR=true piped', {FORCE_COLOR: 'true'}, false, 0, 1],
    ['FORCE_COLOR empty piped', {FORCE_COLOR: ''}, false, 0, 1],
    ['FORCE_COLOR=0 on a terminal: off', {FORCE_COLOR: '0'}, true, 3, 0],
    ['FORCE_COLOR over NO_COLOR (as Node does)', {FORCE_COLOR: '1', NO_COLOR: '1'}, false, 0, 1],
  ]
  for (const [what, env, tty, detected, level] of cases) it(what, () => expect(colourLevel(env, tty, detected)).to.equal(level))
})

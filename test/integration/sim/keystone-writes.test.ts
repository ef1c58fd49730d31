/**
 * The simulator's Keystone identity writes answer as a real Keystone did (the sequence recorded by
 * test/real/keystone-writes.test.ts from the minicloud, OpenStack Zed): the same statuses, the same
 * body shapes and the same error messages.
 */
import {expect} from 'chai'
import {readFileSync} from 'node:fs'

import {startSimulator, type Simulator} from '../../../src/sim/index.js'
import {keystoneWriteSequence, normaliseWrites, type WriteAnswer} from '../../support/keystone-writes.js'
import {login} from '../../support/openstack-client.js'
import {shapeDifferences} from '../../support/shape.js'

const recorded = (JSON.parse(readFileSync(new URL('../../fixtures/recorded/keystone-writes.json', import.meta.url), 'utf8')) as {answers: Record<string, WriteAnswer>}).answers

describe('simulator Keystone writes against the recorded real answers', () => {
  let sim: Simulator
  let answers: Record<string, WriteAnswer>
  before(async () => {
    sim = await startSimulator({preset: 'small', seed: 3})
    const admin = await login(sim)
    const prefix = 'cos-test-sim-'
    answers = normaliseWrites(await keystoneWriteSequence({base: sim.endpoints.keystone, prefix, roleId: sim.world.roleByName('member')?.id ?? '', token: admin.token}), {base: sim.endpoints.keystone, prefix})
  })
  after(async () => sim.stop())

  for (const name of Object.keys(recorded)) {
    it(name, () => {
      const real = recorded[name]
      const got = answers[name]
      expect(got, `no answer to ${name}`).not.to.equal(undefined)
      expect(got.status, JSON.stringify(got.body)).to.equal(real.status)
      expect(shapeDifferences(real.body, got.body, {extraKeys: ['user.description', 'user.email', 'users[].description', 'users[].email']}), 'body shape').to.deep.equal([])
      const message = (b: unknown) => (b as {error?: {message?: string}} | null)?.error?.message
      if (real.status >= 400) expect(message(got.body)).to.equal(message(real.body))
    })
  }

  it('leaves nothing behind (the sequence deletes what it made)', () => {
    expect([...sim.world.users.values()].filter((u) => u.name.startsWith('cos-test'))).to.deep.equal([])
    expect([...sim.world.projects.values()].filter((p) => p.name.startsWith('cos-test'))).to.deep.equal([])
  })
})

import {expect} from 'chai'

import type {PayloadState} from '../../../src/lib/events/index.js'
import {engineReconciler, type EngineOutcome, type EntityEngine, heatTopLevelStack, judgeOutcome} from '../../../src/lib/listen/engine-adapter.js'
import type {ObservationProblem} from '../../../src/lib/model/problem.js'
import type {Scope} from '../../../src/lib/model/scope.js'
import {silentLogger} from '../../../src/lib/output/logger.js'
import type {PayloadEntity} from '../../../src/lib/reconcile/observe/index.js'

const state: PayloadState = {
  deleted: false,
  kind: 'server',
  record: {fixedIps: [], floatingIps: [], flavorId: 'f', id: 's1', keyName: null, name: 'web', networkNames: [], powerState: 4, projectId: 'p', status: 'SHUTOFF', taskState: null, vmState: 'stopped', volumeIds: []},
  unknown: ['floatingIps'],
}

class RecordingEngine implements EntityEngine {
  calls: Array<{opts?: {payload?: PayloadEntity}; scope: Scope}> = []
  notes: Array<{event: string; id: string; kind: 'project' | 'user'}> = []
  async noteKeystoneDeletion(kind: 'project' | 'user', id: string, event: string): Promise<void> {
    this.notes.push({event, id, kind})
  }

  async reconcile(scope: Scope, opts?: {payload?: PayloadEntity}): Promise<EngineOutcome> {
    this.calls.push({opts, scope})
    return {applied: true, irrelevant: false, problems: [], results: [{key: 'device:s1', kind: 'update', object: 'device', ok: true}]}
  }
}

describe('listen: the engine adapter', () => {
  const cases: Array<{expectPayload: boolean; hint: PayloadState | undefined; name: string; payloadState?: boolean; ref: {id: string; kind: 'server' | 'stack'}}> = [
    {expectPayload: true, hint: state, name: 'one listener: a server\'s payload state stands in for the GET', payloadState: true, ref: {id: 's1', kind: 'server'}},
    {expectPayload: false, hint: state, name: 'several listeners on one queue (shared watermarks): the server is read', payloadState: false, ref: {id: 's1', kind: 'server'}},
    {expectPayload: false, hint: state, name: 'not said: the server is read', ref: {id: 's1', kind: 'server'}},
    {expectPayload: false, hint: {deleted: true, kind: 'server'}, name: 'a deletion is not a state to use', payloadState: true, ref: {id: 's1', kind: 'server'}},
    {expectPayload: false, hint: undefined, name: 'a thin event: nothing to use', payloadState: true, ref: {id: 's1', kind: 'server'}},
    {expectPayload: false, hint: state, name: 'a state of another kind of entity is not used', payloadState: true, ref: {id: 's1', kind: 'stack'}},
  ]
  for (const c of cases) {
    it(c.name, async () => {
      const engine = new RecordingEngine()
      const reconcile = engineReconciler(engine, silentLogger, c.payloadState === undefined ? {} : {payloadState: c.payloadState})
      const out = await reconcile(c.ref, {eventTypes: ['instance.power_off.end'], ...(c.hint === undefined ? {} : {payloadState: c.hint})})
      expect(out.applied).to.equal(true)
      expect(engine.calls).to.have.length(1)
      expect(engine.calls[0].scope).to.deep.equal(c.ref)
      if (c.expectPayload) expect(engine.calls[0].opts?.payload).to.deep.equal({kind: 'server', record: state.deleted ? undefined : state.record, unknown: ['floatingIps']})
      else expect(engine.calls[0].opts?.payload).to.equal(undefined)
    })
  }
})

describe('listen: the engine adapter reconciles what else the events changed', () => {
  it('a volume attach: the volume, then its server read afresh (its device lists the volume)', async () => {
    const engine = new RecordingEngine()
    const out = await engineReconciler(engine, silentLogger, {payloadState: true})({id: 'v1', kind: 'volume'}, {eventTypes: ['volume.attach.end'], related: [{id: 's1', kind: 'server'}, {id: 's2', kind: 'server'}]})
    expect(out.applied).to.equal(true)
    expect(engine.calls.map((c) => c.scope)).to.deep.equal([{id: 'v1', kind: 'volume'}, {id: 's1', kind: 'server'}, {id: 's2', kind: 'server'}])
    expect(engine.calls.slice(1).map((c) => c.opts?.payload)).to.deep.equal([undefined, undefined])
  })

  it("a related server's failed write fails the burst (retried), an outage as an outage", async () => {
    for (const [error, failure, transient] of [['HTTP 503', 'outage', true], ['HTTP 422', 'refused', false]] as const) {
      const engine = new RecordingEngine()
      engine.reconcile = async (scope: Scope) => {
        engine.calls.push({scope})
        const ok = scope.kind === 'volume'
        return {applied: true, irrelevant: false, problems: [], results: [{key: `device:${scope.kind === 'all' ? '' : scope.id}`, kind: 'update', object: 'device', ok, ...(ok ? {} : {error, failure})}]}
      }
      const thrown = await engineReconciler(engine, silentLogger)({id: 'v1', kind: 'volume'}, {eventTypes: ['volume.detach.end'], related: [{id: 's1', kind: 'server'}]}).then(
        () => undefined,
        (error: unknown) => error as {message: string; transient: boolean},
      )
      expect(thrown?.message).to.match(/^server s1: /)
      expect(thrown?.transient).to.equal(transient)
    }
  })
})

describe('listen: Keystone deletions through the engine adapter', () => {
  it('a user deleted: logged and noted in the view, nothing reconciled', async () => {
    const engine = new RecordingEngine()
    const out = await engineReconciler(engine, silentLogger)({id: 'u1', kind: 'user'}, {eventTypes: ['identity.user.deleted'], payloadState: {deleted: true, kind: 'user'}})
    expect(out.applied).to.equal(true)
    expect(engine.notes).to.deep.equal([{event: 'identity.user.deleted', id: 'u1', kind: 'user'}])
    expect(engine.calls).to.deep.equal([])
  })

  it('a project deleted: noted in the view, and its racks and devices reconciled', async () => {
    const engine = new RecordingEngine()
    await engineReconciler(engine, silentLogger)({id: 'p1', kind: 'project'}, {eventTypes: ['identity.project.deleted'], payloadState: {deleted: true, kind: 'project'}})
    expect(engine.notes).to.deep.equal([{event: 'identity.project.deleted', id: 'p1', kind: 'project'}])
    expect(engine.calls.map((c) => c.scope)).to.deep.equal([{id: 'p1', kind: 'project'}])
  })

  it('a project updated: reconciled, not noted', async () => {
    const engine = new RecordingEngine()
    await engineReconciler(engine, silentLogger)({id: 'p1', kind: 'project'}, {eventTypes: ['identity.project.updated']})
    expect(engine.notes).to.deep.equal([])
    expect(engine.calls).to.have.length(1)
  })
})

describe('listen: a nested stack is reconciled as its top-level stack', () => {
  const hint = {eventTypes: ['orchestration.stack.update.end']}
  const parents: Record<string, null | string> = {group: 'top', member: 'group', top: null}
  const asked: string[] = []
  const find = async (id: string): Promise<null | {id: string}> => {
    asked.push(id)
    let at = id
    for (let up = parents[at]; up !== null && up !== undefined; up = parents[at]) at = up
    return at in parents ? {id: at} : null
  }

  it('its scope is the top-level stack (its rack, and the deletions within it); the answer is kept', async () => {
    const engine = new RecordingEngine()
    const reconcile = engineReconciler(engine, silentLogger, {topLevelStack: heatTopLevelStack(find)})
    await reconcile({id: 'member', kind: 'stack'}, hint)
    await reconcile({id: 'member', kind: 'stack'}, hint)
    await reconcile({id: 'top', kind: 'stack'}, hint)
    await reconcile({id: 's1', kind: 'server'}, {eventTypes: ['instance.update']})
    expect(engine.calls.map((c) => c.scope)).to.deep.equal([
      {id: 'top', kind: 'stack'},
      {id: 'top', kind: 'stack'},
      {id: 'top', kind: 'stack'},
      {id: 's1', kind: 'server'},
    ])
    expect(asked, 'Heat asked once per stack').to.deep.equal(['member', 'top'])
  })

  it('a stack Heat no longer has keeps its own id (its rack goes by its own scope)', async () => {
    const engine = new RecordingEngine()
    const reconcile = engineReconciler(engine, silentLogger, {topLevelStack: heatTopLevelStack(async () => null)})
    await reconcile({id: 'gone', kind: 'stack'}, hint)
    expect(engine.calls.map((c) => c.scope)).to.deep.equal([{id: 'gone', kind: 'stack'}])
  })
})

describe('listen: what holds an entity\'s messages (judgeOutcome, typed failures)', () => {
  const ok = {applied: true, irrelevant: false, plan: {kept: [] as string[]}, results: [{key: 'device:s1', kind: 'update', object: 'device', ok: true}]}
  const sibling: ObservationProblem = {kind: 'outage', message: 'stack other (web) could not be read: heat: 500', part: 'stack', subject: 'other', system: 'heat'}
  const server: Scope = {id: 's1', kind: 'server'}

  it('a sibling stack Heat cannot read does not hold a healthy server\'s event (its device was settled)', async () => {
    const engine = new RecordingEngine()
    engine.reconcile = async () => ({...ok, observationProblems: [sibling], problems: [sibling.message]})
    const out = await engineReconciler(engine, silentLogger)({id: 's1', kind: 'server'}, {eventTypes: ['instance.power_off.end']})
    expect(out.applied).to.equal(true)
  })

  it('the same problem holds it when the plan could not decide about the server (kept): an outage, retried', () => {
    const f = judgeOutcome({...ok, observationProblems: [sibling], plan: {kept: ['device:s1']}, problems: [sibling.message], results: []}, server)
    expect(f?.transient).to.equal(true)
    expect(f?.message).to.match(/observation incomplete: stack other/)
  })

  it('a refused read (403) that leaves the entity undecided counts towards dead-lettering', () => {
    const refused: ObservationProblem = {...sibling, kind: 'refused', message: 'the heat stack listing failed: heat: 403 Forbidden', part: 'stacks', subject: undefined}
    expect(judgeOutcome({...ok, observationProblems: [refused], plan: {kept: ['device:s1']}, problems: [], results: []}, server)?.transient).to.equal(false)
  })

  it('a stack: a problem about the stack itself holds it, one about another object does not; a project: any', () => {
    const own: ObservationProblem = {...sibling, subject: 'top'}
    expect(judgeOutcome({...ok, observationProblems: [own], problems: []}, {id: 'top', kind: 'stack'})?.transient).to.equal(true)
    expect(judgeOutcome({...ok, observationProblems: [sibling], problems: []}, {id: 'top', kind: 'stack'})).to.equal(undefined)
    expect(judgeOutcome({...ok, observationProblems: [sibling], problems: []}, {id: 'p1', kind: 'project'})?.transient).to.equal(true)
  })

  it('Kill Bill unreadable never holds anything (new racks get a provisional order id)', () => {
    const billing: ObservationProblem = {kind: 'refused', message: 'Kill Bill could not be read', part: 'billing'}
    expect(judgeOutcome({...ok, observationProblems: [billing], problems: [], plan: {kept: ['device:s1']}}, server)).to.equal(undefined)
    expect(judgeOutcome({...ok, observationProblems: [billing], problems: []}, {id: 'p1', kind: 'project'})).to.equal(undefined)
  })

  it('failed writes are judged by their typed failure, not by words in the message', () => {
    const write = (failure: 'outage' | 'refused' | undefined, error: string) => ({...ok, problems: [], results: [{error, key: 'device:s1', kind: 'update', object: 'device', ok: false, ...(failure === undefined ? {} : {failure})}]})
    expect(judgeOutcome(write('outage', 'concertim: PATCH /devices/1 socket closed'), server)?.transient).to.equal(true)
    expect(judgeOutcome(write('refused', 'concertim: 422 name "api-503-unavailable" has already been taken'), server)?.transient).to.equal(false)
    expect(judgeOutcome(write(undefined, 'timed out'), server)?.transient, 'untyped: not an outage').to.equal(false)
  })
})

import {expect} from 'chai'
import {EventEmitter} from 'node:events'

import {awaitStopSignal, signalExitCode, stopOnSignals} from '../../src/lib/signals.js'

function fakeProcess() {
  const proc = new EventEmitter() as EventEmitter & {exits: number[]; exit(code: number): never}
  proc.exits = []
  proc.exit = ((code: number) => {
    proc.exits.push(code)
  }) as never
  return proc
}

describe('stopping on signals (lib/signals)', () => {
  it('exit codes follow the shell: SIGINT 130, SIGTERM 143', () => {
    expect(signalExitCode('SIGINT')).to.equal(130)
    expect(signalExitCode('SIGTERM')).to.equal(143)
  })

  it('says why, cleans up, then exits 143; a second signal exits at once; disposal removes the handlers', async () => {
    const proc = fakeProcess()
    const said: string[] = []
    let release!: () => void
    const cleaned = new Promise<void>((r) => {
      release = r
    })
    const dispose = stopOnSignals({cleanup: async () => cleaned, proc: proc as never, report: (m) => said.push(m), what: 'sync'})
    proc.emit('SIGTERM')
    expect(said).to.deep.equal(['sync stopped by SIGTERM: work under way abandoned (the next run converges); exit 143'])
    expect(proc.exits, 'waits for the clean-up').to.deep.equal([])
    proc.emit('SIGINT')
    expect(proc.exits, 'a second signal does not wait').to.deep.equal([130])
    release()
    await new Promise((r) => setImmediate(r))
    expect(proc.exits).to.deep.equal([130, 143])
    dispose()
    expect(proc.listenerCount('SIGTERM') + proc.listenerCount('SIGINT')).to.equal(0)
  })

  it('a clean-up that hangs does not keep the process: it exits after the grace period', async () => {
    const proc = fakeProcess()
    stopOnSignals({cleanup: async () => new Promise(() => undefined), graceMs: 20, proc: proc as never, report: () => undefined, what: 'metrics push'})
    proc.emit('SIGINT')
    await new Promise((r) => setTimeout(r, 60))
    expect(proc.exits).to.deep.equal([130])
  })

  it('awaitStopSignal (resident commands): the first signal resolves, a second one is kept from killing the process, signalled() names the first', async () => {
    const proc = new EventEmitter()
    const {signalled, stopped} = awaitStopSignal(proc as unknown as NodeJS.Process)
    expect(signalled()).to.equal(undefined)
    proc.emit('SIGTERM', 'SIGTERM')
    proc.emit('SIGINT', 'SIGINT')
    expect(await stopped).to.equal('SIGTERM')
    expect(signalled()).to.equal('SIGTERM')
    expect(proc.listenerCount('SIGINT')).to.equal(1)
  })
})

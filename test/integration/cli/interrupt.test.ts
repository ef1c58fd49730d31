/**
 * Terminals and signals: on a terminal 0 columns wide (`ssh -tt`, `docker exec -t`, some CI runners)
 * `sync` shows no spinner and finishes; SIGTERM or SIGINT during a sync stops it at once, releases
 * the lock, says so on stderr and exits 143 / 130.
 */
import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {ptyAvailable, startCliInPty} from '../../support/pty.js'
import {startSyncWorld, type SyncWorld} from '../sync/support.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

describe('sync on odd terminals and under signals', function () {
  this.timeout(90_000)
  let w: SyncWorld
  beforeEach(async () => {
    w = await startSyncWorld()
  })
  afterEach(async () => {
    await w.stop()
  })

  describe('on a pseudo-terminal', function () {
    before(function () {
      // A pseudo-terminal needs util-linux `script`; not every machine has it.
      if (!ptyAvailable()) {
        console.warn('      (skipped: no pseudo-terminal here: util-linux `script` is missing)')
        this.skip()
      }
    })

    it('0 columns wide: no spinner, the sync finishes (exit 0) without flooding the terminal', async () => {
      const run = await startCliInPty(['sync', '--config', w.configPath], {cols: 0, timeoutMs: 30_000}).done
      expect(run.timedOut, `hung; ${run.bytes} bytes written`).to.equal(false)
      expect(run.code, run.output.slice(-2000)).to.equal(0)
      expect(run.bytes).to.be.below(20_000)
      expect(run.output).to.contain('Created')
    })

    it('0 columns wide: SIGTERM during the sync ends it promptly (exit 143) and releases the lock', async () => {
      w.sim.faults.baseLatencyMs = 1000
      const cli = startCliInPty(['sync', '--config', w.configPath, '--log-level', 'debug'], {cols: 0, timeoutMs: 30_000})
      await waitUntil(() => cli.output().includes('configuration loaded'), 20_000)
      await new Promise((r) => setTimeout(r, 700))
      const sent = Date.now()
      process.kill(await cli.pid(), 'SIGTERM')
      const run = await cli.done
      expect(run.timedOut, `SIGTERM ignored; ${run.bytes} bytes written`).to.equal(false)
      expect(Date.now() - sent).to.be.below(5000)
      expect(run.code).to.equal(143)
      expect(run.output).to.match(/stopped by SIGTERM/)
      expect(existsSync(join(w.dir, 'sync.lock'))).to.equal(false)
    })
  })

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    it(`${signal} during a sync: stops, releases the lock, says so on stderr, exits ${code}`, async () => {
      w.sim.faults.baseLatencyMs = 1000
      const child = spawn(process.execPath, ['--import', 'tsx', 'bin/dev.js', 'sync', '--config', w.configPath, '--log-level', 'debug'], {
        cwd: ROOT,
        env: {...process.env, NO_COLOR: '1'},
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString()
      })
      const exited = new Promise<{code: null | number; signal: null | string}>((resolve) => {
        child.on('close', (c, s) => resolve({code: c, signal: s}))
      })
      await waitUntil(() => stderr.includes('configuration loaded'), 20_000)
      await new Promise((r) => setTimeout(r, 700))
      expect(existsSync(join(w.dir, 'sync.lock')), 'the lock is held during the sync').to.equal(true)
      const sent = Date.now()
      child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      const end = await exited
      clearTimeout(timer)
      expect(Date.now() - sent, 'stopped promptly').to.be.below(5000)
      expect(end, stderr.slice(-2000)).to.deep.equal({code, signal: null})
      expect(stderr).to.match(new RegExp(`sync stopped by ${signal}`))
      expect(existsSync(join(w.dir, 'sync.lock')), 'the lock released').to.equal(false)
      w.sim.faults.baseLatencyMs = 0
      const again = await w.cli(['sync', '--json'])
      expect(again.code, again.stderr).to.equal(0)
    })
  }
})

async function waitUntil(test: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

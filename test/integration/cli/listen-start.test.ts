/**
 * listen's first hour (issue 12): a broker down at start is waited for, not given up on (systemd's
 * restart limit would stop it for good); SIGTERM then ends it cleanly without claiming it had
 * started; a health port already in use is its own clear error.
 */
import {expect} from 'chai'
import {createServer} from 'node:net'

import {startCli} from '../../support/long-running-cli.js'
import {startSyncWorld, type SyncWorld} from '../sync/support.js'

describe('listen at start (real process)', function () {
  this.timeout(60_000)
  let w: SyncWorld
  before(async () => {
    w = await startSyncWorld()
  })
  after(async () => {
    await w?.stop()
  })

  const rmq = (port: number) => ({CONCERTIM_OS_RMQ_RMQ_ADDRESS: '127.0.0.1', CONCERTIM_OS_RMQ_RMQ_PASSWORD: 'guest', CONCERTIM_OS_RMQ_RMQ_PORT: String(port), CONCERTIM_OS_RMQ_RMQ_USERNAME: 'guest'})

  it('a broker that does not answer is waited for, said in the log; SIGTERM ends it with exit 0 and no "listening"', async () => {
    const cli = startCli(['listen', '--config', w.configPath, '--log-level', 'info'], rmq(1))
    await new Promise((r) => setTimeout(r, 12_000))
    expect(cli.child.exitCode, cli.stderr()).to.equal(null)
    expect(cli.stderr()).to.match(/connecting to RabbitMQ \(retrying until it answers\)/)
    const done = await cli.stop('SIGTERM')
    expect(done.code, done.stderr).to.equal(0)
    expect(done.stderr).to.match(/stopped before RabbitMQ answered/)
    expect(done.stderr).to.not.match(/"msg":"listening"|\blistening\b.*queue/)
  })

  it('a health port in use: exit 2 naming the port and what to do', async () => {
    const holder = createServer()
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', () => resolve()))
    const port = (holder.address() as {port: number}).port
    try {
      const cli = startCli(['listen', '--config', w.configPath, '--health-port', String(port)], rmq(1))
      const done = await new Promise<{code: null | number; stderr: string}>((resolve) => {
        cli.child.on('close', (code) => resolve({code, stderr: cli.stderr()}))
      })
      expect(done.code, done.stderr).to.equal(2)
      expect(done.stderr.replaceAll(/\s*\n\s*›?\s*/g, ' ')).to.match(new RegExp(`127.0.0.1:${port}: the port is in use`))
    } finally {
      holder.close()
    }
  })
})

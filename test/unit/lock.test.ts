import {expect} from 'chai'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {LockedError} from '../../src/lib/errors.js'
import {acquireRunLock} from '../../src/lib/lock.js'

describe('run lock (lib/lock)', () => {
  it('a second holder is refused with LockedError (exit 75) until the first releases', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-lock-'))
    const first = await acquireRunLock(join(dir, 'nested'), 'sync')
    try {
      await acquireRunLock(join(dir, 'nested'), 'sync')
      expect.fail('the second lock should be refused')
    } catch (error) {
      expect(error).to.be.instanceOf(LockedError)
      expect((error as LockedError).exitCode).to.equal(75)
      expect((error as Error).message).to.contain("another 'sync' is running")
    }
    await first.release()
    const again = await acquireRunLock(join(dir, 'nested'), 'sync')
    await again.release()
  })

  it('different names do not block each other', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-lock-'))
    const a = await acquireRunLock(dir, 'sync')
    const b = await acquireRunLock(dir, 'metrics-push')
    await Promise.all([a.release(), b.release()])
  })
})

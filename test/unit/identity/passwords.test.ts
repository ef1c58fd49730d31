import {expect} from 'chai'
import {mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {IdentityInputError} from '../../../src/lib/identity/errors.js'
import {checkPasswordOut, generatePassword, PasswordOut, readPasswordFile} from '../../../src/lib/identity/passwords.js'
import {redactText} from '../../../src/lib/output/redact.js'

describe('identity passwords', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cos-pw-'))
  })
  afterEach(() => rmSync(dir, {force: true, recursive: true}))

  it('a password file: its first line, registered for redaction', async () => {
    writeFileSync(join(dir, 'p'), 'Read-From-File-77\nsecond line\n')
    expect(await readPasswordFile(join(dir, 'p'))).to.equal('Read-From-File-77')
    expect(redactText('keystone said Read-From-File-77 is bad')).to.equal('keystone said *** is bad')
  })

  for (const [name, content] of [['empty', ''], ['a blank first line', '\nx\n']] as const) {
    it(`a password file with ${name} is bad input (exit 2)`, async () => {
      writeFileSync(join(dir, 'p'), content)
      const err = await readPasswordFile(join(dir, 'p')).catch((error: unknown) => error)
      expect(err).to.be.instanceOf(IdentityInputError)
      expect((err as IdentityInputError).exitCode).to.equal(2)
    })
  }

  it('an unreadable file names the path and the reason, nothing of its content', async () => {
    const err = await readPasswordFile(join(dir, 'absent')).catch((error: unknown) => error)
    expect((err as Error).message).to.equal(`cannot read the password file ${join(dir, 'absent')} (ENOENT)`)
  })

  it('generated: 32 URL-safe characters, different each time, masked in any text', () => {
    const a = generatePassword()
    expect(a).to.match(/^[\w-]{32}$/)
    expect(generatePassword()).not.to.equal(a)
    expect(redactText(`x ${a} y`)).to.equal('x *** y')
  })

  it('PasswordOut: one line per user in turn (concurrent callers), mode 0600, never an existing file', async () => {
    const path = join(dir, 'out')
    const out = new PasswordOut(path, 'lines')
    const got = await Promise.all(['a', 'b', 'c', 'd'].map(async (l) => [l, await out.next(l)]))
    await out.close()
    expect(readFileSync(path, 'utf8').trim().split('\n').sort()).to.deep.equal(got.map(([l, p]) => `${l} ${p}`).sort())
    expect(statSync(path).mode & 0o777).to.equal(0o600)
    expect(out.count).to.equal(4)
    const err = await checkPasswordOut(path).catch((error: unknown) => error)
    expect((err as Error).message).to.contain('exists already')
    const second = new PasswordOut(path, 'password')
    expect(await second.next('x').catch((error: unknown) => error)).to.be.instanceOf(IdentityInputError)
    expect(readFileSync(path, 'utf8').trim().split('\n')).to.have.length(4)
  })

  it('discard removes the file it wrote', async () => {
    const path = join(dir, 'one')
    const out = new PasswordOut(path, 'password')
    await out.next('alice')
    await out.discard()
    expect(() => statSync(path)).to.throw()
  })
})

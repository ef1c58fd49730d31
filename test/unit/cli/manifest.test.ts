import {expect} from 'chai'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {commandsFingerprint, isCurrent} from '../../../src/lib/cli/manifest.js'

describe('oclif manifest freshness (lib/cli/manifest)', () => {
  let root: string
  const write = (file: string, text: string) => {
    mkdirSync(join(root, file, '..'), {recursive: true})
    writeFileSync(join(root, file), text)
  }
  const manifest = (version: string, fingerprint?: string) => write('oclif.manifest.json', JSON.stringify({commands: {sync: {}}, version, ...(fingerprint === undefined ? {} : {build: {fingerprint}})}))

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'cos-manifest-'))
    write('package.json', JSON.stringify({name: 'x', version: '1.2.3'}))
    write('dist/commands/sync.js', 'export default class Sync {}')
  })
  afterEach(() => rmSync(root, {force: true, recursive: true}))

  it('is used only when written for this version and these built commands', () => {
    manifest('1.2.3', commandsFingerprint(root))
    expect(isCurrent(root)).to.equal(true)
  })

  it('is stale once a command is added, changed or removed, or the version moves', () => {
    manifest('1.2.3', commandsFingerprint(root))
    write('dist/commands/view/dump.js', 'export default class ViewDump {}')
    expect(isCurrent(root), 'a new command').to.equal(false)
    manifest('1.2.3', commandsFingerprint(root))
    write('dist/commands/sync.js', 'export default class Sync { static flags = {} }')
    expect(isCurrent(root), 'a changed command').to.equal(false)
    manifest('1.2.2', commandsFingerprint(root))
    expect(isCurrent(root), 'another version').to.equal(false)
  })

  it('without a fingerprint (e.g. written by `oclif manifest`) or without a manifest, it is not used', () => {
    expect(isCurrent(root)).to.equal(false)
    manifest('1.2.3')
    expect(isCurrent(root)).to.equal(false)
    write('oclif.manifest.json', '{not json')
    expect(isCurrent(root)).to.equal(false)
  })
})

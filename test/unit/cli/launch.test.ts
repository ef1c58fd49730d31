import {expect} from 'chai'

import {asksVersion, mayAskHelp, tunesHeapGrowth, versionLine} from '../../../src/lib/cli/launch.js'

describe('--version before oclif loads (lib/cli/launch)', () => {
  const pjson = {name: 'concertim-openstack-service', oclif: {}, version: '1.2.3'} as Parameters<typeof asksVersion>[1]

  for (const [host, line] of [
    [{arch: 'x64', nodeVersion: 'v20.20.2', platform: 'linux', release: '6.1.0-18-amd64'}, 'concertim-openstack-service/1.2.3 linux-x64 node-v20.20.2'],
    [{arch: 'arm64', nodeVersion: 'v22.1.0', platform: 'darwin', release: '23.4.0'}, 'concertim-openstack-service/1.2.3 darwin-arm64 node-v22.1.0'],
    [{arch: 'ia32', nodeVersion: 'v20.19.0', platform: 'win32', release: '10.0.19045'}, 'concertim-openstack-service/1.2.3 win32-x86 node-v20.19.0'],
    [{arch: 'x64', nodeVersion: 'v20.19.0', platform: 'linux', release: '5.15.153.1-microsoft-standard-WSL2'}, 'concertim-openstack-service/1.2.3 wsl-x64 node-v20.19.0'],
  ] as const) {
    it(`${host.platform} ${host.arch} ${host.release}: ${line}`, () => {
      expect(versionLine(pjson, host)).to.equal(line)
    })
  }

  it('is asked only by the first argument, as oclif has it (and by additionalVersionFlags)', () => {
    expect(asksVersion(['--version'], pjson)).to.equal(true)
    expect(asksVersion(['--version', 'x'], pjson)).to.equal(true)
    expect(asksVersion(['sync', '--version'], pjson)).to.equal(false)
    expect(asksVersion([], pjson)).to.equal(false)
    expect(asksVersion(['-v'], pjson)).to.equal(false)
    expect(asksVersion(['-v'], {...pjson, oclif: {additionalVersionFlags: ['-v']}})).to.equal(true)
  })
})

describe('heap growth of every command but the simulator (lib/cli/launch)', () => {
  for (const [argv, nodeOptions, execArgv, expected] of [
    [['sync'], undefined, [], true],
    [['metrics', 'push', '--json'], '', [], true],
    [['view', 'dump'], '--enable-source-maps', [], true],
    [['listen'], undefined, [], true],
    [['listen', '--queue', 'q'], '--max-old-space-size=512', [], true],
    [['serve'], undefined, [], true],
    [['sim'], undefined, [], false],
    [['sync'], '--heap-growing-percent=30', [], false],
    [['sync'], undefined, ['--heap_growing_percent=0'], false],
  ] as const) {
    it(`${argv.join(' ')} NODE_OPTIONS=${nodeOptions ?? '(unset)'} node ${execArgv.join(' ')}: ${expected ? 'set' : 'left alone'}`, () => {
      expect(tunesHeapGrowth(argv, nodeOptions, execArgv)).to.equal(expected)
    })
  }
})

describe('help before oclif loads (lib/cli/launch): only arguments that may ask for help load it', () => {
  const pjson = {name: 'concertim-openstack-service', oclif: {additionalHelpFlags: ['-h']}, version: '1.2.3'} as Parameters<typeof mayAskHelp>[1]
  for (const [argv, expected] of [
    [[], true],
    [['--help'], true],
    [['sync', '-h'], true],
    [['help', 'sync'], true],
    [['sync'], false],
    [['sync', '--dry-run'], false],
    [['--help', 'sync'], false],
    [['--version'], false],
  ] as const) {
    it(`${argv.join(' ') || '(nothing)'}: ${expected}`, () => {
      expect(mayAskHelp(argv, pjson)).to.equal(expected)
    })
  }
})

import {expect} from 'chai'

import {decodeLegacyValue, decodeMetadata, looksLikePythonRepr, parsePythonLiteral} from '../../../src/lib/concertim/legacy.js'
import type {JsonValue} from '../../../src/lib/concertim/types.js'

describe('legacy Python-repr values (lib/concertim/legacy)', () => {
  describe('decodeLegacyValue: what the original service wrote', () => {
    const cases: [string, JsonValue][] = [
      // constants
      ['None', null],
      ['True', true],
      ['False', false],
      // lists of IPs, as public_ips / private_ips / net_interfaces
      ["['10.0.0.5']", ['10.0.0.5']],
      ["['10.0.0.5', '192.168.1.7']", ['10.0.0.5', '192.168.1.7']],
      ['[]', []],
      ['[ ]', []],
      ["['a',]", ['a']],
      // dicts
      ['{}', {}],
      ["{'net1': ['10.0.0.5']}", {net1: ['10.0.0.5']}],
      ["{'net1': ['10.0.0.5'], 'net2': []}", {net1: ['10.0.0.5'], net2: []}],
      ["{'id': 'abc', 'size': 10, 'bootable': False, 'zone': None}", {bootable: false, id: 'abc', size: 10, zone: null}],
      ["{'a': {'b': {'c': [1, 2, {'d': True}]}}}", {a: {b: {c: [1, 2, {d: true}]}}}],
      ["{'k': 1,}", {k: 1}],
      // non-string keys become strings
      ["{1: 'one', None: 'n', True: 't', 2.5: 'f'}", {'1': 'one', '2.5': 'f', None: 'n', True: 't'}],
      // tuples (openstack_stack_output is the repr of a list of (key, dict) tuples)
      ["[('k1', {'output_key': 'k1', 'output_value': '1.2.3.4', 'description': 'IP'})]", [['k1', {description: 'IP', output_key: 'k1', output_value: '1.2.3.4'}]]],
      ['()', []],
      ['(1,)', [1]],
      ['(1)', 1],
      ["('a', 'b')", ['a', 'b']],
      // sets become arrays
      ["{'x', 'y'}", ['x', 'y']],
      ['{1,}', [1]],
      // numbers
      ['42', 42],
      ['-7', -7],
      ['+3', 3],
      ['0', 0],
      ['3.5', 3.5],
      ['-0.25', -0.25],
      ['.5', 0.5],
      ['5.', 5],
      ['1e3', 1000],
      ['1.5E-2', 0.015],
      ['1_000', 1000],
      ['0x1F', 31],
      ['0o17', 15],
      ['0b101', 5],
      ['[-1, -2.5]', [-1, -2.5]],
      ['12345678901234567890', '12345678901234567890'],
      // strings and escapes
      ["'plain'", 'plain'],
      ['"double"', 'double'],
      [String.raw`'it\'s'`, "it's"],
      [`"it's"`, "it's"],
      [String.raw`'a\\b'`, String.raw`a\b`],
      [String.raw`'line1\nline2\ttab'`, 'line1\nline2\ttab'],
      [String.raw`'\x41\u00e9\U0001F600'`, 'Aé😀'],
      [String.raw`'\101'`, 'A'],
      [String.raw`'\d'`, String.raw`\d`],
      [String.raw`r'\n'`, String.raw`\n`],
      ["u'unicode'", 'unicode'],
      ["b'bytes'", 'bytes'],
      ["'a' 'b'", 'ab'],
      ["'''triple ' quoted'''", "triple ' quoted"],
      ["'ünïcödé'", 'ünïcödé'],
      // whitespace
      ["  [ 'a' ,\n 'b' ]  ", ['a', 'b']],
      // not literals: returned unchanged
      ['', ''],
      ['   ', '   '],
      ['abc', 'abc'],
      ['ACTIVE', 'ACTIVE'],
      ['none', 'none'],
      ['true', 'true'],
      ['1.1.1.1, 2.2.2.2', '1.1.1.1, 2.2.2.2'],
      ['10.0.0.5', '10.0.0.5'],
      ["k1={'output_key': 'k1'}, k2={'a': 1}", "k1={'output_key': 'k1'}, k2={'a': 1}"],
      ["datetime.datetime(2024, 1, 1, 0, 0)", 'datetime.datetime(2024, 1, 1, 0, 0)'],
      ["__import__('os').system('rm -rf /')", "__import__('os').system('rm -rf /')"],
      ["[x for x in range(3)]", '[x for x in range(3)]'],
      ['nan', 'nan'],
      ['inf', 'inf'],
      ['1j', '1j'],
      ['1 + 2', '1 + 2'],
      ['--1', '--1'],
      ['007', '007'],
      ['1__0', '1__0'],
      ['1e', '1e'],
      ['0x', '0x'],
      ['.', '.'],
      ['5..', '5..'],
      // malformed brackets and strings
      ["['10.0.0.5'", "['10.0.0.5'"],
      ["'10.0.0.5']", "'10.0.0.5']"],
      ["{'a': }", "{'a': }"],
      ["{'a' 1}", "{'a' 1}"],
      ["{'a': 1, 'b'}", "{'a': 1, 'b'}"],
      ['[1 2]', '[1 2]'],
      ['[,]', '[,]'],
      ['[1,,2]', '[1,,2]'],
      ['(,)', '(,)'],
      ["'unterminated", "'unterminated"],
      ['"mixed\'', '"mixed\''],
      ["'a\nb'", "'a\nb'"],
      [String.raw`'\x4'`, String.raw`'\x4'`],
      [String.raw`'\U00110000'`, String.raw`'\U00110000'`],
      ["{[1]: 2}", '{[1]: 2}'],
      ["['a'] ['b']", "['a'] ['b']"],
      ['None None', 'None None'],
      ['[1];', '[1];'],
      ['@', '@'],
    ]
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
        expect(decodeLegacyValue(input)).to.deep.equal(expected)
      })
    }

    it('refuses hostile nesting without exhausting the stack', () => {
      const deep = '['.repeat(10_000) + ']'.repeat(10_000)
      expect(decodeLegacyValue(deep)).to.equal(deep)
      const ok = '['.repeat(20) + ']'.repeat(20)
      expect(decodeLegacyValue(ok)).to.be.an('array')
    })
  })

  describe('parsePythonLiteral', () => {
    it('throws on what is not a literal', () => {
      expect(() => parsePythonLiteral('os.system')).to.throw()
      expect(() => parsePythonLiteral('[1')).to.throw()
    })
  })

  describe('looksLikePythonRepr', () => {
    const cases: [string, boolean][] = [
      ["['a']", true],
      ['{}', true],
      ["('a', 1)", true],
      ['None', true],
      [' True ', true],
      ['False', true],
      ["'quoted'", true],
      ['"quoted"', true],
      ['42', false],
      ['abc', false],
      ['', false],
      ["'", false],
      ['[unbalanced', false],
      ['1.1.1.1, 2.2.2.2', false],
    ]
    for (const [input, expected] of cases) {
      it(`${JSON.stringify(input)} → ${expected}`, () => {
        expect(looksLikePythonRepr(input)).to.equal(expected)
      })
    }
  })

  describe('decodeMetadata', () => {
    it('decodes repr-looking metadata and details values, leaves the rest as it was', () => {
      const device = {
        details: {login_user: 'None', private_ips: "['10.0.0.5']", public_ips: '1.1.1.1', ssh_key: 'my-key', volume_details: "{'vol-1': 'vda'}"},
        id: 'd1',
        metadata: {
          net_interfaces: "['net1', 'net2']",
          openstack_instance_id: '7c9e-1',
          openstack_stack_id: '11aa-2',
          real_json: {already: "['json']"},
          size: '42',
          weird: '[broken',
        },
        name: "['not-touched']",
      }
      const out = decodeMetadata(device)
      expect(out.metadata).to.deep.equal({
        net_interfaces: ['net1', 'net2'],
        openstack_instance_id: '7c9e-1',
        openstack_stack_id: '11aa-2',
        real_json: {already: "['json']"},
        size: '42',
        weird: '[broken',
      })
      expect(out.details).to.deep.equal({login_user: null, private_ips: ['10.0.0.5'], public_ips: '1.1.1.1', ssh_key: 'my-key', volume_details: {'vol-1': 'vda'}})
      expect(out.name).to.equal("['not-touched']")
      // the input is not modified
      expect(device.metadata.net_interfaces).to.equal("['net1', 'net2']")
    })

    it('works on a record with metadata only (a rack)', () => {
      const rack = {id: 'r1', metadata: {openstack_stack_output: "[('ip', {'output_value': '1.2.3.4'})]", stack_status_reason: 'Stack CREATE completed successfully'}}
      expect(decodeMetadata(rack).metadata).to.deep.equal({
        openstack_stack_output: [['ip', {output_value: '1.2.3.4'}]],
        stack_status_reason: 'Stack CREATE completed successfully',
      })
    })
  })
})

import {expect} from 'chai'

import {documentBytes, type FileDocument} from '../../../src/lib/store/file.js'

describe('view store file: the document\'s bytes', () => {
  const doc = (): FileDocument => ({
    entries: {
      '10': {object: 'device'},
      '2': {nested: {deep: [1, 'two', null]}},
      'device:a"b\\c': {name: 'é ☃ \u2028 😀', status: 'ACTIVE'},
      'rack:x': {name: 'x', status: null},
    },
    notes: {'listen-watermark:server:1': {entry: {deleted: false, version: 3}, expiresAt: 1_700_000_000_000}},
    values: {lastSync: '2026-12-04T00:00:00.000Z', members: {a: [1, 2]}},
    version: 1,
  })

  it('are the UTF-8 of JSON.stringify (key order, escapes, integer-like keys, notes, values, empty sections)', () => {
    const d = doc()
    expect(documentBytes(d, new WeakMap()).toString('utf8')).to.equal(JSON.stringify(d))
    const empty: FileDocument = {entries: {}, notes: {}, values: {}, version: 1}
    expect(documentBytes(empty, new WeakMap()).toString('utf8')).to.equal(JSON.stringify(empty))
  })

  it('leave out what has no JSON, as JSON.stringify does', () => {
    const d = doc()
    d.entries.gone = undefined as never
    d.entries.first = undefined as never
    expect(documentBytes(d, new WeakMap()).toString('utf8')).to.equal(JSON.stringify(d))
  })

  it('serialise an entry once: later documents copy its bytes, and serialise only the new objects', () => {
    const pieces = new WeakMap<object, {bytes: Buffer; key: string}>()
    const d = doc()
    documentBytes(d, pieces)
    // A stand-in for what was remembered shows that it is not serialised again…
    pieces.set(d.entries['rack:x'], {bytes: Buffer.from('"rack:x":{"remembered":true}'), key: 'rack:x'})
    // …while a change puts a new object, which is; and an object under another key is serialised for it.
    const next: FileDocument = {...d, entries: {...d.entries, 'device:new': {status: 'STOPPED'}, 'rack:y': d.entries['rack:x']}}
    const parsed = JSON.parse(documentBytes(next, pieces).toString('utf8')) as FileDocument
    expect(parsed.entries['rack:x']).to.deep.equal({remembered: true})
    expect(parsed.entries['rack:y']).to.deep.equal({name: 'x', status: null})
    expect(parsed.entries['device:new']).to.deep.equal({status: 'STOPPED'})
  })
})

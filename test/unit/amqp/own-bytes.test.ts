import {expect} from 'chai'

import {ownBytes} from '../../../src/lib/amqp/consumer.js'

describe('a message body held until it is settled (amqp/consumer ownBytes)', () => {
  it('a body that is a slice of the socket\'s read chunk (as amqplib gives a one-frame body) is copied out: the chunk can go', () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    chunk.write('{"oslo.message":"…"}', 100)
    const body = chunk.subarray(100, 100 + Buffer.byteLength('{"oslo.message":"…"}'))
    const own = ownBytes(body)
    expect(own.toString('utf8')).to.equal('{"oslo.message":"…"}')
    expect(own.buffer).to.not.equal(chunk.buffer)
    expect(own.buffer.byteLength).to.equal(own.byteLength)
    chunk.fill(0)
    expect(own.toString('utf8')).to.equal('{"oslo.message":"…"}')
  })

  it('a body with memory of its own (several frames, concatenated by amqplib) is kept as it is', () => {
    const body = Buffer.from(new Uint8Array(Buffer.from('{"a":1}')).buffer)
    expect(ownBytes(body)).to.equal(body)
  })

  it('an empty body stays empty', () => {
    expect(ownBytes(Buffer.alloc(64).subarray(3, 3)).byteLength).to.equal(0)
  })
})

/**
 * The real RabbitMQ for listen's tests: a vhost of its own per test (rabbitmqctl), exchanges
 * declared the way oslo.messaging declares them, publishing with confirms, queue inspection.
 */
import {execFile} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {promisify} from 'node:util'

import amqp from 'amqplib'

import {AMQP_URL} from '../../support/services.js'

const run = promisify(execFile)

export async function rabbitmqctl(...args: string[]): Promise<string> {
  const {stdout} = await run('rabbitmqctl', args, {timeout: 60_000})
  return stdout
}

export interface TestVhost {
  drop(): Promise<void>
  name: string
  url: string
}

export async function createVhost(prefix = 'listen-test'): Promise<TestVhost> {
  const name = `${prefix}-${randomBytes(4).toString('hex')}`
  await rabbitmqctl('add_vhost', name)
  await rabbitmqctl('set_permissions', '-p', name, 'guest', '.*', '.*', '.*')
  const base = new URL(AMQP_URL)
  base.pathname = `/${encodeURIComponent(name)}`
  return {
    async drop() {
      await rabbitmqctl('delete_vhost', name).catch(() => undefined)
    },
    name,
    url: base.toString(),
  }
}

/** Declare exchanges as oslo does (topic, not durable, not auto-deleted). */
export async function declareOsloExchanges(url: string, names: readonly string[], durable = false): Promise<void> {
  const conn = await amqp.connect(url)
  try {
    const ch = await conn.createChannel()
    for (const n of names) await ch.assertExchange(n, 'topic', {autoDelete: false, durable})
    await ch.close()
  } finally {
    await conn.close()
  }
}

export class Publisher {
  private constructor(
    private readonly conn: amqp.ChannelModel,
    private readonly ch: amqp.ConfirmChannel,
  ) {}

  /** Like oslo's notifier, declare the exchanges it publishes on (after a broker restart they are gone: oslo's are not durable). */
  static async open(url: string, declare: readonly string[] = [], durable = false): Promise<Publisher> {
    const conn = await amqp.connect(url)
    conn.on('error', () => undefined)
    const ch = await conn.createConfirmChannel()
    ch.on('error', () => undefined)
    for (const e of declare) await ch.assertExchange(e, 'topic', {autoDelete: false, durable})
    return new Publisher(conn, ch)
  }

  async close(): Promise<void> {
    await this.ch.close().catch(() => undefined)
    await this.conn.close().catch(() => undefined)
  }

  async confirm(): Promise<void> {
    await this.ch.waitForConfirms()
  }

  async publish(exchange: string, routingKey: string, body: Buffer | string, confirm = true): Promise<void> {
    this.ch.publish(exchange, routingKey, Buffer.isBuffer(body) ? body : Buffer.from(body), {contentEncoding: 'utf-8', contentType: 'application/json', deliveryMode: 2, headers: {}, priority: 0})
    if (confirm) await this.ch.waitForConfirms()
  }
}

/** Messages ready in a queue (passive check), or undefined when it does not exist. */
export async function queueDepth(url: string, queue: string): Promise<number | undefined> {
  const conn = await amqp.connect(url)
  conn.on('error', () => undefined)
  try {
    const ch = await conn.createChannel()
    ch.on('error', () => undefined)
    const ok = await ch.checkQueue(queue).catch(() => undefined)
    await ch.close().catch(() => undefined)
    return ok?.messageCount
  } finally {
    await conn.close().catch(() => undefined)
  }
}

/** Take every message of a queue (acked), with its headers. */
export async function drainQueue(url: string, queue: string): Promise<{body: string; headers: Record<string, unknown>}[]> {
  const conn = await amqp.connect(url)
  const out: {body: string; headers: Record<string, unknown>}[] = []
  try {
    const ch = await conn.createChannel()
    for (;;) {
      const m = await ch.get(queue)
      if (m === false) break
      out.push({body: m.content.toString(), headers: (m.properties.headers ?? {}) as Record<string, unknown>})
      ch.ack(m)
    }
    await ch.close()
  } finally {
    await conn.close()
  }
  return out
}

export async function until(test: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

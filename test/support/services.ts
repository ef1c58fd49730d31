/**
 * Real services for integration tests. In CI (CI=true) they must be there: a missing one fails the
 * run. Elsewhere a test needing a missing service is skipped with a loud message.
 */
import {createConnection} from 'node:net'

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/15'
export const AMQP_URL = process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672'

async function listening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host, port})
    socket.setTimeout(1000)
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
    socket.once('timeout', () => {
      socket.destroy()
      resolve(false)
    })
  })
}

/** Call in a `before` hook: skips the suite (or fails it in CI) when the service is not listening. */
export async function requireService(ctx: Mocha.Context, name: string, url: string): Promise<void> {
  const u = new URL(url)
  const port = Number(u.port || (u.protocol.startsWith('redis') ? 6379 : 5672))
  if (await listening(u.hostname, port)) return
  if (process.env.CI) throw new Error(`${name} is not listening on ${u.hostname}:${port}; CI must provide it`)
  console.warn(`\n  !!! SKIPPING: ${name} is not listening on ${u.hostname}:${port} — these tests did not run !!!\n`)
  ctx.skip()
}

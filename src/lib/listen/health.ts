/**
 * `--health-port`: `GET /healthz` answers 200 while connected to RabbitMQ and consuming, 503
 * otherwise (with the reason), for systemd or Kubernetes probes — and 503 too when the exchanges
 * exist with other flags than `listen.declare_exchanges_durable` says (OpenStack's notifications
 * would be dropped after a broker restart). Loopback by default; `node:http`.
 */
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'

import {AppError} from '../errors.js'
import {ExitCode} from '../exit-codes.js'

export interface HealthReport {
  /** Notification exchanges our queue is bound to (absent: not known, not checked). */
  boundExchanges?: number
  connected: boolean
  consuming: boolean
  exchangeFlagMismatch?: readonly string[]
  [key: string]: unknown
}

export function healthStatus(r: HealthReport): {body: Record<string, unknown>; code: number} {
  const mismatch = r.exchangeFlagMismatch ?? []
  // Healthy means consuming from a queue something can reach: with no exchange bound, nothing arrives.
  const unbound = r.boundExchanges === 0
  const ok = r.connected && r.consuming && !unbound && mismatch.length === 0
  const reason = ok
    ? undefined
    : !r.connected
      ? 'not connected to RabbitMQ'
      : !r.consuming
        ? 'not consuming'
        : unbound
          ? "no notification exchange is bound to the queue (every one of listen.exchanges is missing): OpenStack's notifications do not reach it"
          : `exchanges ${mismatch.join(', ')} exist with other flags than listen.declare_exchanges_durable says: after a broker restart OpenStack's notifications on them would be dropped`
  return {body: {status: ok ? 'ok' : 'unavailable', ...(reason ? {reason} : {}), ...r}, code: ok ? 200 : 503}
}

export interface HealthServer {
  close(): Promise<void>
  port: number
}

export async function startHealthServer(port: number, host: string, report: () => HealthReport): Promise<HealthServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, {allow: 'GET, HEAD'}).end()
      return
    }
    if (path !== '/healthz' && path !== '/readyz') {
      res.writeHead(404, {'content-type': 'application/json'}).end('{"error":"not found: try /healthz"}\n')
      return
    }
    const {body, code} = healthStatus(report())
    res.writeHead(code, {'cache-control': 'no-store', 'content-type': 'application/json'}).end(`${JSON.stringify(body)}\n`)
  })
  server.keepAliveTimeout = 1000
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new AppError(`the health endpoint cannot listen on ${host}:${port}: ${error.code === 'EADDRINUSE' ? 'the port is in use (another listen?)' : 'not allowed'}`, {
              cause: error,
              code: 'E_HEALTH_PORT',
              exitCode: ExitCode.USAGE,
              hint: 'choose another port with --health-port or listen.health_port (0 picks a free one), or stop what holds it',
            })
          : error,
      )
    })
    server.listen(port, host, () => {
      server.removeAllListeners('error')
      resolve()
    })
  })
  return {
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    port: (server.address() as AddressInfo).port,
  }
}

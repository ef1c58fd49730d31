/**
 * A tiny programmable HTTP server on 127.0.0.1 for tests of the HTTP layer and clients: each
 * request is answered by the handler given, and every request is recorded.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

export interface Recorded {
  body: string
  headers: IncomingMessage['headers']
  method: string
  url: string
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => Promise<void> | void

export class LocalServer {
  inFlight = 0
  maxInFlight = 0
  readonly requests: Recorded[] = []
  private server?: Server

  constructor(private handler: Handler) {}

  get url(): string {
    const {port} = this.server!.address() as AddressInfo
    return `http://127.0.0.1:${port}`
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8')
        this.requests.push({body, headers: req.headers, method: req.method ?? 'GET', url: req.url ?? '/'})
        this.inFlight++
        this.maxInFlight = Math.max(this.maxInFlight, this.inFlight)
        res.on('close', () => {
          this.inFlight--
        })
        Promise.resolve(this.handler(req, res, body, this.requests.length)).catch((error: unknown) => {
          res.writeHead(500)
          res.end(String(error))
        })
      })
    })
    await new Promise<void>((resolve) => {
      this.server!.listen(0, '127.0.0.1', () => resolve())
    })
    return this
  }

  async stop(): Promise<void> {
    if (!this.server) return
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => {
      this.server!.close(() => resolve())
    })
  }

  use(handler: Handler): void {
    this.handler = handler
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {'Content-Type': 'application/json', ...headers})
  res.end(JSON.stringify(body))
}

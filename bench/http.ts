/**
 * Cost of the HTTP layer itself: `npm run bench -- http [--requests 20000] [--concurrency 32]
 * [--warmup 2000] [--methods put,get]` (one method alone, e.g. to profile it).
 *
 * A trivial server runs in a child process (plain Node, no tsx), so that the CPU measured here is
 * the client's alone. N keep-alive PUTs (an MRD-like metric body, `{"status":200}` back) and then N
 * GETs go through one `HttpClient`, `concurrency` at a time. Prints JSON per method: requests/s, CPU
 * µs per request (`process.cpuUsage`, user + system) and this process's peak RSS.
 */
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import type {Readable} from 'node:stream'

import {CallLedger, HttpClient} from '../src/lib/http/index.js'

/** The server: plain JavaScript, answers every request once its body has arrived. */
const SERVER = `
import {createServer} from 'node:http'
const reply = Buffer.from('{"status":200}\\n')
const server = createServer({keepAliveTimeout: 60_000}, (req, res) => {
  req.resume()
  req.on('end', () => {
    res.writeHead(200, {'Content-Length': reply.length, 'Content-Type': 'application/json'})
    res.end(reply)
  })
})
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'))
`

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback
}

async function firstLine(stream: Readable): Promise<string> {
  let text = ''
  for await (const chunk of stream) {
    text += String(chunk)
    if (text.includes('\n')) break
  }
  return text.trim()
}

async function drive(n: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < n) await one(next++)
  }
  await Promise.all(Array.from({length: concurrency}, worker))
}

interface Figures {
  cpuUsPerRequest: number
  requests: number
  requestsPerSecond: number
  wallMs: number
}

async function measure(n: number, concurrency: number, one: (i: number) => Promise<unknown>): Promise<Figures> {
  const cpu = process.cpuUsage()
  const started = performance.now()
  await drive(n, concurrency, one)
  const wallMs = performance.now() - started
  const used = process.cpuUsage(cpu)
  return {
    cpuUsPerRequest: Math.round(((used.user + used.system) / n) * 10) / 10,
    requests: n,
    requestsPerSecond: Math.round(n / (wallMs / 1000)),
    wallMs: Math.round(wallMs),
  }
}

export async function run(args: string[]): Promise<void> {
  const n = Number(option(args, 'requests', '20000'))
  const concurrency = Number(option(args, 'concurrency', '32'))
  const warmup = Number(option(args, 'warmup', '2000'))
  const methods = option(args, 'methods', 'put,get').split(',')
  const server = spawn(process.execPath, ['--input-type=module', '-e', SERVER], {stdio: ['ignore', 'pipe', 'inherit']})
  try {
    const port = Number(await firstLine(server.stdout))
    const ledger = new CallLedger()
    const client = new HttpClient({baseURL: `http://127.0.0.1:${port}`, ledger, settings: {maxInFlightPerHost: concurrency}, system: 'bench'})
    const put = async (i: number) =>
      client.put(`/device-${i % 1000}/metrics`, {name: 'cpu_load', slope: 'both', ttl: 300, type: 'double', units: '%', value: i / 7}, {accept: [400, 404, 422], headers: {Authorization: 'Bearer abc.def.ghi'}})
    const get = async (i: number) => client.get(`/device-${i % 1000}/status`)
    const figures: Record<string, Figures> = {}
    for (const [method, one] of [['put', put], ['get', get]] as const) {
      if (!methods.includes(method)) continue
      await drive(warmup, concurrency, one)
      figures[method] = await measure(n, concurrency, one)
    }
    const calls = ledger.total('bench')
    const expected = Object.keys(figures).length * (warmup + n)
    if (calls !== expected) throw new Error(`the ledger counted ${calls} calls, expected ${expected}`)
    console.log(
      JSON.stringify(
        {
          concurrency,
          ...figures,
          node: process.version,
          peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
          scenario: 'http',
        },
        null,
        2,
      ),
    )
  } finally {
    server.kill()
    await once(server, 'exit')
  }
}

/**
 * Simulator costs on cloud-10k, printed as JSON: generation time, start-up time, and listing all
 * 10,000 servers at 1,000 per page (wall time, and the simulator's own handler time per page), and
 * this process's peak RSS (the simulator's, as it runs beside the CLI in the other scenarios).
 * Run: npm run bench -- sim
 */
import {generateCloud} from '../src/sim/generator.js'
import {startSimulator} from '../src/sim/index.js'

export async function run(): Promise<void> {
  const t0 = performance.now()
  const cloud = generateCloud({preset: 'cloud-10k'})
  const generateMs = performance.now() - t0

  const t1 = performance.now()
  const sim = await startSimulator({preset: 'cloud-10k'})
  const startMs = performance.now() - t1

  const cfg = sim.config()
  const auth = await fetch(`${cfg.openstack.auth_url}/auth/tokens`, {
    body: JSON.stringify({
      auth: {
        identity: {methods: ['password'], password: {user: {domain: {name: 'Default'}, name: cfg.openstack.username, password: cfg.openstack.password}}},
        scope: {project: {domain: {name: 'Default'}, name: cfg.openstack.project_name}},
      },
    }),
    headers: {'content-type': 'application/json'},
    method: 'POST',
  })
  const token = auth.headers.get('x-subject-token') ?? ''

  const before = sim.stats().nova
  const t2 = performance.now()
  let url: string | undefined = `${sim.endpoints.nova}/v2.1/servers/detail?all_tenants=1&limit=1000`
  let pages = 0
  let servers = 0
  let bytes = 0
  while (url) {

    const res = await fetch(url, {headers: {'OpenStack-API-Version': 'compute 2.100', 'x-auth-token': token}})

    const text = await res.text()
    bytes += text.length
    const body = JSON.parse(text) as {servers: unknown[]; servers_links?: {href: string}[]}
    pages++
    servers += body.servers.length
    url = body.servers_links?.[0]?.href
  }
  const listMs = performance.now() - t2
  const after = sim.stats().nova
  await sim.stop()

  console.log(
    JSON.stringify(
      {
        'cloud-10k': {
          flavors: cloud.world.flavors.size,
          gnocchiMetrics: cloud.world.gnocchiMetrics.size,
          networks: cloud.world.networks.size,
          servers: cloud.world.servers.size,
          stacks: cloud.world.stacks.all().filter((s) => s.parentId === null).length,
          volumes: cloud.world.volumes.size,
        },
        generateMs: Math.round(generateMs),
        listServers: {
          bytes,
          handlerMsPerPage: Math.round(((after.handlerMs - before.handlerMs) / (after.requests - before.requests)) * 10) / 10,
          pages,
          servers,
          wallMs: Math.round(listMs),
        },
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        startMs: Math.round(startMs),
      },
      null,
      2,
    ),
  )
}

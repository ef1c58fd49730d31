/**
 * Simulated Glance (image API v2), the little `python3-openstackclient` needs to name a server's
 * image in `server list`: the version document (300 at `/`), image listing (`id=in:a,b` filter,
 * `limit`/`marker` with `next`) and image show. The images are those the servers were booted from.
 * Shapes as the minicloud's glance 25 (Zed) answers.
 */
import {SimApp, type SimReply, type SimRequest} from '../http-app.js'
import type {World} from '../world.js'
import {authed, baseUrl, isoSeconds, type ServiceOptions} from './context.js'

const EPOCH = Date.UTC(2025, 0, 1)

export function createGlanceApp(world: World, opts: ServiceOptions): SimApp {
  const app = new SimApp('glance', opts.faults)
  const versions = (r: SimRequest) => ({versions: ['2.15', '2.13', '2.12'].map((v, i) => ({id: `v${v}`, links: [{href: `${baseUrl(r)}/v2/`, rel: 'self'}], status: i === 0 ? 'CURRENT' : 'SUPPORTED'}))})
  app.route('GET', '/', (r) => ({body: versions(r), status: 300}))
  app.route('GET', '/versions', (r) => ({body: versions(r), status: 200}))

  const images = (): string[] => [...new Set([...world.servers.all(), ...world.serverTombstones.values()].map((s) => s.imageId))].sort()
  app.route('GET', '/v2/images', authed(world, 'glance', opts, (r) => {
    const q = r.query
    let ids = images()
    const idFilter = q.get('id')
    if (idFilter !== null) {
      const wanted = new Set(idFilter.startsWith('in:') ? idFilter.slice(3).split(',') : [idFilter])
      ids = ids.filter((id) => wanted.has(id))
    }
    const name = q.get('name')
    if (name !== null) ids = ids.filter((id) => imageName(id) === name)
    const marker = q.get('marker')
    if (marker !== null) {
      const at = ids.indexOf(marker)
      if (at < 0 && !images().includes(marker)) return glanceError(400, `marker ${marker} could not be found.`)
      ids = ids.filter((id) => id > marker)
    }
    const limit = Math.min(Number(q.get('limit') ?? 25) || 25, 1000)
    const page = ids.slice(0, limit)
    const body: Record<string, unknown> = {first: '/v2/images', images: page.map((id) => imageView(id)), schema: '/v2/schemas/images'}
    if (ids.length > limit) {
      const next = new URLSearchParams(q)
      next.set('marker', page.at(-1) ?? '')
      body.next = `/v2/images?${next.toString()}`
    }
    return {body, status: 200}
  }))
  app.route('GET', '/v2/images/:id', authed(world, 'glance', opts, (r) => {
    if (!images().includes(r.params.id)) return glanceError(404, `No image found with ID ${r.params.id}`)
    return {body: imageView(r.params.id), status: 200}
  }))
  app.notFound(() => glanceError(404, 'The resource could not be found.'))
  return app
}

function imageName(id: string): string {
  return id === '70a599e0-31e7-49b7-b260-868f441e862b' ? 'cirros' : `image-${id.slice(0, 8)}`
}

function imageView(id: string): Record<string, unknown> {
  return {
    checksum: 'd41d8cd98f00b204e9800998ecf8427e',
    container_format: 'bare',
    created_at: isoSeconds(EPOCH),
    disk_format: 'qcow2',
    file: `/v2/images/${id}/file`,
    id,
    min_disk: 0,
    min_ram: 0,
    name: imageName(id),
    os_hash_algo: 'sha512',
    os_hash_value: 'cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e',
    os_distro: 'cirros',
    os_hidden: false,
    owner: null,
    // Set by openstacksdk on upload (`openstack image create`), as on the minicloud's image.
    'owner_specified.openstack.md5': '',
    'owner_specified.openstack.object': `images/${imageName(id)}`,
    'owner_specified.openstack.sha256': '',
    protected: false,
    schema: '/v2/schemas/image',
    self: `/v2/images/${id}`,
    size: 16_338_944,
    status: 'active',
    stores: 'file',
    tags: [],
    updated_at: isoSeconds(EPOCH),
    virtual_size: null,
    visibility: 'public',
  }
}

/** Glance's (webob) error body. */
function glanceError(code: number, message: string): SimReply {
  const title = code === 404 ? 'Not Found' : 'Bad Request'
  return {body: {message: `${message}<br /><br />\n\n\n`, code: `${code} ${title}`, title}, status: code}
}

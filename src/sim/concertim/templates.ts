/**
 * `/api/v1/templates` (reference/concertim-api.md §5.4, model rules §4.5).
 */
import {ModelErrors} from './model-errors.js'
import {castInteger} from './placement.js'
import {templateJson} from './presenters.js'
import {deleted, forbidden, ok, recordNotFound, routeNotFound, unprocessable} from './responses.js'
import {apiRoute, castString, permit, permitHash, recurse, requireParams, UncaughtError, type ApiContext} from './routing.js'
import {defaultImages, type ConcertimState, type JsonObject, type TemplateImages, type TemplateRecord} from './state.js'

const CREATE_KEYS = ['name', 'description', 'height', 'foreign_id', 'vcpus', 'ram', 'disk', 'version', 'tag', 'schema_version']
const UPDATE_KEYS = ['name', 'description', 'foreign_id', 'vcpus', 'ram', 'disk']

interface TemplateCandidate {
  depth: number
  description: unknown
  disk: unknown
  foreign_id: unknown
  height: unknown
  images: TemplateImages | null
  name: unknown
  ram: unknown
  tag: unknown
  vcpus: unknown
  version: unknown
}

export function templateRoutes(ctx: ApiContext): void {
  const {state} = ctx
  apiRoute(ctx, 'GET', '/api/v1/templates', () =>
    ok([...state.templates.values()].filter((t) => t.rackable === 'rackable').map((t) => templateJson(t))),
  )
  ctx.app.route('GET', '/api/v1/templates/:id', routeNotFound)

  apiRoute(ctx, 'POST', '/api/v1/templates', (r, user) => {
    const required = requireParams(r, 'template')
    if (required.reply) return required.reply
    const params = permit(required.params, CREATE_KEYS)
    if ('schema_version' in params) throw new UncaughtError('ActiveModel::UnknownAttributeError', "unknown attribute 'schema_version' for Template.")
    if (!user.root) return forbidden()
    const height = castInteger(params.height)
    const images = imagesParam(required.params) ?? (height === undefined ? null : defaultImages(height))
    const candidate: TemplateCandidate = {
      depth: 2,
      description: params.description,
      disk: params.disk,
      foreign_id: params.foreign_id,
      height: params.height,
      images,
      name: params.name,
      ram: params.ram,
      tag: params.tag,
      vcpus: params.vcpus,
      version: params.version ?? 1,
    }
    const errors = validateTemplate(state, candidate)
    if (!errors.empty) return unprocessable(errors.asJson())
    const template = state.addTemplate({
      description: castString(candidate.description),
      disk: castInteger(candidate.disk) ?? null,
      foreign_id: castString(candidate.foreign_id),
      height: height ?? 1,
      images,
      name: String(candidate.name),
      ram: castInteger(candidate.ram) ?? null,
      tag: castString(candidate.tag),
      vcpus: castInteger(candidate.vcpus) ?? null,
      version: castInteger(candidate.version) ?? 1,
    })
    return ok(templateJson(template))
  })

  apiRoute(ctx, ['PATCH', 'PUT'], '/api/v1/templates/:id', (r, user) => {
    const template = state.templates.get(r.params.id)
    if (!template) return recordNotFound(r)
    if (!user.root) return forbidden()
    const required = requireParams(r, 'template')
    if (required.reply) return required.reply
    const params = permit(required.params, UPDATE_KEYS)
    const images = imagesParam(required.params)
    const candidate: TemplateCandidate = {
      depth: template.depth,
      description: 'description' in params ? params.description : template.description,
      disk: 'disk' in params ? params.disk : template.disk,
      foreign_id: 'foreign_id' in params ? params.foreign_id : template.foreign_id,
      height: template.height,
      images: images ?? template.images,
      name: 'name' in params ? params.name : template.name,
      ram: 'ram' in params ? params.ram : template.ram,
      tag: template.tag,
      vcpus: 'vcpus' in params ? params.vcpus : template.vcpus,
      version: template.version,
    }
    const errors = validateTemplate(state, candidate, template)
    if (!errors.empty) return unprocessable(errors.asJson())
    state.renameTemplate(template, String(candidate.name))
    template.description = castString(candidate.description)
    template.foreign_id = castString(candidate.foreign_id)
    template.vcpus = castInteger(candidate.vcpus) ?? null
    template.ram = castInteger(candidate.ram) ?? null
    template.disk = castInteger(candidate.disk) ?? null
    template.images = candidate.images
    return ok(templateJson(template))
  })

  apiRoute(ctx, 'DELETE', '/api/v1/templates/:id', (r, user) => {
    const template = state.templates.get(r.params.id)
    if (!template) return recordNotFound(r)
    if (!user.root) return forbidden()
    if (state.chassisCountOf(template.id) > 0 && !recurse(r)) return unprocessable({errors: 'devices have been created from this template'})
    for (const rack of state.racks.values()) {
      if (rack.template_id === template.id) {
        throw new UncaughtError(
          'ActiveRecord::InvalidForeignKey',
          `PG::ForeignKeyViolation: ERROR:  update or delete on table "templates" violates foreign key constraint on table "racks"`,
        )
      }
    }
    state.removeTemplate(template.id)
    return deleted()
  })
}

/** `images: {front, rear}`; other image keys are filtered out. */
function imagesParam(params: JsonObject): TemplateImages | undefined {
  const images = permitHash(params, 'images')
  if (!images) return undefined
  const out: TemplateImages = {}
  if (typeof images.front === 'string') out.front = images.front
  if (typeof images.rear === 'string') out.rear = images.rear
  return out
}

function validateTemplate(state: ConcertimState, c: TemplateCandidate, self?: TemplateRecord): ModelErrors {
  const errors = new ModelErrors()
  const name = castString(c.name)
  if (errors.presence('name', name) && name !== null) {
    const other = state.templateByName(name)
    if (other && other.id !== self?.id) errors.taken('name', name)
    errors.maxLength('name', name, 255)
  }
  errors.maxLength('description', castString(c.description), 255)
  errors.presence('height', c.height)
  errors.numericality('height', c.height, {greaterThan: 0, onlyInteger: true})
  if (c.depth < 1 || c.depth > 2) errors.add('depth', 'must be in 1..2')
  errors.numericality('version', c.version, {greaterThan: 0, onlyInteger: true})
  for (const key of ['vcpus', 'ram', 'disk'] as const) errors.numericality(key, c[key], {allowNil: true, greaterThan: 0, onlyInteger: true})
  errors.maxLength('foreign_id', castString(c.foreign_id), 255)
  const tag = castString(c.tag)
  if (tag !== null && tag !== '') {
    const other = state.templateByTag(tag)
    if (other && other.id !== self?.id) errors.taken('tag', tag)
  }
  if (!c.images || Object.keys(c.images).length === 0) errors.add('images', 'No images found for template height')
  return errors
}

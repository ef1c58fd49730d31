/**
 * `/1.0/kb/customFields`: search by type/name/value, search by key (name or value), and the full list.
 */
import {page, type KbContext} from './app.js'
import {customFieldJson} from './json.js'

export function customFieldRoutes(ctx: KbContext): void {
  const {state} = ctx
  ctx.route('GET', '/1.0/kb/customFields/search', (r) => {
    const objectType = r.query.get('objectType')
    const fieldName = r.query.get('fieldName')
    const fieldValue = r.query.get('fieldValue')
    const hits = [...state.customFields.values()].filter(
      (f) => (objectType === null || f.objectType === objectType) && (fieldName === null || f.name === fieldName) && (fieldValue === null || f.value === fieldValue),
    )
    return page(r, hits, customFieldJson)
  })
  ctx.route('GET', '/1.0/kb/customFields/search/:searchKey', (r) => {
    const key = r.params.searchKey.toLowerCase()
    const hits = [...state.customFields.values()].filter((f) => f.name.toLowerCase().includes(key) || f.value.toLowerCase().includes(key))
    return page(r, hits, customFieldJson)
  })
  ctx.route('GET', '/1.0/kb/customFields/pagination', (r) => page(r, [...state.customFields.values()], customFieldJson))
}

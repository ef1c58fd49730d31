import {HttpClient, type HttpContext} from '../http/index.js'

const ANY_STATUS = Array.from({length: 300}, (_, i) => 300 + i)

/**
 * Whether a base URL answers HTTP at all (any status counts: reachable, and TLS verified when
 * https). Returns a short description for the report.
 */
export async function probeUrl(system: string, url: string, ctx: HttpContext): Promise<string> {
  const http = new HttpClient({...ctx, system})
  const res = await http.get(url, {accept: ANY_STATUS, responseType: 'text'})
  const tls = url.startsWith('https:') ? (ctx.tls?.insecure ? ', TLS NOT verified (insecure: true)' : ', TLS verified') : ''
  return `${url} answered HTTP ${res.status}${tls}`
}

/**
 * `/healthz`: ready when Keystone and (when configured) Kill Bill answer HTTP at all — probed at
 * their base URLs without credentials, so nothing secret is sent or shown (userinfo in a URL is
 * dropped). Answers are kept for a few seconds so that a probe every second costs nothing.
 */
import {probeUrl} from '../doctor/reachability.js'
import type {HttpContext} from '../http/index.js'
import {redactUrl} from '../http/errors.js'

export interface Readiness {
  checks: Record<string, string>
  ready: boolean
}

export function readinessProbe(targets: Record<string, string>, ctx: HttpContext, opts: {cacheMs?: number; clock?: () => number} = {}): () => Promise<Readiness> {
  const clock = opts.clock ?? Date.now
  const cacheMs = opts.cacheMs ?? 5000
  // A probe is one quick attempt: readiness must answer fast, not retry for minutes.
  const probeCtx: HttpContext = {...ctx, ledger: undefined, settings: {...ctx.settings, deadlineMs: 3000, retries: 0, timeoutMs: 2500}}
  let last: {at: number; value: Readiness} | undefined
  let inflight: Promise<Readiness> | undefined
  const check = async (): Promise<Readiness> => {
    const entries = await Promise.all(
      Object.entries(targets).map(async ([system, url]) => {
        try {
          await probeUrl(system, url, probeCtx)
          return [system, 'ok', true] as const
        } catch (error) {
          return [system, `unreachable at ${redactUrl(url)}: ${(error as Error).message}`, false] as const
        }
      }),
    )
    return {checks: Object.fromEntries(entries.map(([s, m]) => [s, m])), ready: entries.every(([, , ok]) => ok)}
  }
  return async () => {
    if (last !== undefined && clock() - last.at < cacheMs) return last.value
    inflight ??= check()
      .then((value) => {
        last = {at: clock(), value}
        return value
      })
      .finally(() => {
        inflight = undefined
      })
    return inflight
  }
}

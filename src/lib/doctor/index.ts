/**
 * `doctor`: for each configured system, reachability, TLS, authentication and what this tool needs
 * there. Systems are checked concurrently; within one system, checks run in order and a failed
 * check skips the ones that depend on it.
 */
import {createConcertim} from '../concertim/index.js'
import type {Config} from '../config/index.js'
import type {HttpContext} from '../http/index.js'
import {createKillBill} from '../killbill/index.js'
import {createOpenStack} from '../openstack/index.js'
import type {CheckResult} from './check.js'
import {checkConcertim} from './concertim.js'
import {checkKillBill} from './killbill.js'
import {checkOpenStack} from './openstack.js'
import {checkRabbitMq} from './rabbitmq.js'

export {type CheckOutcome, type CheckResult} from './check.js'

export interface DoctorReport {
  ok: boolean
  failed: number
  warnings: number
  checks: CheckResult[]
}

/** Checks run quickly: one retry and short timeouts, so an unreachable system fails in seconds. */
export function doctorContext(ctx: HttpContext): HttpContext {
  return {...ctx, settings: {...ctx.settings, deadlineMs: 20_000, maxRetryDelayMs: 2000, retries: 1, timeoutMs: 10_000}}
}

export async function runDoctor(config: Config, base: HttpContext): Promise<DoctorReport> {
  const ctx = doctorContext(base)
  const billing = config.killbill !== undefined
  const tlsOf = (s: {ca_file?: string; insecure?: boolean}) => ({caFile: s.ca_file ?? undefined, insecure: s.insecure === true})
  const osCtx = {...ctx, tls: tlsOf(config.openstack)}
  const ctCtx = {...ctx, tls: tlsOf(config.concertim)}
  const concertimUrl = config.concertim.concertim_url.replace(/\/+$/, '')
  const groups = await Promise.all([
    checkOpenStack(createOpenStack(config.openstack as unknown as Record<string, unknown>, osCtx), osCtx, {billing, metrics: true}),
    checkConcertim(createConcertim(config.concertim, ctCtx), {app: concertimUrl, mrd: config.concertim.mrd_url ?? `${concertimUrl}/mrd`}, ctCtx),
    config.killbill ? checkKillBill(createKillBill(config.killbill, {...ctx, tls: tlsOf(config.killbill)}), config.killbill, {...ctx, tls: tlsOf(config.killbill)}) : Promise.resolve([]),
    config.rmq ? checkRabbitMq(config.rmq) : Promise.resolve([]),
  ])
  const checks = groups.flat()
  const failed = checks.filter((c) => c.outcome === 'fail').length
  return {ok: failed === 0, failed, warnings: checks.filter((c) => c.outcome === 'warn').length, checks}
}

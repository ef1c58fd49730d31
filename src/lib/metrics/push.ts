/**
 * Sending readings to the metric reporting daemon: one metric per `PUT /{deviceId}/metrics` (its
 * API), devices in parallel up to a bound, each device's metrics one after another so that a device
 * the MRD does not know yet (404, §8.2) costs one request, not five. One device failing never stops
 * the others; only an MRD that has failed every request so far, many times in a row, stops the pass
 * (it is down: keeping on would only wait out retries).
 */
import type {Metric, MetricResult} from '../concertim/mrd.js'
import type {MetricName, MetricReading} from './formulas.js'
import type {MetricTarget} from './targets.js'

export type SendOutcome = 'failed' | 'invalid' | 'not-attempted' | 'sent' | 'unknown-device'

export interface SendProblem {
  deviceId: string
  instanceId: string
  /** The MRD's own message (422 details joined), or the HTTP failure. */
  message: string
  metric: MetricName
  outcome: Exclude<SendOutcome, 'sent'>
}

export interface DeviceReadings {
  readings: readonly MetricReading[]
  target: MetricTarget
}

export interface PushTally {
  /** Set when the pass stopped sending because the MRD failed every request (the message says why). */
  aborted?: string
  failed: number
  invalid: number
  /** Metrics not sent because the pass was aborted. */
  notAttempted: number
  problems: SendProblem[]
  sent: number
  /** Devices the MRD does not know yet (their metrics are left for the next run). */
  unknownDevices: number
  /** Metrics not sent to unknown devices. */
  unknownDeviceMetrics: number
}

export interface PushOptions {
  /** Stop after this many consecutive failures while nothing has been sent yet (default 10). */
  abortAfter?: number
  /** Devices in flight at once. */
  concurrency: number
  /** Seconds each value stays current in the MRD. */
  ttl: number
}

/** The MRD body of a reading: always a double with slope `both` (what the original sent, §8.5). */
export function toMrdMetric(r: {name: string; units: string; value: number}, ttl: number): Metric {
  return {name: r.name, slope: 'both', ttl: Math.max(1, Math.trunc(ttl)), type: 'double', units: r.units, value: r.value}
}

/** What one PUT's answer means for the tally. */
export function outcomeOf(result: MetricResult): {message?: string; outcome: SendOutcome} {
  if (result.status === 'ok') return {outcome: 'sent'}
  if (result.status === 'unknown-device') return {message: result.message, outcome: 'unknown-device'}
  return {message: result.problems.map((p) => (p.field ? `${p.field}: ${p.message}` : p.message)).join('; '), outcome: 'invalid'}
}

export async function pushReadings(
  put: (deviceId: string, metric: Metric) => Promise<MetricResult>,
  devices: readonly DeviceReadings[],
  opts: PushOptions,
): Promise<PushTally> {
  const tally: PushTally = {failed: 0, invalid: 0, notAttempted: 0, problems: [], sent: 0, unknownDeviceMetrics: 0, unknownDevices: 0}
  const abortAfter = opts.abortAfter ?? 10
  let consecutiveFailures = 0
  let next = 0

  const sendDevice = async ({readings, target}: DeviceReadings): Promise<void> => {
    const values = readings.filter((r): r is Extract<MetricReading, {value: number}> => 'value' in r)
    for (let i = 0; i < values.length; i++) {
      if (tally.aborted !== undefined) {
        tally.notAttempted += values.length - i
        return
      }
      const reading = values[i]
      let result: {message?: string; outcome: SendOutcome}
      try {
         
        result = outcomeOf(await put(target.deviceId, toMrdMetric(reading, opts.ttl)))
      } catch (error) {
        result = {message: (error as Error).message, outcome: 'failed'}
      }
      const problem = (outcome: SendProblem['outcome'], message: string) =>
        tally.problems.push({deviceId: target.deviceId, instanceId: target.instanceId, message, metric: reading.name, outcome})
      switch (result.outcome) {
        case 'sent': {
          tally.sent++
          consecutiveFailures = 0
          break
        }
        case 'unknown-device': {
          tally.unknownDevices++
          tally.unknownDeviceMetrics += values.length - i
          problem('unknown-device', result.message ?? 'Host Not Found')
          return
        }
        case 'invalid': {
          tally.invalid++
          problem('invalid', result.message ?? 'rejected')
          break
        }
        default: {
          tally.failed++
          problem('failed', result.message ?? 'failed')
          consecutiveFailures++
          if (tally.sent === 0 && consecutiveFailures >= abortAfter && tally.aborted === undefined) {
            tally.aborted = `the metric reporting daemon failed ${consecutiveFailures} requests in a row and accepted none (last: ${result.message ?? 'failed'})`
          }
        }
      }
    }
  }

  const worker = async (): Promise<void> => {
    while (next < devices.length) {
      const d = devices[next++]
      if (tally.aborted === undefined) {
         
        await sendDevice(d)
      } else tally.notAttempted += d.readings.filter((r) => 'value' in r).length
    }
  }
  await Promise.all(Array.from({length: Math.max(1, Math.min(opts.concurrency, devices.length))}, () => worker()))
  return tally
}

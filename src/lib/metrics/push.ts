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

/** Devices to send: an array, or an async source that yields them as their readings are computed (batch by batch). */
export type ReadingsSource = AsyncIterable<DeviceReadings> | readonly DeviceReadings[]

export function emptyTally(): PushTally {
  return {failed: 0, invalid: 0, notAttempted: 0, problems: [], sent: 0, unknownDeviceMetrics: 0, unknownDevices: 0}
}

/**
 * Send every device's values: `concurrency` workers each take the next device from the source and
 * send its metrics one after another. When an async source fails (e.g. Gnocchi for a later batch),
 * no further device is taken, the devices under way finish, and the source's error is thrown; the
 * tally passed in `opts.tally` (if any) then says what was sent before.
 */
export async function pushReadings(
  put: (deviceId: string, metric: Metric) => Promise<MetricResult>,
  devices: ReadingsSource,
  opts: PushOptions & {tally?: PushTally},
): Promise<PushTally> {
  const tally = opts.tally ?? emptyTally()
  const abortAfter = opts.abortAfter ?? 10
  let consecutiveFailures = 0

  const problem = (target: MetricTarget, metric: MetricName, outcome: SendProblem['outcome'], message: string): void => {
    tally.problems.push({deviceId: target.deviceId, instanceId: target.instanceId, message, metric, outcome})
  }

  const sendDevice = async ({readings, target}: DeviceReadings): Promise<void> => {
    let left = valuesIn(readings)
    for (const reading of readings) {
      if (!('value' in reading)) continue
      if (tally.aborted !== undefined) {
        tally.notAttempted += left
        return
      }
      let result: {message?: string; outcome: SendOutcome}
      try {
        result = outcomeOf(await put(target.deviceId, toMrdMetric(reading, opts.ttl)))
      } catch (error) {
        result = {message: (error as Error).message, outcome: 'failed'}
      }
      switch (result.outcome) {
        case 'sent': {
          tally.sent++
          consecutiveFailures = 0
          break
        }
        case 'unknown-device': {
          tally.unknownDevices++
          tally.unknownDeviceMetrics += left
          problem(target, reading.name, 'unknown-device', result.message ?? 'Host Not Found')
          return
        }
        case 'invalid': {
          tally.invalid++
          problem(target, reading.name, 'invalid', result.message ?? 'rejected')
          break
        }
        default: {
          tally.failed++
          problem(target, reading.name, 'failed', result.message ?? 'failed')
          consecutiveFailures++
          if (tally.sent === 0 && consecutiveFailures >= abortAfter && tally.aborted === undefined) {
            tally.aborted = `the metric reporting daemon failed ${consecutiveFailures} requests in a row and accepted none (last: ${result.message ?? 'failed'})`
          }
        }
      }
      left--
    }
  }

  const handle = async (d: DeviceReadings): Promise<void> => {
    if (tally.aborted === undefined) await sendDevice(d)
    else tally.notAttempted += valuesIn(d.readings)
  }

  if (isArray(devices)) {
    let next = 0
    const worker = async (): Promise<void> => {
      while (next < devices.length) await handle(devices[next++])
    }
    await Promise.all(Array.from({length: Math.max(1, Math.min(opts.concurrency, devices.length))}, async () => worker()))
    return tally
  }

  // An async source: the workers share one iterator (an async generator queues their calls).
  const it = devices[Symbol.asyncIterator]()
  let failed: {error: unknown} | undefined
  const worker = async (): Promise<void> => {
    while (failed === undefined) {
      let step: IteratorResult<DeviceReadings>
      try {
        step = await it.next()
      } catch (error) {
        failed ??= {error}
        return
      }
      if (step.done === true) return
      await handle(step.value)
    }
  }
  await Promise.all(Array.from({length: Math.max(1, opts.concurrency)}, async () => worker()))
  if (failed !== undefined) throw failed.error
  return tally
}

function isArray(d: ReadingsSource): d is readonly DeviceReadings[] {
  return Array.isArray(d)
}

/** How many readings have a value (are to be sent). */
function valuesIn(readings: readonly MetricReading[]): number {
  let n = 0
  for (const r of readings) if ('value' in r) n++
  return n
}

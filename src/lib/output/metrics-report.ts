/**
 * The tables of `metrics push` for people: each device's values (dry run) and the metrics that were
 * not sent, in a stable order — by device name, then device id — whatever order the pass
 * finished them in.
 */
import {METRIC_NAMES, METRIC_UNITS, type MetricName} from '../metrics/formulas.js'
import type {SendProblem} from '../metrics/push.js'
import type {DeviceReport} from '../metrics/run.js'

/** Device name (else its id), then id: how every table of devices is ordered. */
function byDevice(a: {deviceId: string; name?: string}, b: {deviceId: string; name?: string}): number {
  return (a.name ?? a.deviceId).localeCompare(b.name ?? b.deviceId) || a.deviceId.localeCompare(b.deviceId)
}

export function valuesTable(devices: readonly DeviceReport[]): {head: string[]; rows: string[][]} {
  const cell = (v: number | undefined, reason: string | undefined) => (v === undefined ? `- (${reason ?? 'no data'})` : String(v))
  return {
    head: ['device', 'server', ...METRIC_NAMES.map((n) => `${n} ${METRIC_UNITS[n]}`)],
    rows: [...devices].sort(byDevice).map((d) => [d.name ?? d.deviceId, d.instanceId, ...METRIC_NAMES.map((n) => cell(d.values[n], d.missing[n]))]),
  }
}

/** The problems, ordered by device (named from `devices` where the pass kept them), then metric. */
export function problemsTable(problems: readonly SendProblem[], devices: readonly DeviceReport[] = []): {head: string[]; rows: string[][]} {
  const names = new Map(devices.map((d) => [d.deviceId, d.name]))
  const order = (m: MetricName) => METRIC_NAMES.indexOf(m)
  const rows = problems
    .map((p) => ({...p, name: names.get(p.deviceId)}))
    .sort((a, b) => byDevice(a, b) || order(a.metric) - order(b.metric))
    .map((p) => [p.name === undefined ? p.deviceId : `${p.name} (${p.deviceId})`, p.metric, p.outcome, p.message])
  return {head: ['device', 'metric', 'outcome', 'message'], rows}
}

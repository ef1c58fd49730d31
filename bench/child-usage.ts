/**
 * What the benchmarks read of a child process (the CLI they run) from /proc, and a free port for it.
 * Linux only: elsewhere the figures are undefined.
 */
import {readFileSync} from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const CLK_TCK = 100

/** CPU time (user + system) of a live process so far, ms (10 ms ticks); undefined once it has gone. */
export function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    // The fields after the command name (which may hold spaces and parentheses): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK
  } catch {
    return undefined
  }
}

/** Peak resident set (VmHWM) of a live process so far, MiB; undefined once it has gone. */
export function peakRssMbOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Math.round(Number(m[1]) / 1024) : undefined
  } catch {
    return undefined
  }
}

export {freePort} from '../test/support/free-port.js'

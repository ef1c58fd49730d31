// Preloaded by bench/startup.ts into each measured process (`node --import`): at exit, append the
// process's own CPU time (user + system, µs) and its peak RSS (KiB) to $BENCH_CPU_FILE.
import {appendFileSync} from 'node:fs'

process.on('exit', () => {
  const {maxRSS, systemCPUTime, userCPUTime} = process.resourceUsage()
  if (process.env.BENCH_CPU_FILE) appendFileSync(process.env.BENCH_CPU_FILE, `${userCPUTime + systemCPUTime} ${maxRSS}\n`)
})

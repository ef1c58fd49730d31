/**
 * The benchmark runner: `npm run bench -- <scenario> [options]` (= `tsx bench/run.ts <scenario>`).
 * Each scenario is a module of this folder exporting `run(args)`, which prints its figures as JSON.
 */
const SCENARIOS: Record<string, () => Promise<{run(args: string[]): Promise<void>}>> = {
  billing: async () => import('./billing.js'),
  http: async () => import('./http.js'),
  listen: async () => import('./listen.js'),
  metrics: async () => import('./metrics.js'),
  serve: async () => import('./serve.js'),
  sim: async () => import('./sim.js'),
  startup: async () => import('./startup.js'),
  sync: async () => import('./sync.js'),
  users: async () => import('./users.js'),
}

const [name, ...args] = process.argv.slice(2)
const load = name === undefined ? undefined : SCENARIOS[name]
if (load === undefined) {
  console.error(`usage: npm run bench -- <scenario> [options]\nscenarios: ${Object.keys(SCENARIOS).sort().join(', ')}`)
  process.exitCode = 2
} else {
  await (await load()).run(args)
}

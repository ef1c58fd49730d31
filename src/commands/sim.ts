import {Flags} from '@oclif/core'

import {BaseCommand} from '../lib/base-command.js'
import {ExitCode} from '../lib/exit-codes.js'
import {renderTable} from '../lib/output/table.js'
import {writeSimConfig} from '../lib/sim/write-config.js'
import type {CloudPreset} from '../sim/generator.js'
import type {Simulator} from '../sim/index.js'
import {SIM_SYSTEMS} from '../sim/systems.js'

export default class Sim extends BaseCommand<typeof Sim> {
  static override description = `Run the simulator in the foreground: a generated OpenStack (Keystone, Nova, Heat, Cinder, Neutron, Gnocchi, CloudKitty), Concertim with its metric reporting daemon, and Kill Bill, each on its own HTTP port of 127.0.0.1.

With --rabbit-url it also publishes the notifications OpenStack would (nova legacy and/or versioned, heat, cinder, neutron; oslo.messaging envelope) for every change made through its changes API. With --write-config it writes a configuration (YAML, mode 0600) that points concertim-os at it, with its view (store.path) and locks (lock_dir) beside that file. Stops cleanly on SIGINT or SIGTERM (exit 0).`

  static override enableJsonFlag = true

  static override examples = [
    {command: '<%= config.bin %> <%= command.id %>', description: 'A small cloud on random ports'},
    {command: '<%= config.bin %> <%= command.id %> --write-config ./sim.yaml', description: 'Write a configuration for the CLI, then e.g. `concertim-os doctor --config ./sim.yaml` in another shell'},
    {command: '<%= config.bin %> <%= command.id %> --preset cloud-10k --seed 7 --port-base 18000', description: '10,000 servers, reproducible, on fixed ports 18000–18009'},
    {command: '<%= config.bin %> <%= command.id %> --rabbit-url amqp://guest:guest@127.0.0.1:5672/%2F --notification-format versioned', description: 'Also publish notifications (nova versioned only)'},
    {command: '<%= config.bin %> <%= command.id %> --json', description: 'Print the endpoints and credentials as JSON once ready'},
  ]

  static override flags = {
    flavors: Flags.integer({description: 'Number of flavors (overrides the preset).', helpGroup: 'SIZE', min: 0}),
    'latency-ms': Flags.integer({default: 0, description: 'Latency added to every request of every system.', min: 0}),
    networks: Flags.integer({description: 'Number of networks (overrides the preset).', helpGroup: 'SIZE', min: 0}),
    'notification-envelope': Flags.option({default: 'v2' as const, description: 'oslo.messaging driver: v2 = messagingv2 (envelope), v1 = messaging (raw).', options: ['v2', 'v1'] as const})(),
    'notification-format': Flags.option({default: 'both' as const, description: "nova's notification_format.", options: ['both', 'legacy', 'versioned'] as const})(),
    'port-base': Flags.integer({description: `Listen on fixed ports from this one, in the order ${SIM_SYSTEMS.join(', ')} [default: random ports].`, max: 65_524, min: 1}),
    preset: Flags.option({default: 'small' as const, description: 'Size of the generated cloud.', options: ['small', 'cloud-10k', 'empty'] as const})(),
    'rabbit-url': Flags.string({description: 'Publish OpenStack notifications to this RabbitMQ (amqp://user:pass@host:port/vhost).'}),
    seed: Flags.integer({default: 1, description: 'Seed of the generated cloud (same seed, same cloud).'}),
    servers: Flags.integer({description: 'Number of servers (overrides the preset).', helpGroup: 'SIZE', min: 0}),
    stacks: Flags.integer({description: 'Number of Heat stacks (overrides the preset).', helpGroup: 'SIZE', min: 0}),
    teams: Flags.integer({description: 'Number of teams (projects) (overrides the preset).', helpGroup: 'SIZE', min: 0}),
    'users-per-team': Flags.integer({description: 'Users per team (overrides the preset).', helpGroup: 'SIZE', min: 0}),
    volumes: Flags.integer({description: 'Number of volumes (overrides the preset).', helpGroup: 'SIZE', min: 0}),
    'write-config': Flags.string({description: 'Write a concertim-os configuration for this simulator to FILE (YAML, mode 0600).'}),
  }

  async run(): Promise<void> {
    const f = this.flags
    const ports = f['port-base'] === undefined ? undefined : Object.fromEntries(SIM_SYSTEMS.map((s, i) => [s, (f['port-base'] as number) + i]))
    const sizes = Object.fromEntries(
      Object.entries({flavors: f.flavors, networks: f.networks, servers: f.servers, stacks: f.stacks, teams: f.teams, usersPerTeam: f['users-per-team'], volumes: f.volumes}).filter(([, v]) => v !== undefined),
    )
    let sim: Simulator
    try {
      const {startSimulator} = await import('../sim/index.js')
      sim = await startSimulator({
        latencyMs: f['latency-ms'],
        notifications: {envelope: f['notification-envelope'], format: f['notification-format']},
        ports,
        preset: f.preset as CloudPreset,
        rabbitUrl: f['rabbit-url'],
        seed: f.seed,
        sizes,
      })
    } catch (error) {
      this.fail(`the simulator could not start: ${error instanceof Error ? error.message : String(error)}`, ExitCode.FAILURE, f['port-base'] === undefined ? undefined : 'choose another --port-base, or leave it out for random ports')
    }
    const stopped = new Promise<string>((resolve) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => resolve(signal))
    })
    try {
      if (f['write-config']) writeSimConfig(f['write-config'], {...sim.config({logLevel: 'info'})})
      const notifications = sim.notifications?.stats()
      if (this.jsonEnabled()) {
        this.logJson({
          config: f['write-config'] ?? null,
          credentials: {concertim: sim.credentials.concertim, keystone: sim.credentials.keystone, killbill: sim.credentials.killbill},
          endpoints: sim.endpoints,
          notifications: f['rabbit-url'] ? {envelope: f['notification-envelope'], format: f['notification-format'], lastError: notifications?.lastError ?? null} : null,
          ready: true,
        })
      } else {
        this.log(renderTable(['system', 'endpoint'], SIM_SYSTEMS.map((s) => [s, s === 'keystone' ? `${sim.endpoints[s]}/v3` : sim.endpoints[s]]), {wrap: [14, 40]}))
        const k = sim.credentials.keystone
        this.log(`OpenStack: OS_AUTH_URL=${sim.endpoints.keystone}/v3 OS_USERNAME=${k.username} OS_PASSWORD=${k.password} OS_PROJECT_NAME=${k.projectName} OS_USER_DOMAIN_NAME=${k.userDomainName} OS_PROJECT_DOMAIN_NAME=${k.projectDomainName}`)
        this.log(`Concertim: ${sim.credentials.concertim.login} / ${sim.credentials.concertim.password}   Kill Bill: ${sim.credentials.killbill.username} / ${sim.credentials.killbill.password} (API key ${sim.credentials.killbill.apiKey})`)
        if (f['write-config']) this.log(`Configuration written to ${f['write-config']} (use --config ${f['write-config']}).`)
        if (notifications?.lastError) this.logger.warn({error: notifications.lastError}, 'RabbitMQ not reachable yet; notifications are dropped until it is')
        this.log(`Simulator ready (preset ${f.preset}, seed ${f.seed}). Ctrl-C to stop.`)
      }
      const signal = await stopped
      this.logger.info({signal}, 'stopping the simulator')
    } finally {
      await sim.stop()
    }
  }
}

/**
 * The simulator: a generated world behind one HTTP server per system on 127.0.0.1 (Keystone, Nova,
 * Heat, Cinder, Neutron, Gnocchi, CloudKitty, Concertim, its MRD, Kill Bill), with shared fault
 * injection, a `changes` API that moves the cloud (emitting events), request statistics, and a ready
 * configuration for the CLI.
 */
import {randomBytes} from 'node:crypto'
import type {RequestListener} from 'node:http'

import {CloudChanges} from './changes.js'
import {createConcertimApp} from './concertim/app.js'
import {createMrdApp} from './concertim/mrd.js'
import {ConcertimState} from './concertim/state.js'
import {Faults, type SimSystem} from './faults.js'
import {type CloudPreset, type CloudSizes, generateCloud, type GeneratedCloud, seedConcertimAndBilling} from './generator.js'
import {listen, type RunningServer, type SimApp} from './http-app.js'
import {createKillBillApp} from './killbill/app.js'
import {NotificationPublisher, type PublisherOptions} from './notifications/publisher.js'
import {KillBillState} from './killbill/state.js'
import type {OpenStackService} from './openstack/catalog.js'
import {REGION} from './openstack/catalog.js'
import {createCinderApp} from './openstack/cinder.js'
import {createCloudKittyApp} from './openstack/cloudkitty.js'
import type {ServiceOptions} from './openstack/context.js'
import {createGlanceApp} from './openstack/glance.js'
import {createGnocchiApp} from './openstack/gnocchi.js'
import {createHeatApp} from './openstack/heat.js'
import {createKeystoneApp} from './openstack/keystone.js'
import {createNeutronApp} from './openstack/neutron.js'
import {createNovaApp} from './openstack/nova.js'
import type {ArchivePolicyFamily} from './provisioning.js'
import {SIM_SYSTEMS} from './systems.js'
import type {World} from './world.js'

export {SIM_SYSTEMS}

export interface StartOptions {
  /** Archive policies of instance metrics: Ceilometer's 5-minute (default) or the original's 5-second ones. */
  archivePolicies?: ArchivePolicyFamily
  /** Latency added to every request of every system (faults may override per system). */
  latencyMs?: number
  /** World clock (ms); default Date.now. */
  now?: () => number
  ports?: Partial<Record<SimSystem, number>>
  preset?: CloudPreset
  /** How notifications are published when `rabbitUrl` is set (default: both formats, oslo 2.0 envelope). */
  notifications?: Omit<PublisherOptions, 'url'>
  /** `amqp://user:pass@host:port/vhost`: publishes OpenStack's notifications there and adds the `rmq` block to `config()`. */
  rabbitUrl?: string
  seed?: number
  sizes?: Partial<CloudSizes>
  tokenTtlSec?: number
}

export interface SimCredentials {
  concertim: {login: string; password: string}
  jwtSecret: string
  keystone: {password: string; projectDomainName: string; projectName: string; userDomainName: string; username: string}
  killbill: {apiKey: string; apiSecret: string; password: string; planName: string; username: string}
}

export interface SimStats {
  handlerMs: number
  requests: number
}

export interface CliConfig {
  billing_platform: 'killbill'
  cloud_type: 'openstack'
  concertim: {concertim_password: string; concertim_url: string; concertim_username: string; mrd_url: string}
  killbill: {api_host: string; apikey: string; apisecret: string; password: string; plan_name: string; username: string}
  log_level: string
  openstack: {auth_url: string; interface: 'public'; password: string; project_domain_name: string; project_name: string; region_name: string; user_domain_name: string; username: string}
  rmq?: {rmq_address: string; rmq_password: string; rmq_path: string; rmq_port: number; rmq_username: string}
}

export interface Simulator {
  apps: Record<SimSystem, SimApp>
  changes: CloudChanges
  cloud: GeneratedCloud
  concertim: ConcertimState
  config(opts?: {logLevel?: string; rabbitUrl?: string}): CliConfig
  credentials: SimCredentials
  endpoints: Record<SimSystem, string>
  faults: Faults
  killbill: KillBillState
  /** The notification publisher (only with `rabbitUrl`). */
  notifications?: NotificationPublisher
  stats(): Record<SimSystem, SimStats>
  stop(): Promise<void>
  world: World
}

export async function startSimulator(opts: StartOptions = {}): Promise<Simulator> {
  const cloud = generateCloud({archivePolicies: opts.archivePolicies, now: opts.now, preset: opts.preset ?? 'small', seed: opts.seed, sizes: opts.sizes, tokenTtlSec: opts.tokenTtlSec})
  const world = cloud.world
  const faults = new Faults(opts.seed ?? 1)
  faults.baseLatencyMs = opts.latencyMs ?? 0
  const credentials: SimCredentials = {
    concertim: {login: 'admin', password: 'sim-concertim-admin'},
    jwtSecret: randomBytes(32).toString('hex'),
    keystone: {password: cloud.credentials.adminPassword, projectDomainName: 'Default', projectName: 'admin', userDomainName: 'Default', username: 'admin'},
    killbill: {apiKey: 'bob', apiSecret: 'lazar', password: 'password', planName: 'openstack-standard-monthly', username: 'admin'},
  }
  const endpoints = {} as Record<SimSystem, string>
  // Listen first (each server delegates to its app once built) so that states can know the URLs.
  const listeners = {} as Record<SimSystem, RequestListener>
  const servers: RunningServer[] = []
  try {
    for (const system of SIM_SYSTEMS) {
       
      const running = await listen((req, res) => listeners[system](req, res), opts.ports?.[system] ?? 0)
      servers.push(running)
      endpoints[system] = running.url
    }
  } catch (error) {
    await Promise.all(servers.map((s) => s.close()))
    throw error
  }
  const concertim = new ConcertimState({
    cloudEnv: {auth_url: `${endpoints.keystone}/v3`, password: credentials.keystone.password, project_id: cloud.adminProjectId, user_id: cloud.adminUserId},
    now: world.now,
    rootLogin: credentials.concertim.login,
    rootPassword: credentials.concertim.password,
  })
  const killbill = new KillBillState({now: world.now})
  seedConcertimAndBilling(cloud, concertim, killbill, credentials.killbill.planName)

  const changes = new CloudChanges(world, cloud.provisioner)
  const service: ServiceOptions = {changes, faults, keystoneUrl: () => endpoints.keystone}
  const apps: Record<SimSystem, SimApp> = {
    cinder: createCinderApp(world, service),
    cloudkitty: createCloudKittyApp(world, service),
    concertim: createConcertimApp(concertim, {faults, jwtSecret: credentials.jwtSecret, now: world.now}),
    glance: createGlanceApp(world, service),
    gnocchi: createGnocchiApp(world, service),
    heat: createHeatApp(world, service),
    keystone: createKeystoneApp(world, {endpoints: () => openstackEndpoints(endpoints), faults}),
    killbill: createKillBillApp(killbill, {apiKey: credentials.killbill.apiKey, apiSecret: credentials.killbill.apiSecret, faults, password: credentials.killbill.password, username: credentials.killbill.username}),
    mrd: createMrdApp(concertim, {faults, jwtSecret: credentials.jwtSecret}),
    neutron: createNeutronApp(world, service),
    nova: createNovaApp(world, service),
  }
  for (const system of SIM_SYSTEMS) listeners[system] = apps[system].listener()

  const config = (c: {logLevel?: string; rabbitUrl?: string} = {}): CliConfig => {
    const out: CliConfig = {
      billing_platform: 'killbill',
      cloud_type: 'openstack',
      concertim: {concertim_password: credentials.concertim.password, concertim_url: endpoints.concertim, concertim_username: credentials.concertim.login, mrd_url: endpoints.mrd},
      killbill: {
        api_host: endpoints.killbill,
        apikey: credentials.killbill.apiKey,
        apisecret: credentials.killbill.apiSecret,
        password: credentials.killbill.password,
        plan_name: credentials.killbill.planName,
        username: credentials.killbill.username,
      },
      log_level: c.logLevel ?? 'info',
      openstack: {
        auth_url: `${endpoints.keystone}/v3`,
        interface: 'public',
        password: credentials.keystone.password,
        project_domain_name: credentials.keystone.projectDomainName,
        project_name: credentials.keystone.projectName,
        region_name: REGION,
        user_domain_name: credentials.keystone.userDomainName,
        username: credentials.keystone.username,
      },
    }
    const rabbit = c.rabbitUrl ?? opts.rabbitUrl
    if (rabbit) {
      const u = new URL(rabbit)
      out.rmq = {
        rmq_address: u.hostname,
        rmq_password: decodeURIComponent(u.password),
        rmq_path: u.pathname.length > 1 ? decodeURIComponent(u.pathname.slice(1)) : '/',
        rmq_port: Number(u.port || 5672),
        rmq_username: decodeURIComponent(u.username),
      }
    }
    return out
  }

  let notifications: NotificationPublisher | undefined
  if (opts.rabbitUrl) {
    notifications = new NotificationPublisher(world, opts.rabbitUrl, opts.notifications)
    await notifications.start()
  }

  return {
    apps,
    changes,
    cloud,
    concertim,
    config,
    credentials,
    endpoints,
    faults,
    killbill,
    notifications,
    stats() {
      const out = {} as Record<SimSystem, SimStats>
      for (const system of SIM_SYSTEMS) out[system] = {handlerMs: Number(apps[system].stats.handlerNs) / 1e6, requests: apps[system].stats.requests}
      return out
    },
    async stop() {
      await notifications?.stop()
      await Promise.all(servers.map((s) => s.close()))
    },
    world,
  }
}

function openstackEndpoints(endpoints: Record<SimSystem, string>): Partial<Record<OpenStackService, string>> {
  const {cinder, cloudkitty, glance, gnocchi, heat, keystone, neutron, nova} = endpoints
  return {cinder, cloudkitty, glance, gnocchi, heat, keystone, neutron, nova}
}

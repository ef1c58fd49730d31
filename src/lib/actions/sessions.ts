/**
 * Keystone sessions of the app's callers, one per distinct `cloud_env`: the token a session holds
 * is reused until near its expiry (KeystoneSession renews it), instead of one authentication per
 * request as the original service made. Bounded LRU; the key is an HMAC of the credentials under a
 * key made at start-up, so the map keeps no password in clear (the session itself must hold it to
 * authenticate again) and a leaked key says nothing about it.
 */
import {createHmac, randomBytes} from 'node:crypto'

import type {HttpContext} from '../http/index.js'
import {CinderClient, HeatClient, type KeystoneAuth, KeystoneSession, NeutronClient, NovaClient, type OpenStackOptions} from '../openstack/index.js'
import {registerSessionSecret} from '../output/redact.js'

/** The OpenStack clients of one caller, on one Keystone session. */
export interface CloudClients {
  readonly cinder: CinderClient
  readonly heat: HeatClient
  readonly keystone: KeystoneSession
  readonly neutron: NeutronClient
  readonly nova: NovaClient
}

export interface CloudSessionsOptions {
  clock?: () => number
  ctx: HttpContext
  /** Sessions kept at once (the least recently used goes first). */
  max: number
  /** Interface, region, endpoint overrides, microversion, page size: the configured cloud's. */
  options: OpenStackOptions
}

/** How long a caller's password stays registered for redaction after its session was made. */
const PASSWORD_MASK_MS = 24 * 3600_000

export class CloudSessions {
  private readonly entries = new Map<string, CloudClients>()
  private evictedAuthentications = 0
  private readonly hmacKey = randomBytes(32)

  constructor(private readonly opts: CloudSessionsOptions) {}

  /** Keystone authentications made by every session so far (the bench's figure). */
  get authentications(): number {
    let n = this.evictedAuthentications
    for (const c of this.entries.values()) n += c.keystone.authCount
    return n
  }

  get size(): number {
    return this.entries.size
  }

  /** The clients for these credentials: the cached session, or a new one (made most recent). */
  clients(auth: KeystoneAuth): CloudClients {
    const key = this.keyOf(auth)
    const hit = this.entries.get(key)
    if (hit !== undefined) {
      this.entries.delete(key)
      this.entries.set(key, hit)
      return hit
    }
    const made = this.make(auth)
    this.entries.set(key, made)
    while (this.entries.size > this.opts.max) {
      const oldest = this.entries.keys().next().value as string
      this.evictedAuthentications += this.entries.get(oldest)?.keystone.authCount ?? 0
      this.entries.delete(oldest)
    }
    return made
  }

  /** Drop the session of these credentials (Keystone refused them: nothing to keep). */
  forget(auth: KeystoneAuth): void {
    const key = this.keyOf(auth)
    this.evictedAuthentications += this.entries.get(key)?.keystone.authCount ?? 0
    this.entries.delete(key)
  }

  private keyOf(auth: KeystoneAuth): string {
    return createHmac('sha256', this.hmacKey).update(JSON.stringify([auth.authUrl, auth.user, auth.project, auth.password])).digest('base64url')
  }

  private make(auth: KeystoneAuth): CloudClients {
    const {options} = this.opts
    registerSessionSecret(auth.password, {expiresAt: Date.now() + PASSWORD_MASK_MS})
    const keystone = new KeystoneSession(
      {auth, clock: this.opts.clock, endpointOverrides: options.endpointOverrides, interface: options.interface, region: options.region, registerPassword: false, renewMarginMs: options.renewMarginMs},
      this.opts.ctx,
    )
    const pageSize = options.pageSize
    return {
      cinder: new CinderClient(keystone, {pageSize}),
      heat: new HeatClient(keystone, {pageSize}),
      keystone,
      neutron: new NeutronClient(keystone, {pageSize}),
      nova: new NovaClient(keystone, {microversion: options.computeMicroversion, pageSize}),
    }
  }
}

/**
 * The configuration schema (JSON Schema, validated with Ajv at start-up). It keeps every key of the
 * original service's config.yaml (reference/original-service.md §9) and adds new ones. Each property
 * carries its default and an example; `etc/config.sample.yaml` documents the same keys.
 */
import type {SchemaObject} from 'ajv'

export interface OpenStackSection {
  /** Keystone v3 URL, e.g. https://keystone.example:5000/v3 (a URL without /v3 gets it appended). */
  auth_url: string
  admin_project_id?: string
  admin_project_name?: string
  admin_tenant_id?: string
  admin_tenant_name?: string
  admin_user_id?: string
  admin_user_password?: string
  admin_user_password_file?: string
  admin_username?: string
  ca_file?: string
  /** Nova microversion sent with every compute request. */
  compute_microversion: string
  endpoint_overrides: Record<string, string>
  insecure: boolean
  interface: 'admin' | 'internal' | 'public'
  /** Records asked per page of every OpenStack listing. */
  page_size: number
  password?: string
  password_file?: string
  project_domain_id?: string
  project_domain_name?: string
  project_id?: string
  project_name?: string
  region_name?: string
  /** Renew the Keystone token this long before it expires. */
  token_renew_margin_seconds: number
  user_domain_id?: string
  user_domain_name?: string
  user_id?: string
  username?: string
}

export interface ConcertimSection {
  ca_file?: string
  concertim_password: string
  concertim_password_file?: string
  concertim_url: string
  concertim_username: string
  default_rack_height: number
  insecure: boolean
  /** Metric reporting daemon base URL; default `<concertim_url>/mrd` (through Concertim's proxy). */
  mrd_url?: string
}

export interface RmqSection {
  ca_file?: string
  insecure: boolean
  rmq_address: string
  rmq_password?: string
  rmq_password_file?: string
  rmq_path: string
  rmq_port: number
  rmq_username: string
  tls: boolean
}

export interface KillBillSection {
  api_host: string
  apikey?: string
  apisecret?: string
  apisecret_file?: string
  ca_file?: string
  credit_threshold: number
  insecure: boolean
  password?: string
  password_file?: string
  plan_name: string
  username?: string
}

/** `serve`: the HTTP API the Concertim app calls (its `user_handler_base_url`). */
export interface ApiSection {
  /** Largest request body accepted (bytes). */
  body_limit: number
  /** Address to listen on (the original bound 0.0.0.0; we default to loopback). */
  host: string
  /** Shared HS256 secret of the app's JWTs; else `jwt_secret_file`, `CONCERTIM_OS_API_JWT_SECRET` or `JWT_SECRET`. */
  jwt_secret?: string
  jwt_secret_file?: string
  /** Clock skew tolerated on `exp`/`iat`/`nbf` (s). */
  leeway_s: number
  /** Tokens valid for longer than this (exp − iat, or exp − now without iat) are refused (s); the app's last 60 s. */
  max_token_lifetime_s: number
  port: number
  /** `jti`s remembered against replay (the oldest are forgotten first once full). */
  replay_cache_size: number
  /** Keystone sessions (one per distinct cloud_env) kept at once. */
  session_cache_size: number
  /** Seconds to finish in-flight requests after SIGTERM before closing them. */
  shutdown_timeout_s: number
  /** PEM certificate and key: serve HTTPS when both are given. */
  tls_cert_file?: string
  tls_key_file?: string
}

export interface HttpSection {
  deadline_ms: number
  max_in_flight_per_host: number
  max_retry_delay_ms: number
  retries: number
  retry_base_ms: number
  timeout_ms: number
}

/** `metrics push` (Gnocchi → the metric reporting daemon); durations in seconds. */
/** `billing reconcile`: CloudKitty → Concertim costs and credits → Kill Bill usage. */
export interface BillingSection {
  /** Requests in flight at once to Kill Bill and to Concertim during a run. */
  concurrency: number
  /** Rows per CloudKitty summary page (one page per call; CloudKitty's own default is 100). */
  page_size: number
  /**
   * Minutes into a new month during which the previous month is still settled on every run
   * (CloudKitty rates a period some time after it ends); the first run after is its last settlement.
   */
  settle_grace_minutes: number
}

export interface MetricsSection {
  /**
   * Servers per batch: one Gnocchi aggregates query per resource type per batch; a batch's readings
   * are sent while the next batch is read, and only about two batches are held at once.
   */
  batch_size: number
  /** Metric PUTs in flight at once to the metric reporting daemon. */
  concurrency: number
  /** Gnocchi granularity (s) to read; must be one of the archive policy's (Ceilometer's default: 300). */
  granularity: number
  /** Seconds after its end before a Gnocchi period counts as complete for rates (Gnocchi's `metric_processing_delay`). */
  rate_settle: number
  /** Seconds a value stays current in the MRD before it goes stale (`ttl` of each metric). */
  ttl: number
  /** How far back (s) to look for the latest point of a gauge; older points count as no data. */
  window: number
}

/** `listen`: the resident RabbitMQ consumer (DESIGN §4). */
export interface ListenSection {
  /** Entities reconciled at once (each burst of one entity is one reconcile). */
  concurrency: number
  /** Dead-letter bodies that are not notifications (else they are acked and counted). */
  dead_letter_malformed: boolean
  /** Where messages go after `max_attempts` failures (quorum queue, created when missing). */
  dead_letter_queue: string
  /** Hold events of one entity this long (ms) and reconcile them once. */
  debounce_ms: number
  /** Declare the exchanges with this durability (= oslo's amqp_durable_queues) instead of only checking them. */
  declare_exchanges_durable?: boolean
  /** x-delivery-limit of the queue: redeliveries before the broker dead-letters a message itself. */
  delivery_limit: number
  /** Bound (ms) on finishing in-flight work at SIGTERM/SIGINT. */
  drain_timeout_ms: number
  /** The OpenStack control exchanges to bind to (checked passively; never created). */
  exchanges: string[]
  /** With `max_deletes`: the sliding window (s) over which listen's deletions are counted. */
  delete_window_s: number
  /** Address of the /healthz endpoint. */
  health_host: string
  /** Serve /healthz on this port (`--health-port` overrides); absent = no endpoint. */
  health_port?: number
  /** Failed reconciles of a message (outages excluded) before it is dead-lettered. */
  max_attempts: number
  /** Longest (ms) a message is held unacked, retries included, before it is dead-lettered (below the broker's consumer_timeout). */
  max_hold_ms: number
  /** x-max-length of the queue (messages; 0 = no bound): while listen is stopped it cannot grow without limit. */
  max_length: number
  /** x-overflow of the queue when full: drop-head (oldest dropped, dead-lettered) or reject-publish. */
  overflow: 'drop-head' | 'reject-publish'
  /** x-max-length of the dead-letter queue (0 = no bound; the oldest are dropped). */
  dead_letter_max_length: number
  /** First reconnect delay (ms) after the broker went away, doubling up to `reconnect_max_ms`. */
  reconnect_initial_ms: number
  reconnect_max_ms: number
  /** After a gap (a reconnect, a channel reopened, an exchange re-bound, messages given up): run a full reconcile (sync). */
  resync_after_gap: boolean
  /** At least this many seconds between two such full reconciles. */
  resync_min_interval_s: number
  /** Check the queue's consumer count this often (s; 0 = only at start): another listener on it is detected. */
  consumer_check_s: number
  /** Deletions listen makes within `delete_window_s`; beyond it they are withheld for `sync` (0: listen deletes nothing). */
  max_deletes: number
  /** Unacknowledged messages the broker hands over at once. */
  prefetch: number
  /** listen's own durable quorum queue (never oslo's shared notifications.info). */
  queue: string
  retry_base_ms: number
  retry_max_ms: number
  /** Seconds between summary log lines (0: only at shutdown). */
  summary_interval: number
}

export interface StoreSection {
  key_prefix: string
  /** Seconds a Keystone deletion `listen` noted is kept (`view dump` shows it). */
  keystone_note_ttl?: number
  path: string
  type: 'file' | 'redis'
  url?: string
  /** Seconds a `listen` watermark (the newest event applied to an entity) is kept after its last event. */
  watermark_ttl?: number
}

/** `sync` and the reconcile engine `listen` shares with it. */
export interface SyncSection {
  /** Writes to Concertim in flight at once (per apply phase), and Heat stacks read at once. */
  concurrency: number
  /** Deletions above this stop the delete phase (exit 4) unless --allow-mass-delete; default 10% of managed objects, at least 5. */
  max_deletes?: number
  /** Create racks only for stacks of `…CM_…` projects created by `…CM_…` users (the original's rule). */
  require_cm_prefix: boolean
  /** Servers in no Heat stack: not shown (`ignore`, as the original), or one rack per team (`team_rack`). */
  standalone_servers: 'ignore' | 'team_rack'
}

/** A role the original granted on every team project: `user` (a service user) gets `role`. */
export interface ProjectGrant {
  /** Only when billing is on (the original's `cloudkitty` → `rating`). */
  billing_only: boolean
  role: string
  user: string
  /** The service user's domain (id). */
  user_domain_id: string
}

/** `users create` / `users delete` (and the later HTTP API): the cloud identities of Concertim users and teams. */
export interface IdentitySection {
  /** Keystone domain (id) of the users and projects made for Concertim. */
  domain_id: string
  /** Description of every project made for a team: with the project prefix, what marks it as ours. */
  project_description: string
  /** Roles granted on every team project (the original: admin→admin, concertim→watcher, cloudkitty→rating with billing). */
  project_grants: ProjectGrant[]
  /** Keystone project name = prefix + team name (the original: `CM_`; '' for none). */
  project_prefix: string
  /** Description of every user made for a Concertim user: what marks it as ours. */
  user_description: string
  /** Keystone user name = prefix + login (the original: `CM_`; '' for none). */
  user_prefix: string
}

export interface Config {
  api: ApiSection
  billing: BillingSection
  billing_platform?: 'killbill'
  cloud_type: 'openstack'
  concertim: ConcertimSection
  http: HttpSection
  identity: IdentitySection
  killbill?: KillBillSection
  /** Directory of the lock files that stop overlapping runs of one command. */
  listen: ListenSection
  lock_dir: string
  log_level: string
  message_queue?: 'rmq'
  metrics: MetricsSection
  openstack: OpenStackSection
  rmq?: RmqSection
  /** Documented by the original service but never read by it; accepted and ignored. */
  sleep_timer?: number | string
  store: StoreSection
  sync: SyncSection
}

export const DEFAULT_STATE_DIR = '/var/lib/concertim-openstack-service'
export const DEFAULT_CONFIG_PATH = '/etc/concertim-openstack-service/config.yaml'

const str = (examples: string[], extra: Record<string, unknown> = {}) => ({examples, type: 'string', ...extra}) as const
const optStr = (examples: string[], extra: Record<string, unknown> = {}) => ({...str(examples, extra), nullable: true}) as const
const bool = (dflt: boolean) => ({default: dflt, type: 'boolean'}) as const
const int = (dflt: number, minimum: number, examples: number[], maximum?: number) =>
  ({default: dflt, examples, minimum, type: 'integer', ...(maximum === undefined ? {} : {maximum})}) as const

export const configSchema: SchemaObject = {
  additionalProperties: true,
  properties: {
    api: {
      additionalProperties: false,
      default: {},
      properties: {
        body_limit: int(1_048_576, 1024, [1_048_576], 104_857_600),
        host: {default: '127.0.0.1', examples: ['127.0.0.1'], minLength: 1, type: 'string'},
        jwt_secret: optStr(['s3cret-shared-with-concertim'], {minLength: 1}),
        jwt_secret_file: optStr(['/etc/concertim-openstack-service/jwt-secret']),
        leeway_s: int(5, 0, [5], 300),
        max_token_lifetime_s: int(300, 1, [300], 86_400),
        port: int(42_356, 0, [42_356], 65_535),
        replay_cache_size: int(100_000, 100, [100_000], 10_000_000),
        session_cache_size: int(1000, 1, [1000], 1_000_000),
        shutdown_timeout_s: int(10, 0, [10], 600),
        tls_cert_file: optStr(['/etc/concertim-openstack-service/tls/cert.pem']),
        tls_key_file: optStr(['/etc/concertim-openstack-service/tls/key.pem']),
      },
      required: [],
      type: 'object',
    },
    billing: {
      additionalProperties: false,
      default: {},
      properties: {
        concurrency: int(16, 1, [16], 256),
        page_size: int(5000, 1, [5000], 100_000),
        settle_grace_minutes: int(180, 0, [180], 10_080),
      },
      required: [],
      type: 'object',
    },
    billing_platform: {enum: ['killbill'], examples: ['killbill'], nullable: true, type: 'string'},
    cloud_type: {default: 'openstack', enum: ['openstack'], examples: ['openstack'], type: 'string'},
    concertim: {
      additionalProperties: true,
      properties: {
        ca_file: optStr(['/etc/ssl/certs/concertim.pem']),
        concertim_password: str(['s3cret'], {minLength: 1}),
        concertim_password_file: optStr(['/etc/concertim-openstack-service/concertim.password']),
        concertim_url: str(['https://concertim.example.com:7443'], {pattern: '^https?://'}),
        concertim_username: str(['admin'], {minLength: 1}),
        default_rack_height: int(42, 1, [42], 72),
        insecure: bool(false),
        mrd_url: optStr(['https://concertim.example.com:7443/mrd'], {pattern: '^https?://'}),
      },
      required: ['concertim_url', 'concertim_username', 'concertim_password'],
      type: 'object',
    },
    http: {
      additionalProperties: false,
      default: {},
      properties: {
        deadline_ms: int(120_000, 1, [120_000]),
        max_in_flight_per_host: int(16, 1, [16], 1024),
        max_retry_delay_ms: int(30_000, 0, [30_000]),
        retries: int(4, 0, [4], 20),
        retry_base_ms: int(250, 0, [250]),
        timeout_ms: int(30_000, 1, [30_000]),
      },
      required: [],
      type: 'object',
    },
    identity: {
      additionalProperties: false,
      default: {},
      properties: {
        domain_id: {default: 'default', examples: ['default'], minLength: 1, type: 'string'},
        project_description: {default: 'Concertim Managed Project', examples: ['Concertim Managed Project'], minLength: 1, type: 'string'},
        project_grants: {
          default: [
            {billing_only: false, role: 'admin', user: 'admin', user_domain_id: 'default'},
            {billing_only: false, role: 'watcher', user: 'concertim', user_domain_id: 'default'},
            {billing_only: true, role: 'rating', user: 'cloudkitty', user_domain_id: 'default'},
          ],
          examples: [[{role: 'admin', user: 'admin'}, {role: 'watcher', user: 'concertim'}, {billing_only: true, role: 'rating', user: 'cloudkitty'}]],
          items: {
            additionalProperties: false,
            properties: {
              billing_only: bool(false),
              role: {examples: ['watcher'], minLength: 1, type: 'string'},
              user: {examples: ['concertim'], minLength: 1, type: 'string'},
              user_domain_id: {default: 'default', examples: ['default'], minLength: 1, type: 'string'},
            },
            required: ['user', 'role'],
            type: 'object',
          },
          type: 'array',
        },
        project_prefix: {default: 'CM_', examples: ['CM_', ''], type: 'string'},
        user_description: {default: 'Concertim Managed User', examples: ['Concertim Managed User'], minLength: 1, type: 'string'},
        user_prefix: {default: 'CM_', examples: ['CM_', ''], type: 'string'},
      },
      required: [],
      type: 'object',
    },
    killbill: {
      additionalProperties: true,
      nullable: true,
      properties: {
        api_host: str(['http://killbill.example.com:8080'], {pattern: '^https?://'}),
        apikey: optStr(['concertim']),
        apisecret: optStr(['s3cret']),
        apisecret_file: optStr(['/etc/concertim-openstack-service/killbill.apisecret']),
        ca_file: optStr(['/etc/ssl/certs/killbill.pem']),
        credit_threshold: {default: 25, examples: [25], type: 'number'},
        insecure: bool(false),
        password: optStr(['password']),
        password_file: optStr(['/etc/concertim-openstack-service/killbill.password']),
        plan_name: {default: 'openstack-standard-monthly', examples: ['openstack-standard-monthly'], type: 'string'},
        username: optStr(['admin']),
      },
      required: ['api_host'],
      type: 'object',
    },
    listen: {
      additionalProperties: false,
      default: {},
      properties: {
        concurrency: int(16, 1, [16], 1024),
        dead_letter_malformed: bool(true),
        dead_letter_queue: {default: 'concertim-os.notifications.dead', examples: ['concertim-os.notifications.dead'], minLength: 1, type: 'string'},
        debounce_ms: int(100, 0, [100], 60_000),
        declare_exchanges_durable: {examples: [false], nullable: true, type: 'boolean'},
        delete_window_s: int(600, 1, [600], 86_400),
        delivery_limit: int(20, 1, [20], 1000),
        drain_timeout_ms: int(7000, 0, [7000], 600_000),
        exchanges: {default: ['nova', 'heat', 'cinder', 'openstack', 'neutron', 'keystone'], examples: [['nova', 'heat', 'cinder', 'openstack', 'neutron', 'keystone']], items: {minLength: 1, type: 'string'}, minItems: 1, type: 'array'},
        health_host: {default: '127.0.0.1', examples: ['127.0.0.1'], minLength: 1, type: 'string'},
        health_port: {examples: [9464], maximum: 65_535, minimum: 0, nullable: true, type: 'integer'},
        consumer_check_s: int(30, 0, [30], 86_400),
        dead_letter_max_length: int(10_000, 0, [10_000]),
        max_attempts: int(5, 1, [5], 1000),
        max_hold_ms: int(600_000, 1000, [600_000], 1_500_000),
        max_length: int(100_000, 0, [100_000]),
        overflow: {default: 'drop-head', enum: ['drop-head', 'reject-publish'], examples: ['drop-head'], type: 'string'},
        reconnect_initial_ms: int(100, 1, [100], 60_000),
        reconnect_max_ms: int(2000, 1, [2000], 300_000),
        resync_after_gap: bool(true),
        resync_min_interval_s: int(60, 0, [60], 86_400),
        max_deletes: int(20, 0, [20], 100_000),
        prefetch: int(100, 1, [100], 65_535),
        queue: {default: 'concertim-os.notifications', examples: ['concertim-os.notifications'], minLength: 1, type: 'string'},
        retry_base_ms: int(500, 1, [500]),
        retry_max_ms: int(30_000, 1, [30_000]),
        summary_interval: int(60, 0, [60]),
      },
      required: [],
      type: 'object',
    },
    lock_dir: {default: DEFAULT_STATE_DIR, examples: [DEFAULT_STATE_DIR], minLength: 1, type: 'string'},
    log_level: {default: 'info', examples: ['info'], type: 'string'},
    message_queue: {enum: ['rmq'], examples: ['rmq'], nullable: true, type: 'string'},
    metrics: {
      additionalProperties: false,
      default: {},
      properties: {
        batch_size: int(10_000, 1, [10_000], 100_000),
        concurrency: int(64, 1, [64], 1024),
        granularity: int(300, 1, [300]),
        rate_settle: int(60, 0, [60], 3600),
        ttl: int(900, 1, [900]),
        window: int(900, 1, [900]),
      },
      required: [],
      type: 'object',
    },
    openstack: {
      additionalProperties: true,
      properties: {
        admin_project_id: optStr(['4f2b…']),
        admin_project_name: optStr(['admin']),
        admin_tenant_id: optStr(['4f2b…']),
        admin_tenant_name: optStr(['admin']),
        admin_user_id: optStr(['9a1c…']),
        admin_user_password: optStr(['s3cret']),
        admin_user_password_file: optStr(['/etc/concertim-openstack-service/openstack.password']),
        admin_username: optStr(['admin']),
        auth_url: str(['https://keystone.example.com:5000/v3'], {pattern: '^https?://'}),
        ca_file: optStr(['/etc/ssl/certs/openstack-ca.pem']),
        compute_microversion: {default: '2.73', examples: ['2.73'], pattern: String.raw`^2\.\d+$`, type: 'string'},
        endpoint_overrides: {
          additionalProperties: {pattern: '^https?://', type: 'string'},
          default: {},
          examples: [{compute: 'https://nova.example.com:8774/v2.1'}],
          required: [],
          type: 'object',
        },
        insecure: bool(false),
        interface: {default: 'public', enum: ['public', 'internal', 'admin'], examples: ['public'], type: 'string'},
        page_size: int(1000, 1, [1000], 10_000),
        password: optStr(['s3cret']),
        password_file: optStr(['/etc/concertim-openstack-service/openstack.password']),
        project_domain_id: optStr(['default']),
        project_domain_name: optStr(['Default']),
        project_id: optStr(['4f2b…']),
        project_name: optStr(['admin']),
        region_name: optStr(['RegionOne']),
        token_renew_margin_seconds: int(300, 0, [300]),
        user_domain_id: optStr(['default']),
        user_domain_name: optStr(['Default']),
        user_id: optStr(['9a1c…']),
        username: optStr(['admin']),
      },
      required: ['auth_url'],
      type: 'object',
    },
    rmq: {
      additionalProperties: true,
      nullable: true,
      properties: {
        ca_file: optStr(['/etc/ssl/certs/rabbitmq-ca.pem']),
        insecure: bool(false),
        rmq_address: {default: '', examples: ['rabbitmq.example.com'], type: 'string'},
        rmq_password: optStr(['s3cret']),
        rmq_password_file: optStr(['/etc/concertim-openstack-service/rmq.password']),
        rmq_path: {default: '/', examples: ['/'], type: 'string'},
        rmq_port: int(5672, 1, [5672], 65_535),
        rmq_username: {default: 'openstack', examples: ['openstack'], type: 'string'},
        tls: bool(false),
      },
      required: [],
      type: 'object',
    },
    sleep_timer: {type: ['number', 'string', 'null']},
    sync: {
      additionalProperties: false,
      default: {},
      properties: {
        concurrency: int(8, 1, [8], 256),
        max_deletes: {examples: [50], minimum: 0, nullable: true, type: 'integer'},
        require_cm_prefix: bool(false),
        standalone_servers: {default: 'ignore', enum: ['ignore', 'team_rack'], examples: ['ignore'], type: 'string'},
      },
      required: [],
      type: 'object',
    },
    store: {
      additionalProperties: false,
      default: {},
      properties: {
        key_prefix: {default: 'concertim-os:', examples: ['concertim-os:'], type: 'string'},
        keystone_note_ttl: int(2_592_000, 60, [2_592_000]),
        path: {default: `${DEFAULT_STATE_DIR}/view.json`, examples: [`${DEFAULT_STATE_DIR}/view.json`], minLength: 1, type: 'string'},
        type: {default: 'file', enum: ['file', 'redis'], examples: ['file'], type: 'string'},
        url: optStr(['redis://127.0.0.1:6379/0'], {pattern: '^rediss?://'}),
        watermark_ttl: int(21_600, 60, [21_600]),
      },
      required: [],
      type: 'object',
    },
  },
  required: ['openstack', 'concertim'],
  type: 'object',
}

/** Sections whose keys may be overridden from the environment (`CONCERTIM_OS_<SECTION>_<KEY>`). */
export const SECTIONS = ['openstack', 'concertim', 'rmq', 'killbill', 'http', 'store', 'metrics', 'sync', 'listen', 'identity', 'billing', 'api'] as const

/**
 * Secret keys and where they may also come from: a `<key>_file` sibling (read at start-up) or the
 * environment (the usual override). Their values are registered for redaction.
 */
export const SECRET_KEYS: Record<string, string[]> = {
  api: ['jwt_secret'],
  concertim: ['concertim_password'],
  killbill: ['password', 'apisecret', 'apikey'],
  openstack: ['password', 'admin_user_password'],
  rmq: ['rmq_password'],
}

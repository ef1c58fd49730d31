export {configPath, ENV_PREFIX, loadConfig, type LoadedConfig, type LoadOptions, parseConfig} from './load.js'
export {type Config, type ConcertimSection, configSchema, DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR, type HttpSection, type KillBillSection, type ListenSection, type MetricsSection, type OpenStackSection, type RmqSection, SECRET_KEYS, type StoreSection, type SyncSection} from './schema.js'

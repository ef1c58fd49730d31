import {expect} from 'chai'
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Ajv} from 'ajv'

import {configSchema, loadConfig, parseConfig} from '../../../src/lib/config/index.js'
import {CONFIG_AJV_OPTIONS} from '../../../src/lib/config/load.js'
import {ConfigError} from '../../../src/lib/errors.js'
import {clearSecrets, redactText} from '../../../src/lib/output/redact.js'

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/${name}`, import.meta.url), 'utf8')

const MINIMAL = `
openstack:
  auth_url: https://keystone.example.com:5000/v3
  username: admin
  password: os-pass-123
  user_domain_name: Default
  project_name: admin
  project_domain_name: Default
concertim:
  concertim_url: https://concertim.example.com:7443
  concertim_username: admin
  concertim_password: ct-pass-456
`

function configError(fn: () => unknown): ConfigError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError)
    return error as ConfigError
  }
  throw new Error('expected a ConfigError')
}

describe('configuration (lib/config)', () => {
  afterEach(() => clearSecrets())

  it("loads the original service's sample config.yaml unchanged (etc/config-sample.yaml at 53e9fee)", () => {
    const {config, warnings} = parseConfig(fixture('original-config-sample.yaml'), {env: {}})
    expect(config.cloud_type).to.equal('openstack')
    expect(config.billing_platform).to.equal('killbill')
    expect(config.message_queue).to.equal('rmq')
    expect(config.log_level).to.equal('debug')
    expect(config.concertim).to.include({concertim_password: 'password', concertim_url: 'https://host.concertim', concertim_username: 'admin', default_rack_height: 42})
    expect(config.openstack).to.include({auth_url: 'http://host:35357/v3', project_id: 'id', project_name: 'admin', user_domain_name: 'Default', username: 'admin'})
    expect(config.rmq).to.include({rmq_address: 'host', rmq_path: '/', rmq_port: 5672, rmq_username: 'openstack'})
    expect(config.killbill).to.include({api_host: 'http://host.killbill:8080', apikey: 'key', apisecret: 'secret', credit_threshold: 25, plan_name: 'openstack-standard-monthly'})
    expect(warnings).to.deep.equal([])
  })

  it('loads the older 2023 sample (no billing, empty rmq_address, trailing slash) too', () => {
    const {config} = parseConfig(fixture('original-config-sample-2023.yaml'), {env: {}})
    expect(config.concertim.default_rack_height).to.equal(20)
    expect(config.killbill).to.equal(undefined)
  })

  it('the schema is a valid JSON Schema (the check the loader skips at start)', () => {
    const ajv = new Ajv({...CONFIG_AJV_OPTIONS, validateSchema: true})
    expect(ajv.validateSchema(configSchema), JSON.stringify(ajv.errors)).to.equal(true)
    expect(ajv.validateSchema({...configSchema, properties: {billing: {type: 'no-such-type'}}})).to.equal(false)
  })

  it('fills defaults for the new keys', () => {
    const {config} = parseConfig(MINIMAL, {env: {}})
    expect(config.http).to.deep.equal({deadline_ms: 120_000, max_in_flight_per_host: 16, max_retry_delay_ms: 30_000, retries: 4, retry_base_ms: 250, timeout_ms: 30_000})
    expect(config.store).to.deep.include({path: '/var/lib/concertim-openstack-service/view.json', type: 'file'})
    expect(config.openstack).to.include({insecure: false, interface: 'public'})
    expect(config.concertim.insecure).to.equal(false)
    expect(config.log_level).to.equal('info')
  })

  const bad: [string, string, RegExp][] = [
    ['a non-URL auth_url', MINIMAL.replace('https://keystone.example.com:5000/v3', 'keystone'), /'openstack\.auth_url': must be a URL/],
    ['a missing concertim section', MINIMAL.replace(/concertim:[\s\S]*$/, ''), /'concertim': is missing/],
    ['a missing password', MINIMAL.replace('  password: os-pass-123\n', ''), /'openstack\.password': is missing/],
    ['a rack height out of range', MINIMAL + '  default_rack_height: 99\n', /'concertim\.default_rack_height': must be <= 72/],
    ['a wrong type', MINIMAL + 'http:\n  retries: many\n', /'http\.retries': must be an integer/],
    ['an unknown interface', MINIMAL.replace('  project_name: admin', '  project_name: admin\n  interface: internet'), /'openstack\.interface': must be one of "public", "internal", "admin"/],
    ['a bad log level', MINIMAL + 'log_level: LOUD\n', /'log_level': 'LOUD' is not a log level/],
    ['message_queue without its block', MINIMAL + 'message_queue: rmq\n', /'rmq': is missing, but message_queue is 'rmq'/],
    ['redis without url', MINIMAL + 'store:\n  type: redis\n', /'store\.url': is required/],
    ['invalid YAML', 'openstack:\n  auth_url: [unclosed\n', /is not valid YAML at line \d+/],
    ['a list at the top', '- a\n- b\n', /must hold a mapping/],
  ]
  for (const [what, text, message] of bad) {
    it(`rejects ${what} with exit 2, naming the key and giving an example`, () => {
      const err = configError(() => parseConfig(text, {env: {}}))
      expect(err.exitCode).to.equal(2)
      expect(err.message).to.match(message)
      expect(err.message).to.not.contain('os-pass-123')
    })
  }

  it('gives an example with the key it names, once: as the hint, not in the message too', () => {
    const err = configError(() => parseConfig(MINIMAL.replace('https://keystone.example.com:5000/v3', 'keystone'), {env: {}}))
    expect(err.hint).to.equal('for example: auth_url: https://keystone.example.com:5000/v3')
    expect(err.message).to.not.contain('example')
  })

  describe('a value from the environment: the error names the variable and the key', () => {
    // [what, env, the key, the variable]
    const cases: [string, Record<string, string>, string, string][] = [
      ['a wrong type', {CONCERTIM_OS_HTTP_TIMEOUT_MS: 'abc'}, 'http.timeout_ms', 'CONCERTIM_OS_HTTP_TIMEOUT_MS'],
      ['an unknown enum value', {CONCERTIM_OS_OPENSTACK_INTERFACE: 'internet'}, 'openstack.interface', 'CONCERTIM_OS_OPENSTACK_INTERFACE'],
      ['a top-level key', {CONCERTIM_OS_LOG_LEVEL: 'LOUD'}, 'log_level', 'CONCERTIM_OS_LOG_LEVEL'],
      ['a cross-key rule', {CONCERTIM_OS_STORE_TYPE: 'redis'}, 'store.url', 'CONCERTIM_OS_STORE_TYPE'],
    ]
    for (const [what, env, key, variable] of cases) {
      it(what, () => {
        const err = configError(() => parseConfig(MINIMAL, {env}))
        expect(err.exitCode).to.equal(2)
        expect(err.message).to.contain(`'${key}'`).and.contain(variable)
      })
    }

    it('a value from the file names no variable', () => {
      const err = configError(() => parseConfig(MINIMAL + 'http:\n  timeout_ms: abc\n', {env: {}}))
      expect(err.message).to.not.contain('CONCERTIM_OS_')
    })
  })

  describe('a misspelt key is a warning with a suggestion, from the file and from the environment alike', () => {
    // [what, extra file text, env, the warning]
    const cases: [string, string, Record<string, string>, string][] = [
      ['a file key of a strict section', 'http:\n  timeout: 5\n', {}, "unknown configuration key 'http.timeout' is ignored (did you mean 'timeout_ms'?)"],
      ['a file key of another strict section', 'metrics:\n  ttl_s: 5\n', {}, "unknown configuration key 'metrics.ttl_s' is ignored (did you mean 'ttl'?)"],
      ['a variable of a strict section', '', {CONCERTIM_OS_HTTP_TIMEOUT: '5'}, "environment variable CONCERTIM_OS_HTTP_TIMEOUT is ignored: 'http.timeout' is not a configuration key (did you mean CONCERTIM_OS_HTTP_TIMEOUT_MS?)"],
      ['a variable of a loose section', '', {CONCERTIM_OS_OPENSTACK_PASWORD: 'x'}, "environment variable CONCERTIM_OS_OPENSTACK_PASWORD is ignored: 'openstack.pasword' is not a configuration key (did you mean CONCERTIM_OS_OPENSTACK_PASSWORD?)"],
      ['a top-level variable', '', {CONCERTIM_OS_LOG_LEVL: 'warn'}, "environment variable CONCERTIM_OS_LOG_LEVL is ignored: 'log_levl' is not a configuration key (did you mean CONCERTIM_OS_LOG_LEVEL?)"],
    ]
    for (const [what, extra, env, warning] of cases) {
      it(what, () => {
        const {config, warnings} = parseConfig(MINIMAL + extra, {env})
        expect(warnings).to.deep.equal([warning])
        expect(config.http.timeout_ms).to.equal(30_000)
        expect(config.openstack.password).to.equal('os-pass-123')
      })
    }
  })

  it('environment overrides the file (CONCERTIM_OS_<SECTION>_<KEY>), with type coercion', () => {
    const {config} = parseConfig(MINIMAL, {
      env: {CONCERTIM_OS_CONCERTIM_DEFAULT_RACK_HEIGHT: '48', CONCERTIM_OS_HTTP_TIMEOUT_MS: '5000', CONCERTIM_OS_LOG_LEVEL: 'warn', CONCERTIM_OS_OPENSTACK_PASSWORD: 'from-env'},
    })
    expect(config.concertim.default_rack_height).to.equal(48)
    expect(config.http.timeout_ms).to.equal(5000)
    expect(config.openstack.password).to.equal('from-env')
    expect(config.log_level).to.equal('warn')
  })

  it('reads secrets from *_file keys and registers them for redaction', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-config-'))
    writeFileSync(join(dir, 'os.pw'), 'file-secret-789\n')
    const text = MINIMAL.replace('  password: os-pass-123\n', '  password_file: os.pw\n')
    const path = join(dir, 'config.yaml')
    writeFileSync(path, text)
    const {config} = loadConfig({env: {}, path})
    expect(config.openstack.password).to.equal('file-secret-789')
    expect(redactText('auth failed for file-secret-789 and ct-pass-456')).to.equal('auth failed for *** and ***')
  })

  it('a password equal to a name of the configuration (the minicloud\'s admin / admin): a warning, and the name is not masked', () => {
    const {warnings} = parseConfig(MINIMAL.replace('  password: os-pass-123\n', '  password: admin\n').replace('  concertim_password: ct-pass-456\n', '  concertim_password: admin\n'), {env: {}})
    expect(warnings.join('\n')).to.contain('openstack.password is the same as openstack.username: it is not masked in output')
    expect(warnings.join('\n')).to.contain('concertim.concertim_password is the same as concertim.concertim_username')
    clearSecrets()
    parseConfig(MINIMAL.replace('  password: os-pass-123\n', '  password: admin\n'), {env: {}})
    expect(redactText('user admin in project admin; ct-pass-456')).to.equal('user admin in project admin; ***')
    const plain = parseConfig(MINIMAL, {env: {}})
    expect(plain.warnings.join('\n')).to.not.contain('is the same as')
  })

  it('an unreadable *_file names its key', () => {
    const err = configError(() => parseConfig(MINIMAL.replace('  password: os-pass-123\n', '  password_file: /nonexistent/pw\n'), {env: {}}))
    expect(err.message).to.match(/'openstack\.password_file': cannot read \/nonexistent\/pw: ENOENT/)
  })

  it('a missing file says where it looked and how to give one', () => {
    const err = configError(() => loadConfig({env: {}, path: '/nonexistent/config.yaml'}))
    expect(err.message).to.match(/\/nonexistent\/config\.yaml does not exist.*--config FILE or CONCERTIM_OS_CONFIG/)
  })

  it('CONCERTIM_OS_CONFIG names the file when --config is not given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cos-config-'))
    const path = join(dir, 'c.yaml')
    writeFileSync(path, MINIMAL)
    expect(loadConfig({env: {CONCERTIM_OS_CONFIG: path}}).path).to.equal(path)
  })

  it('warns about unknown keys, with a suggestion', () => {
    const {warnings} = parseConfig(MINIMAL + '  concertim_pasword: x\nlog_levle: info\n', {env: {}})
    expect(warnings).to.include("unknown configuration key 'log_levle' is ignored (did you mean 'log_level'?)")
    expect(warnings).to.include("unknown configuration key 'concertim.concertim_pasword' is ignored (did you mean 'concertim_password'?)")
  })

  it('etc/config.sample.yaml loads without warnings and documents every key of the schema', () => {
    const sample = readFileSync(new URL('../../../etc/config.sample.yaml', import.meta.url), 'utf8')
    expect(parseConfig(sample, {env: {}}).warnings).to.deep.equal([])
    const missing: string[] = []
    const walk = (node: Record<string, unknown>, prefix: string) => {
      for (const [key, sub] of Object.entries((node.properties ?? {}) as Record<string, Record<string, unknown>>)) {
        if (!new RegExp(`^\\s*#?\\s*${key}:`, 'm').test(sample)) missing.push(prefix + key)
        if (sub.properties) walk(sub, `${prefix}${key}.`)
      }
    }
    walk(configSchema as Record<string, unknown>, '')
    expect(missing).to.deep.equal([])
  })
})

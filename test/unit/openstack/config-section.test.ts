import {expect} from 'chai'

import {ConfigError} from '../../../src/lib/errors.js'
import {keystoneAuthFromConfig, openStackOptionsFromConfig} from '../../../src/lib/openstack/config-section.js'

const URL = 'http://keystone:5000/v3'

describe('openstack/config-section: keystoneAuthFromConfig', () => {
  it('the original sample: project_id + username + user_domain_name; project_name is ignored', () => {
    const auth = keystoneAuthFromConfig({
      auth_url: 'http://host:35357/v3',
      password: 'pw-1',
      project_domain_name: 'Default',
      project_id: 'p-1',
      project_name: 'admin',
      user_domain_name: 'Default',
      username: 'admin',
    })
    expect(auth).to.deep.equal({authUrl: 'http://host:35357/v3', password: 'pw-1', project: {id: 'p-1'}, user: {domain: {name: 'Default'}, name: 'admin'}})
  })

  it('set 1: user_id + password + project_id (admin_* spellings)', () => {
    const auth = keystoneAuthFromConfig({admin_project_id: 'p', admin_user_id: 'u', admin_user_password: 'pw-2', auth_url: URL})
    expect(auth).to.deep.equal({authUrl: URL, password: 'pw-2', project: {id: 'p'}, user: {id: 'u'}})
  })

  it('set 3: names with both domains; admin_project_name and plain project_name', () => {
    const base = {auth_url: URL, password: 'pw-3', project_domain_name: 'Default', user_domain_name: 'Users', username: 'concertim'}
    expect(keystoneAuthFromConfig({...base, admin_project_name: 'admin'}).project).to.deep.equal({domain: {name: 'Default'}, name: 'admin'})
    expect(keystoneAuthFromConfig({...base, project_name: 'admin'})).to.deep.equal({
      authUrl: URL,
      password: 'pw-3',
      project: {domain: {name: 'Default'}, name: 'admin'},
      user: {domain: {name: 'Users'}, name: 'concertim'},
    })
  })

  it('set 4: user_id + project name + project domain; domain ids are accepted', () => {
    const auth = keystoneAuthFromConfig({auth_url: URL, password: 'pw-4', project_domain_id: 'default', project_name: 'acme', user_id: 'u'})
    expect(auth.user).to.deep.equal({id: 'u'})
    expect(auth.project).to.deep.equal({domain: {id: 'default'}, name: 'acme'})
    const byDomainId = keystoneAuthFromConfig({auth_url: URL, password: 'pw-4', project_id: 'p', user_domain_id: 'd1', username: 'x'})
    expect(byDomainId.user).to.deep.equal({domain: {id: 'd1'}, name: 'x'})
  })

  it('an id beats a name, and a later key overrides an earlier one (the original dict loop)', () => {
    const auth = keystoneAuthFromConfig({admin_username: 'a', auth_url: URL, password: 'pw-5', project_id: 'p', user_domain_name: 'D', user_id: 'uid', username: 'b'})
    expect(auth.user).to.deep.equal({id: 'uid'})
    const later = keystoneAuthFromConfig({admin_username: 'a', auth_url: URL, password: 'pw-5', project_id: 'p', user_domain_name: 'D', username: 'b'})
    expect(later.user).to.deep.equal({domain: {name: 'D'}, name: 'b'})
    const earlier = keystoneAuthFromConfig({auth_url: URL, password: 'pw-5', project_id: 'p', user_domain_name: 'D', username: 'b', admin_username: 'a'})
    expect(earlier.user).to.deep.equal({domain: {name: 'D'}, name: 'a'})
  })

  it('the v2 sets (username + tenant) are served by v3 in the default domain', () => {
    expect(keystoneAuthFromConfig({admin_tenant_name: 'admin', auth_url: URL, password: 'pw-6', username: 'admin'})).to.deep.equal({
      authUrl: URL,
      password: 'pw-6',
      project: {domain: {id: 'default'}, name: 'admin'},
      user: {domain: {id: 'default'}, name: 'admin'},
    })
    expect(keystoneAuthFromConfig({admin_tenant_id: 't1', auth_url: URL, password: 'pw-6', username: 'admin'}).project).to.deep.equal({id: 't1'})
  })

  it('coerces numbers and ignores empty values', () => {
    const auth = keystoneAuthFromConfig({auth_url: URL, password: 'pw-7', project_id: 12345, user_id: 'u', username: ''})
    expect(auth.project).to.deep.equal({id: '12345'})
  })

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['no auth_url', {password: 'pw-x', project_id: 'p', user_id: 'u'}, /auth_url/],
    ['a non-URL auth_url', {auth_url: 'keystone:5000', password: 'pw-x', project_id: 'p', user_id: 'u'}, /not an http/],
    ['no password', {auth_url: URL, project_id: 'p', user_id: 'u'}, /no password/],
    ['no user', {auth_url: URL, password: 'hunter2-secret', project_id: 'p'}, /no user/],
    ['a user name without domain', {auth_url: URL, password: 'hunter2-secret', project_id: 'p', username: 'bob'}, /user 'bob' is given by name without its domain/],
    ['a project name without domain', {auth_url: URL, password: 'hunter2-secret', project_name: 'acme', user_id: 'u'}, /project 'acme' is given by name without its domain/],
    ['no project', {auth_url: URL, password: 'hunter2-secret', user_id: 'u'}, /no project/],
    ['a list value', {auth_url: URL, password: 'pw', project_id: ['p'], user_id: 'u'}, /must be a string/],
  ]
  for (const [what, section, message] of bad) {
    it(`refuses ${what} with a ConfigError that names the keys, not the password`, () => {
      let err: unknown
      try {
        keystoneAuthFromConfig(section)
      } catch (error) {
        err = error
      }
      expect(err).to.be.instanceOf(ConfigError)
      expect((err as Error).message).to.match(message)
      expect((err as Error).message).not.to.contain('hunter2-secret')
    })
  }
})

describe('openstack/config-section: openStackOptionsFromConfig', () => {
  it('defaults: public interface, no region, no overrides', () => {
    expect(openStackOptionsFromConfig({})).to.deep.equal({
      computeMicroversion: undefined,
      endpointOverrides: {},
      interface: 'public',
      pageSize: undefined,
      region: undefined,
      renewMarginMs: undefined,
    })
  })

  it('reads interface (legacy spellings too), region, overrides, microversion, page size and margin', () => {
    expect(
      openStackOptionsFromConfig({
        compute_microversion: '2.79',
        endpoint_overrides: {volumev3: 'https://cinder:8776/v3/p'},
        interface: 'internalURL',
        page_size: 200,
        region_name: 'RegionTwo',
        token_renew_margin_seconds: 120,
      }),
    ).to.deep.equal({
      computeMicroversion: '2.79',
      endpointOverrides: {volumev3: 'https://cinder:8776/v3/p'},
      interface: 'internal',
      pageSize: 200,
      region: 'RegionTwo',
      renewMarginMs: 120_000,
    })
  })

  it('refuses bad values with the key in the message', () => {
    expect(() => openStackOptionsFromConfig({interface: 'private'})).to.throw(ConfigError, /openstack.interface/)
    expect(() => openStackOptionsFromConfig({endpoint_overrides: {compute: 'nova:8774'}})).to.throw(ConfigError, /endpoint_overrides.compute/)
    expect(() => openStackOptionsFromConfig({endpoint_overrides: ['x']})).to.throw(ConfigError, /map of service type/)
    expect(() => openStackOptionsFromConfig({compute_microversion: '3'})).to.throw(ConfigError, /compute_microversion/)
    expect(() => openStackOptionsFromConfig({page_size: 0})).to.throw(ConfigError, /page_size/)
  })
})

import {expect} from 'chai'

import {PagingLoopError} from '../../../src/lib/openstack/errors.js'
import {collectPages, type FetchedPage, linkQuery, nextFromLinkHeader, nextLink, type QueryParams} from '../../../src/lib/openstack/paging.js'

describe('openstack/paging', () => {
  it('follows next links to the end, laying their query over the first parameters', async () => {
    const seen: QueryParams[] = []
    const pages: Record<string, FetchedPage<number>> = {
      '': {items: [1, 2], next: 'http://inside.invalid/v2.1/servers/detail?limit=2&marker=b'},
      b: {items: [3, 4], next: '/servers/detail?limit=2&marker=d'},
      d: {items: [5]},
    }
    const result = await collectPages({system: 's', what: 'things'}, {all_tenants: '1', limit: 2}, async (params) => {
      seen.push(params)
      return pages[String(params.marker ?? '')]
    })
    expect(result).to.deep.equal({items: [1, 2, 3, 4, 5], pages: 3})
    expect(seen[1]).to.deep.equal({all_tenants: '1', limit: '2', marker: 'b'})
  })

  it('stops a marker loop', async () => {
    let calls = 0
    const err = await collectPages({system: 'nova', what: 'servers'}, {}, async () => {
      calls++
      return {items: [calls], next: `?marker=${calls > 2 ? 'same' : calls}`}
    }).catch((error: unknown) => error)
    expect(err).to.be.instanceOf(PagingLoopError)
    expect((err as Error).message).to.contain('nova: paging servers went in a loop').and.contain('marker=same')
    expect(calls).to.equal(4)
  })

  it('stops a next link that repeats the first page (no marker: the whole query is compared)', async () => {
    let calls = 0
    const err = await collectPages({system: 'keystone', what: 'projects'}, {}, async () => {
      calls++
      return {items: [], next: 'http://k/v3/projects'}
    }).catch((error: unknown) => error)
    expect(err).to.be.instanceOf(PagingLoopError)
    expect(calls).to.equal(1)
  })

  it('reads next links and Link headers', () => {
    expect(nextLink([{href: 'a', rel: 'self'}, {href: 'b', rel: 'next'}])).to.equal('b')
    expect(nextLink(undefined)).to.equal(undefined)
    expect(nextFromLinkHeader('<http://g/v1/resource?marker=x&limit=2>; rel="next"')).to.equal('http://g/v1/resource?marker=x&limit=2')
    expect(nextFromLinkHeader('<http://a>; rel="prev", <http://b?x=1,2>; rel=next')).to.equal('http://b?x=1,2')
    expect(nextFromLinkHeader(undefined)).to.equal(undefined)
  })

  it('turns a link query into parameters, repeated keys into lists', () => {
    expect(linkQuery('http://x/y?groupby=id&groupby=type&limit=5')).to.deep.equal({groupby: ['id', 'type'], limit: '5'})
  })
})

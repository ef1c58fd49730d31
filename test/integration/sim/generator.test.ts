import {expect} from 'chai'

import {generateCloud} from '../../../src/sim/generator.js'

describe('simulator cloud generator', () => {
  it('is deterministic: same seed, same cloud; another seed, another cloud', () => {
    const ids = (seed: number) => {
      const c = generateCloud({preset: 'small', seed})
      return [...c.world.projects.keys(), ...c.world.servers.all().map((s) => `${s.id}/${s.name}/${s.vmState}`), ...c.world.stacks.all().map((s) => s.id), ...[...c.world.gnocchiMetrics.keys()]]
    }
    expect(ids(42)).to.deep.equal(ids(42))
    expect(ids(42)).to.not.deep.equal(ids(43))
  })

  it('small: 3 CM_ teams, 5 stacks, 20 servers, 6 volumes, 4 networks, 5 flavors, consistent references', () => {
    const {teams, world} = generateCloud({preset: 'small'})
    expect([...world.projects.values()].filter((p) => p.name.startsWith('CM_'))).to.have.length(3)
    expect(teams).to.have.length(3)
    expect(world.stacks.all().filter((s) => s.parentId === null)).to.have.length(5)
    expect(world.servers.size).to.equal(20)
    expect(world.volumes.size).to.equal(6)
    expect(world.networks.size).to.equal(4)
    expect(world.flavors.size).to.equal(5)
    for (const s of world.servers.values()) {
      expect(world.flavors.has(s.flavorId)).to.equal(true)
      expect(teams.some((t) => t.projectId === s.projectId)).to.equal(true)
      for (const v of s.volumeIds) expect(world.volumes.get(v)?.attachments.some((a) => a.serverId === s.id)).to.equal(true)
    }
    for (const stack of world.stacks.values()) expect(world.users.get(stack.userId)?.name).to.equal(stack.owner)
  })

  it('cloud-10k: the promised counts, resource groups, server groups and several disks/NICs for some servers', () => {
    const {world} = generateCloud({preset: 'cloud-10k'})
    expect([...world.projects.values()].filter((p) => p.name.startsWith('CM_'))).to.have.length(200)
    const top = world.stacks.all().filter((s) => s.parentId === null)
    expect(top).to.have.length(1000)
    expect(world.servers.size).to.equal(10_000)
    expect(world.volumes.size).to.equal(2000)
    expect(world.networks.size).to.equal(1000)
    expect(world.flavors.size).to.equal(20)
    expect(top.some((s) => s.resources.some((r) => r.type === 'OS::Heat::ResourceGroup'))).to.equal(true)
    expect(top.some((s) => s.resources.some((r) => r.type === 'OS::Nova::ServerGroup'))).to.equal(true)
    expect(world.servers.all().filter((s) => s.stackId === null).length).to.equal(1000)
    expect(world.gnocchiTable('instance').size).to.equal(10_000)
    const sample = world.servers.all().slice(0, 500)
    expect(sample.some((s) => world.gnocchiOfInstance(s.id).filter((r) => r.type === 'instance_disk').length > 1)).to.equal(true)
  })

  it('sizes can be given directly', () => {
    const {world} = generateCloud({preset: 'empty', sizes: {flavors: 2, networks: 1, servers: 7, stacks: 2, teams: 1, usersPerTeam: 1, volumes: 3}})
    expect(world.servers.size).to.equal(7)
    expect(world.volumes.size).to.equal(3)
    expect(world.stacks.all().filter((s) => s.parentId === null)).to.have.length(2)
  })
})

/**
 * listen's delivery loop over the real engine and the simulator: the first events of a new stack and
 * of its servers arrive together; one rack's key is reconciled at a time, so the rack and each device
 * are created once, without a refused write or a retry.
 */
import {expect} from 'chai'

import {CallLedger} from '../../../src/lib/http/index.js'
import {Dispatcher} from '../../../src/lib/listen/dispatcher.js'
import {engineReconciler} from '../../../src/lib/listen/engine-adapter.js'
import {viewStoreClaim} from '../../../src/lib/listen/rack-locks.js'
import {ListenStats} from '../../../src/lib/listen/stats.js'
import {MemoryWatermarks} from '../../../src/lib/listen/watermarks.js'
import {silentLogger} from '../../../src/lib/output/logger.js'
import {createReconcileEngine} from '../../../src/lib/runtime/reconcile-engine.js'
import {serverEvent, stackEvent} from '../../unit/listen/support.js'
import {devicesByInstance, expectedMembers, racksByStack, startSyncWorld, type SyncWorld} from './support.js'

describe('listen: concurrent first events of a new stack', function () {
  this.timeout(60_000)
  let w: SyncWorld

  beforeEach(async () => {
    w = await startSyncWorld()
    await w.sync()
  })
  afterEach(async () => {
    await w.stop()
  })

  it("the stack's and its servers' first events write the rack once and each device once", async () => {
    const [seeded] = [...expectedMembers(w.sim).keys()].sort()
    const project = w.sim.world.stacks.get(seeded)?.projectId ?? ''
    const stack = w.sim.changes.createStack({name: 'together', projectId: project, servers: 3})
    const servers = expectedMembers(w.sim).get(stack.id)?.servers ?? []

    const ledger = new CallLedger()
    const {engine, store} = createReconcileEngine(w.config, {ledger, settings: {retries: 0, retryBaseMs: 10}})
    const stats = new ListenStats()
    const d = new Dispatcher({
      claim: viewStoreClaim(store),
      deadLetterMalformed: false,
      debounceMs: 0,
      logger: silentLogger,
      maxAttempts: 5,
      reconcile: engineReconciler(engine, silentLogger),
      retry: {baseMs: 5, jitter: 0, maxMs: 20},
      stats,
      watermarks: new MemoryWatermarks(),
    })
    try {
      const deliveries = [stackEvent(stack.id, 1, {eventType: 'orchestration.stack.create.end', tenant: project}), ...servers.map((id) => serverEvent(id, {eventType: 'instance.create.end', second: 1, tenant: project}))]
      for (const x of deliveries) d.receive(x)
      await d.whenIdle()
      expect(deliveries.every((x) => x.acked === 1)).to.equal(true)
    } finally {
      await store.close()
    }
    const refused = ledger.summary.filter((r) => r.system === 'concertim' && typeof r.status === 'number' && r.status >= 400)
    expect(refused, 'no write refused (a second POST of the rack, a duplicate device)').to.deep.equal([])
    expect(stats.counters.failed, 'no reconcile failed and was retried').to.equal(0)
    expect(racksByStack(w.sim).get(stack.id)).to.have.length(1)
    for (const id of servers) expect(devicesByInstance(w.sim).get(id), id).to.have.length(1)
    expect((await w.sync()).writes).to.equal(0)
  })
})

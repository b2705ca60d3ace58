import { randomBytes } from 'node:crypto';
import { createFirestore } from '../shared/adapters/gcp/firestoreClient.js';
import { client, startApi } from '../test/support/apiServer.js';
import { load, printTable, summarize } from './stats.js';

/**
 * Create-run throughput and latency through the real api function
 * (functions-framework → router → auth → Firestore transaction), against a
 * baseline in the same process: a bare Firestore write of the same document.
 */
export async function benchCreateRun(opts: { total: number; concurrency: number }): Promise<void> {
  const api = await startApi();
  const call = client(api.url);
  try {
    const ws = await call('POST', '/v1/workspaces', {
      key: api.adminKey,
      body: { name: 'bench', ownerEmail: 'b@b.test' },
    });
    const key = ws.body.apiKey.key as string;
    await call('POST', '/v1/workspaces/bench/work-pools', { key, body: { name: 'pool', kind: 'hybrid' } });
    await call('POST', '/v1/workspaces/bench/deployments', {
      key,
      body: {
        name: 'dep',
        workPool: 'pool',
        parameterSchema: { type: 'object', properties: { n: { type: 'integer' } } },
      },
    });
    // Warm-up: connections, compiled schema, JIT.
    await load(50, 10, async () => {
      await call('POST', '/v1/workspaces/bench/deployments/dep/runs', {
        key,
        body: { parameters: { n: 1 } },
      });
    });

    let sample: unknown;
    const viaApi = await load(opts.total, opts.concurrency, async (i) => {
      const r = await call('POST', '/v1/workspaces/bench/deployments/dep/runs', {
        key,
        body: { parameters: { n: i } },
      });
      if (r.status !== 201) throw new Error(`create run answered ${r.status}`);
      sample = r.body;
    });

    const firestore = createFirestore({ projectId: api.projectId });
    const col = firestore.collection('workspaces').doc('bench').collection('baseline');
    const doc = sample as Record<string, unknown>;
    const bare = await load(opts.total, opts.concurrency, async () => {
      await col.doc(randomBytes(10).toString('hex')).create(doc);
    });
    await firestore.terminate();

    const a = summarize(viaApi.latencies, viaApi.wallMs);
    const b = summarize(bare.latencies, bare.wallMs);
    printTable(`create run: ${opts.total} requests, ${opts.concurrency} concurrent, Firestore emulator`, [
      { path: 'POST …/runs (api)', 'req/s': a.perSecond, 'p50 ms': a.p50, 'p99 ms': a.p99 },
      { path: 'bare Firestore create (baseline)', 'req/s': b.perSecond, 'p50 ms': b.p50, 'p99 ms': b.p99 },
      {
        path: 'ratio api / baseline',
        'req/s': a.perSecond / b.perSecond,
        'p50 ms': a.p50 / b.p50,
        'p99 ms': a.p99 / b.p99,
      },
    ]);
  } finally {
    await api.close();
  }
}

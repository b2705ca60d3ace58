import { startFirestoreEmulator } from '../scripts/firestoreEmulator.js';
import { benchCreateRun } from './createRun.js';
import { installFirestoreCounter } from './firestoreCounter.js';
import { benchPushExecution } from './pushExecution.js';
import { benchScheduler } from './scheduler.js';

/**
 * `npm run bench`: starts its own Firestore emulator (and the project's
 * emulators where a benchmark needs them), prints figures, stops everything.
 * Sizes scale with BENCH_SCALE (default 1); BENCH_ONLY=name runs one benchmark.
 */
const scale = Number(process.env.BENCH_SCALE ?? '1');
const only = process.env.BENCH_ONLY;

async function main(): Promise<void> {
  const firestore = await startFirestoreEmulator();
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  const counter = installFirestoreCounter();
  const benches: Record<string, () => Promise<void>> = {
    createRun: () => benchCreateRun({ total: Math.round(1000 * scale), concurrency: 20 }),
    pushExecution: () => benchPushExecution({ runs: Math.round(200 * scale), counter }),
    scheduler: () => benchScheduler({ scale, counter }),
  };
  try {
    console.log(`pushrun benchmarks (Node ${process.version}, scale ${scale})`);
    for (const [name, run] of Object.entries(benches)) {
      if (only !== undefined && only !== name) continue;
      await run();
    }
  } finally {
    await firestore.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);

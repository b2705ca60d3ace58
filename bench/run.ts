import { startFirestoreEmulator } from '../scripts/firestoreEmulator.js';
import { benchCreateRun } from './createRun.js';

/**
 * `npm run bench`: starts its own Firestore emulator (and the project's
 * emulators where a benchmark needs them), prints figures, stops everything.
 * Sizes can be scaled with BENCH_SCALE (default 1).
 */
const scale = Number(process.env.BENCH_SCALE ?? '1');

async function main(): Promise<void> {
  const firestore = await startFirestoreEmulator();
  process.env.FIRESTORE_EMULATOR_HOST = firestore.host;
  process.env.METADATA_SERVER_DETECTION = 'none';
  try {
    console.log(`pushrun benchmarks (Node ${process.version}, scale ${scale})`);
    await benchCreateRun({ total: Math.round(1000 * scale), concurrency: 20 });
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

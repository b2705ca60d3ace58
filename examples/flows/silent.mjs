#!/usr/bin/env node
// A container that knows nothing of pushrun: it reports nothing and just exits.
// pushrun's monitor derives the run's state from the Cloud Run execution:
// exit 0 → COMPLETED, anything else → CRASHED with Cloud Run's own message.
const code = Number(process.argv[2] ?? '0');
const sleepMs = Number(process.argv[3] ?? '0');
setTimeout(() => {
  console.log(`silent flow exiting with ${code}`);
  process.exit(code);
}, sleepMs);

import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEmulators } from './server.js';

/** `npm run emulators [-- --endpoints-file PATH] [--host H] [--persist-dir DIR]`: runs until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'endpoints-file': { type: 'string', default: '.pushrun/emulators.json' },
      host: { type: 'string', default: '127.0.0.1' },
      'persist-dir': { type: 'string' },
    },
  });
  const file = resolve(values['endpoints-file']);
  const t0 = performance.now();
  const emulators = await startEmulators({
    host: values.host,
    ...(values['persist-dir'] ? { persistDir: resolve(values['persist-dir']) } : {}),
  });
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(emulators.endpoints, null, 2)}\n`);
  process.stdout.write(
    `emulators ready in ${Math.round(performance.now() - t0)} ms; endpoints in ${file}\n${JSON.stringify(emulators.endpoints, null, 2)}\n`,
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping emulators\n`);
    emulators
      .stop()
      .then(() => rm(file, { force: true }))
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`stop failed: ${String(err)}\n`);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `emulators failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

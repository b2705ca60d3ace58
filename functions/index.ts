import type { HttpFunction } from '@google-cloud/functions-framework';
import * as ff from '@google-cloud/functions-framework';
import { installBodyParserErrors } from './bodyParserErrors.js';

installBodyParserErrors();

/**
 * Registers every function by name; the platform starts one per process with
 * --target. Each handler is built on its first request, so a process loads
 * only its own function's dependencies, and a broken configuration answers a
 * plain 500 (logged) instead of crashing the instance in a loop.
 */
function lazy(build: () => Promise<HttpFunction>): HttpFunction {
  let handler: Promise<HttpFunction> | undefined;
  return async (req, res) => {
    handler ??= build().catch((err: unknown) => {
      handler = undefined;
      throw err;
    });
    let fn: HttpFunction;
    try {
      fn = await handler;
    } catch (err) {
      process.stderr.write(
        `${JSON.stringify({ severity: 'ERROR', message: 'function failed to start', error: String(err) })}\n`,
      );
      res
        .status(500)
        .json({ error: { code: 500, status: 'INTERNAL', message: 'internal error', details: [] } });
      return;
    }
    await fn(req, res);
  };
}

ff.http(
  'api',
  lazy(async () => (await import('../shared/wiring.js')).buildApi()),
);
ff.http(
  'scheduler',
  lazy(async () => (await import('../shared/wiring.js')).buildScheduler()),
);
ff.http(
  'dispatcher',
  lazy(async () => (await import('../shared/wiring.js')).buildDispatcher()),
);
ff.http(
  'monitor',
  lazy(async () => (await import('../shared/wiring.js')).buildMonitor()),
);

import type { HttpFunction } from '@google-cloud/functions-framework';
import type { z } from 'zod';
import { PushrunError, RetryableError } from '../shared/domain/errors.js';
import { toHttpError, zodDetails } from '../shared/http/errors.js';
import type { HttpRequest } from '../shared/http/types.js';
import type { Logger } from '../shared/logging.js';
import type { TaskOutcome } from '../shared/services/execution.js';
import { fromExpress, sendResponse } from './httpAdapter.js';

export interface TaskHandlerDeps<T> {
  name: string;
  schema: z.ZodType<T>;
  verify: (req: HttpRequest) => Promise<void>;
  handle: (task: T) => Promise<TaskOutcome>;
  logger: Logger;
}

/**
 * The shell of a Cloud Tasks target. Cloud Tasks retries any non-2xx, so:
 * a task that can never succeed (bad payload, a permanent refusal recorded on
 * the run) is answered 200; a transient failure 503 with Retry-After; an
 * unauthenticated caller 401/403 (retrying will not help it, but it is not us).
 */
export function createTaskHandler<T>(deps: TaskHandlerDeps<T>): HttpFunction {
  return async (expressReq, res) => {
    const req = fromExpress(expressReq);
    const taskName = req.headers['x-cloudtasks-taskname'];
    try {
      if (req.method !== 'POST') {
        sendResponse(res, {
          status: 405,
          body: { error: { code: 405, status: 'METHOD_NOT_ALLOWED', message: 'POST only', details: [] } },
        });
        return;
      }
      await deps.verify(req);
      let raw: unknown;
      try {
        raw = JSON.parse(req.body?.toString('utf8') ?? '');
      } catch {
        deps.logger.error('task payload is not JSON; dropped', { function: deps.name, taskName });
        sendResponse(res, { status: 200, body: { outcome: 'dropped', detail: 'payload is not JSON' } });
        return;
      }
      const parsed = deps.schema.safeParse(raw);
      if (!parsed.success) {
        const fields = zodDetails(parsed.error).map((d) => d.field);
        deps.logger.error('task payload invalid; dropped', { function: deps.name, taskName, fields });
        sendResponse(res, {
          status: 200,
          body: { outcome: 'dropped', detail: `invalid payload: ${fields.join(', ')}` },
        });
        return;
      }
      const outcome = await deps.handle(parsed.data);
      if (outcome.kind === 'retry') {
        sendResponse(res, {
          status: 503,
          headers: outcome.afterSeconds === undefined ? {} : { 'retry-after': String(outcome.afterSeconds) },
          body: { outcome: 'retry', detail: outcome.detail },
        });
        return;
      }
      deps.logger.debug('task done', { function: deps.name, taskName, detail: outcome.detail });
      sendResponse(res, { status: 200, body: { outcome: 'done', detail: outcome.detail } });
    } catch (err) {
      if (err instanceof RetryableError) {
        deps.logger.warn('task will be retried', { function: deps.name, taskName, error: err.message });
        sendResponse(res, {
          status: 503,
          headers:
            err.retryAfterSeconds === undefined ? {} : { 'retry-after': String(err.retryAfterSeconds) },
          body: { outcome: 'retry', detail: err.message },
        });
        return;
      }
      if (
        err instanceof PushrunError &&
        (err.status === 'UNAUTHENTICATED' || err.status === 'PERMISSION_DENIED')
      ) {
        sendResponse(res, toHttpError(err));
        return;
      }
      // Unknown failures are retried by the queue (with its backoff); the sweep is the backstop.
      deps.logger.error('task failed unexpectedly', { function: deps.name, taskName, error: err });
      sendResponse(res, { status: 500, body: { outcome: 'error', detail: 'internal error' } });
    }
  };
}

import type { HttpFunction } from '@google-cloud/functions-framework';
import { toHttpError } from '../shared/http/errors.js';
import type { HttpRequest } from '../shared/http/types.js';
import type { Logger } from '../shared/logging.js';
import { fromExpress, sendResponse } from './httpAdapter.js';

export interface SchedulerDeps {
  verify: (req: HttpRequest) => Promise<void>;
  /** One tick: all the scheduler's periodic work for the minute of `tickTime`. */
  tick: (tickTime: Date) => Promise<Record<string, unknown>>;
  logger: Logger;
  clock: () => Date;
}

/**
 * Cloud Scheduler target, every minute. The tick time comes from
 * X-CloudScheduler-ScheduleTime when present, so a retried or duplicated
 * invocation does the same minute's work (and its task names de-duplicate).
 */
export function createSchedulerHandler(deps: SchedulerDeps): HttpFunction {
  return async (expressReq, res) => {
    const req = fromExpress(expressReq);
    try {
      await deps.verify(req);
      const header = req.headers['x-cloudscheduler-scheduletime'];
      const parsed = header === undefined ? Number.NaN : Date.parse(header);
      const tickTime = Number.isNaN(parsed) ? deps.clock() : new Date(parsed);
      const result = await deps.tick(tickTime);
      sendResponse(res, { status: 200, body: { tickTime: tickTime.toISOString(), ...result } });
    } catch (err) {
      const out = toHttpError(err, deps.logger);
      // Cloud Scheduler retries per its own policy; a 5xx here means "try this minute again".
      sendResponse(res, out);
    }
  };
}

import type { HttpFunction } from '@google-cloud/functions-framework';
import { MonitorTask } from '../shared/contracts/tasks.js';
import type { HttpRequest } from '../shared/http/types.js';
import { type ExecutionDeps, monitorRun } from '../shared/services/execution.js';
import { createTaskHandler } from './taskHandler.js';

/** Cloud Tasks target: look at one attempt's execution once, then enqueue the next look. */
export function createMonitorHandler(
  deps: ExecutionDeps & { verify: (req: HttpRequest) => Promise<void> },
): HttpFunction {
  return createTaskHandler({
    name: 'monitor',
    schema: MonitorTask,
    verify: deps.verify,
    handle: (task) => monitorRun(deps, task),
    logger: deps.logger,
  });
}

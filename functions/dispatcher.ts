import type { HttpFunction } from '@google-cloud/functions-framework';
import { DispatchTask } from '../shared/contracts/tasks.js';
import type { HttpRequest } from '../shared/http/types.js';
import { dispatchRun, type ExecutionDeps } from '../shared/services/execution.js';
import { createTaskHandler } from './taskHandler.js';

/** Cloud Tasks target: launch one attempt of one run. */
export function createDispatcherHandler(
  deps: ExecutionDeps & { verify: (req: HttpRequest) => Promise<void> },
): HttpFunction {
  return createTaskHandler({
    name: 'dispatcher',
    schema: DispatchTask,
    verify: deps.verify,
    handle: (task) => dispatchRun(deps, task),
    logger: deps.logger,
  });
}

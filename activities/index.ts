/**
 * Activities: every side effect of the task workflow. Built by `createActivities(deps)` so that the worker injects
 * the database (and tests inject their own). Each activity is idempotent: Temporal may retry it after a crash or a
 * timeout, and a retried activity writes nothing twice (every row it writes carries a unique idempotency key).
 */
import { workdayTableActivity } from './calendar';
import { createChildTasksActivity } from './childTasks';
import { flagTaskActivity } from './flag';
import { projectLightActivity } from './light';
import { notifyActivity } from './notify';
import { projectTaskEventsActivity } from './projection';
import type { ActivityDeps } from './types';

export type { ActivityDeps } from './types';

export function createActivities(deps: ActivityDeps) {
  return {
    projectTaskEvents: projectTaskEventsActivity(deps),
    notify: notifyActivity(deps),
    createChildTasks: createChildTasksActivity(deps),
    projectLight: projectLightActivity(deps),
    workdayTable: workdayTableActivity(deps),
    flagTask: flagTaskActivity(deps),
  };
}

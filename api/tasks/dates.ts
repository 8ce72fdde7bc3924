/**
 * The lifecycle-date window at the edge (domain/deadline.ts `outsideLifecycleWindow`) for decisions that carry a new
 * date (an extension, a look-back's new deadline): checked against the task's campaign before the workflow sees it.
 */
import type { Db } from '../../db/client';
import { dateOf } from '../../domain/calendar';
import { outsideLifecycleWindow } from '../../domain/deadline';
import { AppError } from '../errors';

export async function requireDateInWindow(db: Db, taskId: string, date: string, field: string, now: Date) {
  const task = await db.task.findUnique({
    where: { id: taskId },
    select: { campaign: { select: { feedbackDate: true } } },
  });
  if (!task) return; // The visibility check that follows answers 404.
  const outside = outsideLifecycleWindow(date, {
    today: dateOf(now.toISOString()),
    feedbackDate: task.campaign.feedbackDate,
  });
  if (outside) throw AppError.validation(outside, [{ code: 'custom', path: [field], message: outside }]);
}

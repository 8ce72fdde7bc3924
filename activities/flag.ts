/**
 * A task the workflow cannot carry on with by itself (a timed step met an error the rules could not handle) is
 * flagged on its row, so that the admin sees it and every decision is refused with the reason; the admins are told
 * once per flagging. Clearing writes null. Idempotent: writing the same flag twice changes nothing more.
 */
import { writeNotifications } from './notify';
import type { ActivityDeps } from './types';

export interface TFlagTaskInput {
  taskId: string;
  /** The reason shown to people, or null to clear the flag. */
  reason: string | null;
  /** Workflow time (ISO). */
  at: string;
}

export function flagTaskActivity({ db }: ActivityDeps) {
  return async function flagTask(input: TFlagTaskInput): Promise<{ changed: boolean }> {
    const at = new Date(input.at);
    return db.$transaction(async (tx) => {
      const task = await tx.task.findUnique({ where: { id: input.taskId }, select: { flaggedReason: true } });
      if (!task) return { changed: false };
      if (task.flaggedReason === input.reason) return { changed: false };
      await tx.task.update({
        where: { id: input.taskId },
        data: { flaggedReason: input.reason, flaggedAt: input.reason === null ? null : at },
      });
      if (input.reason !== null) {
        await writeNotifications(
          tx,
          {
            idempotencyKey: `task-${input.taskId}:flagged:${input.at}`,
            taskId: input.taskId,
            kind: 'task_flagged',
            title: '【需处理】任务自动处理出错，已暂停',
            body: `${input.reason}\n查看：/tasks/${input.taskId}`,
            link: `/tasks/${input.taskId}`,
            recipients: [{ role: 'admin' }],
            at: input.at,
          },
          at,
        );
      }
      return { changed: true };
    });
  };
}

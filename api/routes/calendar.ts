/**
 * The working-day calendar: what each day is (working or not, its holiday name, where the answer comes from) and
 * which years have official data; admins override single days (a holiday the package lacks, a year not yet in it).
 *
 * GET    /api/calendar?from&to       any signed-in user; range at most one year
 * PUT    /api/calendar/days/:date    admin: { workday, name }
 * DELETE /api/calendar/days/:date    admin: drop the override (404 when there is none)
 *
 * Workflows read the calendar through the `workdayTable` local activity: an edit here changes the timers they plan
 * after their next look at it, never what they already ran.
 */
import { Router } from 'express';
import { z } from 'zod';
import { calendarCoverage, loadWorkdayTable } from '../../activities/calendar';
import { addMonthsToDate, isValidDate } from '../../domain/calendar';
import { calendarDays } from '../../domain/workdays';
import { actorOf } from '../auth';
import type { TAppDeps } from '../deps';
import { AppError } from '../errors';

const ZDate = (field: string) =>
  z
    .string({ error: `${field} 必须是日期（YYYY-MM-DD）` })
    .refine(isValidDate, { message: `${field} 必须是有效日期（YYYY-MM-DD）` });

export const ZCalendarQuery = z.object({ from: ZDate('from'), to: ZDate('to') });
export type TCalendarQuery = z.infer<typeof ZCalendarQuery>;

export const ZCalendarDayParams = z.object({ date: ZDate('date') });

export const ZPutCalendarDay = z.object({
  workday: z.boolean({ error: 'workday 必须是 true 或 false' }),
  name: z
    .string({ error: 'name 必须是文字' })
    .trim()
    .max(50, { message: 'name 最多 50 个字' })
    .nullish()
    .transform((v) => (v ? v : null)),
});
export type TPutCalendarDay = z.infer<typeof ZPutCalendarDay>;

/** Parses or throws a 400 naming the field (the first issue's path) in Chinese. */
function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || '请求';
  const message = issue?.message && /[\u4e00-\u9fff]/.test(issue.message) ? issue.message : `${field} 无效`;
  throw AppError.validation(message, result.error.issues);
}

function requireAdmin(role: string): void {
  if (role !== 'admin') throw AppError.forbidden('只有系统管理员可以调整工作日历');
}

export function calendarRouter(deps: TAppDeps): Router {
  const router = Router();
  const { db } = deps;

  router.get('/calendar', async (req, res) => {
    actorOf(res);
    const { from, to } = parse(ZCalendarQuery, req.query);
    if (to < from) throw AppError.validation('to 不能早于 from', [{ path: ['to'], message: 'to 不能早于 from' }]);
    if (to >= addMonthsToDate(from, 12)) {
      throw AppError.validation('to 距 from 最多一年（to 须早于次年同日）', [{ path: ['to'], message: '最多一年' }]);
    }
    const table = await loadWorkdayTable(db, from, to);
    res.json({ days: calendarDays(table, from, to), coverage: calendarCoverage(table) });
  });

  router.put('/calendar/days/:date', async (req, res) => {
    const actor = actorOf(res);
    requireAdmin(actor.role);
    const { date } = parse(ZCalendarDayParams, req.params);
    const body = parse(ZPutCalendarDay, req.body ?? {});
    const at = deps.now();
    const row = await db.calendarOverride.upsert({
      where: { date },
      create: { date, workday: body.workday, name: body.name, updatedById: actor.userId, updatedAt: at },
      update: { workday: body.workday, name: body.name, updatedById: actor.userId, updatedAt: at },
    });
    res.json({
      date: row.date,
      workday: row.workday,
      ...(row.name ? { name: row.name } : {}),
      source: 'override',
      updatedById: row.updatedById,
      updatedAt: row.updatedAt.toISOString(),
    });
  });

  router.delete('/calendar/days/:date', async (req, res) => {
    const actor = actorOf(res);
    requireAdmin(actor.role);
    const { date } = parse(ZCalendarDayParams, req.params);
    const { count } = await db.calendarOverride.deleteMany({ where: { date } });
    if (count === 0) throw AppError.notFound(`${date} 没有人工调整`);
    const table = await loadWorkdayTable(db, date, date);
    res.json(calendarDays(table, date, date)[0]);
  });

  return router;
}

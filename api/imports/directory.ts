/**
 * The directory import: sheets 单位 and 人员 previewed like a task list (POST /api/directory/imports), then written
 * on commit in one transaction — units parents first, people with a one-time initial password each, answered once.
 * A unit whose name is already in the directory, or a username already taken, is left as it is, so a second commit
 * (or a re-import of the same file) creates nothing twice.
 */
import { normaliseName, planDirectory, type TPlannedUnit, type TPlannedUser } from '../../domain/import';
import { generatePassword, hashPassword } from '../auth/password';
import type { TApiActor } from '../auth';
import type { TAppDeps } from '../deps';
import { aliasesOf, loadDirectorySnapshot } from '../directory/snapshot';
import { AppError } from '../errors';
import { readSpreadsheet } from './read';
import { importView } from './tasks';

export async function createDirectoryImport(
  deps: TAppDeps,
  actor: TApiActor,
  upload: { buffer: Buffer; fileName: string },
) {
  const sheets = await readSpreadsheet(upload.buffer, upload.fileName);
  const byName = (name: string) => sheets.find((s) => s.name.trim() === name) ?? null;
  const unitsSheet = byName('单位');
  const usersSheet = byName('人员');
  for (const sheet of [unitsSheet, usersSheet]) {
    if (sheet && sheet.formulaCells.length > 0) {
      throw bad(
        `工作表“${sheet.name}”含有公式（${sheet.formulaCells.slice(0, 5).join('、')}）：请复制后“粘贴为数值”再导入`,
      );
    }
  }
  const result = planDirectory(
    { units: unitsSheet?.grid ?? null, users: usersSheet?.grid ?? null },
    await loadDirectorySnapshot(deps.db),
  );
  if (!result.ok) throw bad(result.message);
  const { plan } = result;
  if (plan.units.length + plan.users.length === 0) throw bad('表格中没有单位或人员');
  const row = await deps.db.import.create({
    data: {
      kind: 'directory',
      fileName: upload.fileName.slice(0, 255) || 'upload',
      status: 'preview',
      summary: plan.summary,
      rows: JSON.parse(JSON.stringify({ units: plan.units, users: plan.users })) as object,
      total: plan.units.length + plan.users.length,
      createdById: actor.userId,
    },
  });
  return importView(row);
}

function bad(message: string): AppError {
  return AppError.validation(message, [{ code: 'custom', path: ['file'], message }]);
}

export async function commitDirectoryImport(deps: TAppDeps, importId: string) {
  const { db } = deps;
  const record = await db.import.findUnique({ where: { id: importId } });
  if (!record || record.kind !== 'directory') throw AppError.notFound(`Import ${importId} not found`);
  if (record.status === 'committed') {
    return {
      view: importView(record),
      created: { units: 0, users: [] as { username: string; initialPassword: string }[] },
    };
  }
  const rows = record.rows as unknown as { units: TPlannedUnit[]; users: TPlannedUser[] };
  const errors = [...rows.units, ...rows.users].reduce((n, r) => n + r.errors.length, 0);
  if (errors > 0) throw AppError.validation(`预览中有 ${errors} 处错误，不能导入：请修正后重新上传`);
  // Hashed before the transaction (scrypt is slow): the transaction holds SQLite's writer only for the inserts.
  const passwords = new Map<string, string>();
  const hashes = new Map<string, string>();
  await Promise.all(
    rows.users.map(async (u) => {
      const password = generatePassword();
      passwords.set(u.username, password);
      hashes.set(u.username, await hashPassword(password));
    }),
  );
  const created = await db.$transaction(async (tx) => {
    const all = await tx.unit.findMany({ select: { id: true, name: true, aliases: true } });
    const idOf = new Map<string, string>();
    for (const u of all) for (const w of [u.name, ...aliasesOf(u.aliases)]) idOf.set(normaliseName(w), u.id);
    let unitsCreated = 0;
    // Parents first: each pass creates the rows whose parent exists by now; a pass creating nothing ends it.
    let pending = rows.units.filter((u) => !idOf.has(normaliseName(u.name)));
    while (pending.length > 0) {
      const next: TPlannedUnit[] = [];
      for (const u of pending) {
        const parentId = u.parentName ? idOf.get(normaliseName(u.parentName)) : null;
        if (parentId === undefined) {
          next.push(u);
          continue;
        }
        const unit = await tx.unit.create({
          data: { name: u.name, parentId, level: u.level!, kind: u.kind!, aliases: u.aliases },
        });
        idOf.set(normaliseName(u.name), unit.id);
        for (const a of u.aliases) if (!idOf.has(normaliseName(a))) idOf.set(normaliseName(a), unit.id);
        unitsCreated++;
      }
      if (next.length === pending.length) {
        throw AppError.validation(`上级单位形成循环或不存在：${next.map((u) => u.name).join('、')}`);
      }
      pending = next;
    }
    const taken = new Set(
      (
        await tx.user.findMany({
          where: { username: { in: rows.users.map((u) => u.username) } },
          select: { username: true },
        })
      ).map((u) => u.username),
    );
    const users: { username: string; initialPassword: string }[] = [];
    for (const u of rows.users) {
      if (taken.has(u.username)) continue;
      const unitId = idOf.get(normaliseName(u.unitName));
      if (!unitId) throw AppError.validation(`第 ${u.row} 行：所属单位“${u.unitName}”不存在`);
      await tx.user.create({
        data: {
          name: u.name,
          username: u.username,
          role: u.role!,
          unitId,
          email: u.email,
          phone: u.phone,
          passwordHash: hashes.get(u.username)!,
        },
      });
      users.push({ username: u.username, initialPassword: passwords.get(u.username)! });
    }
    await tx.import.update({
      where: { id: importId },
      data: { status: 'committed', committedAt: deps.now(), rowsWritten: unitsCreated + users.length },
    });
    return { units: unitsCreated, users };
  });
  const after = await db.import.findUniqueOrThrow({ where: { id: importId } });
  return { view: importView(after), created };
}

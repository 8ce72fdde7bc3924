/**
 * Evidence in a report or close-out application may name an uploaded file (`{ fileId }`). The API resolves it to the
 * stored file's facts before the workflow sees it, so the workflow records what was really stored (name, digest,
 * size, sniffed type), not what the caller claims. A file may be attached only by whoever uploaded it, or again on a
 * task that already has it as evidence: otherwise attaching a guessed or leaked file id would grant read access to
 * someone else's file (GET /api/files/:id serves evidence to everyone who may see the task).
 */
import type { Db } from '../../db/client';
import type { TEvidenceInput } from '../../workflows/messages';
import type { TApiActor } from '../auth';
import { AppError } from '../errors';
import type { TEvidenceItemBody } from '../routes/schemas';

export async function resolveEvidence(
  db: Db,
  actor: TApiActor,
  taskId: string,
  items: TEvidenceItemBody[] | undefined,
): Promise<TEvidenceInput[] | undefined> {
  if (!items) return undefined;
  const out: TEvidenceInput[] = [];
  for (const [index, item] of items.entries()) {
    if (!('fileId' in item)) {
      out.push(item);
      continue;
    }
    const refused = () =>
      AppError.validation(`证据文件 ${item.fileId} 不存在或不可引用`, [
        {
          code: 'custom',
          path: ['evidence', index, 'fileId'],
          message: '文件不存在，或不是您上传的文件',
        },
      ]);
    const file = await db.storedFile.findUnique({ where: { id: item.fileId } });
    if (!file) throw refused();
    if (file.uploadedById !== actor.userId) {
      const already = await db.evidence.findFirst({ where: { fileId: file.id, taskId }, select: { id: true } });
      if (!already) throw refused();
    }
    out.push({
      fileId: file.id,
      fileName: file.fileName,
      sha256: file.sha256,
      sizeBytes: file.sizeBytes,
      mimeType: file.mimeType,
    });
  }
  return out;
}

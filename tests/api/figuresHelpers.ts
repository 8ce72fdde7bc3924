/**
 * Steps the ledger, statistics and notice tests drive through the real API: create tasks, report and have the
 * report accepted, close a task through its three sign-off levels.
 */
import { inflateRawSync } from 'node:zlib';
import request from 'supertest';
import { as, type TApiStack, type demoCast } from './harness';

/** GETs a file as bytes (supertest buffers only text by default). */
export async function download(
  stack: TApiStack,
  user: { token: string },
  url: string,
): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
  const res = await request(stack.app)
    .get(url)
    .set('Authorization', `Bearer ${user.token}`)
    .buffer(true)
    .parse((response, callback) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => callback(null, Buffer.concat(chunks)));
    });
  return { status: res.status, headers: res.headers as Record<string, string>, body: res.body as Buffer };
}

/**
 * The entries of a zip archive (an .xlsx or .docx), read from its central directory with node:zlib: a damaged
 * archive throws. Stored and deflated entries only, as office files use.
 */
export function unzip(zip: Buffer): Map<string, Buffer> {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const out = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('damaged central directory');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const dataAt = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(dataAt, dataAt + size);
    out.set(name, method === 0 ? Buffer.from(data) : inflateRawSync(data));
    at += 46 + nameLength + extra + comment;
  }
  return out;
}

export type TCast = ReturnType<typeof demoCast>;
type TUser = TCast['office'];

function ok(res: { status: number; body: unknown }, what: string): void {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function createTasks(
  stack: TApiStack,
  office: TUser,
  campaignId: string,
  tasks: object[],
): Promise<string[]> {
  const res = await as(stack.app, office).post(`/api/campaigns/${campaignId}/tasks`, { tasks });
  ok(res, 'create tasks');
  return (res.body as { tasks: { id: string }[] }).tasks.map((t) => t.id);
}

/** The unit acknowledges and reports; the office accepts the report. */
export async function reportAccepted(
  stack: TApiStack,
  cast: TCast,
  taskId: string,
  staff: TUser,
  progress: string,
  evidence: object[] = [],
): Promise<void> {
  const period = await stack.currentPeriod();
  ok(await as(stack.app, staff).post(`/api/tasks/${taskId}/acknowledge`), 'acknowledge');
  ok(await as(stack.app, staff).post(`/api/tasks/${taskId}/reports`, { period, progress, evidence }), 'report');
  ok(
    await as(stack.app, cast.office).post(`/api/tasks/${taskId}/reports/${period}/review`, { decision: 'accept' }),
    'accept',
  );
}

/** Applies for close-out and signs at every level (unit head, office, leader): the task ends CLOSED. */
export async function close(stack: TApiStack, cast: TCast, taskId: string, staff: TUser, head: TUser): Promise<void> {
  ok(await as(stack.app, staff).post(`/api/tasks/${taskId}/closure`, { summary: '整改任务已全部完成。' }), 'apply');
  for (const signer of [head, cast.office, cast.leader]) {
    ok(await as(stack.app, signer).post(`/api/tasks/${taskId}/sign-off`, { decision: 'approve' }), 'sign-off');
  }
}

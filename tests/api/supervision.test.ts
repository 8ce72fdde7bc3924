/**
 * 督办 as numbered documents on the real stack (dev server, worker, SQLite, Express): 文号 without gaps under 20
 * concurrent escalations, the Word document, 签收 and 反馈 audited and shown on the task view, and supervisor
 * jurisdiction for reads and for escalation notices. A second organisation (南江省, with its own office, department and
 * discipline-inspection group) stands beside the demo one so that each group's supervisor has something not to see.
 */
import { inflateRawSync } from 'node:zlib';
import type { Express } from 'express';
import supertest from 'supertest';
import { generateToken, hashToken } from '../../api/auth';
import { dateOf } from '../../domain/calendar';
import type { TRole } from '../../domain/policy';
import type { TDemoUser } from '../../scripts/seed-demo';
import { as, demoCast, eventually, openCampaign, startApiStack, taskBody, type TApiStack } from './harness';

let stack: TApiStack;
let cast: ReturnType<typeof demoCast>;

/** Shaped as a demo user so the harness helpers take it; API token only (no username or password). */
type TPerson = TDemoUser;

/** The second organisation, its people, and one campaign whose ladder's only step tells the supervisor. */
let south: {
  rootId: string;
  officeUnitId: string;
  deptId: string;
  disciplineId: string;
  office: TPerson;
  staff: TPerson;
  head: TPerson;
  leader: TPerson;
  supervisor: TPerson;
  campaignId: string;
};
/** 20 overdue tasks of the second organisation, escalated by the ladder at once. */
let southTasks: string[];
/** A demo campaign with the same one-step ladder, and an overdue demo task in it. */
let demoCampaignId: string;
let demoOverdueTask: string;

const LADDER = [{ step: 'supervision_notice', afterDaysOverdue: 0, notify: ['office', 'leader', 'supervisor'] }];

async function person(name: string, role: TRole, unitId: string): Promise<TPerson> {
  const user = await stack.db.user.create({ data: { name, role, unitId } });
  const token = generateToken();
  await stack.db.apiToken.create({ data: { userId: user.id, tokenHash: hashToken(token) } });
  return { userId: user.id, name, token, unitId, role, username: '', password: '' };
}

async function createSouth() {
  const unit = async (name: string, level: string, kind: string, parentId: string | null) =>
    (await stack.db.unit.create({ data: { name, level, kind, parentId } })).id;
  const rootId = await unit('南江省卫生健康委员会', 'province', 'government', null);
  const officeUnitId = await unit('南江省整改办', 'province', 'office', rootId);
  const deptId = await unit('南江省疾控处', 'department', 'department', rootId);
  const disciplineId = await unit('驻南江省卫健委纪检监察组', 'province', 'discipline', rootId);
  await stack.db.supervisedUnit.create({ data: { disciplineUnitId: disciplineId, unitId: deptId } });
  const office = await person('林整改（南江省整改办）', 'office', officeUnitId);
  const leader = await person('高主任（南江省领导）', 'leader', rootId);
  const campaignId = await openCampaign(stack.app, office, rootId, {
    name: '南江省巡视整改',
    policy: { escalationLadder: LADDER },
  });
  return {
    rootId,
    officeUnitId,
    deptId,
    disciplineId,
    office,
    staff: await person('方干事（南江省疾控处）', 'unit_staff', deptId),
    head: await person('罗处长（南江省疾控处）', 'unit_head', deptId),
    leader,
    supervisor: await person('蒋组长（南江省纪检监察组）', 'supervisor', disciplineId),
    campaignId,
  };
}

/** Creates overdue tasks (deadline long past) in one request; their workflows escalate at once. */
async function overdueTasks(
  office: { token: string },
  campaignId: string,
  leadUnitId: string,
  leaderId: string,
  count: number,
): Promise<string[]> {
  const res = await as(stack.app, office).post(`/api/campaigns/${campaignId}/tasks`, {
    tasks: Array.from({ length: count }, (_, i) =>
      taskBody(leadUnitId, leaderId, {
        problem: { category: '党的建设', title: `督办测试问题${i + 1}` },
        deadline: '2020年12月31日前完成',
      }),
    ),
  });
  expect(res.status).toBe(201);
  return (res.body.tasks as { id: string }[]).map((t) => t.id);
}

type TView = {
  status: string;
  supervisionNotices: {
    id: string;
    step: string;
    title: string;
    documentNo: string | null;
    documentUrl: string | null;
    issuingUnitName: string | null;
    recipientUnitId: string | null;
    recipientUnitName: string | null;
    answerDueAt: string | null;
    signedAt: string | null;
    signedByName: string | null;
    feedback: string | null;
    feedbackAt: string | null;
    feedbackEvidence: { fileName: string }[];
  }[];
  allowedActions: { action: string; noticeIds?: string[]; steps?: string[] }[];
  audit: { action: string; actorId: string | null; detail: unknown }[];
};

async function view(reader: { token: string }, taskId: string): Promise<TView> {
  const res = await as(stack.app, reader).get(`/api/tasks/${taskId}`);
  expect(res.status).toBe(200);
  return res.body as TView;
}

/** Waits until the task's workflow has projected `count` numbered notices. */
async function noticesOf(reader: { token: string }, taskId: string, count = 1) {
  return eventually(
    () => view(reader, taskId),
    (v) => v.supervisionNotices.filter((n) => n.documentNo).length >= count,
    `task ${taskId} to have ${count} numbered notice(s)`,
  );
}

/** Reads a .docx (a zip) and returns one entry's text: central directory, then the entry's local header. */
function zipEntry(zip: Buffer, name: string): string | null {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip: no end of central directory');
  const entries = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(at) !== 0x02014b50) throw new Error('bad central directory');
    const method = zip.readUInt16LE(at + 10);
    const size = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30);
    const comment = zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const entryName = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    if (entryName === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + size);
      return (method === 8 ? inflateRawSync(data) : data).toString('utf8');
    }
    at += 46 + nameLength + extra + comment;
  }
  return null;
}

/**
 * Like the harness's `eventually`, with more patience: 20 workflows starting and projecting at once on a loaded
 * 2-core machine have taken 25 s (their projections queue on SQLite's single writer).
 */
async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function binary(req: supertest.Test): supertest.Test {
  return req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
}

function post(app: Express, who: { token: string }, url: string, body?: object) {
  return as(app, who).post(url, body);
}

beforeAll(async () => {
  stack = await startApiStack();
  cast = demoCast(stack.users);
  south = await createSouth();
  demoCampaignId = await openCampaign(stack.app, cast.office, cast.leader.unitId, {
    name: '督办测试（演示单位）',
    policy: { escalationLadder: LADDER },
  });
}, 120_000);

afterAll(async () => {
  await stack?.teardown();
});

describe('numbered 督办 documents', () => {
  it('When 20 tasks escalate at once, then their 文号 run 1..20 for the office and year, with no gap or duplicate', async () => {
    southTasks = await overdueTasks(south.office, south.campaignId, south.deptId, south.leader.userId, 20);
    const rows = await until(
      () => stack.db.supervisionNotice.findMany({ where: { issuingUnitId: south.officeUnitId } }),
      (found) => found.length >= 20,
      '20 escalation notices',
    );
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.docSeq).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const row of rows) {
      const year = Number(dateOf(row.issuedAt.toISOString()).slice(0, 4));
      expect(row.docYear).toBe(year);
      expect(row.documentNo).toBe(`南江省整改办督〔${year}〕${row.docSeq}号`);
      expect(row).toMatchObject({ step: 'supervision_notice', kind: 'escalation', recipientUnitId: south.deptId });
    }
    expect(new Set(rows.map((r) => r.taskId)).size).toBe(20);
  }, 150_000);

  it('When the task is read, then each notice shows its 文号, issuer, recipient, answer date and document link', async () => {
    const v = await noticesOf(south.office, southTasks[0]!);
    const notice = v.supervisionNotices[0]!;
    expect(notice).toMatchObject({
      step: 'supervision_notice',
      title: '督办通知书',
      documentNo: expect.stringMatching(/^南江省整改办督〔\d{4}〕\d+号$/),
      documentUrl: `/api/supervision-notices/${notice.id}/document.docx`,
      issuingUnitName: '南江省整改办',
      recipientUnitId: south.deptId,
      recipientUnitName: '南江省疾控处',
      signedAt: null,
      feedback: null,
      feedbackAt: null,
    });
    // Due at the end of the 7th Shanghai day after issue.
    expect(Date.parse(notice.answerDueAt!)).toBeGreaterThan(Date.now() + 6 * 24 * 3600 * 1000);
  });

  it('When the document is downloaded, then it is a .docx whose body names the 文号, the recipient and the task', async () => {
    const notice = (await noticesOf(south.office, southTasks[1]!)).supervisionNotices[0]!;
    const res = await binary(as(stack.app, south.staff).get(notice.documentUrl!));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.openxmlformats-officedocument.wordprocessingml.document');
    expect(res.headers['content-disposition']).toContain(`filename*=UTF-8''${encodeURIComponent(notice.documentNo!)}`);
    const zip = res.body as Buffer;
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\u0003\u0004');
    const xml = zipEntry(zip, 'word/document.xml');
    expect(xml).not.toBeNull();
    expect(xml).toContain(notice.documentNo!);
    expect(xml).toContain('南江省疾控处：');
    expect(xml).toContain('督办测试问题2');
    expect(xml).toContain('南江省整改办');
    // GB/T 9704 fonts are named, the 发文机关标志 is red.
    expect(xml).toContain('方正小标宋简体');
    expect(xml).toContain('仿宋_GB2312');
    expect(xml).toContain('黑体');
    expect(xml).toMatch(/w:color w:val="FF0000"/);
    expect(zipEntry(zip, '[Content_Types].xml')).toContain('wordprocessingml');
  });

  it('When an unknown notice or one outside the caller’s scope is asked for, then 404 and 403', async () => {
    expect((await as(stack.app, south.office).get('/api/supervision-notices/nope/document.docx')).status).toBe(404);
    const notice = (await noticesOf(south.office, southTasks[1]!)).supervisionNotices[0]!;
    expect((await as(stack.app, cast.medicalStaff).get(notice.documentUrl!)).status).toBe(403);
    expect((await as(stack.app, cast.supervisor).get(notice.documentUrl!)).status).toBe(403);
  });
});

describe('签收 and 反馈', () => {
  it('When the recipient unit signs and then answers, then both are audited and shown, each once', async () => {
    const taskId = southTasks[2]!;
    const before = await noticesOf(south.staff, taskId);
    const notice = before.supervisionNotices[0]!;
    expect(before.allowedActions).toContainEqual({ action: 'sign_supervision', noticeIds: [notice.id] });
    expect(before.allowedActions.map((a) => a.action)).not.toContain('answer_supervision');
    // The office sees the notice but does not sign for the lead unit.
    expect((await view(south.office, taskId)).allowedActions.map((a) => a.action)).not.toContain('sign_supervision');
    expect((await post(stack.app, south.office, `/api/supervision-notices/${notice.id}/sign`)).status).toBe(403);
    // 反馈 comes after 签收.
    const early = await post(stack.app, south.staff, `/api/supervision-notices/${notice.id}/feedback`, {
      text: '已整改',
    });
    expect(early.status).toBe(409);

    const signed = await post(stack.app, south.staff, `/api/supervision-notices/${notice.id}/sign`);
    expect(signed.status).toBe(200);
    const afterSign = signed.body as TView;
    expect(afterSign.supervisionNotices[0]).toMatchObject({
      signedAt: expect.any(String),
      signedByName: '方干事（南江省疾控处）',
    });
    expect(afterSign.allowedActions).toContainEqual({ action: 'answer_supervision', noticeIds: [notice.id] });
    expect(afterSign.allowedActions.map((a) => a.action)).not.toContain('sign_supervision');
    // The head of the same unit cannot sign a second time.
    const again = await post(stack.app, south.head, `/api/supervision-notices/${notice.id}/sign`);
    expect(again.status).toBe(409);

    const bad = await post(stack.app, south.head, `/api/supervision-notices/${notice.id}/feedback`, { text: '  ' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toEqual(['text']);

    const answered = await post(stack.app, south.head, `/api/supervision-notices/${notice.id}/feedback`, {
      text: '已制定专项整改方案，正在推进',
      evidence: [{ fileName: '整改方案.pdf', sha256: 'a'.repeat(64), sizeBytes: 1024 }],
    });
    expect(answered.status).toBe(200);
    const after = answered.body as TView;
    expect(after.supervisionNotices[0]).toMatchObject({
      feedback: '已制定专项整改方案，正在推进',
      feedbackAt: expect.any(String),
      feedbackEvidence: [expect.objectContaining({ fileName: '整改方案.pdf' })],
    });
    expect(after.allowedActions.map((a) => a.action)).not.toContain('answer_supervision');
    const twice = await post(stack.app, south.staff, `/api/supervision-notices/${notice.id}/feedback`, {
      text: '再次',
    });
    expect(twice.status).toBe(409);

    const audit = after.audit.filter((a) => ['SupervisionNoticeSigned', 'SupervisionFeedback'].includes(a.action));
    expect(audit.map((a) => [a.action, a.actorId])).toEqual([
      ['SupervisionNoticeSigned', south.staff.userId],
      ['SupervisionFeedback', south.head.userId],
    ]);
    expect(audit[1]!.detail).toMatchObject({ noticeId: notice.id, text: '已制定专项整改方案，正在推进' });
    // Written through the hash-chained audit helper.
    const rows = await stack.db.auditEvent.findMany({
      where: { taskId, action: { in: ['SupervisionNoticeSigned', 'SupervisionFeedback'] } },
    });
    expect(rows.every((r) => r.chainSeq !== null && r.hash)).toBe(true);
    expect(await stack.db.evidence.count({ where: { taskId, fileName: '整改方案.pdf' } })).toBe(1);
    // The issuing office is told the answer has come, with it; the answering unit is not.
    const told = await as(stack.app, south.office).get('/api/inbox');
    const note = (told.body.notifications as { kind: string; taskId: string; title: string; body: string }[]).find(
      (n) => n.kind === 'supervision_feedback' && n.taskId === taskId,
    );
    expect(note?.title).toBe('【督办反馈】南江省疾控处“督办测试问题3”');
    expect(note?.body).toContain(`已对${notice.documentNo}作出反馈：已制定专项整改方案，正在推进。`);
    expect(
      await stack.db.notification.count({ where: { taskId, kind: 'supervision_feedback', unitId: south.deptId } }),
    ).toBe(0);
  });

  it('When the answer cites an uploaded file, then whoever may see the task may open it, and another’s file is refused', async () => {
    const notice = (await noticesOf(south.staff, southTasks[7]!)).supervisionNotices[0]!;
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
    const upload = (who: { token: string }) =>
      supertest(stack.app)
        .post('/api/files')
        .set('Authorization', `Bearer ${who.token}`)
        .attach('file', pdf, { filename: '整改台账.pdf', contentType: 'application/octet-stream' });
    const mine = await upload(south.staff);
    expect(mine.status).toBe(201);
    const theirs = await upload(south.office);
    expect(theirs.status).toBe(201);
    expect((await post(stack.app, south.staff, `/api/supervision-notices/${notice.id}/sign`)).status).toBe(200);
    // Someone else's upload cannot be cited (it would give read access to it): 400 naming the item, nothing written.
    const refused = await post(stack.app, south.staff, `/api/supervision-notices/${notice.id}/feedback`, {
      text: '附台账',
      evidence: [{ fileId: theirs.body.id }],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error.issues[0].path).toEqual(['evidence', 0, 'fileId']);
    expect((await view(south.staff, southTasks[7]!)).supervisionNotices[0]!.feedbackAt).toBeNull();

    const answered = await post(stack.app, south.staff, `/api/supervision-notices/${notice.id}/feedback`, {
      text: '附台账',
      evidence: [{ fileId: mine.body.id }],
    });
    expect(answered.status).toBe(200);
    const evidence = (answered.body as TView).supervisionNotices[0]!.feedbackEvidence as {
      fileName: string;
      downloadUrl: string | null;
    }[];
    expect(evidence).toEqual([
      expect.objectContaining({ fileName: '整改台账.pdf', downloadUrl: `/api/files/${mine.body.id}` }),
    ]);
    // The office (who can see the task) may open it; the other group's supervisor may not.
    expect((await as(stack.app, south.office).get(evidence[0]!.downloadUrl!)).status).toBe(200);
    expect((await as(stack.app, cast.supervisor).get(evidence[0]!.downloadUrl!)).status).toBe(404);
  });

  it('When a notice awaits the recipient unit, then it is in that unit’s 待办 until answered, and in no one else’s', async () => {
    const taskId = southTasks[9]!;
    const notice = (await noticesOf(south.staff, taskId)).supervisionNotices[0]!;
    type TItem = { noticeId: string; taskId: string; action: string };
    const waiting = async (who: { token: string }): Promise<TItem[]> => {
      const res = await as(stack.app, who).get('/api/inbox');
      expect(res.status).toBe(200);
      return (res.body.supervision as TItem[]).filter((i) => i.noticeId === notice.id);
    };
    expect(await waiting(south.staff)).toEqual([
      {
        noticeId: notice.id,
        taskId,
        action: 'sign_supervision',
        step: 'supervision_notice',
        title: notice.title,
        documentNo: notice.documentNo,
        issuedAt: expect.any(String),
        answerDueAt: notice.answerDueAt,
        answerOverdue: false,
        measure: expect.any(String),
        problemTitle: '督办测试问题10',
      },
    ]);
    expect(await waiting(south.head)).toHaveLength(1);
    // Not the issuing office, the supervisor or the leader (they do not sign for the unit), nor anyone elsewhere.
    for (const other of [south.office, south.supervisor, south.leader, cast.medicalStaff, cast.office]) {
      expect(await waiting(other)).toEqual([]);
    }

    expect((await post(stack.app, south.head, `/api/supervision-notices/${notice.id}/sign`)).status).toBe(200);
    expect((await waiting(south.staff)).map((i) => i.action)).toEqual(['answer_supervision']);
    const answered = await post(stack.app, south.staff, `/api/supervision-notices/${notice.id}/feedback`, {
      text: '已按督办要求完成整改',
    });
    expect(answered.status).toBe(200);
    expect(await waiting(south.staff)).toEqual([]);
    expect(await waiting(south.head)).toEqual([]);
  });

  it('When two members of the unit sign at once, then one signs and the other is told it is signed', async () => {
    const notice = (await noticesOf(south.staff, southTasks[3]!)).supervisionNotices[0]!;
    const url = `/api/supervision-notices/${notice.id}/sign`;
    const results = await Promise.all([post(stack.app, south.staff, url), post(stack.app, south.head, url)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(
      await stack.db.auditEvent.count({ where: { taskId: southTasks[3]!, action: 'SupervisionNoticeSigned' } }),
    ).toBe(1);
  });
});

describe('督办台账', () => {
  type TListed = { id: string; taskId: string; taskTitle: string; signedAt: string | null; feedback: string | null };
  const list = async (who: { token: string }, query: string) => {
    const res = await as(stack.app, who).get(`/api/supervision-notices?${query}&pageSize=200`);
    expect(res.status).toBe(200);
    return res.body as { items: TListed[]; total: number };
  };

  it('When notices are listed by state, then each caller sees those of its scope where the recipient stands so', async () => {
    const unsigned = await list(south.staff, 'mine=true&state=unsigned');
    const unsignedTasks = unsigned.items.map((n) => n.taskId);
    expect(unsignedTasks).toContain(southTasks[0]);
    // Signed (and answered) above.
    expect(unsignedTasks).not.toContain(southTasks[2]);
    expect(unsigned.items.every((n) => n.signedAt === null)).toBe(true);
    expect(unsigned.total).toBe(unsigned.items.length);

    const answered = await list(south.office, `state=answered&campaignId=${south.campaignId}`);
    expect(answered.items).toContainEqual(
      expect.objectContaining({
        taskId: southTasks[2],
        taskTitle: '督办测试问题3',
        feedback: '已制定专项整改方案，正在推进',
      }),
    );
    const unanswered = await list(south.office, `state=unanswered&taskId=${southTasks[3]}`);
    expect(unanswered.items.map((n) => n.taskId)).toEqual([southTasks[3]]);
    // Nothing is past its answer date yet (5 working days).
    expect((await list(south.office, `state=overdue&campaignId=${south.campaignId}`)).total).toBe(0);

    // The other group's supervisor sees none of them; their own, all.
    const other = await list(cast.supervisor, 'state=unsigned');
    expect(other.items.filter((n) => southTasks.includes(n.taskId))).toEqual([]);
    expect((await list(south.supervisor, `campaignId=${south.campaignId}`)).total).toBeGreaterThanOrEqual(20);

    const bad = await as(stack.app, south.office).get('/api/supervision-notices?state=lost');
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues[0].path).toEqual(['state']);
  });
});

describe('supervisor jurisdiction', () => {
  it('When each group’s supervisor lists and opens tasks, then they see their own units’ tasks only', async () => {
    [demoOverdueTask] = await overdueTasks(
      cast.office,
      demoCampaignId,
      cast.medicalStaff.unitId,
      cast.leader.userId,
      1,
    );
    const southList = await as(stack.app, south.supervisor).get('/api/tasks?pageSize=200');
    expect(southList.status).toBe(200);
    const southIds = (southList.body.items as { id: string }[]).map((t) => t.id);
    expect(southIds).toEqual(expect.arrayContaining(southTasks));
    expect(southIds).not.toContain(demoOverdueTask);
    expect((await as(stack.app, south.supervisor).get(`/api/tasks/${demoOverdueTask}`)).status).toBe(403);

    const demoList = await as(stack.app, cast.supervisor).get('/api/tasks?pageSize=200');
    const demoIds = (demoList.body.items as { id: string }[]).map((t) => t.id);
    expect(demoIds).toContain(demoOverdueTask);
    expect(demoIds.filter((id) => southTasks.includes(id))).toEqual([]);
    expect((await as(stack.app, cast.supervisor).get(`/api/tasks/${southTasks[0]}`)).status).toBe(403);
    // Campaign figures: the other group's campaign is not theirs.
    const stats = await as(stack.app, cast.supervisor).get(`/api/campaigns/${south.campaignId}/stats`);
    expect([403, 404]).toContain(stats.status);
    const ownStats = await as(stack.app, south.supervisor).get(`/api/campaigns/${south.campaignId}/stats`);
    expect(ownStats.status).toBe(200);
  });

  it('When a listed unit has units below it, then they are in the jurisdiction; a group with no units sees nothing', async () => {
    // The demo group lists 东州市卫生健康委员会; its 医政科 is below it.
    const res = await as(stack.app, cast.office).post(
      `/api/campaigns/${demoCampaignId}/tasks`,
      taskBody(cast.cityStaff.unitId, cast.leader.userId),
    );
    expect(res.status).toBe(201);
    const cityTask = res.body.tasks[0].id as string;
    expect((await as(stack.app, cast.supervisor).get(`/api/tasks/${cityTask}`)).status).toBe(200);
    expect((await as(stack.app, south.supervisor).get(`/api/tasks/${cityTask}`)).status).toBe(403);

    const lonelyUnit = await stack.db.unit.create({
      data: { name: '驻某局纪检组', level: 'province', kind: 'discipline', parentId: south.rootId },
    });
    const lonely = await person('孤组长（无管辖）', 'supervisor', lonelyUnit.id);
    const list = await as(stack.app, lonely).get('/api/tasks?pageSize=200');
    expect(list.status).toBe(200);
    expect(list.body.total).toBe(0);
    expect((await as(stack.app, lonely).get(`/api/tasks/${southTasks[0]}`)).status).toBe(403);
    expect((await as(stack.app, lonely).get('/api/supervision-notices')).body.total).toBe(0);
  });

  it('When tasks escalate, then only the supervisors whose jurisdiction holds the lead unit are told', async () => {
    await noticesOf(cast.office, demoOverdueTask);
    const told = async (userId: string, taskIds: string[]) =>
      stack.db.notification.count({
        where: { userId, taskId: { in: taskIds }, kind: 'escalation_supervision_notice' },
      });
    expect(await told(south.supervisor.userId, southTasks)).toBe(20);
    expect(await told(cast.supervisor.userId, southTasks)).toBe(0);
    expect(await told(cast.supervisor.userId, [demoOverdueTask])).toBe(1);
    expect(await told(south.supervisor.userId, [demoOverdueTask])).toBe(0);
    // And in their inboxes.
    const inbox = await as(stack.app, cast.supervisor).get('/api/inbox');
    const inboxTasks = (inbox.body.notifications as { taskId: string }[]).map((n) => n.taskId);
    expect(inboxTasks).toContain(demoOverdueTask);
    expect(inboxTasks.filter((id) => southTasks.includes(id))).toEqual([]);
  });
});

describe('督办 issued by hand', () => {
  it('When a supervisor issues a step on 20 tasks at once, then the discipline unit numbers them 1..20', async () => {
    const answers = await Promise.all(
      southTasks.map((id) => post(stack.app, south.supervisor, `/api/tasks/${id}/supervision`, { step: 'interview' })),
    );
    expect(answers.map((a) => a.status)).toEqual(southTasks.map(() => 200));
    const rows = await stack.db.supervisionNotice.findMany({ where: { issuingUnitId: south.disciplineId } });
    expect(rows).toHaveLength(20);
    expect(rows.map((r) => r.docSeq).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    for (const row of rows) {
      expect(row).toMatchObject({
        step: 'interview',
        issuedById: south.supervisor.userId,
        recipientUnitId: south.deptId,
      });
      expect(row.documentNo).toBe(`驻南江省卫健委纪检监察组督〔${row.docYear}〕${row.docSeq}号`);
    }
    // The answer is the task view, with the new notice on it and the step no longer offered.
    const v = answers[0]!.body as TView;
    expect(v.supervisionNotices.map((n) => n.step)).toContain('interview');
    const offered = v.allowedActions.find((a) => a.action === 'issue_supervision');
    expect(offered?.steps).not.toContain('interview');
    expect(offered?.steps).toContain('listed_supervision');
    // The lead unit, to which it is addressed, is told.
    expect(
      await stack.db.notification.count({
        where: { userId: south.staff.userId, taskId: southTasks[0], kind: 'escalation_interview' },
      }),
    ).toBe(1);
  });

  it('When the task’s office issues a step with a reason, then it is numbered by the office and keeps the reason', async () => {
    const taskId = southTasks[5]!;
    const res = await post(stack.app, south.office, `/api/tasks/${taskId}/supervision`, {
      step: 'listed_supervision',
      reason: '整改进度严重滞后，群众反映强烈',
    });
    expect(res.status).toBe(200);
    const notice = (res.body as TView).supervisionNotices.find((n) => n.step === 'listed_supervision')!;
    expect(notice).toMatchObject({
      title: '挂牌督办通知',
      issuingUnitName: '南江省整改办',
      documentNo: expect.stringMatching(/^南江省整改办督〔\d{4}〕21号$/),
      recipientUnitName: '南江省疾控处',
    });
    const row = await stack.db.supervisionNotice.findUniqueOrThrow({ where: { id: notice.id } });
    expect(row).toMatchObject({ issuedById: south.office.userId, reason: '整改进度严重滞后，群众反映强烈' });
    const doc = await binary(as(stack.app, south.office).get(notice.documentUrl!));
    expect(zipEntry(doc.body as Buffer, 'word/document.xml')).toContain('整改进度严重滞后，群众反映强烈');
    // Audited as the escalation event, with the office as actor.
    expect((res.body as TView).audit).toContainEqual(
      expect.objectContaining({ action: 'EscalationStepReached', actorId: south.office.userId }),
    );
  });

  it('When anyone else issues, or a step is taken twice, not overdue or unknown, then 403, 409, 409 and 400', async () => {
    const taskId = southTasks[6]!;
    for (const who of [south.staff, south.head, south.leader]) {
      const res = await post(stack.app, who, `/api/tasks/${taskId}/supervision`, { step: 'exposure' });
      expect(res.status).toBe(403);
    }
    // The demo supervisor and the demo office: outside their jurisdiction and level.
    for (const who of [cast.supervisor, cast.office]) {
      expect((await post(stack.app, who, `/api/tasks/${taskId}/supervision`, { step: 'exposure' })).status).toBe(403);
    }
    const staff = await view(south.staff, taskId);
    expect(staff.allowedActions.map((a) => a.action)).not.toContain('issue_supervision');
    // Taken already (by the supervisor, above).
    const twice = await post(stack.app, south.office, `/api/tasks/${taskId}/supervision`, { step: 'interview' });
    expect(twice.status).toBe(409);
    const unknown = await post(stack.app, south.office, `/api/tasks/${taskId}/supervision`, { step: 'shaming' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.issues[0].path).toEqual(['step']);

    const res = await as(stack.app, south.office).post(`/api/campaigns/${south.campaignId}/tasks`, {
      tasks: [taskBody(south.deptId, south.leader.userId)],
    });
    // Status and body together, so a refusal shows why.
    expect({ status: res.status, body: res.body as unknown }).toMatchObject({ status: 201 });
    const onTime = res.body.tasks[0].id as string;
    await eventually(
      () => view(south.office, onTime),
      (v) => v.audit.some((a) => a.action === 'TaskAssigned'),
      'the on-time task to be assigned',
    );
    expect((await view(south.supervisor, onTime)).allowedActions.map((a) => a.action)).not.toContain(
      'issue_supervision',
    );
    const early = await post(stack.app, south.supervisor, `/api/tasks/${onTime}/supervision`, { step: 'reminder' });
    expect(early.status).toBe(409);
    // Nothing was numbered for the refused attempts.
    expect(
      await stack.db.supervisionNotice.count({ where: { taskId: { in: [taskId, onTime] }, step: 'exposure' } }),
    ).toBe(0);
    expect(await stack.db.supervisionNotice.count({ where: { taskId: onTime } })).toBe(0);
  });
});

describe('催办 is audited', () => {
  it('When the office urges, then an audit record names who urged and the message', async () => {
    const taskId = southTasks[4]!;
    const urged = await post(stack.app, south.office, `/api/tasks/${taskId}/urge`, { message: '请于本周内反馈' });
    expect(urged.status).toBe(202);
    const audit = (await view(south.office, taskId)).audit.filter((a) => a.action === 'TaskUrged');
    expect(audit).toEqual([
      expect.objectContaining({
        actorId: south.office.userId,
        detail: { urgeId: urged.body.urgeId, message: '请于本周内反馈' },
      }),
    ]);
    // A supervisor outside the jurisdiction cannot urge (nor leave a record).
    expect((await post(stack.app, cast.supervisor, `/api/tasks/${taskId}/urge`, { message: '催办' })).status).toBe(403);
    expect(await stack.db.auditEvent.count({ where: { taskId, action: 'TaskUrged' } })).toBe(1);
  });
});

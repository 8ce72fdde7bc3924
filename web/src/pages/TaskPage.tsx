/**
 * 任务详情: what the task is, what happened to it (a timeline in business words, with who, on whose behalf and when),
 * its reports by period with every version, close-out and sign-offs, extensions, supervision, child tasks, and the
 * actions the server allows the caller now.
 */
import { Link, useParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import {
  Alert,
  Card,
  Col,
  Descriptions,
  Empty,
  Result,
  Row,
  Skeleton,
  Space,
  Table,
  Tag,
  Timeline,
  Typography,
} from 'antd';
import { api, ApiError, errorMessage } from '../api';
import { TaskActions } from '../actions/TaskActions';
import { SupervisionCard } from '../components/Supervision';
import { LightTag, StatusTag } from '../components/Tags';
import { fmtDate, fmtDateTime, fmtDeadline, fmtPeriod, fmtSize, noticeText } from '../format';
import { keys } from '../queries';
import type { TAuditEntry, TEvidence, TReport, TTaskDetail, TTaskRow } from '../types';
import {
  NOTIFICATION_KIND_TEXT,
  APPLICATION_STATUS_TEXT,
  AUDIT_TEXT,
  EMPTY,
  ESCALATION_STEP_TEXT,
  EXTENSION_STATUS_TEXT,
  REPORT_STATUS_TEXT,
  REVIEW_DECISION_TEXT,
  ROLE_TEXT,
  SIGN_OFF_DECISION_TEXT,
  STATUS_TEXT,
  say,
} from '../texts';

type TNames = { users: Record<string, string>; units: Record<string, string> };

function EvidenceList({ items }: { items: TEvidence[] }) {
  if (items.length === 0) return null;
  return (
    <div style={{ marginTop: 8 }}>
      <strong>佐证材料：</strong>
      <ul style={{ margin: '4px 0', paddingLeft: 20 }}>
        {items.map((e) => (
          <li key={e.id}>
            {e.downloadUrl ? (
              <Space size={8}>
                <a href={`${e.downloadUrl}?inline=1`} target="_blank" rel="noopener">
                  {e.fileName}
                </a>
                <a href={e.downloadUrl} download={e.fileName} aria-label={`下载 ${e.fileName}`}>
                  下载
                </a>
              </Space>
            ) : e.url ? (
              <a href={e.url} target="_blank" rel="noopener noreferrer">
                {e.fileName}
              </a>
            ) : (
              <span>{e.fileName}</span>
            )}
            <span style={{ color: '#888', fontSize: 12 }}>
              （{fmtSize(e.sizeBytes)}，SHA-256 {e.sha256.slice(0, 12)}…）
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/** A short business sentence from an audit record's detail (reason, period, dates), when it has any. */
function auditDetail(entry: TAuditEntry, names: TNames): string {
  const d = (entry.detail && typeof entry.detail === 'object' ? entry.detail : {}) as Record<string, unknown>;
  const parts: string[] = [];
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  if (str('period')) parts.push(`期次 ${fmtPeriod(str('period'))}`);
  if (typeof d.version === 'number') parts.push(`第 ${d.version} 版`);
  if (str('levelName')) parts.push(`层级 ${str('levelName')}`);
  if (str('documentNo')) parts.push(str('documentNo')!);
  if (str('step')) parts.push(say(ESCALATION_STEP_TEXT, str('step')));
  if (typeof d.daysOverdue === 'number') parts.push(`逾期 ${d.daysOverdue} 天`);
  if (str('fromDate') && str('toDate')) parts.push(`期限 ${fmtDate(str('fromDate'))} → ${fmtDate(str('toDate'))}`);
  if ((entry.action === 'SignOffDelegated' || entry.action === 'DelegationRevoked') && str('toUserId')) {
    const verb = entry.action === 'SignOffDelegated' ? '委托' : '撤销对';
    parts.push(`${verb} ${names.users[str('toUserId')!] ?? str('toUserId')}（${str('from')} 至 ${str('to')}）`);
  }
  if (entry.action === 'TaskReassigned' && d.to && typeof d.to === 'object') {
    const to = d.to as { leadUnitId?: string; leaderId?: string };
    parts.push(
      `改派至 ${to.leadUnitId ? (names.units[to.leadUnitId] ?? to.leadUnitId) : ''}${to.leaderId ? `（${names.users[to.leaderId] ?? to.leaderId}）` : ''}`,
    );
  }
  if (str('summary')) parts.push(`说明：${str('summary')}`);
  if (str('reason')) parts.push(`理由：${str('reason')}`);
  if (str('message')) parts.push(`内容：${str('message')}`);
  if (entry.action === 'SupervisionFeedback' && str('text')) parts.push(`反馈：${str('text')}`);
  return parts.join('；');
}

/** A notice sent about the task (催办, 填报提醒): on the timeline beside the state changes, in time order. */
function messageItem(m: NonNullable<TTaskDetail['messages']>[number], i: number) {
  const body = noticeText(m.body);
  return {
    key: `msg-${m.at}-${i}`,
    at: m.at,
    color: m.kind === 'urge' ? 'orange' : 'gray',
    content: (
      <div>
        <div>
          <strong>{say(NOTIFICATION_KIND_TEXT, m.kind)}</strong>
        </div>
        <div style={{ fontSize: 13, color: '#555' }}>
          <time dateTime={m.at}>{fmtDateTime(m.at)}</time>
        </div>
        <div style={{ fontSize: 13 }}>{body}</div>
      </div>
    ),
  };
}

function AuditTimeline({ task, names }: { task: TTaskDetail; names: TNames }) {
  if (task.audit.length === 0 && !task.messages?.length) return <Empty description={EMPTY.timeline} />;
  const auditItems = task.audit.map((a, i) => ({ ...auditItem(a, i, names), at: a.at }));
  const messageItems = (task.messages ?? []).map(messageItem);
  // Stable merge by time: audit records keep their own order (events of one decision share an instant).
  const items = [...auditItems, ...messageItems]
    .map((item, order) => ({ item, order }))
    .sort((x, y) => x.item.at.localeCompare(y.item.at) || x.order - y.order)
    .map(({ item }) => ({ key: item.key, color: item.color, content: item.content }));
  return <Timeline items={items} />;
}

function auditItem(a: TAuditEntry, i: number, names: TNames) {
  const who = a.actorId ? (names.users[a.actorId] ?? a.actorId) : say(ROLE_TEXT, a.actorRole ?? 'system');
  const role = a.actorId && a.actorRole ? `（${say(ROLE_TEXT, a.actorRole)}）` : '';
  const behalf = a.onBehalfOfId ? `，代 ${names.users[a.onBehalfOfId] ?? a.onBehalfOfId}` : '';
  const detail = auditDetail(a, names);
  const red = ['ReportReturned', 'SignOffReturned', 'DeadlinePassed', 'EscalationStepReached', 'TaskReopened'];
  return {
    key: `${a.at}-${i}`,
    color: red.includes(a.action) ? 'red' : a.action === 'TaskClosed' ? 'green' : 'blue',
    content: (
      <div>
        <div>
          <strong>{say(AUDIT_TEXT, a.action)}</strong>
          {a.fromStatus && a.toStatus && a.fromStatus !== a.toStatus ? (
            <span style={{ color: '#666' }}>
              （{say(STATUS_TEXT, a.fromStatus)} → {say(STATUS_TEXT, a.toStatus)}）
            </span>
          ) : null}
        </div>
        <div style={{ fontSize: 13, color: '#555' }}>
          {who}
          {role}
          {behalf} · <time dateTime={a.at}>{fmtDateTime(a.at)}</time>
        </div>
        {detail ? <div style={{ fontSize: 13 }}>{detail}</div> : null}
      </div>
    ),
  };
}

function ReportVersion({ r, names }: { r: TReport; names: TNames }) {
  return (
    <div style={{ borderLeft: '3px solid #eee', paddingLeft: 12, marginBottom: 16 }}>
      <Space wrap size={4}>
        <strong>第 {r.version} 版</strong>
        <Tag color={r.status === 'accepted' ? 'success' : r.status === 'returned' ? 'error' : 'processing'}>
          {say(REPORT_STATUS_TEXT, r.status)}
        </Tag>
        {r.late ? <Tag color="warning">逾期报送</Tag> : null}
        <span style={{ color: '#666', fontSize: 13 }}>
          {names.users[r.submittedById] ?? r.submittedById} 于 {fmtDateTime(r.submittedAt)} 提交
        </span>
      </Space>
      <Descriptions size="small" column={1} style={{ marginTop: 8 }}>
        <Descriptions.Item label="本月进展">
          <p className="zg-pre">{r.progress}</p>
        </Descriptions.Item>
        <Descriptions.Item label="存在问题">
          <p className="zg-pre">{r.problems || '—'}</p>
        </Descriptions.Item>
        <Descriptions.Item label="下步计划">
          <p className="zg-pre">{r.nextPlan || '—'}</p>
        </Descriptions.Item>
      </Descriptions>
      <EvidenceList items={r.evidence} />
      {r.reviews.map((v, i) => (
        <div key={i} style={{ marginTop: 4, fontSize: 13 }}>
          审核：<Tag color={v.decision === 'accept' ? 'success' : 'error'}>{say(REVIEW_DECISION_TEXT, v.decision)}</Tag>
          {names.users[v.reviewerId] ?? v.reviewerId} · {fmtDateTime(v.decidedAt)}
          {v.reason ? `；意见：${v.reason}` : ''}
        </div>
      ))}
    </div>
  );
}

function Reports({ task, names }: { task: TTaskDetail; names: TNames }) {
  if (task.reports.length === 0) return <Empty description={EMPTY.reports} />;
  const periods = [...new Set(task.reports.map((r) => r.period))].sort().reverse();
  return (
    <>
      {periods.map((p) => (
        <section key={p} aria-label={`${fmtPeriod(p)}进展`}>
          <Typography.Title level={4}>{fmtPeriod(p)}</Typography.Title>
          {task.reports
            .filter((r) => r.period === p)
            .map((r) => (
              <ReportVersion key={r.id} r={r} names={names} />
            ))}
        </section>
      ))}
    </>
  );
}

function Closeout({ task, names }: { task: TTaskDetail; names: TNames }) {
  if (task.closeoutApplications.length === 0) return null;
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>销号申请与签批</h2>} style={{ marginBottom: 16 }}>
      {task.closeoutApplications.map((a) => (
        <div key={a.id} style={{ marginBottom: 16 }}>
          <Space wrap size={4}>
            <strong>第 {a.round} 轮销号申请</strong>
            <Tag>{say(APPLICATION_STATUS_TEXT, a.status)}</Tag>
            <span style={{ color: '#666', fontSize: 13 }}>
              {names.users[a.appliedById] ?? a.appliedById} 于 {fmtDateTime(a.appliedAt)} 提交
            </span>
          </Space>
          <p className="zg-pre">{a.summary}</p>
          <EvidenceList items={a.evidence} />
          {task.signOffs
            .filter((s) => s.applicationId === a.id)
            .map((s, i) => (
              <div key={i} style={{ fontSize: 13 }}>
                {s.levelName}：
                <Tag color={s.decision === 'approve' ? 'success' : 'error'}>
                  {say(SIGN_OFF_DECISION_TEXT, s.decision)}
                </Tag>
                {names.users[s.signerId] ?? s.signerId}
                {s.onBehalfOfId ? `（代 ${names.users[s.onBehalfOfId] ?? s.onBehalfOfId}）` : ''} ·{' '}
                {fmtDateTime(s.decidedAt)}
                {s.reason ? `；意见：${s.reason}` : ''}
              </div>
            ))}
        </div>
      ))}
      {task.currentSignOff ? <p>当前待签批：{task.currentSignOff.name}</p> : null}
    </Card>
  );
}

function Children({ rows }: { rows: TTaskRow[] }) {
  if (rows.length === 0) return null;
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>分解的子任务</h2>} style={{ marginBottom: 16 }}>
      <Table<TTaskRow>
        rowKey="id"
        size="small"
        pagination={false}
        dataSource={rows}
        columns={[
          {
            title: '整改措施',
            key: 'measure',
            render: (_: unknown, c) => <Link to={`/tasks/${encodeURIComponent(c.id)}`}>{c.measure}</Link>,
          },
          { title: '责任单位', key: 'unit', render: (_: unknown, c) => c.leadUnitName ?? c.leadUnitId },
          {
            title: '状态',
            key: 'status',
            render: (_: unknown, c) => <StatusTag status={c.status} overdue={c.overdue} />,
          },
          { title: '灯色', key: 'light', render: (_: unknown, c) => <LightTag light={c.trafficLight} /> },
        ]}
      />
    </Card>
  );
}

export default function TaskPage() {
  const { id = '' } = useParams();
  const task = useQuery({
    queryKey: keys.task(id),
    queryFn: () => api.get<TTaskDetail>(`/api/tasks/${encodeURIComponent(id)}`),
  });

  if (task.isPending) return <Skeleton active paragraph={{ rows: 12 }} />;
  if (task.isError) {
    const e = task.error;
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
      return (
        <Result
          status={e.status === 403 ? '403' : '404'}
          title={e.status === 403 ? '无权查看此任务' : '任务不存在'}
          subTitle={<Link to="/tasks">返回任务列表</Link>}
        />
      );
    }
    return <Alert type="error" showIcon title={errorMessage(e)} />;
  }
  const t = task.data;
  const names: TNames = t.names ?? { users: {}, units: {} };
  const unit = (uid: string) => names.units[uid] ?? uid;
  const parentTitle = t.parentTaskId ? (
    <Link to={`/tasks/${encodeURIComponent(t.parentTaskId)}`}>查看上级任务</Link>
  ) : null;

  return (
    <article>
      <Space wrap align="center" style={{ marginBottom: 8 }}>
        <Typography.Title level={2} style={{ margin: 0 }}>
          {t.problem?.title ?? t.problemTitle ?? t.measure}
        </Typography.Title>
        <StatusTag status={t.status} overdue={t.overdue} />
        <LightTag light={t.trafficLight} />
        {parentTitle}
      </Space>
      <TaskActions task={t} />
      <Row gutter={16}>
        <Col xs={24} xl={15}>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>任务信息</h2>} style={{ marginBottom: 16 }}>
            <Descriptions column={2} size="small" bordered>
              <Descriptions.Item label="巡视批次">{t.campaign?.name ?? t.campaignName}</Descriptions.Item>
              <Descriptions.Item label="问题类别">{t.problem?.category ?? t.category ?? '—'}</Descriptions.Item>
              <Descriptions.Item label="问题" span={2}>
                {t.problem?.title ?? t.problemTitle}
                {t.problem?.detail ? (
                  <p className="zg-pre" style={{ color: '#555' }}>
                    {t.problem.detail}
                  </p>
                ) : null}
              </Descriptions.Item>
              <Descriptions.Item label="整改措施" span={2}>
                <p className="zg-pre">{t.measure}</p>
              </Descriptions.Item>
              {t.target ? (
                <Descriptions.Item label="整改目标" span={2}>
                  {t.target}
                </Descriptions.Item>
              ) : null}
              <Descriptions.Item label="责任单位">{t.leadUnitName ?? unit(t.leadUnitId)}</Descriptions.Item>
              <Descriptions.Item label="牵头领导">
                {t.leaderName ?? names.users[t.leaderId] ?? t.leaderId}
              </Descriptions.Item>
              {t.participatingUnitIds?.length ? (
                <Descriptions.Item label="配合单位" span={2}>
                  {t.participatingUnitIds.map(unit).join('、')}
                </Descriptions.Item>
              ) : null}
              <Descriptions.Item label="整改期限" span={2}>
                {t.deadlineText ? `${t.deadlineText}（${fmtDeadline(t.deadline)}）` : fmtDeadline(t.deadline)}
              </Descriptions.Item>
              <Descriptions.Item label="灯色">
                <LightTag light={t.trafficLight} />
              </Descriptions.Item>
              <Descriptions.Item label="状态">
                <StatusTag status={t.status} overdue={t.overdue} />
              </Descriptions.Item>
              <Descriptions.Item label="下达时间">{fmtDateTime(t.createdAt)}</Descriptions.Item>
              <Descriptions.Item label="销号时间">{fmtDateTime(t.closedAt)}</Descriptions.Item>
              {t.reopenCount > 0 ? (
                <Descriptions.Item label="反弹重新整改">{t.reopenCount} 次</Descriptions.Item>
              ) : null}
            </Descriptions>
          </Card>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>整改进展</h2>} style={{ marginBottom: 16 }}>
            <Reports task={t} names={names} />
          </Card>
          <Closeout task={t} names={names} />
          {t.extensions.length > 0 ? (
            <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>延期申请</h2>} style={{ marginBottom: 16 }}>
              {t.extensions.map((e) => (
                <p key={e.id}>
                  {names.users[e.requestedById] ?? e.requestedById} 于 {fmtDateTime(e.requestedAt)} 申请由{' '}
                  {fmtDate(e.oldDate)} 延期至 {fmtDate(e.newDate)}，理由：{e.reason}{' '}
                  <Tag>{say(EXTENSION_STATUS_TEXT, e.status)}</Tag>
                </p>
              ))}
            </Card>
          ) : null}
          <SupervisionCard task={t} />
          <Children rows={t.children} />
        </Col>
        <Col xs={24} xl={9}>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>办理记录</h2>}>
            <AuditTimeline task={t} names={names} />
          </Card>
        </Col>
      </Row>
    </article>
  );
}

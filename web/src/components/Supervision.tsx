/**
 * 督办 on the task page: every supervision document with its 文号, its step, when it was issued, whether the recipient
 * unit signed for it (签收) and answered (反馈), by when an answer is due, and its Word document (下载督办单). The buttons
 * "签收", "反馈" and "发起督办" appear exactly when the server's `allowedActions` offer them.
 */
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { App, Button, Card, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { api, downloadFile, errorMessage } from '../api';
import type { TSupervisionView } from '../adminTypes';
import { fmtDateTime, fmtDueBy, fmtPeriod } from '../format';
import { keys, refreshAfterDecision } from '../queries';
import type { TAllowedAction, TTaskDetail } from '../types';
import { ESCALATION_STEP_TEXT, SUPERVISION_DOC_TEXT, say } from '../texts';
import { FormModal } from './FormModal';

/** The allowedActions words for the three supervision actions (the server's vocabulary). */
export const SUPERVISION_ACTIONS = {
  sign: 'sign_supervision',
  feedback: 'answer_supervision',
  issue: 'issue_supervision',
} as const;

type TAllowedSupervision = TAllowedAction & { noticeIds?: string[]; steps?: string[] };

const LADDER = ['reminder', 'supervision_notice', 'interview', 'listed_supervision', 'accountability', 'exposure'];

/** Whether the caller may do `action` for this notice: offered, and (when the server lists notices) for this one. */
function mayDo(task: TTaskDetail, action: string, noticeId: string | undefined): boolean {
  const allowed = (task.allowedActions ?? []).find((a) => a.action === action) as TAllowedSupervision | undefined;
  if (!allowed) return false;
  return !allowed.noticeIds || (noticeId !== undefined && allowed.noticeIds.includes(noticeId));
}

function IssueDialog({ task, steps, onClose }: { task: TTaskDetail; steps: string[]; onClose: () => void }) {
  const client = useQueryClient();
  const { message } = App.useApp();
  return (
    <FormModal<{ step: string; reason?: string }>
      title="发起督办"
      name="issue-supervision"
      onClose={onClose}
      onSubmit={async (v) => {
        const answer = await api.post<unknown>(`/api/tasks/${encodeURIComponent(task.id)}/supervision`, {
          step: v.step,
          ...(v.reason?.trim() ? { reason: v.reason.trim() } : {}),
        });
        if (answer && typeof answer === 'object' && 'audit' in answer) client.setQueryData(keys.task(task.id), answer);
        else await client.invalidateQueries({ queryKey: keys.task(task.id) });
        void message.success('督办已发出');
        await refreshAfterDecision(client);
      }}
    >
      <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
        任务：{task.problem?.title ?? task.measure}
      </Typography.Paragraph>
      <Form.Item name="step" label="督办措施" rules={[{ required: true, message: '请选择督办措施' }]}>
        <Select
          options={steps.map((s) => ({
            value: s,
            label: `${say(ESCALATION_STEP_TEXT, s)}（${say(SUPERVISION_DOC_TEXT, s)}）`,
          }))}
        />
      </Form.Item>
      <Form.Item name="reason" label="理由">
        <Input.TextArea autoSize={{ minRows: 3, maxRows: 8 }} maxLength={2000} />
      </Form.Item>
    </FormModal>
  );
}

function FeedbackDialog({
  task,
  notice,
  onClose,
}: {
  task: TTaskDetail;
  notice: TSupervisionView;
  onClose: () => void;
}) {
  const client = useQueryClient();
  const { message } = App.useApp();
  return (
    <FormModal<{ text: string }>
      title="反馈"
      name="supervision-feedback"
      onClose={onClose}
      onSubmit={async (v) => {
        await api.post(`/api/supervision-notices/${encodeURIComponent(notice.id ?? '')}/feedback`, {
          text: v.text.trim(),
        });
        await client.invalidateQueries({ queryKey: keys.task(task.id) });
        void message.success('反馈已提交');
        await refreshAfterDecision(client);
      }}
    >
      <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
        {notice.documentNo ?? say(SUPERVISION_DOC_TEXT, notice.step ?? notice.kind)}
      </Typography.Paragraph>
      <Form.Item name="text" label="反馈内容" rules={[{ required: true, whitespace: true, message: '请填写反馈内容' }]}>
        <Input.TextArea autoSize={{ minRows: 4, maxRows: 12 }} maxLength={5000} />
      </Form.Item>
    </FormModal>
  );
}

function StateCell({ n }: { n: TSupervisionView }) {
  if (!n.documentNo && !n.answerDueAt) return <span>—</span>;
  const by = (name: string | null | undefined) => (name ? `（${name}）` : '');
  return (
    <Space direction="vertical" size={2}>
      {n.signedAt ? (
        <span>
          <Tag color="success">已签收</Tag>
          {fmtDateTime(n.signedAt)}
          {by(n.signedByName)}
        </span>
      ) : (
        <Tag color="warning">未签收</Tag>
      )}
      {n.feedbackAt ? (
        <span>
          <Tag color="success">已反馈</Tag>
          {fmtDateTime(n.feedbackAt)}
          {by(n.feedbackByName)}
          {n.feedback ? (
            <div className="zg-pre" style={{ fontSize: 13 }}>
              {n.feedback}
            </div>
          ) : null}
        </span>
      ) : (
        <Tag color={n.answerOverdue ? 'error' : n.answerDueAt ? 'orange' : 'default'}>
          {n.answerOverdue ? '反馈逾期' : '未反馈'}
          {n.answerDueAt ? `（${fmtDueBy(n.answerDueAt)}前）` : ''}
        </Tag>
      )}
    </Space>
  );
}

export function SupervisionCard({ task }: { task: TTaskDetail }) {
  const notices = task.supervisionNotices as TSupervisionView[];
  const issue = (task.allowedActions ?? []).find((a) => a.action === SUPERVISION_ACTIONS.issue) as
    TAllowedSupervision | undefined;
  const [open, setOpen] = useState<{ kind: 'issue' } | { kind: 'feedback'; notice: TSupervisionView } | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const client = useQueryClient();
  const { message } = App.useApp();
  if (notices.length === 0 && !issue) return null;

  const sign = async (n: TSupervisionView) => {
    setBusy(n.id ?? '');
    try {
      await api.post(`/api/supervision-notices/${encodeURIComponent(n.id ?? '')}/sign`);
      await client.invalidateQueries({ queryKey: keys.task(task.id) });
      void message.success('已签收督办单');
      await refreshAfterDecision(client);
    } catch (e) {
      void message.error(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const download = (n: TSupervisionView) =>
    downloadFile(
      n.documentUrl ?? `/api/supervision-notices/${encodeURIComponent(n.id ?? '')}/document.docx`,
      `${n.documentNo ?? '督办单'}.docx`,
    ).catch((e: unknown) => message.error(errorMessage(e)));

  return (
    <Card
      title={<h2 style={{ margin: 0, fontSize: 16 }}>督办记录</h2>}
      style={{ marginBottom: 16 }}
      extra={
        issue ? (
          <Button danger onClick={() => setOpen({ kind: 'issue' })}>
            发起督办
          </Button>
        ) : null
      }
    >
      <section aria-label="督办记录">
        <Table<TSupervisionView>
          rowKey={(n) => n.id ?? `${n.issuedAt}-${n.step ?? n.kind}`}
          size="small"
          pagination={false}
          dataSource={notices}
          locale={{ emptyText: '暂无督办' }}
          columns={[
            { title: '文号', key: 'no', render: (_: unknown, n) => n.documentNo ?? '—' },
            {
              title: '督办措施',
              key: 'step',
              render: (_: unknown, n) => (
                <>
                  {n.title ?? say(SUPERVISION_DOC_TEXT, n.step ?? n.kind)}
                  {n.period ? `（${fmtPeriod(n.period)}）` : ''}
                  {n.recipientUnitName ? (
                    <div style={{ fontSize: 13, color: '#555' }}>主送：{n.recipientUnitName}</div>
                  ) : null}
                  {n.reason ? <div style={{ fontSize: 13, color: '#555' }}>{n.reason}</div> : null}
                </>
              ),
            },
            { title: '下发时间', key: 'issuedAt', render: (_: unknown, n) => fmtDateTime(n.issuedAt) },
            { title: '签收/反馈', key: 'state', render: (_: unknown, n) => <StateCell n={n} /> },
            {
              title: '操作',
              key: 'actions',
              render: (_: unknown, n) => (
                <Space wrap size={4}>
                  {n.id && mayDo(task, SUPERVISION_ACTIONS.sign, n.id) ? (
                    <Button size="small" type="primary" loading={busy === n.id} onClick={() => void sign(n)}>
                      签收
                    </Button>
                  ) : null}
                  {n.id && mayDo(task, SUPERVISION_ACTIONS.feedback, n.id) ? (
                    <Button size="small" onClick={() => setOpen({ kind: 'feedback', notice: n })}>
                      反馈
                    </Button>
                  ) : null}
                  {n.id && n.documentNo ? (
                    <a
                      href={n.documentUrl ?? `/api/supervision-notices/${encodeURIComponent(n.id)}/document.docx`}
                      onClick={(e) => {
                        e.preventDefault();
                        void download(n);
                      }}
                    >
                      下载督办单
                    </a>
                  ) : null}
                </Space>
              ),
            },
          ]}
        />
      </section>
      {open?.kind === 'issue' ? (
        <IssueDialog task={task} steps={issue?.steps ?? LADDER} onClose={() => setOpen(null)} />
      ) : null}
      {open?.kind === 'feedback' ? (
        <FeedbackDialog task={task} notice={open.notice} onClose={() => setOpen(null)} />
      ) : null}
    </Card>
  );
}

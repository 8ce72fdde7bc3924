/**
 * The task's action buttons: exactly the server's `allowedActions` (the workflow's own rules decide them; the browser
 * never second-guesses), each opening a form that submits with a button named "提交". A decision answers the task
 * view, which replaces the cached one; the lists and counts are refreshed after.
 */
import { useRef, useState, type ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, DatePicker, Form, Input, Modal, Radio, Select, Space, Typography } from 'antd';
import type { Dayjs } from 'dayjs';
import { api, errorMessage, type TUploaded } from '../api';
import { EvidenceInput } from '../components/EvidenceInput';
import { fmtDate, fmtPeriod } from '../format';
import { keys, refreshAfterDecision, useOpinions, useUnits, useUsers } from '../queries';
import type { TAllowedAction, TTaskDetail, TUserItem } from '../types';
import { ACTION_LABEL, ACTION_SUCCESS, ROLE_TEXT, say } from '../texts';

const ORDER = Object.keys(ACTION_LABEL);

function isTaskView(x: unknown): x is TTaskDetail {
  return typeof x === 'object' && x !== null && 'id' in x && 'status' in x && 'audit' in x;
}

const evidenceOf = (files: TUploaded[] | undefined) => (files ?? []).map((f) => ({ fileId: f.id }));
const day = (d: Dayjs | undefined) => (d ? d.format('YYYY-MM-DD') : undefined);
const textArea = { autoSize: { minRows: 3, maxRows: 10 } } as const;

interface TModalProps {
  action: string;
  task: TTaskDetail;
  onClose: () => void;
  /** Sends the decision; its answer (the task view, when it is one) replaces the cached task. */
  send: (values: Record<string, unknown>) => Promise<unknown>;
  children: ReactNode;
  initialValues?: Record<string, unknown>;
  width?: number;
}

function ActionModal({ action, task, onClose, send, children, initialValues, width }: TModalProps) {
  const [form] = Form.useForm();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const body = useRef<HTMLDivElement>(null);
  const client = useQueryClient();
  const { message } = App.useApp();
  const title = ACTION_LABEL[action] ?? action;

  const onFinish = async (values: Record<string, unknown>) => {
    setBusy(true);
    setError(null);
    try {
      const answer = await send(values);
      if (isTaskView(answer)) client.setQueryData(keys.task(task.id), answer);
      else await client.invalidateQueries({ queryKey: keys.task(task.id) });
      void message.success(ACTION_SUCCESS[action] ?? '操作成功');
      onClose();
      await refreshAfterDecision(client);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={title}
      width={width ?? 600}
      onCancel={onClose}
      footer={null}
      destroyOnHidden
      maskClosable={false}
      // The first field takes the focus, so a keyboard user can start typing at once.
      afterOpenChange={(open) => {
        if (!open) return;
        const first = body.current?.querySelector<HTMLElement>(
          'input:not([type=hidden]):not([disabled]), textarea:not([disabled]), [role=combobox]',
        );
        first?.focus();
      }}
    >
      <div ref={body}>
        <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
          任务：{task.problem?.title ?? task.measure}
        </Typography.Paragraph>
        <Form
          form={form}
          name={`action-${action}`}
          layout="vertical"
          initialValues={initialValues}
          onFinish={(v: Record<string, unknown>) => void onFinish(v)}
        >
          {children}
          {error ? <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} /> : null}
          <Space>
            <Button type="primary" htmlType="submit" loading={busy}>
              提交
            </Button>
            <Button onClick={onClose}>取消</Button>
          </Space>
        </Form>
      </div>
    </Modal>
  );
}

/** "name（role） · unit"; names that already carry a bracketed title (李主任（牵头领导）) keep only theirs. */
const userLabel = (u: TUserItem, units: Record<string, string>) =>
  `${u.name.includes('（') ? u.name : `${u.name}（${say(ROLE_TEXT, u.role)}）`}${
    u.unitId && units[u.unitId] ? ` · ${units[u.unitId]}` : ''
  }`;

function useUnitNames(): Record<string, string> {
  const units = useUnits().data?.items ?? [];
  return Object.fromEntries(units.map((u) => [u.id, u.name]));
}

function PeriodField({ name, label, periods }: { name: string; label: string; periods: string[] }) {
  return (
    <Form.Item name={name} label={label} rules={[{ required: true, message: `请选择${label}` }]}>
      <Select options={periods.map((p) => ({ value: p, label: fmtPeriod(p) }))} />
    </Form.Item>
  );
}

function reasonRequiredWhen(field: string, value: string, label: string) {
  return ({ getFieldValue }: { getFieldValue: (name: string) => unknown }) => ({
    required: getFieldValue(field) === value,
    message: `请填写${label}`,
  });
}

// ---------------------------------------------------------------------------------------------------- the forms

type TFormProps = { task: TTaskDetail; allowed: TAllowedAction; onClose: () => void };
const path = (task: TTaskDetail, rest: string) => `/api/tasks/${encodeURIComponent(task.id)}${rest}`;

function SubmitReport({ task, allowed, onClose }: TFormProps) {
  const periods = allowed.periods ?? [];
  return (
    <ActionModal
      action="submit_report"
      task={task}
      onClose={onClose}
      width={720}
      initialValues={{ period: periods[0] }}
      send={(v) =>
        api.post(path(task, '/reports'), {
          period: v.period,
          progress: v.progress,
          problems: v.problems || undefined,
          nextPlan: v.nextPlan || undefined,
          evidence: evidenceOf(v.evidence as TUploaded[] | undefined),
        })
      }
    >
      <PeriodField name="period" label="填报期次" periods={periods} />
      <RequiredText name="progress" label="本月进展" maxLength={5000} />
      <Form.Item name="problems" label="存在问题">
        <Input.TextArea {...textArea} maxLength={5000} />
      </Form.Item>
      <Form.Item name="nextPlan" label="下步计划">
        <Input.TextArea {...textArea} maxLength={5000} />
      </Form.Item>
      <Form.Item name="evidence" label="佐证材料">
        <EvidenceInput />
      </Form.Item>
    </ActionModal>
  );
}

/** A required text area: the label names the field, and an empty or blank entry asks for it by that name. */
function RequiredText({ name, label, maxLength }: { name: string; label: string; maxLength: number }) {
  return (
    <Form.Item name={name} label={label} rules={[{ required: true, whitespace: true, message: `请填写${label}` }]}>
      <Input.TextArea {...textArea} maxLength={maxLength} />
    </Form.Item>
  );
}

/** A form's optional reason as the routes take it: a blank reason is no reason. */
function reasonOf(v: Record<string, unknown>): string | undefined {
  return typeof v.reason === 'string' && v.reason.trim() ? v.reason.trim() : undefined;
}

/** `{ decision, reason? }` as the decision routes take it. */
function decisionBody(v: Record<string, unknown>) {
  return { decision: v.decision, reason: reasonOf(v) };
}

function ReviewReport({ task, allowed, onClose }: TFormProps) {
  const periods = allowed.periods ?? [];
  const opinions = useOpinions();
  const client = useQueryClient();
  const { message } = App.useApp();
  return (
    <ActionModal
      action="review_report"
      task={task}
      onClose={onClose}
      width={720}
      initialValues={{ period: periods[0], decision: 'accept' }}
      send={(v) => api.post(path(task, `/reports/${encodeURIComponent(String(v.period))}/review`), decisionBody(v))}
    >
      <PeriodField name="period" label="审核期次" periods={periods} />
      <Form.Item noStyle shouldUpdate={(a, b) => a.period !== b.period}>
        {({ getFieldValue }) => {
          const period = getFieldValue('period') as string | undefined;
          const latest = task.reports.filter((r) => r.period === period).at(-1);
          return latest ? (
            <div style={{ background: '#fafafa', padding: 12, marginBottom: 16, borderRadius: 4 }}>
              <strong>
                {fmtPeriod(latest.period)} 第 {latest.version} 版进展：
              </strong>
              <p className="zg-pre">{latest.progress}</p>
              {latest.problems ? <p className="zg-pre">存在问题：{latest.problems}</p> : null}
              {latest.nextPlan ? <p className="zg-pre">下步计划：{latest.nextPlan}</p> : null}
              {latest.evidence.length > 0 ? <p>佐证材料 {latest.evidence.length} 份（见任务页）</p> : null}
            </div>
          ) : null;
        }}
      </Form.Item>
      <Form.Item name="decision" label="审核结论" rules={[{ required: true, message: '请选择审核结论' }]}>
        <Radio.Group
          options={[
            { value: 'accept', label: '通过' },
            { value: 'return', label: '退回' },
          ]}
        />
      </Form.Item>
      <Form.Item noStyle shouldUpdate>
        {({ setFieldValue, getFieldValue }) => (
          <>
            <Form.Item label="常用意见" htmlFor="review-opinion">
              <Select
                id="review-opinion"
                placeholder="选择一条常用意见填入审核意见"
                allowClear
                value={null}
                loading={opinions.isPending}
                options={(opinions.data?.items ?? []).map((o) => ({ value: o.text, label: o.text }))}
                onChange={(text: string | null) => {
                  if (text) setFieldValue('reason', text);
                }}
              />
            </Form.Item>
            <Form.Item
              name="reason"
              label="审核意见"
              dependencies={['decision']}
              rules={[reasonRequiredWhen('decision', 'return', '退回理由')]}
              extra={
                <Button
                  size="small"
                  style={{ marginTop: 4 }}
                  onClick={() => {
                    const text = String(getFieldValue('reason') ?? '').trim();
                    if (!text) {
                      void message.warning('请先填写审核意见');
                      return;
                    }
                    api
                      .post('/api/opinions', { text })
                      .then(async () => {
                        void message.success('已存为常用意见');
                        await client.invalidateQueries({ queryKey: keys.opinions });
                      })
                      .catch((e: unknown) => void message.error(errorMessage(e)));
                  }}
                >
                  存为常用意见
                </Button>
              }
            >
              <Input.TextArea {...textArea} maxLength={2000} />
            </Form.Item>
          </>
        )}
      </Form.Item>
    </ActionModal>
  );
}

function RequestClosure({ task, onClose }: TFormProps) {
  return (
    <ActionModal
      action="request_closure"
      task={task}
      onClose={onClose}
      width={720}
      send={(v) =>
        api.post(path(task, '/closure'), {
          summary: v.summary,
          evidence: evidenceOf(v.evidence as TUploaded[] | undefined),
        })
      }
    >
      <RequiredText name="summary" label="整改情况说明" maxLength={5000} />
      <Form.Item name="evidence" label="佐证材料">
        <EvidenceInput />
      </Form.Item>
    </ActionModal>
  );
}

/** The two fields of every yes/no decision: the choice, and a reason that the negative choice requires. */
function DecisionFields(props: {
  label: string;
  options: { value: string; label: string }[];
  negative: string;
  negativeReason: string;
}) {
  return (
    <>
      <Form.Item name="decision" label={props.label} rules={[{ required: true, message: '请选择' }]}>
        <Radio.Group options={props.options} />
      </Form.Item>
      <Form.Item
        name="reason"
        label="理由"
        dependencies={['decision']}
        rules={[reasonRequiredWhen('decision', props.negative, props.negativeReason)]}
      >
        <Input.TextArea {...textArea} maxLength={2000} />
      </Form.Item>
    </>
  );
}

function SignOff({ task, onClose }: TFormProps) {
  const latest = task.closeoutApplications.at(-1);
  return (
    <ActionModal
      action="sign_off"
      task={task}
      onClose={onClose}
      initialValues={{ decision: 'approve' }}
      send={(v) => api.post(path(task, '/sign-off'), decisionBody(v))}
    >
      {task.currentSignOff ? <p>签批层级：{task.currentSignOff.name}</p> : null}
      {latest ? (
        <div style={{ background: '#fafafa', padding: 12, marginBottom: 16, borderRadius: 4 }}>
          <strong>销号申请：</strong>
          <p className="zg-pre">{latest.summary}</p>
        </div>
      ) : null}
      <DecisionFields
        label="签批意见"
        options={[
          { value: 'approve', label: '同意' },
          { value: 'return', label: '退回' },
        ]}
        negative="return"
        negativeReason="退回理由"
      />
    </ActionModal>
  );
}

function RequestExtension({ task, onClose }: TFormProps) {
  return (
    <ActionModal
      action="request_extension"
      task={task}
      onClose={onClose}
      send={(v) => api.post(path(task, '/extension'), { newDate: day(v.newDate as Dayjs), reason: v.reason })}
    >
      <Form.Item name="newDate" label="延期至" rules={[{ required: true, message: '请选择延期后的期限' }]}>
        <DatePicker style={{ width: '100%' }} />
      </Form.Item>
      <RequiredText name="reason" label="延期理由" maxLength={2000} />
    </ActionModal>
  );
}

function DecideExtension({ task, onClose }: TFormProps) {
  const pending = task.extensions.filter((e) => e.status === 'pending').at(-1) ?? task.extensions.at(-1);
  return (
    <ActionModal
      action="decide_extension"
      task={task}
      onClose={onClose}
      initialValues={{ decision: 'approve' }}
      send={(v) => api.post(path(task, '/extension/decision'), decisionBody(v))}
    >
      {pending ? (
        <p>
          申请延期至 {fmtDate(pending.newDate)}，理由：{pending.reason}
        </p>
      ) : null}
      <DecisionFields
        label="审批结论"
        options={[
          { value: 'approve', label: '同意' },
          { value: 'refuse', label: '不同意' },
        ]}
        negative="refuse"
        negativeReason="不同意的理由"
      />
    </ActionModal>
  );
}

function Urge({ task, onClose }: TFormProps) {
  return (
    <ActionModal
      action="urge"
      task={task}
      onClose={onClose}
      send={(v) => api.post(path(task, '/urge'), { message: v.message })}
    >
      <RequiredText name="message" label="催办内容" maxLength={2000} />
    </ActionModal>
  );
}

function Reassign({ task, onClose }: TFormProps) {
  const units = useUnits();
  const users = useUsers();
  const unitNames = useUnitNames();
  const leaders = (users.data?.items ?? []).filter((u) => u.role === 'leader');
  return (
    <ActionModal
      action="reassign"
      task={task}
      onClose={onClose}
      initialValues={{ leadUnitId: task.leadUnitId, leaderId: task.leaderId }}
      send={(v) =>
        api.post(path(task, '/reassign'), {
          leadUnitId: v.leadUnitId !== task.leadUnitId ? v.leadUnitId : undefined,
          leaderId: v.leaderId !== task.leaderId ? v.leaderId : undefined,
          reason: reasonOf(v),
        })
      }
    >
      <Form.Item name="leadUnitId" label="责任单位" rules={[{ required: true, message: '请选择责任单位' }]}>
        <Select
          showSearch={{ optionFilterProp: 'label' }}
          loading={units.isPending}
          options={(units.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
        />
      </Form.Item>
      <Form.Item
        name="leaderId"
        label="牵头领导"
        dependencies={['leadUnitId']}
        rules={[
          { required: true, message: '请选择牵头领导' },
          ({ getFieldValue }) => ({
            // A form check, not a workflow rule: a reassignment that changes nothing is not a request at all.
            validator: (_: unknown, leaderId: string | undefined) =>
              leaderId !== task.leaderId || getFieldValue('leadUnitId') !== task.leadUnitId
                ? Promise.resolve()
                : Promise.reject(new Error('请更换责任单位或牵头领导')),
          }),
        ]}
      >
        <Select
          showSearch={{ optionFilterProp: 'label' }}
          loading={users.isPending}
          options={leaders.map((u) => ({ value: u.id, label: userLabel(u, unitNames) }))}
        />
      </Form.Item>
      <Form.Item name="reason" label="改派理由">
        <Input.TextArea {...textArea} maxLength={2000} />
      </Form.Item>
    </ActionModal>
  );
}

function Split({ task, onClose }: TFormProps) {
  const units = useUnits();
  const users = useUsers();
  const unitNames = useUnitNames();
  const leaders = (users.data?.items ?? []).filter((u) => u.role === 'leader');
  return (
    <ActionModal
      action="split"
      task={task}
      onClose={onClose}
      width={760}
      initialValues={{ children: [{ leaderId: task.leaderId }] }}
      send={(v) =>
        api.post(path(task, '/split'), {
          children: (v.children as { leadUnitId: string; leaderId: string; measure?: string }[]).map((c) => ({
            leadUnitId: c.leadUnitId,
            leaderId: c.leaderId,
            measure: c.measure?.trim() || undefined,
          })),
        })
      }
    >
      <Form.List name="children">
        {(fields, { add, remove }) => (
          <>
            {fields.map((field, index) => (
              <fieldset key={field.key} style={{ border: '1px solid #eee', padding: '8px 12px', marginBottom: 12 }}>
                <legend style={{ fontSize: 14, width: 'auto', margin: 0, border: 0 }}>第 {index + 1} 项子任务</legend>
                <Form.Item
                  name={[field.name, 'leadUnitId']}
                  label={`第${index + 1}项责任单位`}
                  rules={[{ required: true, message: '请选择责任单位' }]}
                >
                  <Select
                    showSearch={{ optionFilterProp: 'label' }}
                    options={(units.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
                  />
                </Form.Item>
                <Form.Item
                  name={[field.name, 'leaderId']}
                  label={`第${index + 1}项牵头领导`}
                  rules={[{ required: true, message: '请选择牵头领导' }]}
                >
                  <Select
                    showSearch={{ optionFilterProp: 'label' }}
                    options={leaders.map((u) => ({ value: u.id, label: userLabel(u, unitNames) }))}
                  />
                </Form.Item>
                <Form.Item name={[field.name, 'measure']} label={`第${index + 1}项整改措施`}>
                  <Input.TextArea
                    autoSize={{ minRows: 2, maxRows: 6 }}
                    maxLength={2000}
                    placeholder="不填则沿用本任务的整改措施"
                  />
                </Form.Item>
                {fields.length > 1 ? (
                  <Button size="small" danger onClick={() => remove(field.name)}>
                    删除第{index + 1}项
                  </Button>
                ) : null}
              </fieldset>
            ))}
            <Button onClick={() => add({ leaderId: task.leaderId })} style={{ marginBottom: 16 }}>
              增加一项
            </Button>
          </>
        )}
      </Form.List>
    </ActionModal>
  );
}

function LookBack({ task, onClose }: TFormProps) {
  return (
    <ActionModal
      action="look_back"
      task={task}
      onClose={onClose}
      initialValues={{ verdict: 'consolidated' }}
      send={(v) =>
        api.post(path(task, '/look-back'), {
          verdict: v.verdict,
          reason: reasonOf(v),
          newDeadlineDate: v.verdict === 'rebound' ? day(v.newDeadlineDate as Dayjs | undefined) : undefined,
        })
      }
    >
      <Form.Item name="verdict" label="回头看结论" rules={[{ required: true, message: '请选择' }]}>
        <Radio.Group
          options={[
            { value: 'consolidated', label: '巩固' },
            { value: 'rebound', label: '反弹' },
          ]}
        />
      </Form.Item>
      <Form.Item
        name="reason"
        label="情况说明"
        dependencies={['verdict']}
        rules={[reasonRequiredWhen('verdict', 'rebound', '反弹的情况')]}
      >
        <Input.TextArea {...textArea} maxLength={2000} />
      </Form.Item>
      <Form.Item noStyle shouldUpdate={(a, b) => a.verdict !== b.verdict}>
        {({ getFieldValue }) =>
          getFieldValue('verdict') === 'rebound' ? (
            <Form.Item name="newDeadlineDate" label="新的整改期限" extra="不填则按原期限规则重新计算">
              <DatePicker style={{ width: '100%' }} />
            </Form.Item>
          ) : null
        }
      </Form.Item>
    </ActionModal>
  );
}

function Delegate({ task, onClose }: TFormProps) {
  // The server lists who may stand in (the caller's role in the caller's unit); the browser keeps no copy of that rule.
  const candidates = task.allowedActions?.find((a) => a.action === 'delegate')?.candidates ?? [];
  return (
    <ActionModal
      action="delegate"
      task={task}
      onClose={onClose}
      send={(v) =>
        api.post('/api/delegations', {
          taskId: task.id,
          toUserId: v.toUserId,
          from: day(v.from as Dayjs),
          to: day(v.to as Dayjs),
        })
      }
    >
      <Form.Item name="toUserId" label="受托人" rules={[{ required: true, message: '请选择受托人' }]}>
        <Select
          showSearch={{ optionFilterProp: 'label' }}
          options={candidates.map((u) => ({ value: u.id, label: u.name }))}
        />
      </Form.Item>
      <Form.Item name="from" label="委托开始日期" rules={[{ required: true, message: '请选择开始日期' }]}>
        <DatePicker style={{ width: '100%' }} />
      </Form.Item>
      <Form.Item
        name="to"
        label="委托结束日期"
        dependencies={['from']}
        rules={[
          { required: true, message: '请选择结束日期' },
          ({ getFieldValue }) => ({
            validator: (_: unknown, value: Dayjs | undefined) => {
              const from = getFieldValue('from') as Dayjs | undefined;
              return !value || !from || !value.isBefore(from, 'day')
                ? Promise.resolve()
                : Promise.reject(new Error('结束日期不能早于开始日期'));
            },
          }),
        ]}
      >
        <DatePicker style={{ width: '100%' }} />
      </Form.Item>
    </ActionModal>
  );
}

function EndLongTerm({ task, onClose }: TFormProps) {
  return (
    <ActionModal
      action="end_long_term"
      task={task}
      onClose={onClose}
      send={(v) =>
        api.post(path(task, '/end-long-term'), {
          reason: reasonOf(v),
        })
      }
    >
      <Form.Item name="reason" label="情况说明">
        <Input.TextArea {...textArea} maxLength={2000} />
      </Form.Item>
    </ActionModal>
  );
}

const FORMS: Record<string, (p: TFormProps) => ReactNode> = {
  submit_report: SubmitReport,
  review_report: ReviewReport,
  request_closure: RequestClosure,
  sign_off: SignOff,
  request_extension: RequestExtension,
  decide_extension: DecideExtension,
  urge: Urge,
  reassign: Reassign,
  split: Split,
  look_back: LookBack,
  delegate: Delegate,
  end_long_term: EndLongTerm,
};

export function TaskActions({ task }: { task: TTaskDetail }) {
  const [open, setOpen] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const client = useQueryClient();
  const { message } = App.useApp();
  const allowed = [...(task.allowedActions ?? [])].sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action));
  if (allowed.length === 0) return null;

  /** 签收 needs no form: one click is the decision. */
  const acknowledge = async () => {
    setBusy(true);
    try {
      const answer = await api.post(path(task, '/acknowledge'), {});
      if (isTaskView(answer)) client.setQueryData(keys.task(task.id), answer);
      else await client.invalidateQueries({ queryKey: keys.task(task.id) });
      void message.success(ACTION_SUCCESS.acknowledge);
      await refreshAfterDecision(client);
    } catch (e) {
      void message.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const current = allowed.find((a) => a.action === open);
  const Form_ = current ? FORMS[current.action] : undefined;
  return (
    <section aria-label="可办理的操作" style={{ marginBottom: 16 }}>
      <Space wrap>
        {allowed.map((a) =>
          a.action === 'acknowledge' ? (
            <Button key={a.action} type="primary" loading={busy} onClick={() => void acknowledge()}>
              签收
            </Button>
          ) : FORMS[a.action] ? (
            <Button
              key={a.action}
              type={['submit_report', 'review_report', 'sign_off'].includes(a.action) ? 'primary' : 'default'}
              onClick={() => setOpen(a.action)}
            >
              {ACTION_LABEL[a.action] ?? a.action}
            </Button>
          ) : null,
        )}
      </Space>
      {current && Form_ ? <Form_ task={task} allowed={current} onClose={() => setOpen(null)} /> : null}
    </section>
  );
}

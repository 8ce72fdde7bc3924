/**
 * 导入任务清单: 上传 (an .xlsx or .csv the office already keeps, optional 默认牵头单位) → 预览 (every row as the server read
 * it, errors red and warnings orange in the cell they belong to, the counts) → 确认导入 → 进度 (rows written and
 * workflows started, polled until the import is committed). Nothing is written before 确认导入; the rules (which
 * header words, which units, whether rows with errors may be left out) are the server's.
 */
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Progress,
  Result,
  Select,
  Space,
  Statistic,
  Steps,
  Table,
  Tooltip,
  Typography,
  Upload,
} from 'antd';
import { api, errorMessage, request } from '../api';
import { adminKeys } from '../adminQueries';
import type { TCellIssue, TImportPreview, TImportProgress, TImportRow } from '../adminTypes';
import { fmtDeadline } from '../format';
import { keys, refreshAfterDecision, useCampaigns, useUnits } from '../queries';
import { IMPORT_STATUS_TEXT, say } from '../texts';

type TField = 'category' | 'problem' | 'measure' | 'leader' | 'leadUnit' | 'participating' | 'deadline';

/** Which column an issue belongs to: the server's field name when it gives one, else the words of its message. */
function fieldOf(issue: TCellIssue): TField | null {
  const field = typeof issue === 'string' ? undefined : (issue.field ?? issue.column);
  const known: Record<string, TField | null> = {
    category: 'category',
    problem: 'problem',
    measure: 'measure',
    leader: 'leader',
    leadUnit: 'leadUnit',
    participants: 'participating',
    deadline: 'deadline',
  };
  // A field the table has no column for (整改目标, 责任人, 序号, the sheet as a whole) goes to 其他提示.
  if (field) return known[field] ?? null;
  const text = textOf(issue);
  if (/配合|协办/.test(text)) return 'participating';
  if (/牵头单位|责任单位|责任部门|单位/.test(text)) return 'leadUnit';
  if (/领导/.test(text)) return 'leader';
  if (/时限|期限|日期/.test(text)) return 'deadline';
  if (/类别/.test(text)) return 'category';
  if (/措施/.test(text)) return 'measure';
  if (/问题/.test(text)) return 'problem';
  return null;
}

const textOf = (issue: TCellIssue) =>
  typeof issue === 'string'
    ? issue
    : issue.cell && !issue.message.includes(issue.cell)
      ? `${issue.cell}：${issue.message}`
      : issue.message;

/** A cell with its row's issues for that column: red for errors, orange for warnings, the sentences beneath. */
function Cell({ row, field, children }: { row: TImportRow; field: TField | null; children?: ReactNode }) {
  const errors = row.errors.filter((e) => fieldOf(e) === field).map(textOf);
  const warnings = row.warnings.filter((w) => fieldOf(w) === field).map(textOf);
  if (errors.length === 0 && warnings.length === 0) return <>{children}</>;
  const kind = errors.length ? 'error' : 'warning';
  return (
    <div className={`zg-cell-${kind}`} data-cell-issue={kind}>
      {field ? <div>{children || '（空）'}</div> : null}
      {[...errors, ...warnings].map((t, i) => (
        <div key={i} className="zg-cell-note">
          {t}
        </div>
      ))}
    </div>
  );
}

function UploadStep({ campaignId, onPreview }: { campaignId: string; onPreview: (p: TImportPreview) => void }) {
  const units = useUnits().data?.items ?? [];
  const [defaultLeadUnitId, setDefaultLead] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const send = async (file: File) => {
    setBusy(true);
    setError(null);
    try {
      const form = new FormData();
      form.append('file', file, file.name);
      if (defaultLeadUnitId) form.append('defaultLeadUnitId', defaultLeadUnitId);
      onPreview(
        await request<TImportPreview>(`/api/campaigns/${encodeURIComponent(campaignId)}/imports`, {
          method: 'POST',
          body: form,
        }),
      );
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>上传任务清单</h2>}>
      <Typography.Paragraph>
        支持 Excel（.xlsx）和 CSV（UTF-8 或 GBK）。表头可用常见写法（问题类别、具体问题、整改措施、牵头领导、责任单位、
        配合单位、整改时限等），标题行、合并单元格和“一、（一）1.”编号均可识别。上传后先预览，确认后才写入。
      </Typography.Paragraph>
      <Space direction="vertical" style={{ width: '100%' }} size={16}>
        <div>
          <label htmlFor="import-default-lead" style={{ marginRight: 8 }}>
            默认牵头单位
          </label>
          <Select
            id="import-default-lead"
            aria-label="默认牵头单位"
            style={{ width: 360 }}
            allowClear
            showSearch={{ optionFilterProp: 'label' }}
            placeholder="可选：无法确定牵头单位的行由此单位牵头"
            value={defaultLeadUnitId}
            onChange={(v?: string) => setDefaultLead(v)}
            options={units.map((u) => ({ value: u.id, label: u.name }))}
          />
        </div>
        <Upload.Dragger
          accept=".xlsx,.csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,text/csv"
          multiple={false}
          showUploadList={false}
          disabled={busy}
          beforeUpload={(file) => {
            void send(file);
            return false;
          }}
        >
          <p style={{ fontSize: 16, margin: '8px 0' }}>{busy ? '正在读取…' : '点击或拖入任务清单文件'}</p>
          <p style={{ color: '#888', margin: 0 }}>单个文件不超过 10 MB</p>
        </Upload.Dragger>
        {error ? <Alert type="error" showIcon title={error} role="alert" /> : null}
      </Space>
    </Card>
  );
}

function PreviewStep(props: {
  campaignId: string;
  preview: TImportPreview;
  onBack: () => void;
  onCommitted: () => void;
}) {
  const { campaignId, preview } = props;
  const units = Object.fromEntries((useUnits().data?.items ?? []).map((u) => [u.id, u.name]));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [skipErrorRows, setSkip] = useState(false);
  const s = preview.summary;
  const errorCount = s.errors ?? preview.rows.reduce((n, r) => n + r.errors.length, 0);
  const warningCount = s.warnings ?? preview.rows.reduce((n, r) => n + r.warnings.length, 0);
  // The server decides whether an import with errors may go ahead (leaving those rows out); by default it may not.
  // 跳过有错误的行 lets it go ahead without them (the server leaves them out: `skipErrorRows`).
  const blocked = errorCount > 0 && preview.canCommit !== true && !skipErrorRows;
  const rowsWithErrors = preview.rows.filter((r) => r.errors.length > 0).length;

  const commit = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.post(
        `/api/campaigns/${encodeURIComponent(campaignId)}/imports/${encodeURIComponent(preview.id)}/commit`,
        skipErrorRows ? { skipErrorRows: true } : {},
      );
      props.onCommitted();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const unitName = (id: string | null | undefined) => (id ? (units[id] ?? id) : '');

  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>预览</h2>}>
      <Space wrap size={32} style={{ marginBottom: 16 }} aria-label="导入汇总">
        <Statistic title="类别" value={s.categories ?? 0} />
        <Statistic title="问题" value={s.problems ?? 0} />
        <Statistic title="措施" value={s.tasks ?? preview.rows.length} />
        <Statistic
          title="错误"
          value={errorCount}
          styles={{ content: { color: errorCount ? '#cf1322' : undefined } }}
        />
        <Statistic
          title="警告"
          value={warningCount}
          styles={{ content: { color: warningCount ? '#d46b08' : undefined } }}
        />
      </Space>
      {errorCount > 0 ? (
        <Alert
          type="error"
          showIcon
          style={{ marginBottom: 16 }}
          title={
            skipErrorRows
              ? `有 ${errorCount} 处错误（红色单元格），所在的 ${rowsWithErrors} 行不会导入。`
              : `有 ${errorCount} 处错误（红色单元格）：请修改表格后重新上传（无法确定牵头单位的行可先选择默认牵头单位），或跳过这些行。`
          }
        />
      ) : null}
      <Table<TImportRow>
        rowKey="row"
        size="small"
        bordered
        dataSource={preview.rows}
        pagination={{ pageSize: 50, hideOnSinglePage: true, showSizeChanger: false }}
        scroll={{ x: 1200 }}
        rowClassName={(r) => (r.errors.length ? 'zg-row-error' : r.warnings.length ? 'zg-row-warning' : '')}
        columns={[
          { title: '行', dataIndex: 'row', key: 'row', width: 56 },
          {
            title: '问题类别',
            key: 'category',
            width: 120,
            render: (_: unknown, r) => (
              <Cell row={r} field="category">
                {r.category}
              </Cell>
            ),
          },
          {
            title: '具体问题',
            key: 'problem',
            width: 220,
            render: (_: unknown, r) => (
              <Cell row={r} field="problem">
                {r.problem}
              </Cell>
            ),
          },
          {
            title: '整改措施',
            key: 'measure',
            width: 260,
            render: (_: unknown, r) => (
              <Cell row={r} field="measure">
                {r.measure}
              </Cell>
            ),
          },
          {
            title: '牵头领导',
            key: 'leader',
            width: 100,
            render: (_: unknown, r) => (
              <Cell row={r} field="leader">
                {r.leaderText}
              </Cell>
            ),
          },
          {
            title: '牵头单位',
            key: 'leadUnit',
            width: 150,
            render: (_: unknown, r) => (
              <Cell row={r} field="leadUnit">
                {unitName(r.leadUnitId)}
              </Cell>
            ),
          },
          {
            title: '配合单位',
            key: 'participating',
            width: 180,
            render: (_: unknown, r) => (
              <Cell row={r} field="participating">
                {(r.participatingUnitIds ?? []).map(unitName).join('、')}
              </Cell>
            ),
          },
          {
            title: '整改时限',
            key: 'deadline',
            width: 180,
            render: (_: unknown, r) => (
              <Cell row={r} field="deadline">
                {r.deadlineText || '—'}
                {r.deadline ? <div className="zg-cell-parsed">{fmtDeadline(r.deadline)}</div> : null}
              </Cell>
            ),
          },
          {
            title: '其他提示',
            key: 'other',
            width: 200,
            render: (_: unknown, r) => <Cell row={r} field={null} />,
          },
        ]}
      />
      {error ? <Alert type="error" showIcon title={error} role="alert" style={{ marginTop: 16 }} /> : null}
      <Space style={{ marginTop: 16 }} wrap>
        {errorCount > 0 && preview.canCommit !== true ? (
          <Checkbox checked={skipErrorRows} onChange={(e) => setSkip(e.target.checked)}>
            跳过有错误的行
          </Checkbox>
        ) : null}
        <Tooltip title={blocked ? '还有错误未解决' : undefined}>
          <Button type="primary" disabled={blocked} loading={busy} onClick={() => void commit()}>
            确认导入
          </Button>
        </Tooltip>
        <Button onClick={props.onBack}>重新上传</Button>
      </Space>
    </Card>
  );
}

function ProgressStep({ campaignId, importId }: { campaignId: string; importId: string }) {
  const client = useQueryClient();
  const job = useQuery({
    queryKey: adminKeys.importJob(campaignId, importId),
    queryFn: async () => {
      const p = await api.get<TImportProgress>(
        `/api/campaigns/${encodeURIComponent(campaignId)}/imports/${encodeURIComponent(importId)}`,
      );
      if (p.status === 'committed') await refreshAfterDecision(client);
      return p;
    },
    // Every second while the server writes rows and starts workflows; stops once it is done or has failed.
    refetchInterval: (q) => (q.state.data && ['committed', 'failed'].includes(q.state.data.status) ? false : 1000),
  });
  const p = job.data;
  if (job.isError) return <Alert type="error" showIcon title={errorMessage(job.error)} />;
  const total = Math.max(p?.total ?? 0, 1);
  const pct = (n: number) => Math.round((n / total) * 100);
  const done = p?.status === 'committed' && p.workflowsStarted >= p.total;
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>导入进度</h2>}>
      <Descriptions size="small" column={1} style={{ marginBottom: 16 }}>
        <Descriptions.Item label="状态">{say(IMPORT_STATUS_TEXT, p?.status ?? 'committing')}</Descriptions.Item>
        <Descriptions.Item label="写入任务">
          {p?.rowsWritten ?? 0} / {p?.total ?? '—'}
        </Descriptions.Item>
        <Descriptions.Item label="启动流程">
          {p?.workflowsStarted ?? 0} / {p?.total ?? '—'}
        </Descriptions.Item>
      </Descriptions>
      <div style={{ maxWidth: 480 }}>
        <div>写入任务</div>
        <Progress percent={pct(p?.rowsWritten ?? 0)} aria-label="写入任务进度" />
        <div>启动流程</div>
        <Progress percent={pct(p?.workflowsStarted ?? 0)} aria-label="启动流程进度" />
      </div>
      {p?.status === 'failed' ? (
        <Alert
          type="error"
          showIcon
          title={`导入中断：${p.error ?? '请稍后再次确认导入，已写入的不会重复'}`}
          style={{ marginTop: 16 }}
        />
      ) : null}
      {p?.status === 'committed' ? (
        <Result
          status={done ? 'success' : 'info'}
          title={done ? `已导入 ${p.rowsWritten} 项任务` : `已写入 ${p.rowsWritten} 项任务，流程启动中`}
          extra={
            <Link
              to={`/tasks?campaignId=${encodeURIComponent(campaignId)}`}
              onClick={() => void client.invalidateQueries({ queryKey: keys.tasks })}
            >
              查看导入的任务
            </Link>
          }
        />
      ) : null}
    </Card>
  );
}

export default function ImportPage() {
  const { id: campaignId = '' } = useParams();
  const campaign = (useCampaigns().data?.items ?? []).find((c) => c.id === campaignId);
  const [preview, setPreview] = useState<TImportPreview | null>(null);
  const [committed, setCommitted] = useState(false);
  const step = committed ? 2 : preview ? 1 : 0;
  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        导入任务清单
      </Typography.Title>
      <Typography.Paragraph>
        巡视批次：<Link to={`/campaigns/${encodeURIComponent(campaignId)}`}>{campaign?.name ?? campaignId}</Link>
      </Typography.Paragraph>
      <Steps
        current={step}
        style={{ marginBottom: 24 }}
        items={[{ title: '上传' }, { title: '预览' }, { title: '导入' }]}
      />
      {step === 0 ? <UploadStep campaignId={campaignId} onPreview={setPreview} /> : null}
      {step === 1 && preview ? (
        <PreviewStep
          campaignId={campaignId}
          preview={preview}
          onBack={() => setPreview(null)}
          onCommitted={() => setCommitted(true)}
        />
      ) : null}
      {step === 2 && preview ? <ProgressStep campaignId={campaignId} importId={preview.id} /> : null}
    </>
  );
}

/**
 * 通讯录导入: a workbook with a sheet 单位 (单位名称, 上级单位, 层级, 类型, 简称) and a sheet 人员 (姓名, 用户名, 角色,
 * 所属单位, 邮箱, 手机), previewed first (the server reads it and names every problem by its cell), written only on
 * 确认导入.
 */
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Space, Statistic, Table, Typography, Upload } from 'antd';
import { api, errorMessage, request } from '../../api';
import { directoryKeys } from '../../adminQueries';
import type { TCellIssue } from '../../adminTypes';
import { AdminFrame } from '../../components/AdminFrame';

interface TDirectoryRow {
  sheet?: string;
  row: number;
  name?: string;
  errors?: TCellIssue[];
  warnings?: TCellIssue[];
  [key: string]: unknown;
}

interface TDirectoryPreview {
  id: string;
  status: string;
  summary?: Record<string, number>;
  /** The planned units (sheet 单位) and people (sheet 人员), each with its row's errors and warnings. */
  rows?: { units?: TDirectoryRow[]; users?: TDirectoryRow[] };
  canCommit?: boolean;
}

interface TDirectoryCommitted {
  created?: { units: number; users: { username: string; initialPassword: string }[] };
}

const SUMMARY_TEXT: Record<string, string> = {
  units: '单位',
  users: '人员',
  newUnits: '新增单位',
  updatedUnits: '更新单位',
  newUsers: '新增人员',
  updatedUsers: '更新人员',
  errors: '错误',
  warnings: '警告',
};

const issueText = (i: TCellIssue) => (typeof i === 'string' ? i : i.cell ? `${i.cell}：${i.message}` : i.message);

export default function DirectoryImportPage() {
  const [preview, setPreview] = useState<TDirectoryPreview | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [created, setCreated] = useState<TDirectoryCommitted['created'] | null>(null);
  const client = useQueryClient();
  const { message } = App.useApp();

  const send = async (file: File) => {
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const form = new FormData();
      form.append('file', file, file.name);
      setPreview(await request<TDirectoryPreview>('/api/directory/imports', { method: 'POST', body: form }));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const commit = async () => {
    if (!preview) return;
    setBusy(true);
    setError(null);
    try {
      const answer = await api.post<TDirectoryCommitted>(
        `/api/directory/imports/${encodeURIComponent(preview.id)}/commit`,
      );
      setCreated(answer?.created ?? null);
      setDone(true);
      void message.success('通讯录已导入');
      await Promise.all(directoryKeys.map((queryKey) => client.invalidateQueries({ queryKey })));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const rows = preview
    ? [
        ...(preview.rows?.units ?? []).map((r) => ({ ...r, sheet: '单位' })),
        ...(preview.rows?.users ?? []).map((r) => ({ ...r, sheet: '人员' })),
      ]
    : [];
  const problems = rows.filter((r) => (r.errors?.length ?? 0) + (r.warnings?.length ?? 0) > 0);
  const errorCount = preview?.summary?.errors ?? rows.reduce((n, r) => n + (r.errors?.length ?? 0), 0);
  const blocked = errorCount > 0 && preview?.canCommit !== true;

  return (
    <AdminFrame title="通讯录导入">
      <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>上传通讯录</h2>} style={{ marginBottom: 16 }}>
        <Typography.Paragraph>
          Excel
          工作簿：工作表“单位”（单位名称、上级单位、层级、类型、简称），工作表“人员”（姓名、用户名、角色、所属单位、
          邮箱、手机）。先预览，确认后才写入。
        </Typography.Paragraph>
        <Upload.Dragger
          accept=".xlsx"
          multiple={false}
          showUploadList={false}
          disabled={busy}
          beforeUpload={(file) => {
            void send(file);
            return false;
          }}
        >
          <p style={{ fontSize: 16, margin: '8px 0' }}>{busy && !preview ? '正在读取…' : '点击或拖入通讯录文件'}</p>
        </Upload.Dragger>
        {error ? <Alert type="error" showIcon title={error} role="alert" style={{ marginTop: 16 }} /> : null}
      </Card>
      {preview ? (
        <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>预览</h2>}>
          <Space wrap size={32} style={{ marginBottom: 16 }}>
            {Object.entries(preview.summary ?? {}).map(([k, v]) => (
              <Statistic key={k} title={SUMMARY_TEXT[k] ?? k} value={v} />
            ))}
          </Space>
          <Table<TDirectoryRow>
            rowKey={(r) => `${r.sheet ?? ''}-${r.row}`}
            size="small"
            dataSource={problems}
            pagination={{ pageSize: 50, hideOnSinglePage: true }}
            locale={{ emptyText: '没有发现问题' }}
            columns={[
              { title: '工作表', key: 'sheet', render: (_: unknown, r) => r.sheet ?? '—' },
              { title: '行', dataIndex: 'row', key: 'row' },
              { title: '名称', key: 'name', render: (_: unknown, r) => r.name ?? '—' },
              {
                title: '问题',
                key: 'issues',
                render: (_: unknown, r) => (
                  <>
                    {(r.errors ?? []).map((i, n) => (
                      <div key={`e${n}`} className="zg-cell-error">
                        {issueText(i)}
                      </div>
                    ))}
                    {(r.warnings ?? []).map((i, n) => (
                      <div key={`w${n}`} className="zg-cell-warning">
                        {issueText(i)}
                      </div>
                    ))}
                  </>
                ),
              },
            ]}
          />
          <Space style={{ marginTop: 16 }}>
            <Button type="primary" disabled={blocked || done} loading={busy} onClick={() => void commit()}>
              确认导入
            </Button>
            {done ? <span role="status">已导入</span> : null}
          </Space>
          {created ? (
            <div style={{ marginTop: 16 }}>
              <Typography.Paragraph>
                新增单位 {created.units} 个、人员 {created.users.length}{' '}
                人。以下初始密码只显示这一次，请交给本人并提醒首次登录后修改：
              </Typography.Paragraph>
              <Table
                rowKey="username"
                size="small"
                pagination={false}
                aria-label="初始密码"
                dataSource={created.users}
                columns={[
                  { title: '用户名', dataIndex: 'username', key: 'username' },
                  {
                    title: '初始密码',
                    key: 'password',
                    render: (_: unknown, u: { initialPassword: string }) => (
                      <Typography.Text code copyable>
                        {u.initialPassword}
                      </Typography.Text>
                    ),
                  },
                ]}
              />
            </div>
          ) : null}
        </Card>
      ) : null}
    </AdminFrame>
  );
}

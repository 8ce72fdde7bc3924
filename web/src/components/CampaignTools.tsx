/**
 * A campaign's documents: 导出台账 (the ledger workbook), 生成通报 (a progress notice frozen as of a date) and the list
 * of notices with their Word documents. Used on the campaign page and on 统计.
 */
import { useRef, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, DatePicker, Form, Input, Modal, Space, Table, Typography } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, downloadFile, errorMessage } from '../api';
import { adminKeys, useNotices } from '../adminQueries';
import type { TNoticeItem } from '../adminTypes';
import { fmtDate, fmtDateTime } from '../format';

const campaignPath = (id: string, rest: string) => `/api/campaigns/${encodeURIComponent(id)}${rest}`;

/** Downloads the campaign's ledger (.xlsx) under the server's file name. */
export function LedgerButton({ campaignId }: { campaignId: string }) {
  const [busy, setBusy] = useState(false);
  const { message } = App.useApp();
  const onClick = async () => {
    setBusy(true);
    try {
      const name = await downloadFile(campaignPath(campaignId, '/ledger.xlsx'), '整改台账.xlsx');
      void message.success(`已导出 ${name}`);
    } catch (e) {
      void message.error(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Button loading={busy} onClick={() => void onClick()}>
      导出台账
    </Button>
  );
}

/** The office's notice: 截至日期 (today by default) and an optional 标题; the server freezes the figures. */
export function NoticeButton({ campaignId }: { campaignId: string }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [form] = Form.useForm<{ asOf?: Dayjs; title?: string }>();
  const body = useRef<HTMLDivElement>(null);
  const client = useQueryClient();
  const { message } = App.useApp();

  const close = () => {
    setOpen(false);
    setError(null);
  };
  const onFinish = async (v: { asOf?: Dayjs; title?: string }) => {
    setBusy(true);
    setError(null);
    try {
      await api.post<{ id: string }>(campaignPath(campaignId, '/notices'), {
        asOf: (v.asOf ?? dayjs()).format('YYYY-MM-DD'),
        ...(v.title?.trim() ? { title: v.title.trim() } : {}),
      });
      void message.success('通报已生成');
      close();
      await client.invalidateQueries({ queryKey: adminKeys.notices(campaignId) });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <>
      <Button onClick={() => setOpen(true)}>生成通报</Button>
      <Modal
        open={open}
        title="生成通报"
        onCancel={close}
        footer={null}
        destroyOnHidden
        maskClosable={false}
        afterOpenChange={(isOpen) => {
          if (isOpen) body.current?.querySelector<HTMLElement>('input:not([disabled])')?.focus();
        }}
      >
        <div ref={body}>
          <Typography.Paragraph type="secondary" style={{ marginTop: 0 }}>
            通报按截至日期的数据生成并保存，之后任务再有变化，已生成的通报数字不变。
          </Typography.Paragraph>
          <Form
            form={form}
            name="notice"
            layout="vertical"
            initialValues={{ asOf: dayjs() }}
            onFinish={(v) => void onFinish(v)}
          >
            <Form.Item name="asOf" label="截至日期" rules={[{ required: true, message: '请选择截至日期' }]}>
              <DatePicker
                style={{ width: '100%' }}
                disabledDate={(d) => d.isAfter(dayjs(), 'day')}
                allowClear={false}
              />
            </Form.Item>
            <Form.Item name="title" label="标题">
              <Input maxLength={200} placeholder="不填则按批次名称和截至日期生成" />
            </Form.Item>
            {error ? <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} /> : null}
            <Space>
              <Button type="primary" htmlType="submit" loading={busy}>
                提交
              </Button>
              <Button onClick={close}>取消</Button>
            </Space>
          </Form>
        </div>
      </Modal>
    </>
  );
}

/** The campaign's notices, newest first, each with its Word document. */
export function NoticeList({ campaignId }: { campaignId: string }) {
  const notices = useNotices(campaignId);
  const { message } = App.useApp();
  if (notices.isError) return <Alert type="error" showIcon title={errorMessage(notices.error)} />;
  const download = (n: TNoticeItem) =>
    downloadFile(`/api/notices/${encodeURIComponent(n.id)}/document.docx`, `${n.title}.docx`).catch((e: unknown) =>
      message.error(errorMessage(e)),
    );
  return (
    <Table<TNoticeItem>
      rowKey="id"
      size="small"
      loading={notices.isPending}
      dataSource={notices.data?.items ?? []}
      pagination={{ pageSize: 10, hideOnSinglePage: true }}
      locale={{ emptyText: '尚未生成通报' }}
      columns={[
        { title: '标题', dataIndex: 'title', key: 'title' },
        { title: '截至日期', key: 'asOf', render: (_: unknown, n) => fmtDate(n.asOf) },
        { title: '生成时间', key: 'createdAt', render: (_: unknown, n) => fmtDateTime(n.createdAt) },
        { title: '生成人', key: 'createdBy', render: (_: unknown, n) => n.createdByName ?? '—' },
        {
          title: '文档',
          key: 'doc',
          render: (_: unknown, n) => (
            <a
              href={`/api/notices/${encodeURIComponent(n.id)}/document.docx`}
              aria-label={`下载通报 ${n.title}`}
              onClick={(e) => {
                e.preventDefault();
                void download(n);
              }}
            >
              下载通报
            </a>
          ),
        },
      ]}
    />
  );
}

/**
 * 消息投递: messages the relay gave up on (已放弃, after its retries) or could not be sure it delivered (不确定是否送达:
 * a relay stopped mid-send; never resent by itself, so nobody gets a message twice). 重新投递 puts one back in the
 * queue, after the administrator has checked (for 不确定) that it did not arrive.
 */
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Segmented, Space, Table, Typography } from 'antd';
import { api, errorMessage } from '../../api';
import { adminKeys } from '../../adminQueries';
import type { TOutboxMessage } from '../../adminTypes';
import { AdminFrame } from '../../components/AdminFrame';
import { fmtDateTime } from '../../format';
import { OUTBOX_CHANNEL_TEXT, OUTBOX_STATUS_TEXT, say } from '../../texts';

/** A short line saying what the message is (its title when the server gives one). */
function subjectOf(m: TOutboxMessage): string {
  if (m.title) return m.title;
  const p = m.payload && typeof m.payload === 'object' ? (m.payload as Record<string, unknown>) : {};
  for (const k of ['title', 'subject']) if (typeof p[k] === 'string') return p[k] as string;
  return '—';
}

export default function OutboxPage() {
  const [status, setStatus] = useState<'dead' | 'uncertain'>('dead');
  const client = useQueryClient();
  const { message } = App.useApp();
  const [busy, setBusy] = useState<string | null>(null);
  const list = useQuery({
    queryKey: adminKeys.outbox(status),
    queryFn: () => api.get<{ items: TOutboxMessage[] }>('/api/admin/outbox', { status }),
  });
  const retry = async (m: TOutboxMessage) => {
    setBusy(m.id);
    try {
      await api.post(`/api/admin/outbox/${encodeURIComponent(m.id)}/retry`);
      void message.success('已重新排入投递队列');
      await client.invalidateQueries({ queryKey: ['admin', 'outbox'] });
    } catch (e) {
      void message.error(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  return (
    <AdminFrame title="消息投递">
      <Typography.Paragraph type="secondary">
        邮件、短信、钉钉、企业微信消息由投递服务发送，失败自动重试。这里列出多次重试仍失败、或发送中断而无法确认是否送达的消息；
        确认对方未收到后可重新投递。
      </Typography.Paragraph>
      <Segmented
        aria-label="投递状态"
        value={status}
        onChange={(v) => setStatus(v as 'dead' | 'uncertain')}
        options={[
          { value: 'dead', label: OUTBOX_STATUS_TEXT.dead },
          { value: 'uncertain', label: OUTBOX_STATUS_TEXT.uncertain },
        ]}
        style={{ marginBottom: 16 }}
      />
      {list.isError ? <Alert type="error" showIcon title={errorMessage(list.error)} /> : null}
      <Table<TOutboxMessage>
        rowKey="id"
        size="small"
        loading={list.isPending}
        dataSource={list.data?.items ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: '没有需要处理的消息' }}
        columns={[
          { title: '渠道', key: 'channel', render: (_: unknown, m) => say(OUTBOX_CHANNEL_TEXT, m.channel) },
          { title: '内容', key: 'title', render: (_: unknown, m) => subjectOf(m) },
          { title: '接收人', key: 'recipient', render: (_: unknown, m) => m.recipient ?? '—' },
          { title: '状态', key: 'status', render: (_: unknown, m) => say(OUTBOX_STATUS_TEXT, m.status) },
          { title: '尝试次数', dataIndex: 'attempts', key: 'attempts' },
          {
            title: '最近错误',
            key: 'lastError',
            render: (_: unknown, m) => <span style={{ wordBreak: 'break-all' }}>{m.lastError ?? '—'}</span>,
          },
          { title: '创建时间', key: 'createdAt', render: (_: unknown, m) => fmtDateTime(m.createdAt) },
          {
            title: '操作',
            key: 'actions',
            render: (_: unknown, m) => (
              <Space>
                <Button size="small" loading={busy === m.id} onClick={() => void retry(m)}>
                  重新投递
                </Button>
              </Space>
            ),
          },
        ]}
      />
    </AdminFrame>
  );
}

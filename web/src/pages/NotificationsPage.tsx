/** 通知: the caller's notifications, unread first in meaning (bold, tagged), with mark-read and mark-all-read. */
import { Link, useSearchParams } from 'react-router-dom';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, List, Segmented, Space, Tag, Typography } from 'antd';
import { api, errorMessage } from '../api';
import { fmtDateTime, noticeText } from '../format';
import { keys } from '../queries';
import type { TNotification, TPage } from '../types';
import { EMPTY, NOTIFICATION_KIND_TEXT, say } from '../texts';

export default function NotificationsPage() {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const onlyUnread = params.get('unread') === 'true';
  const client = useQueryClient();
  const { message } = App.useApp();
  const list = useQuery({
    queryKey: [...keys.notifications, { page, onlyUnread }],
    queryFn: () =>
      api.get<TPage<TNotification> & { unread: number }>('/api/notifications', {
        page,
        pageSize: 20,
        unread: onlyUnread ? 'true' : undefined,
      }),
    placeholderData: keepPreviousData,
  });
  const refresh = () =>
    Promise.all([
      client.invalidateQueries({ queryKey: keys.notifications }),
      client.invalidateQueries({ queryKey: keys.inbox }),
    ]);
  const markRead = useMutation({
    mutationFn: (id: string) => api.post<void>(`/api/inbox/notifications/${encodeURIComponent(id)}/read`),
    onSuccess: refresh,
    onError: (e) => void message.error(errorMessage(e)),
  });
  const markAll = useMutation({
    mutationFn: () => api.post<void>('/api/notifications/read-all'),
    onSuccess: async () => {
      void message.success('已全部标为已读');
      await refresh();
    },
    onError: (e) => void message.error(errorMessage(e)),
  });

  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        通知
      </Typography.Title>
      <Space style={{ marginBottom: 16 }} wrap>
        <Segmented
          aria-label="显示范围"
          value={onlyUnread ? 'unread' : 'all'}
          onChange={(v) => setParams(v === 'unread' ? { unread: 'true' } : {})}
          options={[
            { value: 'all', label: '全部' },
            { value: 'unread', label: '未读' },
          ]}
        />
        <span>未读 {list.data?.unread ?? 0} 条</span>
        <Button onClick={() => markAll.mutate()} loading={markAll.isPending} disabled={!list.data?.unread}>
          全部标为已读
        </Button>
      </Space>
      {list.isError ? <Alert type="error" showIcon title={errorMessage(list.error)} /> : null}
      <List<TNotification>
        bordered
        style={{ background: '#fff' }}
        loading={list.isPending}
        dataSource={list.data?.items ?? []}
        locale={{ emptyText: EMPTY.notifications }}
        rowKey="id"
        pagination={{
          current: page,
          pageSize: 20,
          total: list.data?.total ?? 0,
          hideOnSinglePage: true,
          onChange: (p) => setParams({ ...(onlyUnread ? { unread: 'true' } : {}), page: String(p) }),
        }}
        renderItem={(n) => {
          const unread = !n.readAt;
          return (
            <List.Item
              actions={[
                n.taskId ? (
                  <Link
                    key="task"
                    to={`/tasks/${encodeURIComponent(n.taskId)}`}
                    onClick={() => unread && markRead.mutate(n.id)}
                  >
                    查看任务
                  </Link>
                ) : null,
                unread ? (
                  <Button
                    key="read"
                    size="small"
                    onClick={() => markRead.mutate(n.id)}
                    aria-label={`标为已读：${n.title}`}
                  >
                    标为已读
                  </Button>
                ) : null,
              ].filter(Boolean)}
            >
              <List.Item.Meta
                title={
                  <Space size={4} wrap>
                    {unread ? <Tag color="red">未读</Tag> : <Tag>已读</Tag>}
                    <Tag>{say(NOTIFICATION_KIND_TEXT, n.kind)}</Tag>
                    <span style={{ fontWeight: unread ? 600 : 400 }}>{n.title}</span>
                  </Space>
                }
                description={
                  <>
                    <div className="zg-pre" style={{ color: '#333' }}>
                      {noticeText(n.body)}
                    </div>
                    <div style={{ fontSize: 12 }}>{fmtDateTime(n.createdAt)}</div>
                  </>
                }
              />
            </List.Item>
          );
        }}
      />
    </>
  );
}

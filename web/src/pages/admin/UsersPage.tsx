/**
 * 人员: everyone in the directory, with 新增人员 (姓名, 用户名, 角色, 所属单位, 邮箱, 手机; the server answers a one-time
 * initial password, shown once), 编辑 and 停用 (after a confirmation; the server then lists the work that was waiting
 * on the person — 待改派事项 — with links, so the office can reassign it).
 */
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Form, Input, List, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { api, errorMessage } from '../../api';
import { directoryKeys, useAdminUsers, useUnitTree } from '../../adminQueries';
import type { TAdminUser, TUserCreated, TWaitingItem } from '../../adminTypes';
import { AdminFrame } from '../../components/AdminFrame';
import { FormModal } from '../../components/FormModal';
import { fmtPeriod } from '../../format';
import { INBOX_ACTION_TEXT, ROLE_TEXT, say } from '../../texts';

type TUserForm = { name: string; username: string; role: string; unitId: string; email?: string; phone?: string };

const ROLE_OPTIONS = Object.entries(ROLE_TEXT)
  .filter(([k]) => k !== 'system')
  .map(([value, label]) => ({ value, label }));

const WAITING_TEXT: Record<string, string> = { ...INBOX_ACTION_TEXT, leader: '担任牵头领导', lead: '担任牵头领导' };

function UserDialog({
  user,
  onClose,
  onCreated,
}: {
  user: TAdminUser | null;
  onClose: () => void;
  onCreated: (name: string, password: string) => void;
}) {
  const client = useQueryClient();
  const { message } = App.useApp();
  const units = useUnitTree().data?.items ?? [];
  const submit = async (v: TUserForm) => {
    const optional = (s: string | undefined) => (s && s.trim() ? s.trim() : undefined);
    const body = {
      name: v.name.trim(),
      username: v.username.trim(),
      role: v.role,
      unitId: v.unitId,
      email: optional(v.email) ?? (user ? null : undefined),
      phone: optional(v.phone) ?? (user ? null : undefined),
    };
    if (user) {
      await api.patch(`/api/users/${encodeURIComponent(user.id)}`, body);
      void message.success('人员信息已保存');
    } else {
      const created = await api.post<TUserCreated>('/api/users', body);
      const password = created.initialPassword ?? created.password;
      if (password) onCreated(body.name, password);
      else void message.success('人员已新增');
    }
    await Promise.all(directoryKeys.map((queryKey) => client.invalidateQueries({ queryKey })));
  };
  return (
    <FormModal<TUserForm>
      title={user ? '编辑人员' : '新增人员'}
      name="user"
      onClose={onClose}
      onSubmit={submit}
      initialValues={
        user
          ? {
              name: user.name,
              username: user.username ?? undefined,
              role: user.role,
              unitId: user.unitId ?? undefined,
              email: user.email ?? undefined,
              phone: user.phone ?? undefined,
            }
          : { role: 'unit_staff' }
      }
    >
      <Form.Item name="name" label="姓名" rules={[{ required: true, whitespace: true, message: '请填写姓名' }]}>
        <Input maxLength={50} />
      </Form.Item>
      <Form.Item
        name="username"
        label="用户名"
        rules={[
          { required: true, whitespace: true, message: '请填写用户名' },
          { pattern: /^[A-Za-z0-9_.-]{2,64}$/, message: '用户名只能含字母、数字、下划线、点和连字符（2–64 位）' },
        ]}
      >
        <Input maxLength={64} autoComplete="off" />
      </Form.Item>
      <Form.Item name="role" label="角色" rules={[{ required: true, message: '请选择角色' }]}>
        <Select options={ROLE_OPTIONS} />
      </Form.Item>
      <Form.Item name="unitId" label="所属单位" rules={[{ required: true, message: '请选择所属单位' }]}>
        <Select
          showSearch={{ optionFilterProp: 'label' }}
          options={units.map((u) => ({ value: u.id, label: u.name }))}
        />
      </Form.Item>
      <Form.Item name="email" label="邮箱" rules={[{ type: 'email', message: '邮箱格式不正确' }]}>
        <Input maxLength={200} />
      </Form.Item>
      <Form.Item name="phone" label="手机" rules={[{ pattern: /^[0-9+\- ]{5,20}$/, message: '手机号码格式不正确' }]}>
        <Input maxLength={20} />
      </Form.Item>
    </FormModal>
  );
}

/** What was waiting on the person, each with a link to its task. */
function WaitingList({ items }: { items: TWaitingItem[] }) {
  if (items.length === 0) return <Typography.Paragraph>没有等待此人办理的事项。</Typography.Paragraph>;
  return (
    <List
      size="small"
      aria-label="待改派事项"
      dataSource={items}
      renderItem={(w, i) => (
        <List.Item key={`${w.taskId ?? ''}-${i}`}>
          <Space wrap size={8}>
            {w.action || w.kind ? <Tag>{say(WAITING_TEXT, w.action ?? w.kind)}</Tag> : null}
            {w.taskId ? (
              <Link to={`/tasks/${encodeURIComponent(w.taskId)}`}>
                {w.problemTitle ?? w.measure ?? w.title ?? '查看任务'}
              </Link>
            ) : (
              <span>{w.title ?? w.measure ?? '—'}</span>
            )}
            {w.period ? <span>{fmtPeriod(w.period)}</span> : null}
          </Space>
        </List.Item>
      )}
    />
  );
}

export default function UsersPage() {
  const users = useAdminUsers();
  const units = useUnitTree().data?.items ?? [];
  const unitName = Object.fromEntries(units.map((u) => [u.id, u.name]));
  const [dialog, setDialog] = useState<{ user: TAdminUser | null } | null>(null);
  const [created, setCreated] = useState<{ name: string; password: string } | null>(null);
  const [waiting, setWaiting] = useState<{ name: string; items: TWaitingItem[] } | null>(null);
  const [filter, setFilter] = useState('');
  const client = useQueryClient();
  const { message, modal } = App.useApp();

  const deactivate = (u: TAdminUser) =>
    modal.confirm({
      title: `停用 ${u.name}？`,
      content: '停用后此人不能再登录，已登录的会话和接口令牌立即失效，委托一并终止。等待此人办理的事项需改派。',
      okText: '确定停用',
      okButtonProps: { danger: true },
      cancelText: '取消',
      onOk: async () => {
        try {
          const answer = await api.post<{ waiting?: TWaitingItem[] }>(
            `/api/users/${encodeURIComponent(u.id)}/deactivate`,
          );
          void message.success(`已停用 ${u.name}`);
          setWaiting({ name: u.name, items: answer?.waiting ?? [] });
          await Promise.all(directoryKeys.map((queryKey) => client.invalidateQueries({ queryKey })));
        } catch (e) {
          void message.error(errorMessage(e));
        }
      },
    });

  const rows = (users.data?.items ?? []).filter(
    (u) => !filter || u.name.includes(filter) || (u.username ?? '').includes(filter),
  );
  return (
    <AdminFrame title="人员">
      {users.isError ? <Alert type="error" showIcon title={errorMessage(users.error)} /> : null}
      <Space style={{ marginBottom: 16 }} wrap>
        <Button type="primary" onClick={() => setDialog({ user: null })}>
          新增人员
        </Button>
        <Input.Search
          aria-label="查找人员"
          placeholder="按姓名或用户名查找"
          allowClear
          onSearch={setFilter}
          onChange={(e) => setFilter(e.target.value)}
          style={{ width: 260 }}
        />
      </Space>
      <Table<TAdminUser>
        rowKey="id"
        size="small"
        loading={users.isPending}
        dataSource={rows}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        columns={[
          { title: '姓名', dataIndex: 'name', key: 'name' },
          { title: '用户名', key: 'username', render: (_: unknown, u) => u.username ?? '—' },
          { title: '角色', key: 'role', render: (_: unknown, u) => say(ROLE_TEXT, u.role) },
          {
            title: '所属单位',
            key: 'unit',
            render: (_: unknown, u) => (u.unitId ? (unitName[u.unitId] ?? u.unitId) : '—'),
          },
          { title: '邮箱', key: 'email', render: (_: unknown, u) => u.email ?? '—' },
          { title: '手机', key: 'phone', render: (_: unknown, u) => u.phone ?? '—' },
          {
            title: '状态',
            key: 'active',
            render: (_: unknown, u) => (u.active === false ? <Tag>已停用</Tag> : <Tag color="green">在用</Tag>),
          },
          {
            title: '操作',
            key: 'actions',
            render: (_: unknown, u) => (
              <Space size={4}>
                <Button size="small" aria-label={`编辑 ${u.name}`} onClick={() => setDialog({ user: u })}>
                  编辑
                </Button>
                {u.active !== false ? (
                  <Button size="small" danger aria-label={`停用 ${u.name}`} onClick={() => deactivate(u)}>
                    停用
                  </Button>
                ) : null}
              </Space>
            ),
          },
        ]}
      />
      {dialog ? (
        <UserDialog
          user={dialog.user}
          onClose={() => setDialog(null)}
          onCreated={(name, password) => setCreated({ name, password })}
        />
      ) : null}
      <Modal
        open={!!created}
        title="人员已新增"
        onCancel={() => setCreated(null)}
        footer={<Button onClick={() => setCreated(null)}>知道了</Button>}
      >
        <p>请将初始密码交给 {created?.name}，首次登录后修改。此密码只显示这一次。</p>
        <p>
          初始密码：
          <Typography.Text code copyable aria-label="初始密码">
            {created?.password}
          </Typography.Text>
        </p>
      </Modal>
      <Modal
        open={!!waiting}
        title={`待改派事项（${waiting?.name ?? ''}）`}
        onCancel={() => setWaiting(null)}
        footer={<Button onClick={() => setWaiting(null)}>知道了</Button>}
        width={640}
      >
        <WaitingList items={waiting?.items ?? []} />
      </Modal>
    </AdminFrame>
  );
}

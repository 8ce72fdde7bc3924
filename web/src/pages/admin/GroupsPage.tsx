/**
 * 单位分组: the named groups plans address at once (e.g. 具有执法职能的省(中)直各部门), with their other wordings and
 * member units. The built-in groups (各市人民政府, 省(中)直各部门) are resolved from the tree by the server.
 */
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Form, Input, Select, Space, Table, Tag, Typography } from 'antd';
import { api, errorMessage } from '../../api';
import { directoryKeys, useUnitGroups, useUnitTree } from '../../adminQueries';
import type { TUnitGroup } from '../../adminTypes';
import { AdminFrame } from '../../components/AdminFrame';
import { FormModal, splitNames } from '../../components/FormModal';

type TGroupForm = { name: string; aliases?: string; memberUnitIds?: string[] };

function GroupDialog({ group, onClose }: { group: TUnitGroup | null; onClose: () => void }) {
  const client = useQueryClient();
  const { message } = App.useApp();
  const units = useUnitTree().data?.items ?? [];
  const submit = async (v: TGroupForm) => {
    const body = { name: v.name.trim(), aliases: splitNames(v.aliases), memberUnitIds: v.memberUnitIds ?? [] };
    if (group) await api.patch(`/api/unit-groups/${encodeURIComponent(group.id)}`, body);
    else await api.post<{ id: string }>('/api/unit-groups', body);
    void message.success(group ? '分组已保存' : '分组已新增');
    await Promise.all(directoryKeys.map((queryKey) => client.invalidateQueries({ queryKey })));
  };
  return (
    <FormModal<TGroupForm>
      title={group ? '编辑分组' : '新增分组'}
      name="group"
      onClose={onClose}
      onSubmit={submit}
      width={640}
      initialValues={
        group
          ? { name: group.name, aliases: (group.aliases ?? []).join('、'), memberUnitIds: group.memberUnitIds ?? [] }
          : {}
      }
    >
      <Form.Item name="name" label="名称" rules={[{ required: true, whitespace: true, message: '请填写名称' }]}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="aliases" label="别名" extra="清单里对这个分组的其他写法，多个用顿号分隔">
        <Input maxLength={500} />
      </Form.Item>
      <Form.Item name="memberUnitIds" label="成员单位">
        <Select
          mode="multiple"
          showSearch={{ optionFilterProp: 'label' }}
          options={units.map((u) => ({ value: u.id, label: u.name }))}
        />
      </Form.Item>
    </FormModal>
  );
}

export default function GroupsPage() {
  const groups = useUnitGroups();
  const units = useUnitTree().data?.items ?? [];
  const unitName = Object.fromEntries(units.map((u) => [u.id, u.name]));
  const [dialog, setDialog] = useState<{ group: TUnitGroup | null } | null>(null);
  return (
    <AdminFrame title="单位分组">
      <Typography.Paragraph type="secondary">
        “各市人民政府”“省(中)直各部门”等通用分组按组织机构自动确定，无需在此维护。
      </Typography.Paragraph>
      {groups.isError ? <Alert type="error" showIcon title={errorMessage(groups.error)} /> : null}
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => setDialog({ group: null })}>
          新增分组
        </Button>
      </Space>
      <Table<TUnitGroup>
        rowKey="id"
        size="small"
        loading={groups.isPending}
        dataSource={groups.data?.items ?? []}
        pagination={false}
        locale={{ emptyText: '尚无自定义分组' }}
        columns={[
          { title: '名称', dataIndex: 'name', key: 'name' },
          { title: '别名', key: 'aliases', render: (_: unknown, g) => (g.aliases ?? []).join('、') || '—' },
          {
            title: '成员单位',
            key: 'members',
            render: (_: unknown, g) => (
              <Space wrap size={4}>
                {(g.memberUnitIds ?? []).map((id) => (
                  <Tag key={id}>{unitName[id] ?? id}</Tag>
                ))}
              </Space>
            ),
          },
          {
            title: '操作',
            key: 'actions',
            render: (_: unknown, g) =>
              g.builtIn ? (
                <Tag>内置</Tag>
              ) : (
                <Button size="small" aria-label={`编辑 ${g.name}`} onClick={() => setDialog({ group: g })}>
                  编辑
                </Button>
              ),
          },
        ]}
      />
      {dialog ? <GroupDialog group={dialog.group} onClose={() => setDialog(null)} /> : null}
    </AdminFrame>
  );
}

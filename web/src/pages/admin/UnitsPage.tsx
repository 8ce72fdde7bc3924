/** 组织机构: the unit tree, with 新增单位 and 编辑 (名称, 上级单位, 层级, 类型, 简称). */
import { useMemo, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Descriptions,
  Empty,
  Form,
  Input,
  Row,
  Select,
  Skeleton,
  Space,
  Tree,
} from 'antd';
import { api, errorMessage } from '../../api';
import { directoryKeys, useUnitTree } from '../../adminQueries';
import type { TUnitNode } from '../../adminTypes';
import { AdminFrame } from '../../components/AdminFrame';
import { FormModal, splitNames } from '../../components/FormModal';
import { UNIT_KIND_TEXT, UNIT_LEVEL_TEXT, say } from '../../texts';

type TUnitForm = { name: string; parentId?: string; level: string; kind: string; aliases?: string };

const options = (table: Record<string, string>) => Object.entries(table).map(([value, label]) => ({ value, label }));

function toTreeData(nodes: TUnitNode[]): { key: string; title: string; children: ReturnType<typeof toTreeData> }[] {
  return nodes.map((n) => ({
    key: n.id,
    title: `${n.name}（${say(UNIT_LEVEL_TEXT, n.level)}·${say(UNIT_KIND_TEXT, n.kind)}）`,
    children: toTreeData(n.children ?? []),
  }));
}

/** The ids of a unit and everything under it: none of them may become its parent (the server checks too). */
function subtreeIds(items: TUnitNode[], id: string): Set<string> {
  const out = new Set([id]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const u of items) {
      if (u.parentId && out.has(u.parentId) && !out.has(u.id)) {
        out.add(u.id);
        grew = true;
      }
    }
  }
  return out;
}

function UnitDialog({ unit, items, onClose }: { unit: TUnitNode | null; items: TUnitNode[]; onClose: () => void }) {
  const client = useQueryClient();
  const { message } = App.useApp();
  const excluded = unit ? subtreeIds(items, unit.id) : new Set<string>();
  const submit = async (v: TUnitForm) => {
    const body = {
      name: v.name.trim(),
      parentId: v.parentId ?? null,
      level: v.level,
      kind: v.kind,
      aliases: splitNames(v.aliases),
    };
    if (unit) await api.patch(`/api/units/${encodeURIComponent(unit.id)}`, body);
    else await api.post<{ id: string }>('/api/units', body);
    void message.success(unit ? '单位已保存' : '单位已新增');
    await Promise.all(directoryKeys.map((queryKey) => client.invalidateQueries({ queryKey })));
  };
  return (
    <FormModal<TUnitForm>
      title={unit ? '编辑单位' : '新增单位'}
      name="unit"
      onClose={onClose}
      onSubmit={submit}
      initialValues={
        unit
          ? {
              name: unit.name,
              parentId: unit.parentId ?? undefined,
              level: unit.level,
              kind: unit.kind,
              aliases: (unit.aliases ?? []).join('、'),
            }
          : { level: 'department', kind: 'department' }
      }
    >
      <Form.Item name="name" label="名称" rules={[{ required: true, whitespace: true, message: '请填写名称' }]}>
        <Input maxLength={100} />
      </Form.Item>
      <Form.Item name="parentId" label="上级单位">
        <Select
          allowClear
          showSearch={{ optionFilterProp: 'label' }}
          placeholder="无（顶级单位）"
          options={items.filter((u) => !excluded.has(u.id)).map((u) => ({ value: u.id, label: u.name }))}
        />
      </Form.Item>
      <Form.Item name="level" label="层级" rules={[{ required: true, message: '请选择层级' }]}>
        <Select options={options(UNIT_LEVEL_TEXT)} />
      </Form.Item>
      <Form.Item name="kind" label="类型" rules={[{ required: true, message: '请选择类型' }]}>
        <Select options={options(UNIT_KIND_TEXT)} />
      </Form.Item>
      <Form.Item
        name="aliases"
        label="简称"
        extra="清单里对这个单位的其他叫法，多个用顿号分隔，如：省卫生健康委、省卫健委"
      >
        <Input maxLength={500} />
      </Form.Item>
    </FormModal>
  );
}

export default function UnitsPage() {
  const units = useUnitTree();
  const [selected, setSelected] = useState<string | null>(null);
  const [dialog, setDialog] = useState<'add' | 'edit' | null>(null);
  const items = useMemo(() => units.data?.items ?? [], [units.data]);
  const unit = items.find((u) => u.id === selected) ?? null;
  const names = Object.fromEntries(items.map((u) => [u.id, u.name]));
  const treeData = useMemo(() => toTreeData(units.data?.tree ?? []), [units.data]);

  return (
    <AdminFrame title="组织机构">
      {units.isError ? <Alert type="error" showIcon title={errorMessage(units.error)} /> : null}
      <Space style={{ marginBottom: 16 }}>
        <Button type="primary" onClick={() => setDialog('add')}>
          新增单位
        </Button>
      </Space>
      <Row gutter={16}>
        <Col xs={24} lg={14}>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>单位树</h2>}>
            {units.isPending ? (
              <Skeleton active />
            ) : (
              <Tree
                aria-label="单位树"
                defaultExpandAll
                showLine
                treeData={treeData}
                selectedKeys={selected ? [selected] : []}
                onSelect={(keys) => setSelected(keys.length ? String(keys[0]) : null)}
              />
            )}
          </Card>
        </Col>
        <Col xs={24} lg={10}>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>单位信息</h2>}>
            {unit ? (
              <>
                <Descriptions size="small" column={1} bordered>
                  <Descriptions.Item label="名称">{unit.name}</Descriptions.Item>
                  <Descriptions.Item label="上级单位">
                    {unit.parentId ? (names[unit.parentId] ?? unit.parentId) : '—'}
                  </Descriptions.Item>
                  <Descriptions.Item label="层级">{say(UNIT_LEVEL_TEXT, unit.level)}</Descriptions.Item>
                  <Descriptions.Item label="类型">{say(UNIT_KIND_TEXT, unit.kind)}</Descriptions.Item>
                  <Descriptions.Item label="简称">{(unit.aliases ?? []).join('、') || '—'}</Descriptions.Item>
                </Descriptions>
                <Button style={{ marginTop: 16 }} onClick={() => setDialog('edit')}>
                  编辑
                </Button>
              </>
            ) : (
              <Empty description="在左侧选择一个单位" />
            )}
          </Card>
        </Col>
      </Row>
      {dialog ? (
        <UnitDialog unit={dialog === 'edit' ? unit : null} items={items} onClose={() => setDialog(null)} />
      ) : null}
    </AdminFrame>
  );
}

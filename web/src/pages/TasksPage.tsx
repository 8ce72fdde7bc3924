/**
 * 任务: the task list, filtered, searched, paged and sorted by the server. The filters live in the URL query, so a
 * reload, the back button or a shared link shows the same list.
 */
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Alert, Button, Input, Select, Space, Switch, Table, Typography } from 'antd';
import type { TableProps } from 'antd';
import { api, errorMessage } from '../api';
import { LightTag, StatusTag } from '../components/Tags';
import { fmtDateTime, fmtDeadline } from '../format';
import { keys, useCampaigns, useUnits } from '../queries';
import type { TPage, TTaskRow } from '../types';
import { EMPTY, LIGHT_TEXT, STATUS_TEXT } from '../texts';

type TFilterName = 'campaignId' | 'unitId' | 'status' | 'trafficLight' | 'overdue' | 'q' | 'sort' | 'order';
const SORTABLE = new Set(['createdAt', 'deadline', 'updatedAt', 'status']);

const labelStyle = { display: 'block', fontSize: 13, color: '#444', marginBottom: 4 } as const;

/** One labelled filter (a real <label for>, so the select is found by its name). */
function FilterSelect(props: {
  id: string;
  label: string;
  placeholder: string;
  width: number;
  search?: boolean;
  value: string | undefined;
  onChange: (value: string | undefined) => void;
  options: { value: string; label: string }[];
}) {
  return (
    <div>
      <label htmlFor={props.id} style={labelStyle}>
        {props.label}
      </label>
      <Select
        id={props.id}
        allowClear
        {...(props.search ? { showSearch: { optionFilterProp: 'label' } } : {})}
        placeholder={props.placeholder}
        style={{ width: props.width }}
        value={props.value}
        onChange={(v?: string) => props.onChange(v)}
        options={props.options}
      />
    </div>
  );
}

export default function TasksPage() {
  const [params, setParams] = useSearchParams();
  const get = (name: TFilterName) => params.get(name) ?? undefined;
  const page = Math.max(1, Number(params.get('page')) || 1);
  const pageSize = Math.min(200, Math.max(1, Number(params.get('pageSize')) || 20));
  const query = {
    campaignId: get('campaignId'),
    unitId: get('unitId'),
    status: get('status'),
    trafficLight: get('trafficLight'),
    overdue: get('overdue'),
    q: get('q'),
    sort: get('sort'),
    order: get('order'),
    page,
    pageSize,
  };
  const [text, setText] = useState(query.q ?? '');

  const tasks = useQuery({
    queryKey: [...keys.tasks, query],
    queryFn: () => api.get<TPage<TTaskRow>>('/api/tasks', query),
    placeholderData: keepPreviousData,
  });
  const campaigns = useCampaigns();
  const units = useUnits();

  /** Changing a filter starts again at page 1; `undefined` removes it from the URL. */
  const update = (changes: Partial<Record<TFilterName | 'page' | 'pageSize', string | undefined>>) => {
    const next = new URLSearchParams(params);
    if (!('page' in changes)) next.delete('page');
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') next.delete(k);
      else next.set(k, v);
    }
    setParams(next);
  };

  const sortOrder = (key: string) =>
    query.sort === key ? (query.order === 'desc' ? ('descend' as const) : ('ascend' as const)) : null;

  const columns: TableProps<TTaskRow>['columns'] = [
    {
      title: '问题',
      dataIndex: 'problemTitle',
      key: 'problemTitle',
      render: (_: unknown, row) => (
        <Link to={`/tasks/${encodeURIComponent(row.id)}`}>{row.problemTitle ?? row.measure}</Link>
      ),
    },
    { title: '整改措施', dataIndex: 'measure', key: 'measure', ellipsis: true },
    { title: '责任单位', dataIndex: 'leadUnitName', key: 'leadUnitName' },
    { title: '牵头领导', dataIndex: 'leaderName', key: 'leaderName' },
    {
      title: '整改期限',
      key: 'deadline',
      sorter: true,
      sortOrder: sortOrder('deadline'),
      render: (_: unknown, row) => (
        <div>
          <div>{row.deadlineText ?? '—'}</div>
          {/* The parsed reading, unless it says the same as the plan's own words (长期坚持). */}
          {fmtDeadline(row.deadline) !== row.deadlineText ? (
            <div style={{ color: '#666', fontSize: 12 }}>{fmtDeadline(row.deadline)}</div>
          ) : null}
        </div>
      ),
    },
    {
      title: '状态',
      key: 'status',
      sorter: true,
      sortOrder: sortOrder('status'),
      render: (_: unknown, row) => <StatusTag status={row.status} overdue={row.overdue} />,
    },
    { title: '灯色', key: 'trafficLight', render: (_: unknown, row) => <LightTag light={row.trafficLight} /> },
    {
      title: '更新时间',
      key: 'updatedAt',
      sorter: true,
      sortOrder: sortOrder('updatedAt'),
      render: (_: unknown, row) => fmtDateTime(row.updatedAt),
    },
  ];

  const onTableChange: TableProps<TTaskRow>['onChange'] = (pagination, _filters, sorter) => {
    const s = Array.isArray(sorter) ? sorter[0] : sorter;
    const key = s?.order && typeof s.columnKey === 'string' && SORTABLE.has(s.columnKey) ? s.columnKey : undefined;
    const changes: Parameters<typeof update>[0] = {
      sort: key,
      order: key ? (s?.order === 'descend' ? 'desc' : 'asc') : undefined,
    };
    const sortChanged = key !== query.sort || changes.order !== query.order;
    if (!sortChanged) {
      changes.page = String(pagination.current ?? 1);
      changes.pageSize = String(pagination.pageSize ?? pageSize);
    }
    update(changes);
  };

  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        整改任务
      </Typography.Title>
      <form
        role="search"
        aria-label="筛选任务"
        onSubmit={(e) => {
          e.preventDefault();
          update({ q: text.trim() || undefined });
        }}
        style={{ background: '#fff', padding: 16, marginBottom: 16, borderRadius: 4 }}
      >
        <Space wrap size={16} align="end">
          <FilterSelect
            id="f-campaign"
            label="巡视批次"
            placeholder="全部批次"
            width={220}
            search
            value={query.campaignId}
            onChange={(v) => update({ campaignId: v })}
            options={(campaigns.data?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
          />
          <FilterSelect
            id="f-unit"
            label="责任单位"
            placeholder="全部单位"
            width={200}
            search
            value={query.unitId}
            onChange={(v) => update({ unitId: v })}
            options={(units.data?.items ?? []).map((u) => ({ value: u.id, label: u.name }))}
          />
          <FilterSelect
            id="f-status"
            label="状态"
            placeholder="全部状态"
            width={130}
            value={query.status}
            onChange={(v) => update({ status: v })}
            options={Object.entries(STATUS_TEXT).map(([value, label]) => ({ value, label }))}
          />
          <FilterSelect
            id="f-light"
            label="灯色"
            placeholder="全部灯色"
            width={120}
            value={query.trafficLight}
            onChange={(v) => update({ trafficLight: v })}
            options={Object.entries(LIGHT_TEXT).map(([value, label]) => ({ value, label }))}
          />
          <div>
            <label htmlFor="f-overdue" style={labelStyle}>
              只看逾期
            </label>
            <Switch
              id="f-overdue"
              checked={query.overdue === 'true'}
              onChange={(on) => update({ overdue: on ? 'true' : undefined })}
            />
          </div>
          <div>
            <label htmlFor="f-q" style={labelStyle}>
              搜索
            </label>
            <Space.Compact>
              <Input
                id="f-q"
                placeholder="问题或整改措施中的文字"
                style={{ width: 240 }}
                value={text}
                onChange={(e) => setText(e.target.value)}
              />
              <Button type="primary" htmlType="submit">
                查询
              </Button>
            </Space.Compact>
          </div>
          <Button
            onClick={() => {
              setText('');
              setParams(new URLSearchParams());
            }}
          >
            清除筛选
          </Button>
        </Space>
      </form>
      {tasks.isError ? (
        <Alert type="error" showIcon title={errorMessage(tasks.error)} style={{ marginBottom: 16 }} />
      ) : null}
      <Table<TTaskRow>
        rowKey="id"
        columns={columns}
        dataSource={tasks.data?.items ?? []}
        loading={tasks.isFetching}
        onChange={onTableChange}
        locale={{ emptyText: EMPTY.tasks }}
        scroll={{ x: 1100 }}
        pagination={{
          current: page,
          pageSize,
          total: tasks.data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: [20, 50, 100, 200],
          showTotal: (total) =>
            tasks.data?.totalExact === false ? `超过 ${total} 项，请用筛选缩小范围` : `共 ${total} 项`,
        }}
      />
    </>
  );
}

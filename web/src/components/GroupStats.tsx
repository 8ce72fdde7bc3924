/**
 * Statistics grouped 按类别 / 按单位 / 按牵头领导 (`GET /api/campaigns/:id/stats?by=`): problems, measures (a split
 * parent counted once), completed, in progress, long-term, overdue, red and the completion rate as the server defines
 * it (its `definitions` are shown under the table, so the figures say what they mean).
 */
import { useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { Alert, Table, Tabs, Typography } from 'antd';
import { api, errorMessage } from '../api';
import { adminKeys } from '../adminQueries';
import type { TGroupStats, TStatsBy } from '../adminTypes';

const BY: { key: string; label: string; column: string }[] = [
  { key: 'category', label: '按类别', column: '问题类别' },
  { key: 'unit', label: '按单位', column: '责任单位' },
  { key: 'leader', label: '按牵头领导', column: '牵头领导' },
];

/** A rate as the server gives it (0–1 or a percentage) in percent with one decimal. */
export function percent(rate: number | undefined): string {
  if (rate === undefined || rate === null || Number.isNaN(rate)) return '—';
  const pct = rate <= 1 ? rate * 100 : rate;
  return `${Math.round(pct * 10) / 10}%`;
}

function ByTable({ campaignId, by, column }: { campaignId: string; by: string; column: string }) {
  const stats = useQuery({
    queryKey: adminKeys.statsBy(campaignId, by),
    queryFn: () => api.get<TStatsBy>(`/api/campaigns/${encodeURIComponent(campaignId)}/stats`, { by }),
  });
  if (stats.isError) return <Alert type="error" showIcon title={errorMessage(stats.error)} />;
  const rows = stats.data?.groups ?? stats.data?.items ?? [];
  const num = (k: keyof TGroupStats, title: string) => ({
    title,
    dataIndex: k,
    key: k,
    sorter: (a: TGroupStats, b: TGroupStats) => Number(a[k]) - Number(b[k]),
  });
  const definitions = Object.entries(stats.data?.definitions ?? {});
  return (
    <>
      <Table<TGroupStats>
        rowKey="key"
        size="small"
        loading={stats.isPending}
        pagination={false}
        dataSource={rows}
        locale={{ emptyText: '暂无数据' }}
        aria-label={`${column}统计`}
        columns={[
          { title: column, dataIndex: 'name', key: 'name' },
          num('problems', '问题数'),
          num('measures', '措施数'),
          num('completed', '已完成'),
          num('inProgress', '正在推进'),
          num('longTerm', '长期坚持'),
          num('overdue', '逾期'),
          num('red', '红灯'),
          {
            title: '完成率',
            key: 'completionRate',
            sorter: (a, b) => a.completionRate - b.completionRate,
            render: (_: unknown, g) => percent(g.completionRate),
          },
        ]}
      />
      {definitions.length ? (
        <Typography.Paragraph type="secondary" style={{ marginTop: 8, fontSize: 13 }}>
          {definitions.map(([k, v]) => (
            <span key={k} style={{ display: 'block' }}>
              {v}
            </span>
          ))}
        </Typography.Paragraph>
      ) : null}
    </>
  );
}

export function GroupStats({ campaignId }: { campaignId: string }) {
  const [by, setBy] = useState('category');
  return (
    <Tabs
      activeKey={by}
      onChange={setBy}
      items={BY.map((b) => ({
        key: b.key,
        label: b.label,
        // Only the open tab asks the server; the others load when chosen.
        children: by === b.key ? <ByTable campaignId={campaignId} by={b.key} column={b.column} /> : null,
      }))}
    />
  );
}

/** 统计: per campaign, counts by status and by light, completion rate, a table per unit, the overdue list, charts. */
import { Link, useSearchParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Alert, Card, Col, Empty, Progress, Row, Select, Skeleton, Space, Statistic, Table, Typography } from 'antd';
import { api, errorMessage } from '../api';
import { useIsOfficeOrAdmin } from '../adminQueries';
import { BarChart } from '../components/BarChart';
import { LedgerButton, NoticeButton } from '../components/CampaignTools';
import { GroupStats } from '../components/GroupStats';
import { LightTag, StatusTag } from '../components/Tags';
import { fmtDeadline } from '../format';
import { keys, useCampaigns } from '../queries';
import type { TStats, TTaskRow } from '../types';
import { LIGHT_FILL, LIGHT_TEXT, STATUS_TEXT } from '../texts';

type TUnitRow = NonNullable<TStats['byUnit']>[number];

const STATUS_FILL: Record<string, string> = {
  ASSIGNED: '#1677ff',
  IN_PROGRESS: '#13a8a8',
  OVERDUE: '#cf1322',
  CLOSURE_REQUESTED: '#d48806',
  CLOSED: '#389e0d',
  LONG_TERM: '#722ed1',
  VERIFIED: '#237804',
};

export default function StatsPage() {
  const [params, setParams] = useSearchParams();
  const campaigns = useCampaigns();
  const mayWrite = useIsOfficeOrAdmin();
  const list = campaigns.data?.items ?? [];
  const campaignId = params.get('campaignId') ?? list[0]?.id;
  const stats = useQuery({
    queryKey: keys.stats(campaignId ?? ''),
    queryFn: () => api.get<TStats>(`/api/campaigns/${encodeURIComponent(campaignId!)}/stats`),
    enabled: !!campaignId,
  });
  const s = stats.data;
  const rate = s ? Math.round((s.completionRate <= 1 ? s.completionRate * 100 : s.completionRate) * 10) / 10 : 0;

  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        统计分析
      </Typography.Title>
      <div style={{ marginBottom: 16 }}>
        <label htmlFor="stats-campaign" style={{ marginRight: 8 }}>
          巡视批次
        </label>
        <Select
          id="stats-campaign"
          style={{ width: 320 }}
          loading={campaigns.isPending}
          value={campaignId}
          onChange={(v: string) => setParams({ campaignId: v })}
          options={list.map((c) => ({ value: c.id, label: c.name }))}
          placeholder="选择批次"
        />
      </div>
      {campaignId ? (
        <Space wrap style={{ marginBottom: 16 }} aria-label="台账与通报">
          <LedgerButton campaignId={campaignId} />
          {mayWrite ? <NoticeButton campaignId={campaignId} /> : null}
          <Link to={`/campaigns/${encodeURIComponent(campaignId)}`}>查看通报</Link>
        </Space>
      ) : null}
      {campaigns.isError ? <Alert type="error" showIcon title={errorMessage(campaigns.error)} /> : null}
      {stats.isError ? <Alert type="error" showIcon title={errorMessage(stats.error)} /> : null}
      {!campaigns.isPending && list.length === 0 ? <Empty description="暂无可查看的巡视批次" /> : null}
      {campaignId && stats.isPending ? <Skeleton active /> : null}
      {s ? (
        <>
          <Row gutter={[16, 16]}>
            <Col xs={12} md={6}>
              <Card>
                <Statistic title="任务总数" value={s.total} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card>
                <Statistic title="已完成" value={s.completed} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card>
                <Statistic title="逾期" value={s.overdue} styles={{ content: { color: '#cf1322' } }} />
              </Card>
            </Col>
            <Col xs={12} md={6}>
              <Card>
                <div style={{ color: 'rgba(0,0,0,0.45)', marginBottom: 4 }}>完成率</div>
                <Progress percent={rate} aria-label={`完成率 ${rate}%`} />
              </Card>
            </Col>
          </Row>
          <Row gutter={[16, 16]} style={{ marginTop: 16 }}>
            <Col xs={24} lg={12}>
              <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>按灯色</h2>}>
                <BarChart
                  title="各灯色任务数"
                  bars={(['red', 'yellow', 'green'] as const).map((k) => ({
                    label: LIGHT_TEXT[k],
                    value: s.byTrafficLight[k] ?? 0,
                    fill: LIGHT_FILL[k],
                  }))}
                />
              </Card>
            </Col>
            <Col xs={24} lg={12}>
              <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>按状态</h2>}>
                <BarChart
                  title="各状态任务数"
                  bars={Object.keys(STATUS_TEXT).map((k) => ({
                    label: STATUS_TEXT[k],
                    value: s.byStatus[k] ?? 0,
                    fill: STATUS_FILL[k],
                  }))}
                />
              </Card>
            </Col>
          </Row>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>分类统计</h2>} style={{ marginTop: 16 }}>
            <GroupStats campaignId={s.campaignId ?? campaignId!} />
          </Card>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>各单位情况</h2>} style={{ marginTop: 16 }}>
            <Table<TUnitRow>
              rowKey="unitId"
              size="small"
              pagination={false}
              dataSource={s.byUnit ?? []}
              locale={{ emptyText: '暂无数据' }}
              columns={[
                { title: '责任单位', dataIndex: 'unitName', key: 'unitName' },
                { title: '任务数', dataIndex: 'total', key: 'total', sorter: (a, b) => a.total - b.total },
                {
                  title: '已完成',
                  dataIndex: 'completed',
                  key: 'completed',
                  sorter: (a, b) => a.completed - b.completed,
                },
                { title: '逾期', dataIndex: 'overdue', key: 'overdue', sorter: (a, b) => a.overdue - b.overdue },
                { title: '红灯', dataIndex: 'red', key: 'red', sorter: (a, b) => a.red - b.red },
                { title: '黄灯', dataIndex: 'yellow', key: 'yellow' },
                { title: '绿灯', dataIndex: 'green', key: 'green' },
                {
                  title: '完成率',
                  key: 'rate',
                  render: (_: unknown, u) => (u.total ? `${Math.round((u.completed / u.total) * 1000) / 10}%` : '—'),
                },
              ]}
            />
          </Card>
          <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>逾期任务</h2>} style={{ marginTop: 16 }}>
            <Table<TTaskRow>
              rowKey="id"
              size="small"
              dataSource={s.overdueTasks ?? []}
              locale={{ emptyText: '没有逾期任务' }}
              pagination={{ pageSize: 20, hideOnSinglePage: true }}
              columns={[
                {
                  title: '问题',
                  key: 'title',
                  render: (_: unknown, t) => (
                    <Link to={`/tasks/${encodeURIComponent(t.id)}`}>{t.problemTitle ?? t.measure}</Link>
                  ),
                },
                { title: '责任单位', dataIndex: 'leadUnitName', key: 'unit' },
                {
                  title: '整改期限',
                  key: 'deadline',
                  render: (_: unknown, t) => t.deadlineText ?? fmtDeadline(t.deadline),
                },
                {
                  title: '状态',
                  key: 'status',
                  render: (_: unknown, t) => <StatusTag status={t.status} overdue={t.overdue} />,
                },
                { title: '灯色', key: 'light', render: (_: unknown, t) => <LightTag light={t.trafficLight} /> },
              ]}
            />
          </Card>
        </>
      ) : null}
    </>
  );
}

/**
 * 巡视批次: the campaigns the caller may see, and one campaign's page — its task count, 导入任务清单 (office, admin),
 * 导出台账, 生成通报 and the notices already made. The server decides again on every call (403 shown as such).
 */
import { Link, useNavigate, useParams } from 'react-router-dom';
import { useQuery } from '@tanstack/react-query';
import { Alert, Button, Card, Descriptions, Result, Skeleton, Space, Table, Typography } from 'antd';
import { api, ApiError, errorMessage } from '../api';
import { useIsOfficeOrAdmin } from '../adminQueries';
import { LedgerButton, NoticeButton, NoticeList } from '../components/CampaignTools';
import { fmtDate } from '../format';
import { useCampaigns } from '../queries';
import type { TCampaign } from '../types';
import { CAMPAIGN_KIND_TEXT, say } from '../texts';

type TCampaignDetail = TCampaign & {
  inspectingBody?: string;
  feedbackDate?: string | null;
  taskCount?: number;
};

export function CampaignListPage() {
  const campaigns = useCampaigns();
  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        巡视批次
      </Typography.Title>
      {campaigns.isError ? <Alert type="error" showIcon title={errorMessage(campaigns.error)} /> : null}
      <Table<TCampaign>
        rowKey="id"
        loading={campaigns.isPending}
        dataSource={campaigns.data?.items ?? []}
        pagination={{ pageSize: 20, hideOnSinglePage: true }}
        locale={{ emptyText: '暂无可查看的巡视批次' }}
        columns={[
          {
            title: '名称',
            key: 'name',
            render: (_: unknown, c) => <Link to={`/campaigns/${encodeURIComponent(c.id)}`}>{c.name}</Link>,
          },
          { title: '类型', key: 'kind', render: (_: unknown, c) => say(CAMPAIGN_KIND_TEXT, c.kind) },
        ]}
      />
    </>
  );
}

export default function CampaignPage() {
  const { id = '' } = useParams();
  const mayWrite = useIsOfficeOrAdmin();
  const navigate = useNavigate();
  const campaign = useQuery({
    queryKey: ['campaign', id],
    queryFn: () => api.get<TCampaignDetail>(`/api/campaigns/${encodeURIComponent(id)}`),
  });
  if (campaign.isPending) return <Skeleton active />;
  if (campaign.isError) {
    const e = campaign.error;
    if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
      return (
        <Result
          status={e.status === 403 ? '403' : '404'}
          title={e.status === 403 ? '无权查看此巡视批次' : '巡视批次不存在'}
          subTitle={<Link to="/campaigns">返回巡视批次</Link>}
        />
      );
    }
    return <Alert type="error" showIcon title={errorMessage(e)} />;
  }
  const c = campaign.data;
  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {c.name}
      </Typography.Title>
      <Space wrap style={{ marginBottom: 16 }} aria-label="批次操作">
        {mayWrite ? (
          <Button type="primary" onClick={() => void navigate(`/campaigns/${encodeURIComponent(c.id)}/import`)}>
            导入任务清单
          </Button>
        ) : null}
        <LedgerButton campaignId={c.id} />
        {mayWrite ? <NoticeButton campaignId={c.id} /> : null}
        <Link to={`/tasks?campaignId=${encodeURIComponent(c.id)}`}>查看任务</Link>
        <Link to={`/stats?campaignId=${encodeURIComponent(c.id)}`}>查看统计</Link>
      </Space>
      <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>批次信息</h2>} style={{ marginBottom: 16 }}>
        <Descriptions size="small" column={2}>
          <Descriptions.Item label="类型">{say(CAMPAIGN_KIND_TEXT, c.kind)}</Descriptions.Item>
          <Descriptions.Item label="巡视（察）机构">{c.inspectingBody ?? '—'}</Descriptions.Item>
          <Descriptions.Item label="反馈日期">{fmtDate(c.feedbackDate)}</Descriptions.Item>
          <Descriptions.Item label="整改任务">{c.taskCount ?? '—'} 项</Descriptions.Item>
        </Descriptions>
      </Card>
      <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>通报</h2>}>
        <NoticeList campaignId={c.id} />
      </Card>
    </>
  );
}

/** 待办: what the caller must act on now, in the inbox's four groups, each item linking to its task. */
import { Link } from 'react-router-dom';
import { Alert, Card, Col, Empty, List, Row, Skeleton, Space, Tag, Typography } from 'antd';
import { errorMessage } from '../api';
import { fmtDate, fmtDeadline, fmtDueBy, fmtPeriod } from '../format';
import { useInbox } from '../queries';
import type { TInboxItem, TSupervisionInboxItem } from '../types';
import { EMPTY, INBOX_ACTION_TEXT, say } from '../texts';

const GROUPS = [
  { key: 'reportsDue', title: '待填报/待签收' },
  { key: 'reviews', title: '待审核' },
  { key: 'signOffs', title: '待签批' },
  { key: 'other', title: '其他' },
] as const;

function Item({ item }: { item: TInboxItem }) {
  return (
    <List.Item>
      <div style={{ width: '100%' }}>
        <Space wrap size={4}>
          <Tag color="volcano">{say(INBOX_ACTION_TEXT, item.action)}</Tag>
          <Link to={`/tasks/${encodeURIComponent(item.taskId)}`}>{item.problemTitle ?? item.measure}</Link>
        </Space>
        <div style={{ color: '#555', marginTop: 4, fontSize: 13, display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          {item.leadUnitName ? <span>责任单位：{item.leadUnitName}</span> : null}
          {item.period ? <span>期次：{fmtPeriod(item.period)}</span> : null}
          {item.dueAt ? <span>报送截止：{fmtDueBy(item.dueAt)}</span> : null}
          {item.levelName ? <span>签批层级：{item.levelName}</span> : null}
          {item.deadline ? <span>整改期限：{fmtDeadline(item.deadline)}</span> : null}
        </div>
        {item.problemTitle && item.measure ? (
          <Typography.Paragraph type="secondary" ellipsis={{ rows: 1 }} style={{ margin: '4px 0 0' }}>
            整改措施：{item.measure}
          </Typography.Paragraph>
        ) : null}
      </div>
    </List.Item>
  );
}

/** A 督办 notice waiting on the caller's unit; the task page's 督办 section has the 签收 and 反馈 buttons. */
function SupervisionItem({ item }: { item: TSupervisionInboxItem }) {
  return (
    <List.Item>
      <div style={{ width: '100%' }}>
        <Space wrap size={4}>
          <Tag color="red">{say(INBOX_ACTION_TEXT, item.action)}</Tag>
          <Link to={`/tasks/${encodeURIComponent(item.taskId)}`}>
            {item.title}
            {item.documentNo ? `（${item.documentNo}）` : ''}
          </Link>
          {item.answerOverdue ? <Tag color="error">反馈逾期</Tag> : null}
        </Space>
        <div style={{ color: '#555', marginTop: 4, fontSize: 13, display: 'flex', flexWrap: 'wrap', columnGap: 16 }}>
          <span>问题：{item.problemTitle}</span>
          <span>下发日期：{fmtDate(item.issuedAt)}</span>
          {item.answerDueAt ? <span>反馈截止：{fmtDueBy(item.answerDueAt)}</span> : null}
        </div>
        <Typography.Paragraph type="secondary" ellipsis={{ rows: 1 }} style={{ margin: '4px 0 0' }}>
          整改措施：{item.measure}
        </Typography.Paragraph>
      </div>
    </List.Item>
  );
}

export default function InboxPage() {
  const inbox = useInbox();
  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        我的待办
      </Typography.Title>
      {inbox.isError ? <Alert type="error" showIcon title={errorMessage(inbox.error)} /> : null}
      {inbox.data?.truncated ? (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title="待办较多，每类只列出前 200 项；请在“任务”中按状态或灯色筛选查看全部。"
        />
      ) : null}
      <Row gutter={[16, 16]}>
        {GROUPS.map((g) => {
          const items = inbox.data?.[g.key] ?? [];
          return (
            <Col xs={24} lg={12} key={g.key}>
              <Card
                title={
                  <h3 style={{ margin: 0, fontSize: 16 }}>
                    {g.title}（{items.length}）
                  </h3>
                }
                data-testid={`inbox-${g.key}`}
              >
                {inbox.isPending ? (
                  <Skeleton active />
                ) : items.length === 0 ? (
                  <Empty image={Empty.PRESENTED_IMAGE_SIMPLE} description={EMPTY[g.key]} />
                ) : (
                  <List
                    dataSource={items}
                    rowKey={(i) => `${i.taskId}:${i.action}:${i.period ?? ''}:${i.level ?? ''}`}
                    renderItem={(i) => <Item item={i} />}
                  />
                )}
              </Card>
            </Col>
          );
        })}
        {(inbox.data?.supervision?.length ?? 0) > 0 ? (
          <Col xs={24} key="supervision">
            <Card
              title={
                <h3 style={{ margin: 0, fontSize: 16 }}>督办待签收/待反馈（{inbox.data?.supervision?.length ?? 0}）</h3>
              }
              data-testid="inbox-supervision"
            >
              <List
                dataSource={inbox.data?.supervision ?? []}
                rowKey={(i) => `${i.noticeId}:${i.action}`}
                renderItem={(i) => <SupervisionItem item={i} />}
              />
            </Card>
          </Col>
        ) : null}
      </Row>
    </>
  );
}

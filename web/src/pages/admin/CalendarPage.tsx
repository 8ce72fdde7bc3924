/**
 * 工作日历: a month of China's working-day calendar as the server uses it for deadlines and reminders — each day's
 * 休/班 and where that comes from (法定 from the official schedule, 调整 by an administrator, 周末规则 where no official
 * data exists) — with setting and clearing an override (调整). Years without official data are warned about at the top.
 */
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Calendar, Card, Col, Descriptions, Form, Input, Radio, Row, Space, Tag } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { api, errorMessage } from '../../api';
import { adminKeys } from '../../adminQueries';
import type { TCalendarAnswer, TCalendarDay, TCoverageWarning } from '../../adminTypes';
import { AdminFrame } from '../../components/AdminFrame';
import { fmtDate } from '../../format';
import { CALENDAR_SOURCE_TEXT, say } from '../../texts';

const warningText = (w: TCoverageWarning) => (typeof w === 'string' ? w : w.message);

/** The days the month view shows: the whole 6-week grid around the month. */
function gridRange(month: Dayjs): { from: string; to: string } {
  const first = month.startOf('month');
  const from = first.subtract((first.day() + 6) % 7, 'day');
  return { from: from.format('YYYY-MM-DD'), to: from.add(41, 'day').format('YYYY-MM-DD') };
}

function DayPanel({ day, onChanged }: { day: TCalendarDay; onChanged: () => Promise<void> }) {
  const [form] = Form.useForm<{ workday: 'yes' | 'no'; name?: string }>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const { message } = App.useApp();
  const run = async (f: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(null);
    try {
      await f();
      void message.success(done);
      await onChanged();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const path = `/api/calendar/days/${encodeURIComponent(day.date)}`;
  return (
    <Card title={<h2 style={{ margin: 0, fontSize: 16 }}>{fmtDate(day.date)}</h2>}>
      <Descriptions size="small" column={1} bordered style={{ marginBottom: 16 }}>
        <Descriptions.Item label="当天">{day.workday ? '工作日' : '休息日'}</Descriptions.Item>
        <Descriptions.Item label="来源">{say(CALENDAR_SOURCE_TEXT, day.source)}</Descriptions.Item>
        <Descriptions.Item label="名称">{day.name || '—'}</Descriptions.Item>
      </Descriptions>
      <Form
        key={day.date}
        form={form}
        name="calendar-day"
        layout="vertical"
        initialValues={{ workday: day.workday ? 'yes' : 'no', name: day.source === 'override' ? (day.name ?? '') : '' }}
        onFinish={(v) =>
          void run(() => api.put(path, { workday: v.workday === 'yes', name: v.name?.trim() || undefined }), '已调整')
        }
      >
        <Form.Item name="workday" label="调整为">
          <Radio.Group>
            <Radio value="yes">工作日</Radio>
            <Radio value="no">休息日</Radio>
          </Radio.Group>
        </Form.Item>
        <Form.Item name="name" label="说明" extra="例如：国庆节调休">
          <Input maxLength={50} />
        </Form.Item>
        {error ? <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} /> : null}
        <Space>
          <Button type="primary" htmlType="submit" loading={busy}>
            保存调整
          </Button>
          {day.source === 'override' ? (
            <Button loading={busy} onClick={() => void run(() => api.del(path), '已取消调整')}>
              取消调整
            </Button>
          ) : null}
        </Space>
      </Form>
    </Card>
  );
}

export default function CalendarPage() {
  const [month, setMonth] = useState(() => dayjs().startOf('month'));
  const [selected, setSelected] = useState(() => dayjs().format('YYYY-MM-DD'));
  const { from, to } = gridRange(month);
  const client = useQueryClient();
  const calendar = useQuery({
    queryKey: adminKeys.calendar(from, to),
    queryFn: () => api.get<TCalendarAnswer>('/api/calendar', { from, to }),
  });
  const byDate = new Map((calendar.data?.days ?? []).map((d) => [d.date, d]));
  const warnings = calendar.data?.coverage?.warnings ?? [];
  const day = byDate.get(selected);

  return (
    <AdminFrame title="工作日历">
      {warnings.length ? (
        <Alert
          type="warning"
          showIcon
          role="alert"
          style={{ marginBottom: 16, fontSize: 16 }}
          title="部分年份没有官方节假日数据"
          description={
            <ul style={{ margin: 0, paddingLeft: 20 }}>
              {warnings.map((w, i) => (
                <li key={i}>{warningText(w)}</li>
              ))}
            </ul>
          }
        />
      ) : null}
      {calendar.data?.coverage?.officialYears ? (
        <p style={{ color: '#555' }}>
          内置官方节假日数据：{calendar.data.coverage.officialYears.from}–{calendar.data.coverage.officialYears.to}年
          {calendar.data.coverage.packageVersion ? `（chinese-days ${calendar.data.coverage.packageVersion}）` : ''}
          ；其余年份请按国务院办公厅公布的安排录入调整。
        </p>
      ) : null}
      {calendar.isError ? <Alert type="error" showIcon title={errorMessage(calendar.error)} /> : null}
      <Row gutter={16}>
        <Col xs={24} xl={16}>
          <Card>
            <Calendar
              value={dayjs(selected)}
              onPanelChange={(d) => setMonth(d.startOf('month'))}
              onSelect={(d, info) => {
                setSelected(d.format('YYYY-MM-DD'));
                if (info.source !== 'date') setMonth(d.startOf('month'));
                else if (!d.isSame(month, 'month')) setMonth(d.startOf('month'));
              }}
              cellRender={(d, info) => {
                if (info.type !== 'date') return info.originNode;
                const entry = byDate.get(d.format('YYYY-MM-DD'));
                if (!entry) return null;
                return (
                  <div
                    className="zg-cal-cell"
                    aria-label={`${fmtDate(entry.date)} ${entry.workday ? '工作日' : '休息日'}`}
                  >
                    <Tag color={entry.workday ? (d.day() === 0 || d.day() === 6 ? 'orange' : 'default') : 'red'}>
                      {entry.workday ? '班' : '休'}
                    </Tag>
                    {entry.source === 'override' ? <Tag color="blue">调整</Tag> : null}
                    {entry.name ? <div className="zg-cal-name">{entry.name}</div> : null}
                  </div>
                );
              }}
            />
          </Card>
        </Col>
        <Col xs={24} xl={8}>
          {day ? (
            <DayPanel day={day} onChanged={() => client.invalidateQueries({ queryKey: ['calendar'] })} />
          ) : (
            <Card>{calendar.isPending ? '加载中…' : '请选择日期'}</Card>
          )}
        </Col>
      </Row>
    </AdminFrame>
  );
}

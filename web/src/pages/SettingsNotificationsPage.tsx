/**
 * 通知设置 (everyone): the channels a person wants to be told through besides the in-app inbox, and 每日汇总 (one
 * message a day gathering everything, instead of one per notice).
 */
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, App, Button, Card, Checkbox, Skeleton, Space, Typography } from 'antd';
import { api, errorMessage } from '../api';
import { adminKeys, usePreferences } from '../adminQueries';
import type { TChannelPreferences } from '../adminTypes';
import { CHANNEL_TEXT } from '../texts';

/** The in-app inbox always has every notice; the others are chosen. */
const CHOSEN = Object.keys(CHANNEL_TEXT).filter((c) => c !== 'in_app');

/** The form, started from the saved preferences (mounted once they are loaded). */
function PreferencesForm({ saved }: { saved: TChannelPreferences }) {
  const client = useQueryClient();
  const { message } = App.useApp();
  const [channels, setChannels] = useState<string[]>(() => saved.channels.filter((c) => c !== 'in_app'));
  const [digest, setDigest] = useState(saved.digest);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const answer = await api.put<TChannelPreferences | undefined>('/api/me/notification-preferences', {
        channels,
        digest,
      });
      if (answer && Array.isArray(answer.channels)) client.setQueryData(adminKeys.preferences, answer);
      else await client.invalidateQueries({ queryKey: adminKeys.preferences });
      void message.success('通知设置已保存');
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card style={{ maxWidth: 640 }}>
      <fieldset style={{ border: 0, padding: 0, margin: '0 0 16px' }}>
        <legend style={{ fontWeight: 600, marginBottom: 8 }}>通知渠道</legend>
        <Space direction="vertical">
          <Checkbox checked disabled>
            {CHANNEL_TEXT.in_app}（始终接收）
          </Checkbox>
          {CHOSEN.map((c) => (
            <Checkbox
              key={c}
              checked={channels.includes(c)}
              onChange={(e) => setChannels((now) => (e.target.checked ? [...now, c] : now.filter((x) => x !== c)))}
            >
              {CHANNEL_TEXT[c]}
              {saved.available && !saved.available.includes(c) ? (
                <span style={{ color: '#888' }}>（本系统尚未开通，开通后生效）</span>
              ) : null}
            </Checkbox>
          ))}
        </Space>
      </fieldset>
      <fieldset style={{ border: 0, padding: 0, margin: '0 0 16px' }}>
        <legend style={{ fontWeight: 600, marginBottom: 8 }}>汇总</legend>
        <Checkbox checked={digest} onChange={(e) => setDigest(e.target.checked)}>
          每日汇总
        </Checkbox>
        <Typography.Paragraph type="secondary" style={{ margin: '4px 0 0' }}>
          勾选后，邮件、短信等渠道每天只发一条汇总消息
          {saved.digestHour !== undefined ? `（每天 ${saved.digestHour} 点）` : ''}；站内通知不受影响。
        </Typography.Paragraph>
      </fieldset>
      {error ? <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} /> : null}
      <Button type="primary" loading={busy} onClick={() => void save()}>
        保存
      </Button>
    </Card>
  );
}

export default function SettingsNotificationsPage() {
  const prefs = usePreferences();
  return (
    <>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        通知设置
      </Typography.Title>
      {prefs.isError ? <Alert type="error" showIcon title={errorMessage(prefs.error)} /> : null}
      {prefs.isPending ? <Skeleton active /> : null}
      {prefs.data ? <PreferencesForm saved={prefs.data} /> : null}
    </>
  );
}

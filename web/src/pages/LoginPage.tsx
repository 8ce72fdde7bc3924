import { useState } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { Alert, Button, Card, Form, Input, Typography } from 'antd';
import { errorMessage, login } from '../api';
import { keys, useMe } from '../queries';

interface TLoginForm {
  username: string;
  password: string;
}

/** Only same-site paths are followed after signing in (never an absolute URL from the query string). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export default function LoginPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const me = useMe();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (me.data) return <Navigate to={safeNext(params.get('next'))} replace />;

  const onFinish = async (values: TLoginForm) => {
    setBusy(true);
    setError(null);
    try {
      const user = await login(values.username.trim(), values.password);
      client.clear();
      client.setQueryData(keys.me, user);
      void navigate(safeNext(params.get('next')), { replace: true });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="zg-login">
      <main>
        <Card style={{ width: 380 }}>
          <Typography.Title level={3} style={{ textAlign: 'center', marginTop: 0 }}>
            整改督办系统
          </Typography.Title>
          <Form<TLoginForm> name="login" layout="vertical" onFinish={(v) => void onFinish(v)} requiredMark={false}>
            <Form.Item label="用户名" name="username" rules={[{ required: true, message: '请输入用户名' }]}>
              <Input autoComplete="username" autoFocus />
            </Form.Item>
            <Form.Item label="密码" name="password" rules={[{ required: true, message: '请输入密码' }]}>
              <Input.Password autoComplete="current-password" />
            </Form.Item>
            {error ? (
              <Form.Item>
                <Alert type="error" title={error} showIcon role="alert" />
              </Form.Item>
            ) : null}
            <Button type="primary" htmlType="submit" block loading={busy}>
              登录
            </Button>
          </Form>
        </Card>
      </main>
    </div>
  );
}

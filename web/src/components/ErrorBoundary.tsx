import { Component, type ErrorInfo, type ReactNode } from 'react';
import { Button, Result } from 'antd';

interface TState {
  failed: boolean;
}

/**
 * A page that throws (or whose chunk cannot load, e.g. after a release replaced the hashed files) shows a Chinese
 * message with a reload button instead of a blank screen.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, TState> {
  override state: TState = { failed: false };

  static getDerivedStateFromError(): TState {
    return { failed: true };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('页面出错', error, info.componentStack);
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <Result
        status="error"
        title="页面加载失败"
        subTitle="系统可能刚刚更新，请刷新页面后重试。"
        extra={
          <Button type="primary" onClick={() => window.location.reload()}>
            刷新页面
          </Button>
        }
      />
    );
  }
}

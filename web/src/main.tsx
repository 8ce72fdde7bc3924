import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router-dom';
import { QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { App as AntApp, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import dayjs from 'dayjs';
import 'dayjs/locale/zh-cn';
import { ApiError, setUnauthenticatedHandler } from './api';
import { keys } from './queries';
import { App } from './App';
import './styles.css';

dayjs.locale('zh-cn');

const queryClient = new QueryClient({
  queryCache: new QueryCache(),
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      refetchOnWindowFocus: true,
      // A refusal (403/404/409…) will not change by asking again; only network trouble and 5xx are worth a retry.
      retry: (count, error) => count < 2 && (!(error instanceof ApiError) || error.status === 0 || error.status >= 500),
    },
  },
});

// Any 401 means the session ended (expired, revoked, signed out elsewhere): forget who we were, and the route guard
// sends the user to the login page.
setUnauthenticatedHandler(() => {
  queryClient.setQueryData(keys.me, null);
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    {/* autoInsertSpace off: antd would render a two-character button as "签 收", and its accessible name (a contract
        browser tests rely on) must be exactly "签收", "提交", "退出"… */}
    <ConfigProvider
      locale={zhCN}
      button={{ autoInsertSpace: false }}
      theme={{ token: { colorPrimary: '#b71c1c', borderRadius: 4 } }}
    >
      <AntApp>
        <QueryClientProvider client={queryClient}>
          <BrowserRouter>
            <App />
          </BrowserRouter>
        </QueryClientProvider>
      </AntApp>
    </ConfigProvider>
  </StrictMode>,
);

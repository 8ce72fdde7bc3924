/** Routes and the signed-in frame (top navigation). Every page is its own chunk (React.lazy), loaded on first visit. */
import { lazy, Suspense, type ComponentType, type ReactNode } from 'react';
import { Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router-dom';
import { useQueryClient } from '@tanstack/react-query';
import { Badge, Button, Result, Spin } from 'antd';
import { hasSignedInHint, logout } from './api';
import { keys, useInbox, useMe, useUnreadCount } from './queries';
import { ROLE_TEXT, say } from './texts';
import { ErrorBoundary } from './components/ErrorBoundary';

const pages = {
  login: () => import('./pages/LoginPage'),
  inbox: () => import('./pages/InboxPage'),
  tasks: () => import('./pages/TasksPage'),
  task: () => import('./pages/TaskPage'),
  stats: () => import('./pages/StatsPage'),
  notifications: () => import('./pages/NotificationsPage'),
  campaigns: () => import('./pages/CampaignsPage'),
  importTasks: () => import('./pages/ImportPage'),
  settings: () => import('./pages/SettingsNotificationsPage'),
  units: () => import('./pages/admin/UnitsPage'),
  users: () => import('./pages/admin/UsersPage'),
  groups: () => import('./pages/admin/GroupsPage'),
  directoryImport: () => import('./pages/admin/DirectoryImportPage'),
  calendar: () => import('./pages/admin/CalendarPage'),
  outbox: () => import('./pages/admin/OutboxPage'),
};
const LoginPage = lazy(pages.login);
const InboxPage = lazy(pages.inbox);
const TasksPage = lazy(pages.tasks);
const TaskPage = lazy(pages.task);
const StatsPage = lazy(pages.stats);
const NotificationsPage = lazy(pages.notifications);
const CampaignPage = lazy(pages.campaigns);
const CampaignListPage = lazy(() => pages.campaigns().then((m) => ({ default: m.CampaignListPage })));
const ImportPage = lazy(pages.importTasks);
const SettingsNotificationsPage = lazy(pages.settings);
const UnitsPage = lazy(pages.units);
const UsersPage = lazy(pages.users);
const GroupsPage = lazy(pages.groups);
const DirectoryImportPage = lazy(pages.directoryImport);
const CalendarPage = lazy(pages.calendar);
const OutboxPage = lazy(pages.outbox);

/** The pages behind a route, for the routes below (each wrapped in the signed-in frame). */
const SIGNED_IN_ROUTES: { path: string; Page: ComponentType }[] = [
  { path: '/campaigns', Page: CampaignListPage },
  { path: '/campaigns/:id', Page: CampaignPage },
  { path: '/campaigns/:id/import', Page: ImportPage },
  { path: '/settings/notifications', Page: SettingsNotificationsPage },
  { path: '/admin', Page: () => <Navigate to="/admin/units" replace /> },
  { path: '/admin/units', Page: UnitsPage },
  { path: '/admin/users', Page: UsersPage },
  { path: '/admin/groups', Page: GroupsPage },
  { path: '/admin/directory-import', Page: DirectoryImportPage },
  { path: '/admin/calendar', Page: CalendarPage },
  { path: '/admin/outbox', Page: OutboxPage },
];

/**
 * The page a cold load lands on starts downloading with the application's own code, while the session is checked,
 * instead of after the first render: one round trip less before the page shows (the module system keeps the one
 * download, which React.lazy then reuses).
 */
function preloadLandingPage(path: string): void {
  const routes: [RegExp, () => Promise<unknown>][] = [
    [/^\/$/, pages.inbox],
    [/^\/tasks$/, pages.tasks],
    [/^\/tasks\//, pages.task],
    [/^\/stats$/, pages.stats],
    [/^\/notifications$/, pages.notifications],
    [/^\/login$/, pages.login],
    [/^\/campaigns\/[^/]+\/import$/, pages.importTasks],
    [/^\/campaigns(\/[^/]+)?$/, pages.campaigns],
    [/^\/settings\/notifications$/, pages.settings],
    [/^\/admin(\/units)?$/, pages.units],
    [/^\/admin\/users$/, pages.users],
    [/^\/admin\/groups$/, pages.groups],
    [/^\/admin\/directory-import$/, pages.directoryImport],
    [/^\/admin\/calendar$/, pages.calendar],
    [/^\/admin\/outbox$/, pages.outbox],
  ];
  const load = routes.find(([pattern]) => pattern.test(path))?.[1];
  // A failed preload is not an error: the route loads (and reports) it again when it renders.
  load?.().catch(() => undefined);
}
preloadLandingPage(window.location.pathname);

function Loading() {
  return (
    <div style={{ padding: 48, textAlign: 'center' }}>
      <Spin />
      <div style={{ marginTop: 8 }}>加载中…</div>
    </div>
  );
}

function TopNav() {
  const me = useMe().data;
  const inbox = useInbox(!!me).data;
  const unread = useUnreadCount(!!me).data ?? 0;
  const client = useQueryClient();
  const navigate = useNavigate();
  const todo = inbox
    ? inbox.reportsDue.length +
      inbox.reviews.length +
      inbox.signOffs.length +
      inbox.other.length +
      (inbox.supervision?.length ?? 0)
    : 0;

  const onLogout = async () => {
    try {
      await logout();
    } finally {
      client.clear();
      client.setQueryData(keys.me, null);
      void navigate('/login', { replace: true });
    }
  };

  return (
    <header className="zg-header">
      <span className="zg-brand">整改督办</span>
      <nav className="zg-nav" aria-label="主导航">
        {/* The badge sits beside the link, not inside it, so the link's accessible name stays exactly "待办". */}
        <Badge count={todo} size="small" offset={[-4, 2]} title={`${todo} 项待办`}>
          <NavLink to="/" end>
            待办
          </NavLink>
        </Badge>
        <NavLink to="/tasks">任务</NavLink>
        <NavLink to="/stats">统计</NavLink>
        <Badge count={unread} size="small" offset={[-4, 2]} title={`${unread} 条未读通知`}>
          <NavLink to="/notifications">通知</NavLink>
        </Badge>
        {me && ['office', 'admin', 'leader', 'supervisor'].includes(me.role) ? (
          <NavLink to="/campaigns">巡视批次</NavLink>
        ) : null}
        {/* Shown to administrators only; the pages and the server refuse everyone else anyway. */}
        {me?.role === 'admin' ? <NavLink to="/admin">系统管理</NavLink> : null}
      </nav>
      {me ? (
        <div className="zg-user">
          <span>
            {me.name}（{say(ROLE_TEXT, me.role)}）
          </span>
          <NavLink to="/settings/notifications" className="zg-settings-link">
            通知设置
          </NavLink>
          <Button size="small" onClick={() => void onLogout()}>
            退出
          </Button>
        </div>
      ) : null}
    </header>
  );
}

/** Pages that need a session: while unknown, wait; when signed out, the login page (coming back here after). */
function RequireAuth({ children }: { children: ReactNode }) {
  const me = useMe();
  const location = useLocation();
  // A browser that signed in before renders the page while the session is confirmed, so the page's own reads start
  // at once instead of one round trip later; a session that turns out to be gone sends it to the login page.
  if (me.isPending && !hasSignedInHint()) return <Loading />;
  if (me.isError) return <Result status="error" title="无法连接服务器" subTitle="请检查网络后刷新页面。" />;
  if (!me.isPending && !me.data) {
    const next = location.pathname + location.search;
    return <Navigate to={next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return (
    <>
      <a className="zg-skip" href="#main">
        跳到正文
      </a>
      <TopNav />
      <main id="main" className="zg-main" tabIndex={-1}>
        <ErrorBoundary key={location.pathname}>
          <Suspense fallback={<Loading />}>{children}</Suspense>
        </ErrorBoundary>
      </main>
    </>
  );
}

export function App() {
  return (
    <Routes>
      <Route
        path="/login"
        element={
          <Suspense fallback={<Loading />}>
            <LoginPage />
          </Suspense>
        }
      />
      <Route
        path="/"
        element={
          <RequireAuth>
            <InboxPage />
          </RequireAuth>
        }
      />
      <Route
        path="/tasks"
        element={
          <RequireAuth>
            <TasksPage />
          </RequireAuth>
        }
      />
      <Route
        path="/tasks/:id"
        element={
          <RequireAuth>
            <TaskPage />
          </RequireAuth>
        }
      />
      <Route
        path="/stats"
        element={
          <RequireAuth>
            <StatsPage />
          </RequireAuth>
        }
      />
      <Route
        path="/notifications"
        element={
          <RequireAuth>
            <NotificationsPage />
          </RequireAuth>
        }
      />
      {SIGNED_IN_ROUTES.map(({ path, Page }) => (
        <Route
          key={path}
          path={path}
          element={
            <RequireAuth>
              <Page />
            </RequireAuth>
          }
        />
      ))}
      <Route
        path="*"
        element={
          <RequireAuth>
            <Result status="404" title="页面不存在" subTitle="请从上方导航进入。" />
          </RequireAuth>
        }
      />
    </Routes>
  );
}

/**
 * The frame of the 系统管理 pages: a second navigation between them, and a guard that shows a refusal to anyone but an
 * administrator (the role comes from /api/auth/me; the server refuses every call with 403 anyway).
 */
import type { ReactNode } from 'react';
import { NavLink } from 'react-router-dom';
import { Result, Typography } from 'antd';
import { useMe } from '../queries';

export const ADMIN_PAGES: { path: string; label: string }[] = [
  { path: '/admin/units', label: '组织机构' },
  { path: '/admin/users', label: '人员' },
  { path: '/admin/groups', label: '单位分组' },
  { path: '/admin/directory-import', label: '通讯录导入' },
  { path: '/admin/calendar', label: '工作日历' },
  { path: '/admin/outbox', label: '消息投递' },
];

export function AdminFrame({ title, children }: { title: string; children: ReactNode }) {
  const me = useMe();
  if (me.data && me.data.role !== 'admin') {
    return <Result status="403" title="需要系统管理员权限" subTitle="这些页面只对系统管理员开放。" />;
  }
  return (
    <>
      <nav className="zg-subnav" aria-label="系统管理">
        {ADMIN_PAGES.map((p) => (
          <NavLink key={p.path} to={p.path}>
            {p.label}
          </NavLink>
        ))}
      </nav>
      <Typography.Title level={2} style={{ marginTop: 0 }}>
        {title}
      </Typography.Title>
      {children}
    </>
  );
}

import { Tag } from 'antd';
import { LIGHT_COLOR, LIGHT_TEXT, STATUS_COLOR, STATUS_TEXT, say } from '../texts';

/** The traffic light as a coloured tag whose text is exactly 红灯/黄灯/绿灯 (browser tests look for these words). */
export function LightTag({ light }: { light: string | null | undefined }) {
  if (!light) return <span>—</span>;
  return <Tag color={LIGHT_COLOR[light] ?? 'default'}>{say(LIGHT_TEXT, light)}</Tag>;
}

export function StatusTag({ status, overdue }: { status: string; overdue?: boolean }) {
  return (
    <span>
      <Tag color={STATUS_COLOR[status] ?? 'default'}>{say(STATUS_TEXT, status)}</Tag>
      {overdue && status !== 'OVERDUE' ? <Tag color="error">逾期</Tag> : null}
    </span>
  );
}

/**
 * Every business word the screens show, in one place: statuses, lights, deadline kinds, roles, audit event types,
 * escalation steps, inbox actions and API error codes. Screens never spell these themselves, so a wording change is
 * one edit here.
 */

export const STATUS_TEXT: Record<string, string> = {
  ASSIGNED: '待签收',
  IN_PROGRESS: '整改中',
  OVERDUE: '已逾期',
  CLOSURE_REQUESTED: '待销号',
  CLOSED: '已销号',
  LONG_TERM: '长期坚持',
  VERIFIED: '已核实',
};

export const STATUS_COLOR: Record<string, string> = {
  ASSIGNED: 'blue',
  IN_PROGRESS: 'processing',
  OVERDUE: 'error',
  CLOSURE_REQUESTED: 'warning',
  CLOSED: 'success',
  LONG_TERM: 'purple',
  VERIFIED: 'green',
};

export const LIGHT_TEXT: Record<string, string> = { red: '红灯', yellow: '黄灯', green: '绿灯' };
export const LIGHT_COLOR: Record<string, string> = { red: 'red', yellow: 'gold', green: 'green' };
/** Bar fills for the statistics chart (enough contrast against white, distinguishable without the label too). */
export const LIGHT_FILL: Record<string, string> = { red: '#cf1322', yellow: '#d48806', green: '#389e0d' };

export const DEADLINE_KIND_TEXT: Record<string, string> = {
  date: '限期完成',
  immediate: '立行立改',
  long_term: '长期坚持',
  date_then_long_term: '限期完成并长期推进',
  immediate_then_long_term: '立行立改并长期推进',
};

export const ROLE_TEXT: Record<string, string> = {
  unit_staff: '责任单位经办人',
  unit_head: '责任单位负责人',
  office: '整改办',
  leader: '牵头领导',
  supervisor: '纪检监督',
  admin: '系统管理员',
  system: '系统',
};

export const CAMPAIGN_KIND_TEXT: Record<string, string> = { xunshi: '巡视', xuncha: '巡察', ducha: '督察' };

export const ESCALATION_STEP_TEXT: Record<string, string> = {
  reminder: '催办',
  supervision_notice: '督办通知',
  interview: '约谈',
  exposure: '通报曝光',
  listed_supervision: '挂牌督办',
  accountability: '问责',
};

/** Audit event types (the workflow's event names and the API's own records) as the timeline says them. */
export const AUDIT_TEXT: Record<string, string> = {
  CampaignCreated: '创建巡视（察）批次',
  TaskCreated: '创建整改任务',
  TaskAssigned: '下达任务',
  TaskAcknowledged: '签收任务',
  ReportSubmitted: '填报整改进展',
  ReportAccepted: '审核通过进展',
  ReportReturned: '退回进展',
  ReportOverdue: '进展逾期未报',
  ClosureRequested: '申请销号',
  SignOffApproved: '签批同意',
  SignOffReturned: '签批退回',
  TaskClosed: '任务销号',
  LongTermEntered: '转入长期坚持',
  ExtensionRequested: '申请延期',
  ExtensionApproved: '同意延期',
  ExtensionRefused: '不同意延期',
  DeadlineExtended: '整改期限延长',
  TaskReassigned: '改派任务',
  SignOffDelegated: '委托签批',
  DelegationRevoked: '撤销委托',
  DeadlinePassed: '超过整改期限',
  EscalationStepReached: '逐级督办',
  LookBackDue: '到期回头看',
  LookBackConsolidated: '回头看：整改成果巩固',
  TaskReopened: '回头看：问题反弹，重新整改',
  ChildrenCreated: '分解下达子任务',
  ChildStatusChanged: '子任务状态变化',
  Urged: '催办',
  TaskUrged: '催办',
  UrgeSent: '催办',
  LongTermEnded: '结束长期坚持',
  SupervisionNoticeSigned: '签收督办单',
  SupervisionFeedback: '反馈督办',
};

/** What the inbox asks of the caller. */
export const INBOX_ACTION_TEXT: Record<string, string> = {
  acknowledge: '待签收',
  submit_report: '待填报',
  resubmit_report: '退回重报',
  review_report: '待审核',
  sign_off: '待签批',
  decide_extension: '延期待审批',
  look_back: '待回头看',
  sign_supervision: '督办待签收',
  answer_supervision: '督办待反馈',
};

/** Buttons for the server's allowedActions, in the order the task page shows them. Exact names: a contract. */
export const ACTION_LABEL: Record<string, string> = {
  acknowledge: '签收',
  submit_report: '填报进展',
  review_report: '审核',
  request_closure: '申请销号',
  sign_off: '签批',
  request_extension: '申请延期',
  decide_extension: '延期审批',
  urge: '催办',
  reassign: '改派',
  split: '分解下达',
  look_back: '回头看',
  delegate: '委托签批',
  end_long_term: '结束长期坚持',
};

export const ACTION_SUCCESS: Record<string, string> = {
  acknowledge: '已签收',
  submit_report: '进展已提交',
  review_report: '审核意见已提交',
  request_closure: '销号申请已提交',
  sign_off: '签批意见已提交',
  request_extension: '延期申请已提交',
  decide_extension: '延期审批意见已提交',
  urge: '已催办',
  reassign: '已改派',
  split: '已分解下达',
  look_back: '回头看结论已提交',
  delegate: '已委托签批',
  end_long_term: '已结束长期坚持',
};

export const REPORT_STATUS_TEXT: Record<string, string> = {
  submitted: '待审核',
  accepted: '已通过',
  returned: '已退回',
};
export const REVIEW_DECISION_TEXT: Record<string, string> = { accept: '通过', return: '退回' };
export const SIGN_OFF_DECISION_TEXT: Record<string, string> = { approve: '同意', return: '退回' };
export const EXTENSION_STATUS_TEXT: Record<string, string> = {
  pending: '待审批',
  approved: '已同意',
  refused: '不同意',
};
export const APPLICATION_STATUS_TEXT: Record<string, string> = {
  pending: '签批中',
  approved: '已同意',
  returned: '已退回',
};

export const NOTIFICATION_KIND_TEXT: Record<string, string> = {
  urge: '催办',
  escalation: '督办',
  supervision_notice: '督办通知',
  report_due: '填报提醒',
  report_reminder: '填报提醒',
  report_overdue: '逾期未报',
  report_submitted: '待审核',
  report_returned: '进展退回',
  closure_returned: '销号退回',
  sign_off_requested: '待签批',
  extension_requested: '延期申请',
  deadline_passed: '到期未完成',
  look_back_due: '回头看',
  task_reopened: '重新整改',
};

/** API error codes (contract) as a person reads them. */
export const ERROR_TEXT: Record<string, string> = {
  VALIDATION: '填写的内容有误，请检查后重试',
  UNAUTHENTICATED: '登录已过期，请重新登录',
  INVALID_CREDENTIALS: '用户名或密码错误',
  FORBIDDEN: '没有权限进行此操作',
  CSRF_FAILED: '页面已过期，请刷新后重试',
  NOT_FOUND: '没有找到，可能已被删除或无权查看',
  CONFLICT: '当前状态不允许此操作，请刷新后查看最新情况',
  PAYLOAD_TOO_LARGE: '文件或内容过大',
  UNSUPPORTED_MEDIA_TYPE: '不支持的文件类型（允许 PDF、图片、Word、Excel、OFD、zip）',
  TOO_MANY_REQUESTS: '操作过于频繁，请稍后再试',
  /** A 429 from sign-in: the account or address is locked for a while after failed attempts. */
  TOO_MANY_SIGN_INS: '登录失败次数过多，请稍后再试',
  UNAVAILABLE: '服务繁忙，请稍后再试',
  UNPROCESSABLE: '同一幂等键已用于不同的请求内容，未作任何修改',
  INTERNAL: '服务器出错，请稍后再试',
  NETWORK: '无法连接服务器，请检查网络',
};

export const UNIT_LEVEL_TEXT: Record<string, string> = {
  province: '省级',
  city: '市级',
  county: '县级',
  department: '内设机构',
};

export const UNIT_KIND_TEXT: Record<string, string> = {
  government: '人民政府',
  office: '整改办',
  department: '部门',
  leading_group: '领导小组',
  discipline: '纪检监察',
};

/** 督办 documents by ladder step (the document's own name). */
export const SUPERVISION_DOC_TEXT: Record<string, string> = {
  reminder: '催办单',
  supervision_notice: '督办通知书',
  interview: '约谈通知',
  listed_supervision: '挂牌督办通知',
  accountability: '问责建议',
  exposure: '通报曝光',
};

/** Channels a person may be told through, in the order the settings page lists them. */
export const CHANNEL_TEXT: Record<string, string> = {
  in_app: '站内',
  email: '邮件',
  sms: '短信',
  dingtalk: '钉钉',
  wecom: '企业微信',
};
export const OUTBOX_CHANNEL_TEXT: Record<string, string> = { ...CHANNEL_TEXT, webhook: '接口推送' };

export const OUTBOX_STATUS_TEXT: Record<string, string> = {
  pending: '待发送',
  sending: '发送中',
  sent: '已发送',
  failed: '发送失败（将重试）',
  dead: '已放弃',
  uncertain: '不确定是否送达',
};

export const CALENDAR_SOURCE_TEXT: Record<string, string> = {
  package: '法定',
  override: '调整',
  weekday: '周末规则',
};

export const IMPORT_STATUS_TEXT: Record<string, string> = {
  preview: '待确认',
  committing: '导入中',
  committed: '已导入',
  failed: '导入失败',
};

/** Looks a code up in a table, falling back to the code itself so an unknown value is still visible. */
export function say(table: Record<string, string>, key: string | null | undefined): string {
  if (key === null || key === undefined || key === '') return '—';
  return table[key] ?? key;
}

export const EMPTY = {
  reportsDue: '没有待填报或待签收的任务',
  reviews: '没有待审核的进展',
  signOffs: '没有待签批的销号申请',
  other: '没有其他待办事项',
  tasks: '没有符合条件的任务',
  notifications: '没有通知',
  timeline: '暂无记录',
  reports: '尚未填报进展',
};

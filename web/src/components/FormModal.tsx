/**
 * A dialog holding one form, as the task actions have it: the first field takes the focus once open, the form submits
 * with "提交", a refusal stays in the dialog (in Chinese) and the dialog closes only when the server has accepted.
 */
import { useRef, useState, type ReactNode } from 'react';
import { Alert, Button, Form, Modal, Space, type FormInstance } from 'antd';
import { errorMessage } from '../api';

export function FormModal<T extends object>(props: {
  title: string;
  name: string;
  onClose: () => void;
  /** Sends the form; resolving closes the dialog, throwing shows the error in it. */
  onSubmit: (values: T) => Promise<void>;
  initialValues?: Partial<T>;
  form?: FormInstance<T>;
  children: ReactNode;
  width?: number;
}) {
  const [own] = Form.useForm<T>();
  const form = props.form ?? own;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const body = useRef<HTMLDivElement>(null);

  const onFinish = async (values: T) => {
    setBusy(true);
    setError(null);
    try {
      await props.onSubmit(values);
      props.onClose();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={props.title}
      width={props.width ?? 560}
      onCancel={props.onClose}
      footer={null}
      destroyOnHidden
      maskClosable={false}
      afterOpenChange={(open) => {
        if (!open) return;
        body.current
          ?.querySelector<HTMLElement>(
            'input:not([type=hidden]):not([disabled]), textarea:not([disabled]), [role=combobox]',
          )
          ?.focus();
      }}
    >
      <div ref={body}>
        <Form<T>
          form={form}
          name={props.name}
          layout="vertical"
          initialValues={props.initialValues}
          onFinish={(v) => void onFinish(v)}
        >
          {props.children}
          {error ? <Alert type="error" showIcon title={error} role="alert" style={{ marginBottom: 16 }} /> : null}
          <Space>
            <Button type="primary" htmlType="submit" loading={busy}>
              提交
            </Button>
            <Button onClick={props.onClose}>取消</Button>
          </Space>
        </Form>
      </div>
    </Modal>
  );
}

/** '省卫生健康委、卫健委' or one a line → ['省卫生健康委', '卫健委'] (the 简称 / 别名 fields). */
export function splitNames(text: string | undefined): string[] {
  return [
    ...new Set(
      (text ?? '')
        .split(/[\n、，,；;]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

/**
 * Evidence upload: a native file input (keyboard-operable, labelled by its Form.Item, usable by setInputFiles in
 * browser tests). Each chosen file goes to POST /api/files at once; the form's value is the list of stored files,
 * whose ids the report or close-out application then references.
 */
import { useState } from 'react';
import { Button, List, Typography } from 'antd';
import { errorMessage, uploadFile, type TUploaded } from '../api';
import { fmtSize } from '../format';

interface TProps {
  id?: string;
  value?: TUploaded[];
  onChange?: (value: TUploaded[]) => void;
  'aria-describedby'?: string;
}

export function EvidenceInput({ id, value = [], onChange, ...rest }: TProps) {
  const [busy, setBusy] = useState(0);
  const [error, setError] = useState<string | null>(null);

  const onFiles = async (files: FileList | null) => {
    if (!files || files.length === 0) return;
    setError(null);
    const chosen = Array.from(files);
    setBusy((n) => n + chosen.length);
    const stored: TUploaded[] = [];
    const failures: string[] = [];
    for (const file of chosen) {
      try {
        stored.push(await uploadFile(file));
      } catch (e) {
        failures.push(`${file.name}：${errorMessage(e)}`);
      } finally {
        setBusy((n) => n - 1);
      }
    }
    if (stored.length > 0) onChange?.([...value, ...stored]);
    if (failures.length > 0) setError(failures.join('；'));
  };

  return (
    <div>
      <input
        id={id}
        type="file"
        multiple
        aria-describedby={rest['aria-describedby']}
        accept=".pdf,.png,.jpg,.jpeg,.gif,.bmp,.webp,.doc,.docx,.xls,.xlsx,.ofd,.zip"
        onChange={(e) => {
          const input = e.currentTarget;
          void onFiles(input.files).finally(() => {
            // Lets the same file be chosen again after removing it.
            input.value = '';
          });
        }}
      />
      <div style={{ color: '#666', fontSize: 12, marginTop: 4 }}>
        支持 PDF、图片、Word、Excel、OFD、zip，单个文件不超过 50 MB。{busy > 0 ? `正在上传 ${busy} 个文件…` : ''}
      </div>
      {error ? (
        <Typography.Text type="danger" role="alert">
          上传失败：{error}
        </Typography.Text>
      ) : null}
      {value.length > 0 ? (
        <List
          size="small"
          dataSource={value}
          rowKey="id"
          renderItem={(f) => (
            <List.Item
              actions={[
                <Button
                  key="remove"
                  size="small"
                  type="link"
                  aria-label={`移除 ${f.fileName}`}
                  onClick={() => onChange?.(value.filter((x) => x.id !== f.id))}
                >
                  移除
                </Button>,
              ]}
            >
              已上传：{f.fileName}（{fmtSize(f.sizeBytes)}）
            </List.Item>
          )}
        />
      ) : null}
    </div>
  );
}

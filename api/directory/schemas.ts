/** Request shapes of the directory admin routes (parsed at the edge; 400 naming the field otherwise). */
import { z } from 'zod';
import { ROLES } from '../../domain/policy';

export const UNIT_LEVELS = ['province', 'city', 'county', 'department'] as const;
export const UNIT_KINDS = ['government', 'office', 'department', 'leading_group', 'discipline'] as const;

const noNul = (s: string) => !s.includes('\u0000');
const ZName = (max: number) => z.string().trim().min(1).max(max).refine(noNul, 'Text must not contain NUL characters');
const ZId = z.string().trim().min(1).max(100);
export const ZAliases = z
  .array(ZName(100))
  .max(20)
  .transform((list) => [...new Set(list)]);

export const ZCreateUnit = z.object({
  name: ZName(200),
  parentId: ZId.nullable(),
  level: z.enum(UNIT_LEVELS),
  kind: z.enum(UNIT_KINDS),
  aliases: ZAliases.optional(),
});
export type TCreateUnit = z.infer<typeof ZCreateUnit>;

export const ZUpdateUnit = z
  .object({
    name: ZName(200).optional(),
    parentId: ZId.nullable().optional(),
    level: z.enum(UNIT_LEVELS).optional(),
    kind: z.enum(UNIT_KINDS).optional(),
    aliases: ZAliases.optional(),
  })
  .strict();
export type TUpdateUnit = z.infer<typeof ZUpdateUnit>;

export const ZUsername = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{2,64}$/, '用户名只能含字母、数字、下划线、点和连字符（2–64 位）');
const ZEmail = z.email({ error: '邮箱格式不正确' }).max(200);
const ZPhone = z
  .string()
  .trim()
  .regex(/^\+?[0-9 -]{5,20}$/, '手机号码格式不正确');
const ZPassword = z.string().min(8, '密码至少 8 位').max(256);

export const ZCreateUser = z.object({
  name: ZName(100),
  username: ZUsername,
  role: z.enum(ROLES),
  unitId: ZId,
  email: ZEmail.optional(),
  phone: ZPhone.optional(),
  password: ZPassword.optional(),
});
export type TCreateUser = z.infer<typeof ZCreateUser>;

export const ZUpdateUser = z
  .object({
    name: ZName(100).optional(),
    username: ZUsername.optional(),
    role: z.enum(ROLES).optional(),
    unitId: ZId.optional(),
    email: ZEmail.nullable().optional(),
    phone: ZPhone.nullable().optional(),
    password: ZPassword.optional(),
  })
  .strict();
export type TUpdateUser = z.infer<typeof ZUpdateUser>;

export const ZCreateGroup = z.object({
  name: ZName(200),
  aliases: ZAliases.optional(),
  memberUnitIds: z.array(ZId).max(2000).default([]),
});
export type TCreateGroup = z.infer<typeof ZCreateGroup>;

export const ZUpdateGroup = z
  .object({
    name: ZName(200).optional(),
    aliases: ZAliases.optional(),
    memberUnitIds: z.array(ZId).max(2000).optional(),
  })
  .strict();
export type TUpdateGroup = z.infer<typeof ZUpdateGroup>;

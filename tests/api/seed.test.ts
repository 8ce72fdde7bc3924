import { createApp } from '../../api/app';
import { hashToken } from '../../api/auth';
import type { Db } from '../../db/client';
import type { Client } from '@temporalio/client';
import { seedDemo, type TDemoUser } from '../../scripts/seed-demo';
import { createTestDb } from '../helpers/db';
import { as } from './harness';

let db: Db;
let cleanup: () => Promise<void>;
let users: TDemoUser[];

beforeAll(async () => {
  ({ db, cleanup } = await createTestDb());
  users = await seedDemo(db);
});

afterAll(async () => {
  await cleanup?.();
});

describe('demo organisation seed', () => {
  it('When the database is empty, then every role is created with a distinct token', () => {
    expect(new Set(users.map((u) => u.role))).toEqual(
      new Set(['unit_staff', 'unit_head', 'office', 'leader', 'supervisor', 'admin']),
    );
    expect(new Set(users.map((u) => u.token)).size).toBe(users.length);
    for (const u of users) {
      expect(Object.keys(u).sort()).toEqual(['name', 'password', 'role', 'token', 'unitId', 'userId', 'username']);
    }
  });

  it('When tokens are issued, then only their SHA-256 is stored', async () => {
    const stored = await db.apiToken.findMany();
    expect(stored).toHaveLength(users.length);
    const hashes = new Set(stored.map((t) => t.tokenHash));
    for (const u of users) {
      expect(hashes.has(hashToken(u.token))).toBe(true);
      expect(hashes.has(u.token)).toBe(false);
    }
  });

  it('When the organisation is built, then a province has its office, and two cities each their own office, and every department a staff member and a head', async () => {
    const units = await db.unit.findMany();
    const province = units.filter((u) => u.level === 'province' && u.kind === 'government');
    const cities = units.filter((u) => u.level === 'city' && u.kind === 'government');
    expect(province).toHaveLength(1);
    expect(cities).toHaveLength(2);
    for (const parent of [...province, ...cities]) {
      expect(units.filter((u) => u.parentId === parent.id && u.kind === 'office')).toHaveLength(1);
    }
    const departments = units.filter((u) => u.kind === 'department');
    expect(departments.length).toBeGreaterThanOrEqual(4);
    for (const d of departments) {
      const roles = users.filter((u) => u.unitId === d.id).map((u) => u.role);
      expect(roles.sort()).toEqual(['unit_head', 'unit_staff']);
    }
    const leader = users.find((u) => u.role === 'leader' && u.unitId === province[0].id);
    expect(leader).toBeDefined();
  });

  it('When the seed runs on a database that has data, then it does nothing and returns []', async () => {
    const before = await db.user.count();
    expect(await seedDemo(db)).toEqual([]);
    expect(await db.user.count()).toBe(before);
  });

  it('When a demo token is used, then it authenticates its user, and a unit member sees no foreign tasks', async () => {
    // No Temporal needed for reads: the client is never touched by these routes.
    const app = createApp({ db, client: {} as Client });
    const staff = users.find((u) => u.role === 'unit_staff')!;
    const res = await as(app, staff).get('/api/tasks');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [], total: 0, totalExact: true, page: 1, pageSize: 50 });
    const inbox = await as(app, staff).get('/api/inbox');
    expect(inbox.body).toEqual({
      reportsDue: [],
      reviews: [],
      signOffs: [],
      other: [],
      supervision: [],
      notifications: [],
    });
  });
});

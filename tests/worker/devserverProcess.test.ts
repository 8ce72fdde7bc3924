/**
 * The embedded dev server in its own process (issue 10): it answers on its port, comes back after it is killed (its
 * history file kept: a workflow started before the kill is still there), and stops with its parent's stop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServerProcess, type TDevServerProcess } from '../../scripts/devserver-process';

jest.setTimeout(120_000);

let server: TDevServerProcess | undefined;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'zg-devserver-process-'));

afterAll(async () => {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function startedWorkflowIds(address: string): Promise<string[]> {
  const connection = await Connection.connect({ address });
  try {
    const client = new Client({ connection });
    const ids: string[] = [];
    for await (const wf of client.workflow.list()) ids.push(wf.workflowId);
    return ids;
  } finally {
    await connection.close();
  }
}

it('When the dev server process is killed, then it is restarted on the same port with its history, and stop ends it', async () => {
  const lines: string[] = [];
  const gaveUp: string[] = [];
  const port = 17_000 + Math.floor(Math.random() * 2000);
  server = await startDevServerProcess({
    port,
    namespace: 'default',
    dbFile: path.join(dir, 'temporal.db'),
    log: (line) => lines.push(line),
    onGiveUp: (reason) => gaveUp.push(reason),
  });
  expect(server.address).toBe(`127.0.0.1:${port}`);
  const firstPid = server.pid();
  expect(firstPid).not.toBe(process.pid);

  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  await client.workflow.start('someWorkflow', { taskQueue: 'nobody', workflowId: 'kept-across-restart', args: [] });
  await connection.close();

  process.kill(firstPid!, 'SIGKILL');
  const deadline = Date.now() + 60_000;
  while (!lines.some((l) => l.includes('restarted')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(server.pid()).not.toBe(firstPid);
  expect(await startedWorkflowIds(server.address)).toContain('kept-across-restart');
  expect(gaveUp).toEqual([]);

  const lastPid = server.pid()!;
  await server.stop();
  server = undefined;
  expect(() => process.kill(lastPid, 0)).toThrow();
});

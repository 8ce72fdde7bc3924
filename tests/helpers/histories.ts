/**
 * Recording histories for the replay test: with RECORD_HISTORIES=1, workflow tests write the histories (every run)
 * of the tasks they name into tests/histories/, to be committed. Without it, nothing is written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

export const HISTORIES_DIR = join(__dirname, '..', 'histories');

export async function recordHistories(client: Client, workflowId: string, name: string): Promise<void> {
  if (process.env.RECORD_HISTORIES !== '1') return;
  mkdirSync(HISTORIES_DIR, { recursive: true });
  let run = 0;
  for await (const execution of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    run++;
    writeFileSync(join(HISTORIES_DIR, `${name}.run${run}.json`), historyToJSON(history) + '\n');
  }
}

-- DropIndex
DROP INDEX "Notification_userId_readAt_idx";

-- CreateTable
CREATE TABLE "TaskPendingAction" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "taskId" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "unitId" TEXT,
    "userId" TEXT,
    "deputyForUserId" TEXT,
    "period" TEXT,
    "level" INTEGER,
    "levelName" TEXT,
    "excludedUserId" TEXT,
    "dueAt" DATETIME,
    CONSTRAINT "TaskPendingAction_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Task" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "campaignId" TEXT NOT NULL,
    "problemId" TEXT NOT NULL,
    "parentTaskId" TEXT,
    "measure" TEXT NOT NULL,
    "target" TEXT,
    "leadUnitId" TEXT NOT NULL,
    "leaderId" TEXT NOT NULL,
    "responsiblePersonId" TEXT,
    "deadlineKind" TEXT NOT NULL,
    "deadlineText" TEXT,
    "deadlineDate" TEXT,
    "status" TEXT NOT NULL,
    "overdue" BOOLEAN NOT NULL DEFAULT false,
    "round" INTEGER NOT NULL DEFAULT 1,
    "reopenCount" INTEGER NOT NULL DEFAULT 0,
    "currentSignOffLevel" INTEGER,
    "trafficLight" TEXT NOT NULL DEFAULT 'green',
    "lightChangesAt" DATETIME,
    "stateJson" JSONB,
    "workflowId" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "closedAt" DATETIME,
    CONSTRAINT "Task_campaignId_fkey" FOREIGN KEY ("campaignId") REFERENCES "Campaign" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Task_problemId_fkey" FOREIGN KEY ("problemId") REFERENCES "Problem" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "Task_parentTaskId_fkey" FOREIGN KEY ("parentTaskId") REFERENCES "Task" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_Task" ("campaignId", "closedAt", "createdAt", "currentSignOffLevel", "deadlineDate", "deadlineKind", "deadlineText", "id", "leadUnitId", "leaderId", "measure", "overdue", "parentTaskId", "problemId", "reopenCount", "responsiblePersonId", "round", "stateJson", "status", "target", "updatedAt", "workflowId") SELECT "campaignId", "closedAt", "createdAt", "currentSignOffLevel", "deadlineDate", "deadlineKind", "deadlineText", "id", "leadUnitId", "leaderId", "measure", "overdue", "parentTaskId", "problemId", "reopenCount", "responsiblePersonId", "round", "stateJson", "status", "target", "updatedAt", "workflowId" FROM "Task";
DROP TABLE "Task";
ALTER TABLE "new_Task" RENAME TO "Task";
CREATE UNIQUE INDEX "Task_workflowId_key" ON "Task"("workflowId");
CREATE INDEX "Task_campaignId_status_idx" ON "Task"("campaignId", "status");
CREATE INDEX "Task_leadUnitId_status_idx" ON "Task"("leadUnitId", "status");
CREATE INDEX "Task_parentTaskId_idx" ON "Task"("parentTaskId");
CREATE INDEX "Task_campaignId_trafficLight_idx" ON "Task"("campaignId", "trafficLight");
CREATE INDEX "Task_leadUnitId_trafficLight_idx" ON "Task"("leadUnitId", "trafficLight");
CREATE INDEX "Task_trafficLight_createdAt_idx" ON "Task"("trafficLight", "createdAt");
CREATE INDEX "Task_leaderId_idx" ON "Task"("leaderId");
CREATE INDEX "Task_createdAt_id_idx" ON "Task"("createdAt", "id");
CREATE INDEX "Task_deadlineDate_idx" ON "Task"("deadlineDate");
CREATE INDEX "Task_updatedAt_idx" ON "Task"("updatedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "TaskPendingAction_taskId_idx" ON "TaskPendingAction"("taskId");

-- CreateIndex
CREATE INDEX "TaskPendingAction_role_unitId_idx" ON "TaskPendingAction"("role", "unitId");

-- CreateIndex
CREATE INDEX "TaskPendingAction_userId_idx" ON "TaskPendingAction"("userId");

-- CreateIndex
CREATE INDEX "Notification_userId_readAt_createdAt_idx" ON "Notification"("userId", "readAt", "createdAt");

-- CreateIndex
CREATE INDEX "Notification_taskId_kind_idx" ON "Notification"("taskId", "kind");

-- Rows projected before the light was stored: stale at once, so the read side recomputes (and repairs) them.
UPDATE "Task" SET "lightChangesAt" = '1970-01-01T00:00:00.000+00:00';

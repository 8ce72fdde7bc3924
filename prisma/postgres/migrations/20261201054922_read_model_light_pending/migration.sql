-- DropIndex
DROP INDEX "Notification_userId_readAt_idx";

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "lightChangesAt" TIMESTAMP(3),
ADD COLUMN     "trafficLight" TEXT NOT NULL DEFAULT 'green';

-- CreateTable
CREATE TABLE "TaskPendingAction" (
    "id" TEXT NOT NULL,
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
    "dueAt" TIMESTAMP(3),

    CONSTRAINT "TaskPendingAction_pkey" PRIMARY KEY ("id")
);

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

-- CreateIndex
CREATE INDEX "Task_campaignId_trafficLight_idx" ON "Task"("campaignId", "trafficLight");

-- CreateIndex
CREATE INDEX "Task_leadUnitId_trafficLight_idx" ON "Task"("leadUnitId", "trafficLight");

-- CreateIndex
CREATE INDEX "Task_trafficLight_createdAt_idx" ON "Task"("trafficLight", "createdAt");

-- CreateIndex
CREATE INDEX "Task_leaderId_idx" ON "Task"("leaderId");

-- CreateIndex
CREATE INDEX "Task_createdAt_id_idx" ON "Task"("createdAt", "id");

-- CreateIndex
CREATE INDEX "Task_deadlineDate_idx" ON "Task"("deadlineDate");

-- CreateIndex
CREATE INDEX "Task_updatedAt_idx" ON "Task"("updatedAt");

-- AddForeignKey
ALTER TABLE "TaskPendingAction" ADD CONSTRAINT "TaskPendingAction_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- Rows projected before the light was stored: stale at once, so the read side recomputes (and repairs) them.
UPDATE "Task" SET "lightChangesAt" = '1970-01-01 00:00:00';

-- DropIndex
DROP INDEX "TaskPendingAction_role_unitId_idx";

-- DropIndex
DROP INDEX "TaskPendingAction_userId_idx";

-- CreateIndex
CREATE INDEX "TaskPendingAction_role_unitId_action_idx" ON "TaskPendingAction"("role", "unitId", "action");

-- CreateIndex
CREATE INDEX "TaskPendingAction_userId_action_idx" ON "TaskPendingAction"("userId", "action");

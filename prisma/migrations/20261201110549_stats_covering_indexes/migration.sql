-- CreateIndex
CREATE INDEX "Task_campaignId_leadUnitId_status_trafficLight_overdue_idx" ON "Task"("campaignId", "leadUnitId", "status", "trafficLight", "overdue");

-- CreateIndex
CREATE INDEX "Task_campaignId_parentTaskId_problemId_leadUnitId_leaderId_status_trafficLight_overdue_leaderText_idx" ON "Task"("campaignId", "parentTaskId", "problemId", "leadUnitId", "leaderId", "status", "trafficLight", "overdue", "leaderText");

-- CreateIndex
CREATE INDEX "Task_campaignId_overdue_deadlineDate_id_idx" ON "Task"("campaignId", "overdue", "deadlineDate", "id");

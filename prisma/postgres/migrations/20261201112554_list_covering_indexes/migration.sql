-- DropIndex
DROP INDEX "Task_leadUnitId_trafficLight_idx";

-- DropIndex
DROP INDEX "Task_leaderId_idx";

-- DropIndex
DROP INDEX "Task_trafficLight_createdAt_idx";

-- CreateIndex
CREATE INDEX "Task_leadUnitId_trafficLight_createdAt_id_idx" ON "Task"("leadUnitId", "trafficLight", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Task_leadUnitId_createdAt_id_idx" ON "Task"("leadUnitId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Task_trafficLight_createdAt_id_idx" ON "Task"("trafficLight", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Task_leaderId_createdAt_id_idx" ON "Task"("leaderId", "createdAt", "id");

-- CreateIndex
CREATE INDEX "Task_campaignId_createdAt_id_idx" ON "Task"("campaignId", "createdAt", "id");

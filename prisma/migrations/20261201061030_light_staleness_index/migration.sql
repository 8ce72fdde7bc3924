-- CreateIndex
CREATE INDEX "Task_campaignId_lightChangesAt_idx" ON "Task"("campaignId", "lightChangesAt");

-- CreateIndex
CREATE INDEX "Task_lightChangesAt_idx" ON "Task"("lightChangesAt");

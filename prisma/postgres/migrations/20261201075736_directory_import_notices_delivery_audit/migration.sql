-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN     "chainSeq" INTEGER,
ADD COLUMN     "hash" TEXT,
ADD COLUMN     "prevHash" TEXT,
ADD COLUMN     "taskPrevHash" TEXT;

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "attempts" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "claimedAt" TIMESTAMP(3),
ADD COLUMN     "claimedBy" TEXT,
ADD COLUMN     "lastError" TEXT,
ADD COLUMN     "nextAttemptAt" TIMESTAMP(3),
ADD COLUMN     "status" TEXT NOT NULL DEFAULT 'pending';

-- AlterTable
ALTER TABLE "SupervisionNotice" ADD COLUMN     "answerDueAt" TIMESTAMP(3),
ADD COLUMN     "docSeq" INTEGER,
ADD COLUMN     "docYear" INTEGER,
ADD COLUMN     "documentNo" TEXT,
ADD COLUMN     "feedback" TEXT,
ADD COLUMN     "feedbackAt" TIMESTAMP(3),
ADD COLUMN     "feedbackById" TEXT,
ADD COLUMN     "issuedById" TEXT,
ADD COLUMN     "issuingUnitId" TEXT,
ADD COLUMN     "signedAt" TIMESTAMP(3),
ADD COLUMN     "signedById" TEXT;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN     "flaggedAt" TIMESTAMP(3),
ADD COLUMN     "flaggedReason" TEXT,
ADD COLUMN     "importKey" TEXT,
ADD COLUMN     "leaderText" TEXT,
ADD COLUMN     "responsiblePersonText" TEXT;

-- AlterTable
ALTER TABLE "Unit" ADD COLUMN     "aliases" JSONB,
ADD COLUMN     "docPrefix" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN     "active" BOOLEAN NOT NULL DEFAULT true,
ADD COLUMN     "deactivatedAt" TIMESTAMP(3),
ADD COLUMN     "email" TEXT,
ADD COLUMN     "phone" TEXT;

-- CreateTable
CREATE TABLE "UnitGroup" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "aliases" JSONB,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UnitGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UnitGroupMember" (
    "groupId" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,

    CONSTRAINT "UnitGroupMember_pkey" PRIMARY KEY ("groupId","unitId")
);

-- CreateTable
CREATE TABLE "SupervisedUnit" (
    "disciplineUnitId" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,

    CONSTRAINT "SupervisedUnit_pkey" PRIMARY KEY ("disciplineUnitId","unitId")
);

-- CreateTable
CREATE TABLE "UserChannelPreference" (
    "userId" TEXT NOT NULL,
    "channels" JSONB NOT NULL,
    "digest" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "UserChannelPreference_pkey" PRIMARY KEY ("userId")
);

-- CreateTable
CREATE TABLE "TaskLightChange" (
    "id" TEXT NOT NULL,
    "idempotencyKey" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "fromLight" TEXT NOT NULL,
    "toLight" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TaskLightChange_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DocumentCounter" (
    "issuingUnitId" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "next" INTEGER NOT NULL DEFAULT 1,

    CONSTRAINT "DocumentCounter_pkey" PRIMARY KEY ("issuingUnitId","year")
);

-- CreateTable
CREATE TABLE "CalendarOverride" (
    "date" TEXT NOT NULL,
    "workday" BOOLEAN NOT NULL,
    "name" TEXT,
    "updatedById" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CalendarOverride_pkey" PRIMARY KEY ("date")
);

-- CreateTable
CREATE TABLE "AuditChainHead" (
    "key" TEXT NOT NULL,
    "seq" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "AuditChainHead_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "Import" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "campaignId" TEXT,
    "fileName" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "defaultLeadUnitId" TEXT,
    "summary" JSONB NOT NULL,
    "rows" JSONB NOT NULL,
    "total" INTEGER NOT NULL DEFAULT 0,
    "rowsWritten" INTEGER NOT NULL DEFAULT 0,
    "workflowsStarted" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "committedAt" TIMESTAMP(3),

    CONSTRAINT "Import_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Notice" (
    "id" TEXT NOT NULL,
    "campaignId" TEXT NOT NULL,
    "asOf" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Notice_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "UnitGroup_name_key" ON "UnitGroup"("name");

-- CreateIndex
CREATE INDEX "UnitGroupMember_unitId_idx" ON "UnitGroupMember"("unitId");

-- CreateIndex
CREATE INDEX "SupervisedUnit_unitId_idx" ON "SupervisedUnit"("unitId");

-- CreateIndex
CREATE UNIQUE INDEX "TaskLightChange_idempotencyKey_key" ON "TaskLightChange"("idempotencyKey");

-- CreateIndex
CREATE INDEX "TaskLightChange_taskId_at_idx" ON "TaskLightChange"("taskId", "at");

-- CreateIndex
CREATE INDEX "Import_campaignId_createdAt_idx" ON "Import"("campaignId", "createdAt");

-- CreateIndex
CREATE INDEX "Notice_campaignId_createdAt_idx" ON "Notice"("campaignId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_chainSeq_key" ON "AuditEvent"("chainSeq");

-- CreateIndex
CREATE INDEX "OutboxMessage_status_nextAttemptAt_idx" ON "OutboxMessage"("status", "nextAttemptAt");

-- CreateIndex
CREATE INDEX "SupervisionNotice_recipientUnitId_signedAt_idx" ON "SupervisionNotice"("recipientUnitId", "signedAt");

-- CreateIndex
CREATE UNIQUE INDEX "SupervisionNotice_issuingUnitId_docYear_docSeq_key" ON "SupervisionNotice"("issuingUnitId", "docYear", "docSeq");

-- CreateIndex
CREATE UNIQUE INDEX "Task_importKey_key" ON "Task"("importKey");

-- AddForeignKey
ALTER TABLE "UnitGroupMember" ADD CONSTRAINT "UnitGroupMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "UnitGroup"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TaskLightChange" ADD CONSTRAINT "TaskLightChange_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

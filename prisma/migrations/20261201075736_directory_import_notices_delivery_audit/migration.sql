-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "chainSeq" INTEGER;
ALTER TABLE "AuditEvent" ADD COLUMN "hash" TEXT;
ALTER TABLE "AuditEvent" ADD COLUMN "prevHash" TEXT;
ALTER TABLE "AuditEvent" ADD COLUMN "taskPrevHash" TEXT;

-- AlterTable
ALTER TABLE "SupervisionNotice" ADD COLUMN "answerDueAt" DATETIME;
ALTER TABLE "SupervisionNotice" ADD COLUMN "docSeq" INTEGER;
ALTER TABLE "SupervisionNotice" ADD COLUMN "docYear" INTEGER;
ALTER TABLE "SupervisionNotice" ADD COLUMN "documentNo" TEXT;
ALTER TABLE "SupervisionNotice" ADD COLUMN "feedback" TEXT;
ALTER TABLE "SupervisionNotice" ADD COLUMN "feedbackAt" DATETIME;
ALTER TABLE "SupervisionNotice" ADD COLUMN "feedbackById" TEXT;
ALTER TABLE "SupervisionNotice" ADD COLUMN "issuedById" TEXT;
ALTER TABLE "SupervisionNotice" ADD COLUMN "issuingUnitId" TEXT;
ALTER TABLE "SupervisionNotice" ADD COLUMN "signedAt" DATETIME;
ALTER TABLE "SupervisionNotice" ADD COLUMN "signedById" TEXT;

-- AlterTable
ALTER TABLE "Task" ADD COLUMN "flaggedAt" DATETIME;
ALTER TABLE "Task" ADD COLUMN "flaggedReason" TEXT;
ALTER TABLE "Task" ADD COLUMN "importKey" TEXT;
ALTER TABLE "Task" ADD COLUMN "leaderText" TEXT;
ALTER TABLE "Task" ADD COLUMN "responsiblePersonText" TEXT;

-- AlterTable
ALTER TABLE "Unit" ADD COLUMN "aliases" JSONB;
ALTER TABLE "Unit" ADD COLUMN "docPrefix" TEXT;

-- CreateTable
CREATE TABLE "UnitGroup" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "aliases" JSONB,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "UnitGroupMember" (
    "groupId" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,

    PRIMARY KEY ("groupId", "unitId"),
    CONSTRAINT "UnitGroupMember_groupId_fkey" FOREIGN KEY ("groupId") REFERENCES "UnitGroup" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "SupervisedUnit" (
    "disciplineUnitId" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,

    PRIMARY KEY ("disciplineUnitId", "unitId")
);

-- CreateTable
CREATE TABLE "UserChannelPreference" (
    "userId" TEXT NOT NULL PRIMARY KEY,
    "channels" JSONB NOT NULL,
    "digest" BOOLEAN NOT NULL DEFAULT false,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "TaskLightChange" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "idempotencyKey" TEXT NOT NULL,
    "taskId" TEXT NOT NULL,
    "fromLight" TEXT NOT NULL,
    "toLight" TEXT NOT NULL,
    "reason" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    CONSTRAINT "TaskLightChange_taskId_fkey" FOREIGN KEY ("taskId") REFERENCES "Task" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "DocumentCounter" (
    "issuingUnitId" TEXT NOT NULL,
    "year" INTEGER NOT NULL,
    "next" INTEGER NOT NULL DEFAULT 1,

    PRIMARY KEY ("issuingUnitId", "year")
);

-- CreateTable
CREATE TABLE "CalendarOverride" (
    "date" TEXT NOT NULL PRIMARY KEY,
    "workday" BOOLEAN NOT NULL,
    "name" TEXT,
    "updatedById" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "AuditChainHead" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "seq" INTEGER NOT NULL,
    "hash" TEXT NOT NULL,
    "updatedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "Import" (
    "id" TEXT NOT NULL PRIMARY KEY,
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
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "committedAt" DATETIME
);

-- CreateTable
CREATE TABLE "Notice" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "campaignId" TEXT NOT NULL,
    "asOf" TEXT NOT NULL,
    "title" TEXT NOT NULL,
    "snapshot" JSONB NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_OutboxMessage" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "idempotencyKey" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "payload" JSONB NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" DATETIME,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "nextAttemptAt" DATETIME,
    "lastError" TEXT,
    "claimedBy" TEXT,
    "claimedAt" DATETIME
);
INSERT INTO "new_OutboxMessage" ("channel", "createdAt", "id", "idempotencyKey", "payload", "sentAt") SELECT "channel", "createdAt", "id", "idempotencyKey", "payload", "sentAt" FROM "OutboxMessage";
DROP TABLE "OutboxMessage";
ALTER TABLE "new_OutboxMessage" RENAME TO "OutboxMessage";
CREATE UNIQUE INDEX "OutboxMessage_idempotencyKey_key" ON "OutboxMessage"("idempotencyKey");
CREATE INDEX "OutboxMessage_status_nextAttemptAt_idx" ON "OutboxMessage"("status", "nextAttemptAt");
CREATE TABLE "new_User" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "unitId" TEXT NOT NULL,
    "username" TEXT,
    "passwordHash" TEXT,
    "email" TEXT,
    "phone" TEXT,
    "active" BOOLEAN NOT NULL DEFAULT true,
    "deactivatedAt" DATETIME,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "User_unitId_fkey" FOREIGN KEY ("unitId") REFERENCES "Unit" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_User" ("createdAt", "id", "name", "passwordHash", "role", "unitId", "username") SELECT "createdAt", "id", "name", "passwordHash", "role", "unitId", "username" FROM "User";
DROP TABLE "User";
ALTER TABLE "new_User" RENAME TO "User";
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");
CREATE INDEX "User_unitId_role_idx" ON "User"("unitId", "role");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

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
CREATE INDEX "SupervisionNotice_recipientUnitId_signedAt_idx" ON "SupervisionNotice"("recipientUnitId", "signedAt");

-- CreateIndex
CREATE UNIQUE INDEX "SupervisionNotice_issuingUnitId_docYear_docSeq_key" ON "SupervisionNotice"("issuingUnitId", "docYear", "docSeq");

-- CreateIndex
CREATE UNIQUE INDEX "Task_importKey_key" ON "Task"("importKey");

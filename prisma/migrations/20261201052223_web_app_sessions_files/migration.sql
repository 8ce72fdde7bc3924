-- AlterTable
ALTER TABLE "Evidence" ADD COLUMN "fileId" TEXT;

-- AlterTable
ALTER TABLE "Report" ADD COLUMN "nextPlan" TEXT;
ALTER TABLE "Report" ADD COLUMN "problems" TEXT;

-- AlterTable
ALTER TABLE "User" ADD COLUMN "passwordHash" TEXT;
ALTER TABLE "User" ADD COLUMN "username" TEXT;

-- CreateTable
CREATE TABLE "Session" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "userId" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "lastSeenAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" DATETIME NOT NULL,
    "revokedAt" DATETIME,
    CONSTRAINT "Session_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "LoginThrottle" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "failures" INTEGER NOT NULL DEFAULT 0,
    "windowStart" DATETIME NOT NULL,
    "lockedUntil" DATETIME
);

-- CreateTable
CREATE TABLE "StoredFile" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "sha256" TEXT NOT NULL,
    "sizeBytes" INTEGER NOT NULL,
    "mimeType" TEXT NOT NULL,
    "fileName" TEXT NOT NULL,
    "uploadedById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "CommonOpinion" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "unitId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdById" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "Session_tokenHash_key" ON "Session"("tokenHash");

-- CreateIndex
CREATE INDEX "Session_userId_idx" ON "Session"("userId");

-- CreateIndex
CREATE INDEX "StoredFile_sha256_idx" ON "StoredFile"("sha256");

-- CreateIndex
CREATE UNIQUE INDEX "CommonOpinion_unitId_text_key" ON "CommonOpinion"("unitId", "text");

-- CreateIndex
CREATE INDEX "CloseoutApplication_taskId_idx" ON "CloseoutApplication"("taskId");

-- CreateIndex
CREATE INDEX "Evidence_fileId_idx" ON "Evidence"("fileId");

-- CreateIndex
CREATE INDEX "Evidence_reportId_idx" ON "Evidence"("reportId");

-- CreateIndex
CREATE INDEX "Evidence_applicationId_idx" ON "Evidence"("applicationId");

-- CreateIndex
CREATE INDEX "ExtensionRequest_taskId_idx" ON "ExtensionRequest"("taskId");

-- CreateIndex
CREATE INDEX "ReviewDecision_reportId_idx" ON "ReviewDecision"("reportId");

-- CreateIndex
CREATE INDEX "SignOffDecision_applicationId_idx" ON "SignOffDecision"("applicationId");

-- CreateIndex
CREATE INDEX "TaskParticipant_unitId_idx" ON "TaskParticipant"("unitId");

-- CreateIndex
CREATE UNIQUE INDEX "User_username_key" ON "User"("username");

-- The notifications page (GET /api/notifications) lists a person's notifications newest first, a page at a time,
-- read or not: without this index PostgreSQL read and sorted all of them for every page (an office with 50,000
-- notifications at 10⁵ tasks: 60 ms a page). The inbox's unread ones keep their own index.

-- CreateIndex
CREATE INDEX "Notification_userId_createdAt_id_idx" ON "Notification"("userId", "createdAt", "id");

FROM node:20-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
COPY scripts/postinstall.js scripts/prisma-generate.js ./scripts/
COPY prisma ./prisma
COPY prisma.config.ts ./
RUN npm ci --no-audit --no-fund
COPY . .
# The browser application (web/ → web/dist), served by the API itself: postinstall ran before web/ was copied.
RUN npm run build:web
ENV NODE_ENV=production
# Two glibc malloc arenas: the worker's native threads otherwise spread freed memory over one arena each (RSS drift).
ENV MALLOC_ARENA_MAX=2
CMD ["npm", "start"]

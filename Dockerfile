# event-monitor: the consumer and the close-out scheduler share this image.
FROM node:20.19-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20.19-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY config ./config
RUN ln -s /app/dist/cli/main.js /usr/local/bin/event-monitor && chmod +x /app/dist/cli/main.js \
  && mkdir /reports && chown node:node /reports
USER node
EXPOSE 9464
ENTRYPOINT ["event-monitor"]
CMD ["consume"]

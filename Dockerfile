# The Switchboard hub. Sources are TypeScript, compiled on load by tsx (a runtime dependency).
FROM node:20-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=7777
COPY package.json package-lock.json ./
COPY protocol/package.json protocol/
COPY server/package.json server/
COPY client/package.json client/
COPY dashboard/package.json dashboard/
# --ignore-scripts: the root `prepare` (the dashboard build) needs the sources, copied below.
RUN npm ci --omit=dev --workspace server --include-workspace-root=false --ignore-scripts --no-audit --no-fund
COPY protocol protocol
COPY server server
# The dashboard page the hub serves at /: built from the client SDK with esbuild (a dependency of tsx).
COPY client client
COPY dashboard dashboard
RUN node --import tsx dashboard/build.ts
USER node
EXPOSE 7777
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:7777/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
STOPSIGNAL SIGTERM
CMD ["node", "server/bin/switchboard.js", "serve"]

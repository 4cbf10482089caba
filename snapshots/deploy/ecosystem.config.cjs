// PM2 process file for deploy (generated once by yamac; yours to edit).
// Build first (`yamac build` or `npm run build`), then: pm2 startOrReload ecosystem.config.cjs --env production
module.exports = {
  apps: [
    {
      name: "deploy",
      script: "dist/node/server.mjs",
      instances: "max",
      exec_mode: "cluster",
      // The server drains in-flight requests for up to 10 s after SIGINT/SIGTERM.
      kill_timeout: 12000,
      max_memory_restart: "512M",
      time: true,
      env: { NODE_ENV: "development" },
      env_production: { NODE_ENV: "production", PORT: "3000" },
    },
  ],
};

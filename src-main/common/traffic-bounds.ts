// The bounds every traffic run through a VIP is held to, whoever starts it (FabricApi, the UI, the CLI).
export const trafficBounds = { rate: 2_000, concurrency: 256, durationSeconds: 600 } as const;

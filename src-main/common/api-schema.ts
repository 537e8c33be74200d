// Schemas for every payload that crosses a transport into the fabric, and the request types of FabricApi
// inferred from them (one definition, so the check and the type cannot drift apart). The command dispatcher
// (command-dispatcher.ts) validates with these before anything reaches FabricApi, so a malformed message is
// answered with BadRequest.
import { z } from 'zod';
import { maxTimeScale, minTimeScale } from './emulated-clock';
import { faultRequestSchema } from './fault-kinds';
import { logCommandArgs } from './log-api-schema';
import { checkPhase, type PhaseTimings } from './timings';
import { trafficBounds } from './traffic-bounds';

const name = z.string().min(1).max(100);

/** Argument schema per command; `z.undefined()` for commands that take none. */
export const fabricCommandArgs = {
  getSnapshot: z.undefined(),
  listSamples: z.undefined(),
  getSamplePackage: z.strictObject({ sample: name }),
  openPackage: z.strictObject({
    files: z
      .array(z.strictObject({ path: z.string().min(1).max(400), data: z.string().max(64 * 1024 * 1024).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64') }))
      .min(1)
      .max(2_000),
  }),
  deploy: z
    .strictObject({
    sample: name.optional(),
    packageId: name.optional(),
    serviceName: z
      .string()
      .regex(/^[a-zA-Z][a-zA-Z0-9-]{0,62}$/, 'a service name starts with a letter and holds letters, digits and hyphens (at most 63)')
      .optional(),
    slot: z.enum(['production', 'staging']).optional(),
    region: name.optional(),
    /** Act as the old local emulator did: C:\\Config says emulated="true" and RoleEnvironment.IsEmulated is true. Default false: the cloud. */
    emulated: z.boolean().optional(),
  })
    .refine((d) => (d.sample === undefined) !== (d.packageId === undefined), 'give either sample or packageId'),
  deleteDeployment: z.strictObject({ deploymentId: name }),
  setClock: z
    .strictObject({
      scale: z.number().min(minTimeScale).max(maxTimeScale).optional(),
      paused: z.boolean().optional(),
      seed: z
        .number()
        .int('the seed is a whole number from 0 to 4294967295')
        .min(0, 'the seed is a whole number from 0 to 4294967295')
        .max(2 ** 32 - 1, 'the seed is a whole number from 0 to 4294967295')
        .optional(),
    })
    .refine((c) => c.scale !== undefined || c.paused !== undefined || c.seed !== undefined, 'give scale, paused, seed or several'),
  getTimings: z.undefined(),
  getManagementConnection: z.undefined(),
  setTimings: z.strictObject({
    // Names and ranges are the fabric's rules (common/timings.ts), checked here so the message names the phase;
    // rules between phases need the session's current values, so the fabric checks those.
    phases: z.record(z.string().max(100), z.number()).superRefine((phases, ctx) => {
      for (const [phase, value] of Object.entries(phases)) {
        try {
          checkPhase(phase, value);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: [phase], message: (error as Error).message });
        }
      }
    })
      // Every key was checked to be a phase above.
      .transform((phases) => phases as Partial<PhaseTimings>),
  }),
  repairHost: z.strictObject({ hostId: name }),
  updateDeploymentStatus: z.strictObject({ deploymentId: name, status: z.enum(['Running', 'Suspended']) }),
  changeInstanceCount: z.strictObject({ deploymentId: name, roleName: name, count: z.number().int().min(1).max(100_000) }),
  rebootInstance: z.strictObject({ instanceId: name }),
  reimageInstance: z.strictObject({ instanceId: name }),
  rebuildInstance: z.strictObject({ instanceId: name }),
  updateConfiguration: z.strictObject({
    deploymentId: name,
    // A .cscfg is small; the package reader refuses anything larger than its XML limit anyway.
    configuration: z.string().min(1, 'the configuration is empty').max(8 * 1024 * 1024),
    fileName: z.string().min(1).max(260).optional(),
    /** Auto (default): one upgrade domain after the other, as Azure walks a configuration change; Simultaneous: all at once. */
    mode: z.enum(['Auto', 'Manual', 'Simultaneous']).optional(),
  }),
  upgradeDeployment: z
    .strictObject({
      deploymentId: name,
      sample: name.optional(),
      packageId: name.optional(),
      mode: z.enum(['Auto', 'Manual', 'Simultaneous']),
    })
    .refine((d) => (d.sample === undefined) !== (d.packageId === undefined), 'give either sample or packageId'),
  swapDeployment: z.strictObject({ serviceName: name }),
  rollbackUpgrade: z.strictObject({ deploymentId: name, mode: z.enum(['Auto', 'Manual']).optional() }),
  platformUpdate: z.strictObject({ deploymentId: name }),
  setPlatformUpdateSchedule: z.strictObject({
    everyHours: z.number().min(0.1, 'platform updates come at most every 0.1 emulated hours').max(8760, 'platform updates come at least once a year (8760 hours)').nullable(),
  }),
  walkUpgradeDomain: z.strictObject({ deploymentId: name, upgradeDomain: z.number().int('an upgrade domain is a whole number').min(0).max(19, 'upgrade domains are 0-19') }),
  sendInstanceRequest: z.strictObject({
    instanceId: name,
    endpointName: name.optional(),
    // A path on the instance, not a URL: the request always goes to the instance's own listener.
    path: z
      .string()
      .max(2_048, 'a path is at most 2048 characters')
      .regex(/^\/[^\s#]*$/, 'a path starts with "/" and holds no spaces or "#" (e.g. /index.html?x=1), not a URL')
      .optional(),
    method: z.enum(['GET', 'HEAD']).optional(),
  }),
  getTraffic: z.undefined(),
  startTraffic: z.strictObject({
    deploymentId: name,
    endpointName: name.optional(),
    path: z
      .string()
      .max(2_048, 'a path is at most 2048 characters')
      .regex(/^\/[^\s#]*$/, 'a path starts with "/" and holds no spaces or "#" (e.g. /index.html?x=1), not a URL')
      .optional(),
    rate: z.number().int('the rate is a whole number of requests a second').min(1, 'the rate is 1-2000 requests a second').max(trafficBounds.rate, `the rate is 1-${trafficBounds.rate} requests a second`),
    concurrency: z.number().int('concurrency is a whole number').min(1, 'concurrency is 1-256').max(trafficBounds.concurrency, `concurrency is 1-${trafficBounds.concurrency}`),
    durationSeconds: z.number().min(1, 'the duration is 1-600 seconds').max(trafficBounds.durationSeconds, `the duration is 1-${trafficBounds.durationSeconds} seconds`),
    keepAlive: z.boolean().optional(),
  }),
  stopTraffic: z.strictObject({ runId: name }),
  // Each fault kind's arguments live with the kind (fault-kinds.ts).
  injectFault: faultRequestSchema,
  ...logCommandArgs,
};

/** The names of the commands that have a schema; the dispatcher checks at compile time that they are FabricApi's. */
export type SchemaCommandName = keyof typeof fabricCommandArgs;

/** What a command takes once its schema has checked it: the parameter type of the FabricApi method. */
export type CommandRequest<K extends SchemaCommandName> = z.infer<(typeof fabricCommandArgs)[K]>;

/** Deploy a sample or a package opened with openPackage: exactly one of the two. */
export type DeployRequest = CommandRequest<'deploy'>;
/** A real HTTP request to one instance's own endpoint listener (not through the load balancer). */
export type InstanceRequest = CommandRequest<'sendInstanceRequest'>;
/** Faults a user can inject, each exercising one of the fabric's recovery paths. */
export type FaultRequest = CommandRequest<'injectFault'>;
/**
 * A bounded traffic run through a deployment's VIP: `rate` requests started a second for `durationSeconds`, at most
 * `concurrency` in flight (a request due while that many are in flight is held back and counted), to `path` on
 * `endpointName` (the deployment's first http endpoint when absent); `keepAlive` reuses connections, which then stay
 * with their instance (only new connections follow rotation).
 */
export type TrafficRequest = CommandRequest<'startTraffic'>;

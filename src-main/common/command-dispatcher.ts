// The one path from a transport to the fabric, used by both shells (Electron IPC and the WebSocket bridge),
// as Podman Desktop's single ipcHandle: check the command's name, validate its argument with its schema, let
// the shell apply its own rule to what it may ask (the export target), call FabricApi, and answer {result} or
// {error}. It never throws, so nothing a client sends can escape into a transport's event loop.
import { z } from 'zod';
import { fabricCommandArgs, type CommandRequest, type SchemaCommandName } from './api-schema';
import { fabricCommandNames, toErrorInfo, type FabricApi, type FabricCommandName, type FabricErrorInfo } from './fabric-api';
import { FabricErrors } from './fabric-errors';

/** What a command call answers across a transport; errors travel as data so their code survives. */
export type CommandAnswer = { result: unknown } | { error: FabricErrorInfo };

/**
 * A shell's own rule for a command's checked argument, run before the fabric sees it: it may refuse (throw a
 * FabricError) or answer the argument the fabric gets (Electron fills an export's path from its save dialog).
 */
export type CommandGuards = { [K in FabricCommandName]?: (request: CommandRequest<K>) => Promise<CommandRequest<K>> | CommandRequest<K> };

export function isCommandName(value: unknown): value is FabricCommandName {
  return typeof value === 'string' && (fabricCommandNames as readonly string[]).includes(value);
}

/** Check a command's argument; throws FabricError('BadRequest') naming the command and the field. */
export function parseCommandArgs<K extends FabricCommandName>(method: K, args: unknown): CommandRequest<K> {
  if (!isCommandName(method)) throw FabricErrors.unknownCommand(method);
  const result = fabricCommandArgs[method].safeParse(args);
  if (!result.success) throw FabricErrors.badArgument(method, issueList(result.error, 'argument'));
  return result.data as CommandRequest<K>;
}

/** Run one command from a client: never throws; bad names and arguments answer BadRequest and reach nothing. */
export async function dispatchCommand(api: FabricApi, method: unknown, args: unknown, guards: CommandGuards = {}): Promise<CommandAnswer> {
  try {
    if (!isCommandName(method)) throw FabricErrors.unknownCommand(method);
    let request: unknown = parseCommandArgs(method, args);
    const guard = guards[method] as ((request: unknown) => unknown) | undefined;
    if (guard) request = await guard(request);
    // `method` is a FabricApi command (checked above); call it on the api so `this` holds.
    const command = api[method] as (request: unknown) => Promise<unknown>;
    return { result: await command.call(api, request) };
  } catch (error) {
    return { error: toErrorInfo(error) };
  }
}

/** A command call as it travels over the WebSocket bridge. */
export const commandMessage = z.strictObject({
  id: z.number().int().nonnegative(),
  method: z.enum(fabricCommandNames),
  args: z.unknown().optional(),
});
export type CommandMessage = z.infer<typeof commandMessage>;

/** The issues of a failed parse as one line: `field: message; ...`. */
export function issueList(error: z.ZodError, whole: string): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : whole}: ${issue.message}`).join('; ');
}

// Compile-time checks that every FabricApi command has a schema and every schema a command, and that each
// method takes exactly what its schema answers.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type CommandWithoutSchema = Exclude<FabricCommandName, SchemaCommandName>;
type SchemaWithoutCommand = Exclude<SchemaCommandName, FabricCommandName>;
type MismatchedRequest = {
  [K in FabricCommandName]: Same<Parameters<FabricApi[K]>, CommandRequest<K> extends undefined ? [] : [CommandRequest<K>]> extends true ? never : K;
}[FabricCommandName];
export const everyCommandHasItsSchema: [CommandWithoutSchema, SchemaWithoutCommand, MismatchedRequest] extends [never, never, never] ? true : never = true;

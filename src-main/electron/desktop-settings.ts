// What the desktop app takes beyond `serve`'s defaults: accepting host nodes through NATS. The same flags as
// `serve` (--nats URL, --nats-user, --nats-nkey-file, --nats-ca, --join-token-file) on the app's command line
// (`npm start -- --nats nats://...`), or the same names in <userData>/settings.json
// (`{ "nats": "nats://...", "natsUser": "fabric" }`); the command line wins. The password stays out of both:
// FABRIC_LAB_NATS_PASSWORD, as for `serve`.
import { Command } from 'commander';
import { z } from 'zod';
import { defineNatsOptions, type NatsFlags } from '../serve/nats-args';

const settingsSchema = z.strictObject({
  nats: z.string().optional(),
  natsUser: z.string().optional(),
  natsNkeyFile: z.string().optional(),
  natsCa: z.string().optional(),
  joinTokenFile: z.string().optional(),
});

/** The NATS flags from settings.json (`settingsText`, null when there is none) overlaid with the command line's. */
export function desktopNatsFlags(argv: readonly string[], settingsText: string | null, settingsFile: string): NatsFlags {
  const fromFile = settingsText === null ? {} : parseSettings(settingsText, settingsFile);
  // The file's settings are checked as flags too, so a bad value is refused in the same words, named with the file.
  const asArgs = Object.entries(fromFile).flatMap(([key, value]) => [`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value as string]);
  return { ...natsFlags(asArgs, settingsFile), ...natsFlags(argv, 'The command line') };
}

/** The NATS flags `args` give (others ignored: Electron and Chromium take switches of their own, and the app's path comes first). */
function natsFlags(args: readonly string[], where: string): NatsFlags {
  const command = defineNatsOptions(new Command(), (parse) => (text) => parse(text), 'fabric')
    .allowUnknownOption()
    .allowExcessArguments()
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  try {
    command.parse([...args], { from: 'user' });
  } catch (error) {
    throw new Error(`${where}: ${(error as Error).message.replace(/^error: /, '')}`);
  }
  return Object.fromEntries(Object.entries(command.opts<NatsFlags>()).filter(([, v]) => v !== undefined));
}

function parseSettings(text: string, file: string): NatsFlags {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const at = position === undefined ? '' : lineAndColumn(text, Number(position));
    throw new Error(`${file}${at}: [settings.json] not JSON: ${(error as Error).message}`);
  }
  const parsed = settingsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.');
    throw new Error(`${file}: [settings.keys] ${key ? `"${key}": ` : ''}${issue.message}; the settings are nats, natsUser, natsNkeyFile, natsCa and joinTokenFile`);
  }
  return parsed.data;
}

function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `:${before.length}:${before.at(-1)!.length + 1}`;
}

// Every line format against the fact sheet's real examples ("Logs on an instance"), and back through its parser.
import { describe, expect, it } from 'vitest';
import {
  appAgentLine,
  bootstrapperLine,
  consoleLines,
  consoleMessage,
  fabricLine,
  hostProcessLine,
  parseAppAgentLine,
  parseBootstrapperLine,
  parseFabricLine,
  parseHostProcessLine,
  parseLogLine,
} from '../../src-main/logs/log-formats';
import { iisLogHeader, iisRequestLine, parseIisLine, parseIisRequest, type IisRequest } from '../../src-main/logs/iis-log-format';
import {
  eventLine,
  guestAgentInitialised,
  iisConfiguratorEvent,
  parseEventLine,
  parseEventRecord,
  roleCrashed,
  startupTaskFinished,
  startupTaskStarted,
} from '../../src-main/logs/windows-azure-events';

describe('WaAppAgent.log / AppAgentRuntime.log lines', () => {
  const started = Date.UTC(2019, 10, 14, 5, 52, 13, 440);
  const heartbeat = Date.UTC(2019, 10, 14, 6, 2, 33, 430);

  it('prints the fact sheet examples exactly (two spaces after [INFO], one after [HEART])', () => {
    expect(appAgentLine(started, 6, 'INFO', 'WindowsAzureGuestAgent starting. Version 2.7.41491.949')).toBe(
      '[00000006] [11/14/2019 05:52:13.44] [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.949',
    );
    expect(appAgentLine(heartbeat, 20, 'HEART', 'WindowsAzureGuestAgent Heartbeat.')).toBe(
      '[00000020] [11/14/2019 06:02:33.43] [HEART] WindowsAzureGuestAgent Heartbeat.',
    );
  });

  it('lines messages up in one column whatever the level, and truncates to hundredths', () => {
    const lines = (['INFO', 'WARN', 'ERROR', 'HEART', 'VERB'] as const).map((level) => appAgentLine(started + 9, 6, level, 'M'));
    expect(new Set(lines.map((l) => l.indexOf('M')))).toEqual(new Set([44]));
    expect(lines[2]).toBe('[00000006] [11/14/2019 05:52:13.44] [ERROR] M');
  });

  it('parses back to the same time, level and message', () => {
    const line = appAgentLine(heartbeat, 20, 'HEART', 'WindowsAzureGuestAgent Heartbeat.');
    expect(parseAppAgentLine(line)).toEqual({ at: heartbeat, level: 'heartbeat', label: 'HEART', message: 'WindowsAzureGuestAgent Heartbeat.' });
    const parsed = parseAppAgentLine('[00000006] [11/14/2019 05:52:13.44] [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.949')!;
    expect(appAgentLine(parsed.at, 6, 'INFO', parsed.message)).toBe('[00000006] [11/14/2019 05:52:13.44] [INFO]  WindowsAzureGuestAgent starting. Version 2.7.41491.949');
  });

  it('keeps the leading spaces of a message through the round trip', () => {
    for (const level of ['INFO', 'HEART', 'ERROR'] as const) {
      expect(parseAppAgentLine(appAgentLine(started, 6, level, '   indented'))?.message).toBe('   indented');
      expect(parseBootstrapperLine(bootstrapperLine(started, 1, 2, level === 'HEART' ? 'WARN' : level, '  x'))?.message).toBe('  x');
      expect(parseFabricLine(fabricLine(started, level === 'HEART' ? 'VERB' : level, ' y'))?.message).toBe(' y');
    }
  });

  it('refuses lines that are not its shape, or name a day that does not exist', () => {
    expect(parseAppAgentLine('WindowsAzureGuestAgent Heartbeat.')).toBeNull();
    expect(parseAppAgentLine('[00000020] [02/30/2019 06:02:33.43] [HEART] x')).toBeNull();
  });

  it('keeps a multi-line message on one line of the file', () => {
    expect(appAgentLine(started, 6, 'ERROR', 'failed\n   at X\r\n   at Y')).toMatch(/\[ERROR\] failed \|    at X \|    at Y$/);
  });
});

describe('WaHostBootstrapper.log lines', () => {
  const at = Date.UTC(2018, 7, 13, 3, 8, 22, 405);
  const example = '[00003604:00002604, 2018/08/13, 03:08:22.405, WARN ] Executing Startup Task type=0 rolemodule=(null) cmd="E:\\approot\\.\\startup.cmd"';

  it('prints the fact sheet example exactly', () => {
    expect(bootstrapperLine(at, 3604, 2604, 'WARN', 'Executing Startup Task type=0 rolemodule=(null) cmd="E:\\approot\\.\\startup.cmd"')).toBe(example);
    expect(bootstrapperLine(at, 3604, 2604, 'ERROR', 'x')).toBe('[00003604:00002604, 2018/08/13, 03:08:22.405, ERROR] x');
  });

  it('parses back, and the parsed fields print the same line', () => {
    const parsed = parseBootstrapperLine(example)!;
    expect(parsed).toEqual({ at, level: 'warning', label: 'WARN', message: 'Executing Startup Task type=0 rolemodule=(null) cmd="E:\\approot\\.\\startup.cmd"' });
    expect(bootstrapperLine(parsed.at, 3604, 2604, 'WARN', parsed.message)).toBe(example);
    expect(parseBootstrapperLine(`garbage ${example}`)).toBeNull();
  });
});

describe('host process logs and role console output', () => {
  const at = Date.UTC(2014, 10, 4, 20, 26, 50, 437);

  it('writes the TraceSource prefix before the runtime header', () => {
    const line = hostProcessLine(at, 'WaIISHost', 3384, 1, 'INFO', 'Role entrypoint . CALLING   OnStart():');
    expect(line).toBe('WaIISHost Information: 0 : [00003384:00000001, 2014/11/04, 20:26:50.437, INFO ] Role entrypoint . CALLING   OnStart():');
    expect(parseHostProcessLine(line)).toEqual({ at, level: 'info', label: 'INFO', message: 'Role entrypoint . CALLING   OnStart():' });
  });

  it('prefixes console output with the process name, one line per line, stderr as ERROR', () => {
    expect(consoleMessage('WaWorkerHost', 'Working')).toBe('[WaWorkerHost.exe] Working');
    const lines = consoleLines(at, 'WaWorkerHost', 1200, 7, 'stderr', 'Unhandled exception\n   at Run()\n');
    expect(lines).toEqual([
      'WaWorkerHost Error: 0 : [00001200:00000007, 2014/11/04, 20:26:50.437, ERROR] [WaWorkerHost.exe] Unhandled exception',
      'WaWorkerHost Error: 0 : [00001200:00000007, 2014/11/04, 20:26:50.437, ERROR] [WaWorkerHost.exe]    at Run()',
    ]);
    expect(lines.map((l) => parseHostProcessLine(l)?.message)).toEqual(['[WaWorkerHost.exe] Unhandled exception', '[WaWorkerHost.exe]    at Run()']);
  });
});

describe('IIS W3C extended logs', () => {
  const at = Date.UTC(2019, 10, 14, 6, 2, 33);
  const request: IisRequest = {
    at,
    serverIp: '10.0.0.4',
    method: 'GET',
    uriStem: '/default.aspx',
    uriQuery: 'id=3',
    port: 80,
    clientIp: '168.63.129.16',
    userAgent: 'Mozilla/5.0 (Windows NT 10.0)',
    status: 200,
    subStatus: 0,
    win32Status: 0,
    timeTaken: 15,
  };

  it("names the IIS of the guest's OS family, 10.0 unless told", () => {
    expect(iisLogHeader(at)[0]).toBe('#Software: Microsoft Internet Information Services 10.0');
    expect(iisLogHeader(at, '7.5')[0]).toBe('#Software: Microsoft Internet Information Services 7.5');
  });

  it('starts a file with the #Software, #Version, #Date and #Fields header', () => {
    expect(iisLogHeader(at, '8.5')).toEqual([
      '#Software: Microsoft Internet Information Services 8.5',
      '#Version: 1.0',
      '#Date: 2019-11-14 06:02:33',
      '#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken',
    ]);
  });

  it('writes one line per request, spaces as + and empty fields as -', () => {
    const line = iisRequestLine(request);
    expect(line).toBe('2019-11-14 06:02:33 10.0.0.4 GET /default.aspx id=3 80 - 168.63.129.16 Mozilla/5.0+(Windows+NT+10.0) 200 0 0 15');
    expect(parseIisRequest(line)).toEqual({ ...request, username: undefined, userAgent: 'Mozilla/5.0+(Windows+NT+10.0)' });
    expect(iisRequestLine(parseIisRequest(line)!)).toBe(line);
  });

  it('parses a request for the viewer, with the status class as level, and skips header lines', () => {
    const failed = iisRequestLine({ ...request, uriQuery: undefined, status: 503, subStatus: 2 });
    expect(parseIisLine(failed)).toEqual({ at, level: 'error', label: '503', message: 'GET /default.aspx 503.2 15ms from 168.63.129.16' });
    for (const header of iisLogHeader(at)) expect(parseIisLine(header)).toBeNull();
  });
});

describe('Windows Azure event channel records', () => {
  const at = Date.UTC(2019, 10, 14, 5, 52, 14, 0);
  const instance = 'WorkerRole1_IN_0';

  it('uses the event ids of the fact sheet', () => {
    const ids = [
      guestAgentInitialised({ at, instance, version: '2.7.41491.949' }),
      startupTaskStarted({ at, instance, taskType: 'simple', commandLine: 'startup.cmd' }),
      startupTaskFinished({ at, instance, taskType: 'simple', commandLine: 'startup.cmd', exitCode: 0 }),
      iisConfiguratorEvent({ at, instance, phase: 'started', message: 'Configuring IIS' }),
      iisConfiguratorEvent({ at, instance, phase: 'finished', message: 'IIS configured' }),
    ].map((e) => e.eventId);
    expect(ids).toEqual([20001, 10001, 10002, 10003, 10004]);
    expect(startupTaskFinished({ at, instance, taskType: 'simple', commandLine: 'x', exitCode: 1 }).level).toBe('Error');
  });

  it('writes a crash with its stack as one JSON line that reads back to the same record', () => {
    const crash = roleCrashed({ at, instance, process: 'WaWorkerHost', exception: 'System.Exception: boom\n   at WorkerRole.Run()' });
    const line = eventLine(crash);
    expect(line.includes('\n')).toBe(false);
    expect(Object.keys(JSON.parse(line))).toEqual(['at', 'eventId', 'level', 'source', 'message', 'instance']);
    expect(parseEventRecord(line)).toEqual(crash);
    expect(parseEventLine(line)).toMatchObject({ at, level: 'error', label: 'Error' });
    expect(parseEventRecord('{"at":1}')).toBeNull();
    expect(parseEventRecord('not json')).toBeNull();
  });
});

describe('fabric component lines and the parser dispatch', () => {
  it('writes ISO time and a padded level, and parses back', () => {
    const at = Date.UTC(2019, 10, 14, 5, 52, 13, 440);
    const line = fabricLine(at, 'INFO', 'req 3f2a: placing deployment3(3)');
    expect(line).toBe('2019-11-14T05:52:13.440Z INFO  req 3f2a: placing deployment3(3)');
    expect(parseFabricLine(line)).toEqual({ at, level: 'info', label: 'INFO', message: 'req 3f2a: placing deployment3(3)' });
  });

  it('picks the parser by format and answers null for lines of another format', () => {
    const at = Date.UTC(2019, 0, 1);
    expect(parseLogLine('app-agent', appAgentLine(at, 1, 'WARN', 'w'))?.level).toBe('warning');
    expect(parseLogLine('bootstrapper', appAgentLine(at, 1, 'WARN', 'w'))).toBeNull();
    expect(parseLogLine('host-process', bootstrapperLine(at, 1, 2, 'VERB', 'v'))?.level).toBe('verbose');
    expect(parseLogLine('fabric', fabricLine(at, 'ERROR', 'e'))?.level).toBe('error');
    expect(parseLogLine('iis', '#Version: 1.0')).toBeNull();
    expect(parseLogLine('events', '')).toBeNull();
  });

  it('refuses a time that is not a number', () => {
    expect(() => appAgentLine(Number.NaN, 1, 'INFO', 'x')).toThrow(/finite/);
  });
});

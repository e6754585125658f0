// The dockerast extension: starts `<dockerast.python> -m lsp_server` over stdio
// and connects it to VS Code with vscode-languageclient. Everything else
// (diagnostics, fixes, refactors, formatting, navigation) is the server's.

import { spawn, type ChildProcess } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  type ErrorHandler,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';

const SECTION = 'dockerast';
const LANGUAGE = 'dockerfile';
const FIX_ALL_KIND = 'source.fixAll.dockerast';
// Read only when the server starts: a change restarts it. The server reads
// diagnostics.mode in `initialize` only; every other setting reaches it live.
const RESTART_SETTINGS = ['dockerast.python', 'dockerast.serverArgs', 'dockerast.diagnostics.mode'];
const STDERR_LIMIT = 16 * 1024;
// The server answers `initialize` in well under a second; past this it is stuck.
const START_TIMEOUT_MS = 30_000;

let output: vscode.LogOutputChannel;
let status: vscode.LanguageStatusItem | undefined;
let client: DockerastClient | undefined;
// The start in progress, if any, so that deactivation can end it.
let starting: ProcessRecord | undefined;
let closing = false;
// Start, stop and restart run one after another, never interleaved.
let queue: Promise<unknown> = Promise.resolve();

function serially<T>(task: () => Promise<T>): Promise<T> {
  const next = queue.then(task, task);
  queue = next.catch(() => undefined);
  return next;
}

export function activate(context: vscode.ExtensionContext): void {
  output = vscode.window.createOutputChannel('dockerast', { log: true });
  status = vscode.languages.createLanguageStatusItem('dockerast.server', { language: LANGUAGE });
  status.name = 'dockerast';
  status.command = { title: 'Show Output', command: 'dockerast.showOutput' };
  context.subscriptions.push(
    output,
    status,
    vscode.commands.registerCommand('dockerast.restartServer', () => serially(() => restart(context))),
    vscode.commands.registerCommand('dockerast.showOutput', () => output.show(true)),
    vscode.commands.registerCommand('dockerast.fixAll', () =>
      vscode.commands.executeCommand('editor.action.sourceAction', { kind: FIX_ALL_KIND, apply: 'first' }),
    ),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (RESTART_SETTINGS.some((name) => event.affectsConfiguration(name))) {
        output.info('settings changed that need a new server process: restarting');
        void serially(() => restart(context));
      }
    }),
  );
  void serially(() => start(context));
}

export function deactivate(): Thenable<void> | undefined {
  closing = true;
  starting?.child?.kill();
  return serially(stop);
}

// -- the server process ----------------------------------------------------------------------

interface Launch {
  command: string;
  args: string[];
}

function launch(config: vscode.WorkspaceConfiguration): Launch {
  const extra = config.get<unknown>('serverArgs', []);
  const args = Array.isArray(extra) ? extra.filter((a): a is string => typeof a === 'string') : [];
  return { command: resolvePython(config.get<string>('python', 'python3')), args: ['-m', 'lsp_server', ...args] };
}

/** `~`, `${workspaceFolder}` and paths relative to the first workspace folder; a bare name is looked up on PATH. */
export function resolvePython(value: string | undefined): string {
  let python = (value ?? '').trim() || 'python3';
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  if (folder !== undefined) {
    python = python.replace(/\$\{workspaceFolder\}/g, folder);
  }
  if (python === '~' || python.startsWith('~/') || python.startsWith('~\\')) {
    python = path.join(os.homedir(), python.slice(1));
  }
  const hasSeparator = python.includes('/') || python.includes('\\');
  if (hasSeparator && !path.isAbsolute(python) && folder !== undefined) {
    python = path.resolve(folder, python);
  }
  return python;
}

/** The server process (the latest, if the client restarted it), what it wrote to stderr, and how it ended. */
class ProcessRecord {
  child: ChildProcess | undefined;
  stderr = '';
  exit: string | undefined;
  timedOut = false;
  private closed: Promise<void> = Promise.resolve();

  attach(child: ChildProcess): void {
    this.child = child;
    this.exit = undefined;
    this.closed = new Promise((resolve) => child.on('close', () => resolve()));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_LIMIT);
    });
    child.on('exit', (code, signal) => {
      this.exit = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    });
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves when the process has ended and its stderr is read, or after `ms`. */
  settled(ms: number): Promise<void> {
    return Promise.race([this.closed, new Promise<void>((resolve) => setTimeout(resolve, ms))]);
  }

  /** Ends a process that did not exit by itself. */
  async end(ms: number): Promise<void> {
    await this.settled(ms);
    if (this.alive) {
      this.child?.kill();
      await this.settled(1000);
    }
  }
}

class LaunchError extends Error {}

function serverOptions(spec: Launch, record: ProcessRecord, cwd: string): ServerOptions {
  return () =>
    new Promise<ChildProcess>((resolve, reject) => {
      output.info(`starting: ${[spec.command, ...spec.args].join(' ')}`);
      // The cwd is the extension's own folder, never the workspace: `python -m`
      // puts the cwd first on sys.path, and a workspace's own `lsp_server`
      // folder must not be what runs.
      const child = spawn(spec.command, spec.args, { cwd, stdio: 'pipe', windowsHide: true });
      record.attach(child);
      let spawned = false;
      child.on('error', (error) => {
        if (spawned) {
          output.error(`server process: ${error.message}`);
        } else {
          reject(new LaunchError(`cannot run ${spec.command}: ${error.message}`));
        }
      });
      child.once('spawn', () => {
        spawned = true;
        resolve(child);
      });
    });
}

// -- the client --------------------------------------------------------------------------------

type Phase = 'starting' | 'running' | 'failed' | 'stopped';

/**
 * A LanguageClient whose failed start is reported once, by us, with the server's stderr.
 *
 * Until the server runs, the client's own notices go to the output channel
 * only. vscode-languageclient 9 also resolves `start()` when the server exits
 * during `initialize` (leaving the rejection of its start promise unobserved)
 * and rejects `stop()` on a client that never ran: `start()` here rejects
 * unless the server is running, and `stop()` is quiet before that.
 */
class DockerastClient extends LanguageClient {
  phase: Phase = 'starting';
  record: ProcessRecord | undefined;

  override error(message: string, data?: unknown, showNotification: boolean | 'force' = true): void {
    super.error(message, data, this.phase === 'running' ? showNotification : false);
  }

  override async start(): Promise<void> {
    let failure: unknown;
    const started = super.start();
    // Set synchronously by super.start(); observed so that its rejection is not unhandled.
    const inner = (this as unknown as { _onStart?: Promise<void> })._onStart;
    inner?.catch((error: unknown) => (failure = error));
    try {
      await started;
    } catch (error) {
      failure ??= error;
    }
    if (this.state !== State.Running) {
      throw failure ?? new Error('the server closed the connection');
    }
  }

  override async stop(timeout?: number): Promise<void> {
    try {
      await super.stop(timeout);
    } catch (error) {
      if (this.phase === 'running') {
        throw error;
      }
    }
  }
}

function clientOptions(errorHandler: ErrorHandler): LanguageClientOptions {
  return {
    documentSelector: [
      { scheme: 'file', language: LANGUAGE },
      { scheme: 'untitled', language: LANGUAGE },
    ],
    // The same object the server gets from workspace/configuration and
    // workspace/didChangeConfiguration; it ignores the keys it does not know
    // (python, serverArgs, trace).
    initializationOptions: () => settings(),
    synchronize: { configurationSection: SECTION },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler,
    // A failed `initialize` is reported by start() below, once.
    initializationFailedHandler: () => false,
  };
}

/** The `dockerast` section as plain JSON: nested objects for dotted names. */
export function settings(): Record<string, unknown> {
  const section = vscode.workspace.getConfiguration().get<Record<string, unknown>>(SECTION) ?? {};
  return JSON.parse(JSON.stringify(section)) as Record<string, unknown>;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  if (closing) {
    return;
  }
  const spec = launch(vscode.workspace.getConfiguration(SECTION));
  let candidate: DockerastClient | undefined;
  let defaultHandler: ErrorHandler | undefined;
  const running = () => candidate?.phase === 'running';
  const fallback = () => (defaultHandler ??= candidate!.createDefaultErrorHandler());
  // Until the server has answered `initialize`, a closed connection is a
  // failed start (reported below), not a crash to restart from.
  const errorHandler: ErrorHandler = {
    error: (error, message, count) =>
      running() ? fallback().error(error, message, count) : { action: ErrorAction.Continue, handled: true },
    closed: () => (running() ? fallback().closed() : { action: CloseAction.DoNotRestart, handled: true }),
  };

  const record = new ProcessRecord();
  candidate = new DockerastClient(
    'dockerast',
    'dockerast',
    serverOptions(spec, record, context.extensionUri.fsPath),
    clientOptions(errorHandler),
  );
  const self = candidate;
  self.onDidChangeState((event) => {
    if (self.phase === 'starting' || self.phase === 'running') {
      showState(event.newState);
    }
  });
  setStatus('starting', vscode.LanguageStatusSeverity.Information, true);
  starting = record;
  const timer = setTimeout(() => {
    record.timedOut = true;
    record.child?.kill();
  }, START_TIMEOUT_MS);
  try {
    await self.start();
    self.phase = 'running';
    self.record = record;
    client = self;
    output.info('server started');
  } catch (error) {
    self.phase = 'failed';
    self.diagnostics?.dispose(); // created by start(); a client that never ran has nothing else to release
    await record.settled(2000);
    await record.end(0);
    if (!closing) {
      reportStartFailure(spec, record, error);
    }
  } finally {
    clearTimeout(timer);
    starting = undefined;
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running === undefined) {
    return;
  }
  running.phase = 'stopped';
  setStatus('stopped', vscode.LanguageStatusSeverity.Warning, false);
  try {
    await running.dispose(2000);
  } catch (error) {
    output.warn(`stopping the server: ${errorText(error)}`);
  }
  // The server exits on `exit`; one that does not is ended here.
  await running.record?.end(2000);
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

// -- reporting ---------------------------------------------------------------------------------

function showState(state: State): void {
  switch (state) {
    case State.Running:
      setStatus('running', vscode.LanguageStatusSeverity.Information, false);
      break;
    case State.Starting:
      setStatus('starting', vscode.LanguageStatusSeverity.Information, true);
      break;
    case State.Stopped:
      setStatus('stopped', vscode.LanguageStatusSeverity.Warning, false);
      break;
  }
}

function setStatus(text: string, severity: vscode.LanguageStatusSeverity, busy: boolean): void {
  if (status !== undefined) {
    status.text = `dockerast: ${text}`;
    status.severity = severity;
    status.busy = busy;
  }
}

function reportStartFailure(spec: Launch, record: ProcessRecord, error: unknown): void {
  const commandLine = [spec.command, ...spec.args].join(' ');
  const stderr = record.stderr.trim();
  let message: string;
  if (error instanceof LaunchError) {
    message = `dockerast: ${error.message}. Set "dockerast.python" to a Python interpreter that has dockerast installed.`;
  } else {
    const how = record.timedOut
      ? `did not answer within ${START_TIMEOUT_MS / 1000} s and was stopped`
      : (record.exit ?? 'did not answer');
    message = `dockerast: \`${commandLine}\` ${how} before the server started.`;
    if (/No module named '?lsp_server/.test(stderr)) {
      message += ` That Python does not have dockerast: run \`${spec.command} -m pip install dockerast\`, or set "dockerast.python" to one that has it.`;
    }
    if (stderr) {
      message += `\n\n${lastLines(stderr, 6)}`;
    } else if (!record.exit) {
      message += ` ${errorText(error)}`;
    }
  }
  // The whole stderr is in the output channel already: the client copies it there.
  output.error(message);
  setStatus('not running', vscode.LanguageStatusSeverity.Error, false);
  void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output', 'Restart').then((choice) => {
    if (choice === 'Open Settings') {
      void vscode.commands.executeCommand('workbench.action.openSettings', 'dockerast.python');
    } else if (choice === 'Show Output') {
      output.show(true);
    } else if (choice === 'Restart') {
      void vscode.commands.executeCommand('dockerast.restartServer');
    }
  });
}

function lastLines(text: string, count: number): string {
  return text.split(/\r?\n/).slice(-count).join('\n');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

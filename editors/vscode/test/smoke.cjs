// Loads the built out/extension.js outside VS Code, with a stand-in `vscode`
// module, and runs it against a real server process:
//
//   node test/smoke.cjs '{"dockerast.python": "/path/to/python"}'
//
// It activates the extension, waits until the server answered `initialize`
// (or the extension reported that it could not start); if it started, runs
// "dockerast: Restart Server" and waits again; then deactivates it and prints
// one JSON object: the status text after each step, the error notifications,
// the initializationOptions sent, the registered commands and the server
// processes with whether each has ended. tests/test_vscode_extension.py reads it.
//
// The stand-in answers every API the language client touches with inert
// objects; only what this check reads is real: configuration, the output
// channel, notifications, the language status item and events.
'use strict';

const Module = require('node:module');
const path = require('node:path');
const childProcess = require('node:child_process');

process.on('unhandledRejection', (reason) => record.unhandled.push(String(reason && reason.stack || reason)));

const settings = JSON.parse(process.argv[2] || '{}');
const timeoutMs = Number(process.argv[3] || 30000);
const root = path.resolve(__dirname, '..');

const record = {
  unhandled: [],
  errors: [],
  warnings: [],
  infos: [],
  output: [],
  commands: [],
  initializationOptions: null,
  processes: [],
  status: [],
};
const commands = new Map();

// -- what the extension starts ------------------------------------------------------------------

const realSpawn = childProcess.spawn;
childProcess.spawn = function spawn(command, args, options) {
  const child = realSpawn.call(this, command, args, options);
  const entry = { command, args, exited: false };
  record.processes.push(entry);
  child.on('exit', () => (entry.exited = true));
  child.on('error', () => (entry.exited = true)); // never started (ENOENT)
  let sent = '';
  if (child.stdin) {
    const write = child.stdin.write.bind(child.stdin);
    child.stdin.write = (chunk, ...rest) => {
      if (record.initializationOptions === null) {
        sent += chunk.toString();
        const match = /"method":"initialize"/.test(sent) && sent.match(/\r\n\r\n(\{.*\})/s);
        if (match) {
          try {
            record.initializationOptions = JSON.parse(match[1]).params.initializationOptions ?? {};
          } catch {
            // not the whole message yet
          }
        }
      }
      return write(chunk, ...rest);
    };
  }
  return child;
};

// -- the stand-in vscode module ----------------------------------------------------------------

function inert(name) {
  const cache = new Map();
  const target = function () {};
  return new Proxy(target, {
    get(_, key) {
      if (key === 'then') return undefined; // not a promise
      if (key === Symbol.iterator) return [][Symbol.iterator];
      if (key === Symbol.toPrimitive) return () => name;
      if (typeof key === 'symbol') return undefined;
      if (key === 'dispose') return () => undefined;
      if (!cache.has(key)) cache.set(key, inert(`${name}.${key}`));
      return cache.get(key);
    },
    apply() {
      return inert(`${name}()`);
    },
    construct() {
      return inert(`new ${name}`);
    },
  });
}

class EventEmitter {
  constructor() {
    this.listeners = new Set();
    this.event = (listener) => {
      this.listeners.add(listener);
      return { dispose: () => this.listeners.delete(listener) };
    };
  }
  fire(value) {
    for (const listener of [...this.listeners]) listener(value);
  }
  dispose() {
    this.listeners.clear();
  }
}

class Disposable {
  constructor(callOnDispose) {
    this.callOnDispose = callOnDispose;
  }
  static from(...items) {
    return new Disposable(() => items.forEach((item) => item && item.dispose && item.dispose()));
  }
  dispose() {
    if (this.callOnDispose) this.callOnDispose();
  }
}

function lookup(key) {
  if (key in settings) return settings[key];
  const schema = require(path.join(root, 'package.json')).contributes.configuration.properties;
  return schema[key] ? schema[key].default : undefined;
}

function section(prefix) {
  // The nested object VS Code returns for a section: dotted names become objects.
  const schema = require(path.join(root, 'package.json')).contributes.configuration.properties;
  const result = {};
  for (const key of new Set([...Object.keys(schema), ...Object.keys(settings)])) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const parts = key.slice(prefix.length + 1).split('.');
    let node = result;
    for (const part of parts.slice(0, -1)) node = node[part] ??= {};
    node[parts[parts.length - 1]] = lookup(key);
  }
  return result;
}

function getConfiguration(name) {
  return {
    get(key, fallback) {
      const full = name ? `${name}.${key}` : key;
      if (!name && !full.includes('.')) return section(full);
      const value = lookup(full);
      return value === undefined ? fallback : value;
    },
    has: (key) => lookup(name ? `${name}.${key}` : key) !== undefined,
    inspect: () => undefined,
    update: async () => undefined,
  };
}

function channel() {
  const log = (level) => (message) => record.output.push(`${level} ${message}`);
  return {
    name: 'dockerast',
    append: log('append'),
    appendLine: log('line'),
    replace: () => undefined,
    clear: () => undefined,
    show: () => undefined,
    hide: () => undefined,
    dispose: () => undefined,
    trace: log('trace'),
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: (message) => log('error')(message instanceof Error ? message.message : message),
    logLevel: 2,
    onDidChangeLogLevel: new EventEmitter().event,
  };
}

let statusItem;
const vscode = inert('vscode');
const overrides = {
  version: '1.82.0',
  EventEmitter,
  Disposable,
  env: { appName: 'smoke', language: 'en', openExternal: async () => false },
  workspace: new Proxy(
    {
      getConfiguration,
      workspaceFolders: undefined,
      textDocuments: [],
      notebookDocuments: [],
      onDidChangeConfiguration: new EventEmitter().event,
    },
    { get: (t, k) => (k in t ? t[k] : vscode.workspace[k]) },
  ),
  window: new Proxy(
    {
      createOutputChannel: channel,
      showErrorMessage: async (message) => void record.errors.push(message),
      showWarningMessage: async (message) => void record.warnings.push(message),
      showInformationMessage: async (message) => void record.infos.push(message),
      activeTextEditor: undefined,
      visibleTextEditors: [],
      tabGroups: { all: [], onDidChangeTabs: new EventEmitter().event, onDidChangeTabGroups: new EventEmitter().event },
    },
    { get: (t, k) => (k in t ? t[k] : vscode.window[k]) },
  ),
  languages: new Proxy(
    {
      createLanguageStatusItem: (id) => (statusItem = { id, text: '', dispose: () => undefined }),
      match: () => 0,
    },
    { get: (t, k) => (k in t ? t[k] : vscode.languages[k]) },
  ),
  commands: new Proxy(
    {
      registerCommand: (id, callback) => {
        record.commands.push(id);
        commands.set(id, callback);
        return new Disposable();
      },
      executeCommand: async () => undefined,
    },
    { get: (t, k) => (k in t ? t[k] : vscode.commands[k]) },
  ),
  LanguageStatusSeverity: { Information: 0, Warning: 1, Error: 2 },
};
const stand_in = new Proxy(overrides, { get: (t, k) => (k in t ? t[k] : vscode[k]) });

const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: stand_in };

// -- run -----------------------------------------------------------------------------------------

/** Waits until the server runs or a start failure was reported; records the status text. */
async function settle() {
  const started = Date.now();
  let running = false;
  while (Date.now() - started < timeoutMs) {
    const text = statusItem ? statusItem.text : '';
    running = text === 'dockerast: running';
    if (running || record.errors.length > 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  record.status.push(statusItem ? statusItem.text : null);
  return running;
}

async function main() {
  const extension = require(path.join(root, 'out', 'extension.js'));
  const context = { subscriptions: [], extensionUri: { fsPath: root }, extensionPath: root };
  extension.activate(context);
  const running = await settle();
  if (running) {
    await commands.get('dockerast.restartServer')();
    await settle();
  }
  await extension.deactivate();
  record.status.push(statusItem ? statusItem.text : null);
  for (const item of context.subscriptions) item.dispose();
  const ended = Date.now();
  while (record.processes.some((p) => !p.exited) && Date.now() - ended < 5000) {
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(`${JSON.stringify(record)}\n`);
  process.exit(0);
}

main().catch((error) => {
  process.stdout.write(`${JSON.stringify({ ...record, crash: String(error && error.stack) })}\n`);
  process.exit(1);
});

// The nnc extension: it starts the language server (`nnc lsp`, over
// stdio) for .nn files. Highlighting comes from syntaxes/nn.tmLanguage.json
// and, once the server runs, from its semantic tokens.
"use strict";

const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

// serverOptions reads the command from the settings nnc.server.path and
// nnc.server.args.
function serverOptions() {
  const config = vscode.workspace.getConfiguration("nnc");
  const command = config.get("server.path") || "nnc";
  const args = config.get("server.args") || ["lsp"];
  return { command, args };
}

async function start(context) {
  const clientOptions = {
    documentSelector: [{ scheme: "file", language: "nn" }, { scheme: "untitled", language: "nn" }],
    outputChannelName: "nnc",
  };
  client = new LanguageClient("nnc", "nnc", serverOptions(), clientOptions);
  try {
    await client.start();
  } catch (err) {
    const cmd = serverOptions().command;
    vscode.window.showErrorMessage(
      `nnc: could not start the language server "${cmd} lsp" (${err.message || err}). ` +
        "Install it with `go install github.com/nnclang/nnc/cmd/nnc@latest` or set nnc.server.path."
    );
  }
}

async function stop() {
  if (client) {
    const c = client;
    client = undefined;
    if (c.isRunning()) {
      await c.stop();
    }
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("nnc.restartServer", async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("nnc.server")) {
        await stop();
        await start(context);
      }
    })
  );
  await start(context);
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };

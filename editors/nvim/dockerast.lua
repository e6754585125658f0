-- dockerast language server for Neovim 0.11+.
--
-- Put this in your init.lua (or `:luafile` it, or copy it to
-- ~/.config/nvim/plugin/dockerast.lua).  It needs `dockerast-lsp` on PATH:
--   pip install dockerast        (or: pipx install dockerast)
--
-- Settings are optional; the project's [tool.dockerast] in pyproject.toml or
-- .dockerast.toml is read by the server, and these settings override it.

vim.lsp.config('dockerast', {
  cmd = { 'dockerast-lsp' },
  filetypes = { 'dockerfile' },
  root_markers = { '.dockerast.toml', 'pyproject.toml', '.git' },
  -- Read once at start-up.
  init_options = {
    -- 'auto' (default): Neovim pulls diagnostics (textDocument/diagnostic),
    -- so the server does not push them as well.
    diagnostics = { mode = 'auto' },
  },
  -- Answered to workspace/configuration.  To change them while running:
  --   local c = vim.lsp.get_clients({ name = 'dockerast' })[1]
  --   c.settings.dockerast.severity = { StageNameCasing = 'error' }
  --   c:notify('workspace/didChangeConfiguration', { settings = c.settings })
  settings = {
    dockerast = {
      -- select = { 'StageNameCasing' },
      -- ignore = { 'UnusedSuppression' },
      -- severity = { StageNameCasing = 'error' },
      format = { indent = 4 },
      inlayHints = { enable = true },
    },
  },
})

vim.lsp.enable('dockerast')

-- Optional: show inlay hints (the resolved value of each ARG/ENV where it is used).
vim.api.nvim_create_autocmd('LspAttach', {
  group = vim.api.nvim_create_augroup('dockerast', { clear = true }),
  callback = function(args)
    local client = vim.lsp.get_client_by_id(args.data.client_id)
    if not client or client.name ~= 'dockerast' then
      return
    end
    if client:supports_method('textDocument/inlayHint') then
      vim.lsp.inlay_hint.enable(true, { bufnr = args.buf })
    end
  end,
})

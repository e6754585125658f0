-- dockerast with nvim-lspconfig (for setups that still use `require('lspconfig')`).
-- On Neovim 0.11+ prefer ./dockerast.lua (vim.lsp.config + vim.lsp.enable).

local configs = require('lspconfig.configs')
local util = require('lspconfig.util')

if not configs.dockerast then
  configs.dockerast = {
    default_config = {
      cmd = { 'dockerast-lsp' },
      filetypes = { 'dockerfile' },
      root_dir = util.root_pattern('.dockerast.toml', 'pyproject.toml', '.git'),
      single_file_support = true,
      init_options = { diagnostics = { mode = 'auto' } },
      settings = { dockerast = {} },
    },
    docs = {
      description = 'dockerast: Dockerfile diagnostics, fixes, refactors and formatting.',
    },
  }
end

require('lspconfig').dockerast.setup({
  settings = {
    dockerast = {
      -- severity = { StageNameCasing = 'error' },
    },
  },
})

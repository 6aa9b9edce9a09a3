-- Neovim with nothing but its built-in LSP client and calm-lint --lsp, for the
-- headless test (nvim_test.sh). CALM_LINT is the binary, CALM_NVIM_OUT the file the
-- diagnostics are written to. Works with Neovim 0.7 (Debian 12) and later.
vim.opt.swapfile = false
vim.opt.shadafile = "NONE"
local calm_lint = os.getenv("CALM_LINT")
local out_path = os.getenv("CALM_NVIM_OUT")

vim.api.nvim_create_autocmd("FileType", {
  pattern = "c",
  callback = function(args)
    local config = { name = "calm-lint", cmd = { calm_lint, "--lsp", "-p", "build" }, root_dir = vim.fn.getcwd() }
    if vim.lsp.start then
      vim.lsp.start(config, { bufnr = args.buf })
    else -- Neovim 0.7
      vim.lsp.buf_attach_client(args.buf, vim.lsp.start_client(config))
    end
  end,
})

local function dump(out, label)
  for _, d in ipairs(vim.diagnostic.get(0)) do
    local lsp = (d.user_data or {}).lsp or {}
    local code = d.code or lsp.code or ""
    local href = (lsp.codeDescription or {}).href or ""
    out:write(string.format("%s %d:%d %s [%s] %s %s related=%d\n", label, d.lnum + 1, d.col + 1, d.source or "",
      code, d.message, href, #(lsp.relatedInformation or {})))
  end
  out:write(string.format("%s count=%d\n", label, #vim.diagnostic.get(0)))
end

-- Called once the file is loaded: wait for diagnostics, then edit the buffer (the
-- blocking call removed) and wait for them to clear, as a user typing would see.
function CalmNvimTest()
  local out = assert(io.open(out_path, "w"))
  local ok = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
  dump(out, ok and "open" or "open-timeout")
  local line = vim.fn.search("sleep")
  if line > 0 then
    vim.api.nvim_buf_set_lines(0, line - 1, line, false, { "  /* nothing blocks here now */" })
  end
  ok = vim.wait(30000, function() return #vim.diagnostic.get(0) == 0 end, 50)
  dump(out, ok and "changed" or "changed-timeout")
  out:close()
  for _, client in pairs(vim.lsp.get_active_clients()) do client.stop() end
  vim.wait(5000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
  vim.cmd("qa!")
end

-- The harness around the README's Neovim recipe (nvim_test.sh loads the recipe after
-- this file): CALM_NVIM_OUT is the file the diagnostics Neovim shows are written to.
-- Works with Neovim 0.7 (Debian 12) and later.
vim.opt.swapfile = false
vim.opt.shadafile = "NONE"
local out_path = os.getenv("CALM_NVIM_OUT")

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
  -- typed back in after a multi-byte comment (incremental sync, UTF-16 columns), then
  -- silenced with the server's NOLINT quick fix, applied as Neovim applies any
  if line > 0 then
    vim.api.nvim_buf_set_lines(0, line - 1, line, false, { "  /* \u{e9} */ sleep(1);" })
    ok = vim.wait(30000, function() return #vim.diagnostic.get(0) > 0 end, 50)
    dump(out, ok and "retyped" or "retyped-timeout")
    vim.api.nvim_win_set_cursor(0, { line, 12 })
    local params = vim.lsp.util.make_range_params()
    params.context = { diagnostics = {} }
    local applied = 0
    for _, r in pairs(vim.lsp.buf_request_sync(0, "textDocument/codeAction", params, 10000) or {}) do
      for _, a in ipairs(r.result or {}) do
        out:write("action " .. a.title .. "\n")
        if a.title == "suppress with NOLINT(blocking-in-loop)" and a.edit then
          vim.lsp.util.apply_workspace_edit(a.edit, "utf-16")
          applied = applied + 1
        end
      end
    end
    ok = applied == 1 and vim.wait(30000, function() return #vim.diagnostic.get(0) == 0 end, 50)
    dump(out, ok and "nolint" or "nolint-timeout")
    out:write("line " .. vim.api.nvim_buf_get_lines(0, line - 1, line, false)[1] .. "\n")
  end
  out:close()
  for _, client in pairs(vim.lsp.get_active_clients()) do client.stop() end
  vim.wait(5000, function() return #vim.lsp.get_active_clients() == 0 end, 50)
  vim.cmd("qa!")
end

-- The nvim-lint recipe: nvim-lint itself is not packaged by Debian, so this stands in
-- for its try_lint (run the linter's cmd and args with the buffer on stdin, hand the
-- output to its parser, show what it returns) and the recipe is run as written.
package.preload["lint"] = function()
  local M = { linters = {}, linters_by_ft = {} }
  local ns = vim.api.nvim_create_namespace("calm-lint-test")
  function M.try_lint()
    local bufnr = vim.api.nvim_get_current_buf()
    for _, name in ipairs(M.linters_by_ft[vim.bo.filetype] or {}) do
      local l = M.linters[name]
      local cmd = { l.cmd }
      for _, a in ipairs(l.args or {}) do table.insert(cmd, type(a) == "function" and a() or a) end
      local input = l.stdin and table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n" or nil
      local output = vim.fn.system(cmd, input)
      if vim.v.shell_error ~= 0 and not l.ignore_exitcode then output = "" end
      vim.diagnostic.set(ns, bufnr, l.parser(output, bufnr))
    end
  end
  return M
end

function CalmNvimLintTest()
  local out = assert(io.open(out_path, "w"))
  vim.cmd("doautocmd BufWritePost")
  dump(out, "lint")
  out:close()
  vim.cmd("qa!")
end

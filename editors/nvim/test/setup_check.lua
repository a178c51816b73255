-- As a user sets apls up: Neovim started normally (its init.lua already
-- called require('apls').setup{}), the plugin found where a package, a plugin
-- manager or the Debian package put it. Run from the "failing" fixture's
-- workspace as
--   nvim --headless -i NONE -c 'luafile editors/nvim/test/setup_check.lua'
-- Environment: APLS_OUT (one "ok - ..." / "not ok - ..." line each),
-- APLS_LABEL (prefix of each line), APLS_EXPECT_PATH (the server the plugin
-- must find), APLS_EXPECT_VERSION (what `apls --version` says),
-- APLS_EXPECT_PLUGIN (optional: the folder the plugin must be loaded from).
local out = assert(io.open(assert(os.getenv('APLS_OUT')), 'a'))
local label = os.getenv('APLS_LABEL') or 'nvim setup'
local function report(ok, what, detail)
  out:write(string.format('%s - %s: %s%s\n', ok and 'ok' or 'not ok', label, what,
    (not ok and detail) and (' (' .. tostring(detail):gsub('\n', ' | ') .. ')') or ''))
  out:flush()
  return ok
end

local function finish()
  out:close()
  vim.cmd('qall!')
end

local ok_run, run_err = pcall(function()
  local root = vim.fn.getcwd()
  local found = vim.api.nvim_get_runtime_file('lua/apls/init.lua', false)[1] or ''
  report(found ~= '', 'the plugin is on the runtimepath', vim.o.runtimepath)
  local want = os.getenv('APLS_EXPECT_PLUGIN')
  if want then
    report(vim.startswith(found, want), 'the plugin is the one under ' .. want, found)
  end
  report(package.loaded['apls'] ~= nil and require('apls').set_up == true,
    "init.lua's require('apls').setup{} ran")

  local diags = nil
  vim.cmd('edit broken.ap')
  local buf = vim.api.nvim_get_current_buf()
  report(vim.bo.filetype == 'ap', 'a .ap file gets filetype ap (ftdetect)', vim.bo.filetype)
  report(vim.b.current_syntax == 'ap', 'its syntax is loaded', tostring(vim.b.current_syntax))
  report(vim.bo.shiftwidth == 2 and vim.bo.commentstring == '# %s', 'its ftplugin ran')

  local apls = require('apls')
  local attached = vim.wait(10000, function() return apls.client(buf) ~= nil end, 50)
  report(attached, 'apls attached to the patch')
  local client = apls.client(buf)
  if client then
    local exe = vim.fn.exepath(client.config.cmd[1])
    report(exe == os.getenv('APLS_EXPECT_PATH'), 'the server is the expected apls',
      exe .. ' vs ' .. tostring(os.getenv('APLS_EXPECT_PATH')))
    report(client.config.root_dir == root, 'its root is the workspace', tostring(client.config.root_dir))
  end
  local got = vim.wait(15000, function()
    diags = vim.diagnostic.get(buf)
    return #diags > 0
  end, 50)
  local codes = {}
  for _, d in ipairs(diags or {}) do table.insert(codes, tostring(d.code)) end
  report(got and vim.tbl_contains(codes, 'SNIPPET_NOT_FOUND'),
    "the server's diagnostic arrives (SNIPPET_NOT_FOUND)", table.concat(codes, ','))

  -- :checkhealth apls, read from the buffer it writes
  vim.cmd('checkhealth apls')
  local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
  local function has(s) return text:find(s, 1, true) ~= nil end
  report(has('path: ' .. tostring(os.getenv('APLS_EXPECT_PATH'))), ':checkhealth apls reports the path', text)
  report(has('version: ' .. tostring(os.getenv('APLS_EXPECT_VERSION'))), ':checkhealth apls reports the version', text)
  report(has('broken.ap: root ' .. root .. ' (the current directory'), ":checkhealth apls reports the patch's root", text)
  report(not text:find('ERROR', 1, true), ':checkhealth apls reports no error', text)
end)
if not ok_run then
  report(false, 'the check ran to its end', run_err)
end
finish()

-- :checkhealth apls - is the server there, which one, and where does each
-- open patch resolve its paths from. Neovim 0.7 and 0.8 report through
-- require('health').report_*, 0.9+ through vim.health.*.
local M = {}

local h = vim.health and vim.health.start and vim.health or nil
local legacy = h == nil and require('health') or nil
local function start(m) if h then h.start(m) else legacy.report_start(m) end end
local function ok(m) if h then h.ok(m) else legacy.report_ok(m) end end
local function info(m) if h then h.info(m) else legacy.report_info(m) end end
local function warn(m, advice) if h then h.warn(m, advice) else legacy.report_warn(m, advice) end end
local function err(m, advice) if h then h.error(m, advice) else legacy.report_error(m, advice) end end

local function server()
  local apls = require('apls')
  start('apls: the server')
  if not apls.set_up then
    warn("require('apls').setup{} has not been called: no server starts",
      { "add require('apls').setup{} to init.lua (see editors/README.md)" })
  end
  local cmd = apls.config.cmd or {}
  local exe = cmd[1] and vim.fn.exepath(cmd[1]) or ''
  if exe == '' then
    err(string.format("'%s' is not an executable (nor on PATH)", tostring(cmd[1])),
      { 'install apls (the Debian package, or meson install), or setup{ cmd = { "/path/to/apls" } }' })
    return
  end
  ok('path: ' .. exe .. (#cmd > 1 and ('  (command: ' .. table.concat(cmd, ' ') .. ')') or ''))
  local out = vim.fn.system({ exe, '--version' })
  local version = out:match('^apls (%S+)')
  if vim.v.shell_error == 0 and version then
    ok('version: ' .. version)
  else
    err('`' .. exe .. ' --version` failed: ' .. vim.trim(out))
  end
end

local function patches()
  local apls = require('apls')
  start('apls: open patches')
  local any = false
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    local name = vim.api.nvim_buf_get_name(b)
    if vim.api.nvim_buf_is_loaded(b) and (vim.bo[b].filetype == 'ap' or name:match('%.ap$')) then
      any = true
      local root, why = apls.root_dir(b)
      local client = apls.client(b)
      local line = string.format('%s: root %s (%s)', vim.fn.fnamemodify(name, ':~:.'), root, why)
      if client then
        ok(line .. string.format('; attached to apls (client %d, root %s)', client.id,
          client.config and client.config.root_dir or '?'))
      else
        info(line .. '; no apls client attached')
      end
    end
  end
  if not any then
    info('no .ap buffer is open: open a patch to see the root apls resolves its paths from')
  end
end

function M.check()
  server()
  patches()
end

return M

-- wrk script of the intake benchmark (bench/intake.py): POST /api/leads, one distinct lead per
-- request, and a tally of the answers.
--
--   wrk -t2 -c32 -d15s --latency -s bench/intake.lua http://127.0.0.1:PORT/api/leads -- RUN [PREFIX]
--
-- Phones are PREFIX ("139" unless given) + 8 digits: RUN (0-9) + wrk thread (0-9) + a
-- per-thread counter (6 digits), so no two requests of any run against the same database share
-- a phone and dedupe never turns an enquiry into an update of an open lead. bench/intake.py
-- gives each app that stores leads a prefix of its own (the limit app 138, ParkLead 139).
-- The body is a realistic enquiry as a landing page posts it. done() prints one line "WRK_RESULT {json}" for bench/intake.py.

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  table.insert(threads, thread)
  next_tid = next_tid + 1
end

local NEEDS = { "factory", "warehouse", "land", "office", "factory", "registration" }
local DEALS = { "rent", "buy", "rent", "any" }
local COMPANIES = {
  "株洲华锐精密机械有限公司",
  "湖南中联新材料科技有限公司",
  "长沙云启电子商务有限公司",
  "株洲动力谷轨道交通配件有限公司",
}
local CONTACTS = { "王经理", "李总", "张先生", "刘女士", "陈工" }
local MESSAGES = {
  "我们计划在株洲租一个两千到五千平米的标准厂房，层高8米以上，要有行车，年税收约300万，希望三个月内入驻。",
  "想了解园区仓库的租金和物业费，面积三千平左右，需要有卸货平台，方便的话请电话联系。",
  "公司准备新建生产基地，需要工业用地50亩左右，投资约2亿元，请介绍一下土地价格和招商政策。",
  "注册一家科技公司，想问问园区有没有孵化器工位和注册地址，有哪些税收优惠？",
}
local TEMPLATE = '{"need_type":"%s","deal":"%s","area_min_m2":%d,"area_max_m2":%d,'
  .. '"industry":"汽车零部件","company":"%s","contact_name":"%s","phone":"%s%08d",'
  .. '"district":"zhuzhou","message":"%s","utm_source":"baidu","utm_medium":"cpc",'
  .. '"utm_campaign":"factory-2025"}'
local prefix = "139"

local base = 0
local seq = 0
created = 0 -- 201: a new lead
joined = 0 -- 200: joined an open lead (dedupe): must stay 0 here
other = 0 -- anything else
last_other = ""

function init(args)
  local run = tonumber(args[1] or "0") % 10
  base = run * 10000000 + (tid % 10) * 1000000
  prefix = args[2] or "139"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  seq = seq + 1
  local area = 1000 + (seq % 40) * 100
  local body = string.format(
    TEMPLATE,
    NEEDS[seq % #NEEDS + 1],
    DEALS[seq % #DEALS + 1],
    area,
    area * 2,
    COMPANIES[seq % #COMPANIES + 1],
    CONTACTS[seq % #CONTACTS + 1],
    prefix,
    base + seq % 1000000,
    MESSAGES[seq % #MESSAGES + 1]
  )
  return wrk.format("POST", nil, nil, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    joined = joined + 1
  else
    other = other + 1
    last_other = status .. " " .. string.sub(body or "", 1, 200)
  end
end

local function json_string(s)
  return '"' .. string.gsub(s, '[%c"\\]', " ") .. '"'
end

function done(summary, latency, requests)
  local c, j, o, sample = 0, 0, 0, ""
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    j = j + thread:get("joined")
    o = o + thread:get("other")
    local s = thread:get("last_other")
    if s ~= "" then
      sample = s
    end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
      .. '"created":%d,"joined":%d,"other":%d,"sample_other":%s,'
      .. '"err_connect":%d,"err_read":%d,"err_write":%d,"err_status":%d,"err_timeout":%d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, c, j, o, json_string(sample),
    e.connect, e.read, e.write, e.status, e.timeout
  ))
end

-- wrk's side of bench/load.py: `settings` is prepended by it (the mix, the paths,
-- the booking bodies, the signed-in cookie). Each thread takes its own share of
-- the bookings' free slots; once they are used up a booking turn is a calendar.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  taken = 0
end

function request()
  counter = counter + 1
  local kind = settings.mix[(counter % #settings.mix) + 1]
  if kind == "booking" then
    local index = id + 1 + taken * settings.threads
    if index <= #settings.bodies then
      taken = taken + 1
      return wrk.format("POST", "/api/appointments", {
        ["Cookie"] = settings.cookie,
        ["Content-Type"] = "application/json",
        ["X-CSRFToken"] = settings.csrf,
        ["Referer"] = settings.referer,
      }, settings.bodies[index])
    end
    kind = "calendar"
  end
  return wrk.format("GET", settings.gets[kind], { ["Cookie"] = settings.cookie })
end

function response(status, headers, body)
  if status >= 300 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local found = thread:get("statuses")
    for status, count in pairs(found) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(counts) do
    table.insert(parts, status .. ": " .. count)
  end
  io.write("statuses " .. table.concat(parts, ", ") .. "\n")
end

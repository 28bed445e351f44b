-- Unrouted (legacy) traffic over 10 000 distinct paths, each its own path template
-- (/legacy/area<n>/items/<id>: `area<n>` stays literal, the id becomes :id), reported like
-- wrk-report.lua (wrk runs in the project's root).
dofile("bench/wrk-report.lua")
math.randomseed(7)
request = function()
  return wrk.format("GET", string.format("/legacy/area%d/items/%d", math.random(10000), math.random(1000000)))
end
